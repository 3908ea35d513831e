import copy
import io
import pickle

import pytest

from erlen.datastructures import Accept
from erlen.datastructures import Authorization
from erlen.datastructures import CharsetAccept
from erlen.datastructures import CombinedMultiDict
from erlen.datastructures import EnvironHeaders
from erlen.datastructures import FileStorage
from erlen.datastructures import Headers
from erlen.datastructures import ImmutableDict
from erlen.datastructures import ImmutableMultiDict
from erlen.datastructures import LanguageAccept
from erlen.datastructures import MIMEAccept
from erlen.datastructures import MultiDict
from erlen.datastructures import WWWAuthenticate
from erlen.datastructures import parse_accept_header
from erlen.exceptions import BadRequest
from erlen.exceptions import BadRequestKeyError

# -- MultiDict ---------------------------------------------------------------------


def test_multidict_keeps_every_value_and_gives_the_first():
    md = MultiDict([("tag", "a"), ("page", "2"), ("tag", "b")])
    assert md["tag"] == "a"
    assert md.getlist("tag") == ["a", "b"]
    assert md.get("page", type=int) == 2
    assert list(md) == ["tag", "page"]
    assert len(md) == 2
    assert "tag" in md and "nope" not in md
    assert list(md.items()) == [("tag", "a"), ("page", "2")]
    assert list(md.items(multi=True)) == [("tag", "a"), ("tag", "b"), ("page", "2")]
    assert list(md.values()) == ["a", "2"]
    assert list(md.listvalues()) == [["a", "b"], ["2"]]
    assert list(md.lists()) == [("tag", ["a", "b"]), ("page", ["2"])]
    assert md.to_dict() == {"tag": "a", "page": "2"}
    assert md.to_dict(flat=False) == {"tag": ["a", "b"], "page": ["2"]}


def test_multidict_missing_key_is_a_400():
    md = MultiDict()
    with pytest.raises(BadRequestKeyError) as info:
        md["missing"]
    assert isinstance(info.value, KeyError)
    assert isinstance(info.value, BadRequest)
    assert info.value.code == 400


def test_multidict_get_with_type_falls_back_to_default():
    md = MultiDict({"page": "abc", "n": ["1", "x", "3"]})
    assert md.get("page", 1, type=int) == 1
    assert md.get("missing") is None
    assert md.get("missing", "d") == "d"
    assert md.getlist("n", type=int) == [1, 3]
    assert md.getlist("missing") == []


def test_multidict_from_mapping_and_multidict():
    md = MultiDict({"a": ["1", "2"], "b": "3", "empty": []})
    assert md.getlist("a") == ["1", "2"]
    assert md["b"] == "3"
    assert "empty" not in md
    clone = MultiDict(md)
    clone.add("a", "9")
    assert md.getlist("a") == ["1", "2"]


def test_multidict_mutation_api():
    md = MultiDict()
    md["a"] = "1"
    md.add("a", "2")
    assert md.getlist("a") == ["1", "2"]
    md["a"] = "x"
    assert md.getlist("a") == ["x"]
    md.setlist("b", ["1", "2"])
    md.setlist("c", [])
    assert "c" not in md
    assert md.setdefault("b", "z") == "1"
    assert md.setdefault("d", "z") == "z"
    live = md.setlistdefault("e", ["q"])
    live.append("r")
    assert md.getlist("e") == ["q", "r"]
    md.update({"a": "y"})
    md.update([("b", "3")])
    assert md.getlist("a") == ["x", "y"]
    assert md.getlist("b") == ["1", "2", "3"]
    assert md.pop("a") == "x"
    assert md.pop("a", None) is None
    with pytest.raises(KeyError):
        md.pop("a")
    assert md.poplist("b") == ["1", "2", "3"]
    assert md.poplist("b") == []
    key, value = md.popitem()
    assert (key, value) in {("d", "z"), ("e", "q")}
    key, values = md.popitemlist()
    assert key in {"d", "e"} and values
    with pytest.raises(KeyError):
        md.popitem()


def test_multidict_copy_pickle_and_repr():
    md = MultiDict([("a", [1]), ("a", [2])])
    shallow = md.copy()
    shallow.add("a", [3])
    assert len(md.getlist("a")) == 2
    deep = md.deepcopy()
    deep["a"].append(99)
    assert md["a"] == [1]
    assert copy.deepcopy(md).getlist("a") == [[1], [2]]
    assert copy.copy(md).getlist("a") == [[1], [2]]
    restored = pickle.loads(pickle.dumps(md))
    assert type(restored) is MultiDict
    assert restored.getlist("a") == [[1], [2]]
    assert repr(md) == "MultiDict([('a', [1]), ('a', [2])])"


def test_immutable_multidict_refuses_mutation_and_is_hashable():
    md = ImmutableMultiDict([("a", "1"), ("a", "2")])
    for call in (
        lambda: md.__setitem__("a", "x"),
        lambda: md.add("a", "x"),
        lambda: md.setlist("a", []),
        lambda: md.pop("a"),
        lambda: md.update({"b": "1"}),
        lambda: md.clear(),
        lambda: md.setdefault("z", "1"),
        lambda: md.popitem(),
    ):
        with pytest.raises(TypeError, match="immutable"):
            call()
    with pytest.raises(TypeError):
        del md["a"]
    assert hash(md) == hash(ImmutableMultiDict([("a", "1"), ("a", "2")]))
    mutable = md.copy()
    assert type(mutable) is MultiDict
    mutable.add("a", "3")
    assert md.getlist("a") == ["1", "2"]
    assert copy.copy(md) is md
    restored = pickle.loads(pickle.dumps(md))
    assert type(restored) is ImmutableMultiDict
    assert restored.getlist("a") == ["1", "2"]


def test_combined_multidict_merges_args_then_form():
    args = ImmutableMultiDict([("q", "search"), ("x", "1")])
    form = ImmutableMultiDict([("x", "2"), ("name", "ada")])
    values = CombinedMultiDict([args, form])
    assert values["x"] == "1"
    assert values.getlist("x") == ["1", "2"]
    assert values["name"] == "ada"
    assert sorted(values) == ["name", "q", "x"]
    with pytest.raises(TypeError):
        values["x"] = "3"
    with pytest.raises(BadRequestKeyError):
        values["missing"]
    assert pickle.loads(pickle.dumps(values)).getlist("x") == ["1", "2"]


def test_immutable_dict():
    d = ImmutableDict({"a": 1})
    assert d["a"] == 1
    with pytest.raises(TypeError):
        d["b"] = 2
    with pytest.raises(TypeError):
        d.update(b=2)
    with pytest.raises(TypeError):
        d |= {"b": 2}
    assert hash(d) == hash(ImmutableDict({"a": 1}))
    mutable = d.copy()
    mutable["b"] = 2
    assert "b" not in d


# -- Headers -----------------------------------------------------------------------


def test_headers_are_case_insensitive_ordered_and_multi_valued():
    h = Headers([("Content-Type", "text/html")])
    h.add("Set-Cookie", "a=1")
    h.add("Set-Cookie", "b=2")
    assert h["content-type"] == "text/html"
    assert h.get("CONTENT-TYPE") == "text/html"
    assert h.getlist("set-cookie") == ["a=1", "b=2"]
    assert h.get_all("Set-Cookie") == ["a=1", "b=2"]
    assert "set-cookie" in h
    assert list(h) == [
        ("Content-Type", "text/html"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
    ]
    assert h[0] == ("Content-Type", "text/html")
    assert isinstance(h[1:], Headers) and len(h[1:]) == 2
    assert h.keys() == ["Content-Type", "Set-Cookie", "Set-Cookie"]
    assert h.keys(lower=True)[0] == "content-type"
    assert h.values() == ["text/html", "a=1", "b=2"]
    assert h.items(lower=True)[0] == ("content-type", "text/html")
    assert len(h) == 3
    with pytest.raises(BadRequestKeyError):
        h["X-Missing"]
    assert h.get("X-Missing", "d") == "d"


def test_headers_set_replaces_in_place():
    h = Headers([("A", "1"), ("X", "1"), ("B", "2"), ("x", "2")])
    h.set("X", "new")
    assert h.to_wsgi_list() == [("A", "1"), ("X", "new"), ("B", "2")]
    h["C"] = 3
    assert h["C"] == "3"
    h.setlist("A", ["p", "q"])
    assert h.getlist("A") == ["p", "q"]
    assert h.setdefault("A", "zzz") == "p"
    assert h.setdefault("D", "d") == "d"
    h.setlist("A", [])
    assert "A" not in h


def test_headers_params_quoting_and_rfc5987_filename():
    h = Headers()
    h.add("Content-Type", "text/plain", charset="utf-8")
    h.add("Content-Disposition", "attachment", filename="résumé 2024.pdf")
    h.add("X-Thing", "v", some_key='a "b"')
    assert h["Content-Type"] == "text/plain; charset=utf-8"
    assert h["Content-Disposition"] == (
        'attachment; filename="resume 2024.pdf"; '
        "filename*=UTF-8''r%C3%A9sum%C3%A9%202024.pdf"
    )
    assert h["X-Thing"] == 'v; some-key="a \\"b\\""'


@pytest.mark.parametrize(
    "value", ["a\r\nSet-Cookie: evil=1", "a\nb", "a\rb", "nul\x00", "snow ☃"]
)
def test_headers_refuse_injection_and_non_latin1(value):
    h = Headers()
    for write in (
        lambda: h.add("X-Test", value),
        lambda: h.set("X-Test", value),
        lambda: h.__setitem__("X-Test", value),
        lambda: h.extend({"X-Test": value}),
        lambda: h.setdefault("X-Test", value),
        lambda: Headers([("X-Test", value)]),
        lambda: h.add("Content-Disposition", "attachment", name=value),
    ):
        with pytest.raises(ValueError):
            write()
    assert len(h) == 0


def test_headers_non_ascii_filename_param_is_encoded_not_refused():
    h = Headers()
    h.add("Content-Disposition", "attachment", filename="snow ☃.txt")
    assert h["Content-Disposition"] == (
        "attachment; filename=\"snow .txt\"; filename*=UTF-8''snow%20%E2%98%83.txt"
    )
    with pytest.raises(ValueError):
        h.add("Content-Disposition", "attachment", filename="é\r\nX-Evil: 1")


def test_headers_latin1_value_is_allowed_and_values_become_str():
    h = Headers()
    h.add("X-Name", "café")
    h.add("Content-Length", 42)
    assert h["x-name"] == "café"
    assert h["content-length"] == "42"


@pytest.mark.parametrize("name", ["Bad Name", "X:Y", "X\r\nY", "", "Ünï"])
def test_headers_refuse_invalid_names(name):
    with pytest.raises(ValueError, match="header name"):
        Headers().add(name, "v")


def test_headers_extend_update_remove_pop():
    h = Headers()
    h.extend({"A": ["1", "2"], "B": "3"})
    h.extend([("C", "4")], D="5")
    h.extend(MultiDict([("E", "6"), ("E", "7")]))
    assert h.getlist("A") == ["1", "2"]
    assert h.getlist("E") == ["6", "7"]
    h.update({"A": "x", "E": ["8"]})
    assert h.getlist("A") == ["x"]
    assert h.getlist("E") == ["8"]
    h.remove("b")
    h.remove("never-there")
    assert "B" not in h
    assert h.pop("C") == "4"
    assert h.pop("C", None) is None
    with pytest.raises(KeyError):
        h.pop("C")
    last = h.popitem()
    assert last == ("E", "8")
    del h["D"]
    assert "D" not in h
    h.clear()
    assert len(h) == 0


def test_headers_equality_copy_and_str():
    h = Headers([("A", "1"), ("B", "2")])
    other = h.copy()
    other.add("C", "3")
    assert h != other
    assert h == Headers([("b", "2"), ("a", "1")])
    assert str(h) == "A: 1\r\nB: 2\r\n\r\n"
    assert h.to_wsgi_list() is not h._list


def test_headers_trusted_hot_path_construction():
    # The response module builds Headers this way for its own defaults.
    h = Headers.__new__(Headers)
    h._list = [("Content-Type", "text/html; charset=utf-8")]
    assert h["content-type"] == "text/html; charset=utf-8"
    h.add("X-A", "1")
    assert h.to_wsgi_list()[-1] == ("X-A", "1")


def test_environ_headers_read_the_wsgi_environ():
    environ = {
        "HTTP_HOST": "example.org",
        "HTTP_X_REQUESTED_WITH": "XMLHttpRequest",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": "",
        "HTTP_CONTENT_TYPE": "ignored",
        "wsgi.input": io.BytesIO(),
    }
    h = EnvironHeaders(environ)
    assert h["Host"] == "example.org"
    assert h["x-requested-with"] == "XMLHttpRequest"
    assert h.get("Content-Type") == "application/json"
    assert h.get("Content-Length") is None
    assert "content-length" not in h
    assert h.getlist("host") == ["example.org"]
    assert sorted(h.keys()) == ["Content-Type", "Host", "X-Requested-With"]
    assert len(h) == 3
    with pytest.raises(BadRequestKeyError):
        h["Authorization"]
    with pytest.raises(TypeError):
        h["X"] = "1"
    with pytest.raises(TypeError):
        h.add("X", "1")
    mutable = h.copy()
    mutable.add("X-New", "1")
    assert "X-New" not in h


# -- FileStorage -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ada\\notes.txt", "notes.txt"),
        ("/abs/path/a.png", "a.png"),
        ("dir/", ""),
        ("evil\x00.txt", "evil.txt"),
    ],
)
def test_filestorage_filename_has_no_directory(raw, clean):
    fs = FileStorage(io.BytesIO(b""), filename=raw)
    assert fs.filename == clean
    assert fs.raw_filename == raw


def test_filestorage_file_api_and_save(tmp_path):
    fs = FileStorage(
        io.BytesIO(b"line1\nline2\n"),
        filename="notes.txt",
        name="upload",
        content_type="text/plain; charset=utf-8",
    )
    assert fs
    assert fs.name == "upload"
    assert fs.content_type == "text/plain; charset=utf-8"
    assert fs.mimetype == "text/plain"
    assert fs.mimetype_params == {"charset": "utf-8"}
    assert fs.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert fs.readline() == b"line1\n"
    fs.seek(0)
    assert list(fs) == [b"line1\n", b"line2\n"]
    fs.seek(0)
    target = tmp_path / "out.txt"
    fs.save(target)
    assert target.read_bytes() == b"line1\nline2\n"
    fs.seek(0)
    buffer = io.BytesIO()
    fs.save(buffer)
    assert buffer.getvalue() == b"line1\nline2\n"
    assert repr(fs) == "<FileStorage: 'notes.txt' ('text/plain; charset=utf-8')>"
    fs.close()
    assert fs.stream.closed


def test_filestorage_empty_upload_is_falsy_and_lengths():
    assert not FileStorage(io.BytesIO(b""), filename="")
    assert FileStorage(content_length=5).content_length == 5
    headers = Headers([("Content-Length", "7")])
    assert FileStorage(headers=headers).content_length == 7
    assert FileStorage().content_length == 0
    assert FileStorage().read() == b""


def test_filestorage_name_from_stream(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"x")
    with open(path, "rb") as fp:
        assert FileStorage(fp).filename == "data.bin"


# -- Accept ------------------------------------------------------------------------

BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
    "image/webp,*/*;q=0.8"
)


def test_mime_accept_from_a_browser():
    accept = parse_accept_header(BROWSER_ACCEPT, MIMEAccept)
    assert accept.provided
    assert accept.best == "text/html"
    assert accept.accept_html
    assert accept.accept_json  # through */*
    assert accept["application/json"] == 0.8
    assert accept.quality("application/xml") == 0.9
    assert accept.best_match(["application/json", "text/html"]) == "text/html"
    assert accept.best_match(["application/json", "text/plain"]) == "application/json"
    assert list(accept.values())[0] == "text/html"


def test_mime_accept_wildcards_and_specificity():
    accept = parse_accept_header("text/*;q=0.5, text/plain, */*;q=0.1", MIMEAccept)
    assert accept.best_match(["text/html", "text/plain"]) == "text/plain"
    assert accept.best_match(["image/png", "text/csv"]) == "text/csv"
    assert accept.best_match(["image/png"]) == "image/png"
    assert accept.best_match(["bogus"], default="x") == "x"
    refuse = parse_accept_header("*/*, text/html;q=0", MIMEAccept)
    assert "text/html" not in refuse
    assert refuse["text/html"] == 0
    assert refuse.best_match(["text/html", "application/json"]) == "application/json"


def test_api_client_accept_json():
    accept = parse_accept_header("application/json", MIMEAccept)
    assert accept.accept_json
    assert not accept.accept_html
    assert accept.best_match(["text/html"]) is None


def test_missing_accept_header():
    accept = parse_accept_header(None, MIMEAccept)
    assert not accept.provided
    assert accept.best is None
    assert accept.best_match(["text/html"], default="text/html") == "text/html"


@pytest.mark.parametrize(
    "header",
    [
        "text/html;q=abc, application/json",
        "text/html;q=2, application/json",
        "text/html;q=nan, application/json",
        ",,, ;;, application/json",
        "\x00, application/json",
    ],
)
def test_malformed_accept_entries_are_skipped(header):
    accept = parse_accept_header(header, MIMEAccept)
    assert accept.best == "application/json"


def test_accept_header_is_bounded():
    header = ",".join(f"type/x{i}" for i in range(10_000))
    assert len(parse_accept_header(header, MIMEAccept)) == 100


def test_language_and_charset_accept():
    langs = parse_accept_header("de-CH, de;q=0.9, en;q=0.8", LanguageAccept)
    assert langs.best_match(["en", "de"]) == "de"
    assert langs.best_match(["en-US", "fr"]) == "en-US"
    assert langs.best_match(["de_ch", "en"]) == "de_ch"
    charsets = parse_accept_header("utf-8, iso-8859-1;q=0.5", CharsetAccept)
    assert charsets.best_match(["latin1", "UTF8"]) == "UTF8"
    plain = parse_accept_header("gzip, br;q=0.9")
    assert isinstance(plain, Accept)
    assert plain["gzip"] == 1
    assert "deflate" not in plain
    assert str(plain) == "gzip,br;q=0.9"


# -- Authorization -----------------------------------------------------------------


def test_basic_authorization():
    auth = Authorization.from_header("Basic YWRhOm9wZW4gc2VzYW1lOjE=")
    assert auth is not None
    assert auth.type == "basic"
    assert auth.username == "ada"
    assert auth.password == "open sesame:1"
    assert Authorization.from_header(auth.to_header()).password == "open sesame:1"


def test_bearer_and_param_authorization():
    auth = Authorization.from_header("Bearer eyJhbGciOi.abc-def_ghi=")
    assert auth.type == "bearer"
    assert auth.token == "eyJhbGciOi.abc-def_ghi="
    assert auth.username is None
    digest = Authorization.from_header('Digest username="ada", realm="x", nc=1')
    assert digest.type == "digest"
    assert digest.username == "ada"
    assert digest["realm"] == "x"


@pytest.mark.parametrize(
    "header",
    [None, "", "Basic", "Basic !!!", "Basic dXNlcg==", "Basic /w==", "B@d x"],
)
def test_malformed_authorization_is_none(header):
    assert Authorization.from_header(header) is None


def test_www_authenticate():
    challenge = WWWAuthenticate("basic", {"realm": 'Login "here"'})
    assert str(challenge) == 'Basic realm="Login \\"here\\""'
    assert challenge.realm == 'Login "here"'
    parsed = WWWAuthenticate.from_header('Bearer realm="api", error="invalid"')
    assert parsed.type == "bearer"
    assert parsed.parameters == {"realm": "api", "error": "invalid"}
    with pytest.raises(ValueError):
        str(WWWAuthenticate("basic", {"realm": "a\r\nb"}))
