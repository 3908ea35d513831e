import io

import pytest

from erlen.datastructures import FileStorage
from erlen.datastructures import ImmutableMultiDict
from erlen.exceptions import BadRequest
from erlen.exceptions import BadRequestKeyError
from erlen.exceptions import ClientDisconnected
from erlen.exceptions import RequestEntityTooLarge
from erlen.formparser import parse_form_data
from erlen.formparser import parse_query_string
from erlen.streams import get_input_stream

CHROME = "----WebKitFormBoundaryu3Rz1pLq0cDPxWjc"
FIREFOX = "---------------------------41184676334"


def multipart(boundary: str, *parts: tuple[str, bytes], end: bool = True) -> bytes:
    """Build a body the way browsers do: CRLF everywhere, final ``--boundary--``."""
    out = b""
    for headers, payload in parts:
        out += b"--" + boundary.encode() + b"\r\n" + headers.encode("utf-8")
        out += b"\r\n\r\n" + payload + b"\r\n"
    if end:
        out += b"--" + boundary.encode() + b"--\r\n"
    return out


def field(name: str, value: bytes | str, extra: str = "") -> tuple[str, bytes]:
    if isinstance(value, str):
        value = value.encode()
    return f'Content-Disposition: form-data; name="{name}"{extra}', value


def upload(name: str, filename: str, data: bytes, ctype="text/plain"):
    headers = (
        f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: {ctype}"
    )
    return headers, data


def post(body: bytes, content_type: str, max_content_length=None, **limits):
    """Parse ``body`` as the request would: through get_input_stream."""
    environ = {
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": content_type,
    }
    stream = get_input_stream(environ, max_content_length)
    return parse_form_data(stream, content_type, len(body), **limits)


@pytest.fixture
def close_files():
    opened: list[ImmutableMultiDict[str, FileStorage]] = []
    yield opened.append
    for files in opened:
        for _, fs in files.items(multi=True):
            fs.close()


# -- query strings -----------------------------------------------------------------


def test_query_string_common_case():
    args = parse_query_string("q=flask&page=2&tag=a&tag=b")
    assert isinstance(args, ImmutableMultiDict)
    assert args["q"] == "flask"
    assert args.get("page", type=int) == 2
    assert args.getlist("tag") == ["a", "b"]
    with pytest.raises(BadRequestKeyError):
        args["missing"]


def test_query_string_decoding():
    # WSGI gives QUERY_STRING as latin-1 code points of the raw bytes.
    raw_utf8 = "name=J\xc3\xb6rg".encode("latin-1").decode("latin-1")
    args = parse_query_string(
        "a=hello+world&b=%C3%A9t%C3%A9&c=50%25&d=%2B1&" + raw_utf8
    )
    assert args["a"] == "hello world"
    assert args["b"] == "été"
    assert args["c"] == "50%"
    assert args["d"] == "+1"
    assert args["name"] == "Jörg"


def test_query_string_blank_values_and_empty_fields():
    args = parse_query_string("a=&b&&c=1&=x")
    assert args["a"] == ""
    assert args["b"] == ""
    assert args["c"] == "1"
    assert args[""] == "x"
    assert parse_query_string("") == {}


@pytest.mark.parametrize(
    ("qs", "key", "value"),
    [
        ("x=%FF%FE", "x", "\ufffd\ufffd"),
        ("x=\xff", "x", "\ufffd"),
        ("x=%C3", "x", "\ufffd"),
        ("x=%zz%", "x", "%zz%"),
        ("%ff=1", "\ufffd", "1"),
    ],
)
def test_query_string_invalid_utf8_never_raises(qs, key, value):
    assert parse_query_string(qs)[key] == value


def test_query_string_that_is_not_latin1_is_still_decoded():
    # A test client or a non-conforming server may hand over real text.
    assert parse_query_string("city=東京&x=%E2%9C%93")["city"] == "東京"


def test_too_many_query_fields_is_400():
    assert len(parse_query_string("&".join(f"f{i}=1" for i in range(1000)))) == 1000
    with pytest.raises(BadRequest, match="Too many query fields"):
        parse_query_string("&".join(f"f{i}=1" for i in range(1001)))
    with pytest.raises(BadRequest):
        parse_query_string("a=1&" * 20, max_fields=10)
    # Empty fields do not count.
    assert parse_query_string("a=1" + "&" * 5000)["a"] == "1"
    assert len(parse_query_string("a=1&" * 20, max_fields=None)) == 1


# -- urlencoded --------------------------------------------------------------------

URLENCODED = "application/x-www-form-urlencoded"


def test_urlencoded_form():
    form, files = post(b"name=Ada+Lovelace&lang=en&lang=fr&note=caf%C3%A9", URLENCODED)
    assert form["name"] == "Ada Lovelace"
    assert form.getlist("lang") == ["en", "fr"]
    assert form["note"] == "café"
    assert len(files) == 0


def test_urlencoded_with_charset_param_and_invalid_utf8():
    form, _ = post(b"a=%FF&b=\xff\xfe&c=ok", URLENCODED + "; charset=UTF-8")
    assert form["a"] == "\ufffd"
    assert "\ufffd" in form["b"]
    assert form["c"] == "ok"


def test_urlencoded_over_memory_limit_is_413():
    body = b"big=" + b"x" * 600_000
    with pytest.raises(RequestEntityTooLarge):
        post(body, URLENCODED)
    form, _ = post(body, URLENCODED, max_form_memory_size=None)
    assert len(form["big"]) == 600_000


def test_urlencoded_limit_enforced_while_reading_unknown_length():
    class Endless:
        reads = 0

        def read(self, size=-1):
            Endless.reads += 1
            return b"a=" + b"x" * (size - 2)

    with pytest.raises(RequestEntityTooLarge):
        parse_form_data(Endless(), URLENCODED, None, max_form_memory_size=200_000)
    assert Endless.reads <= 5


def test_urlencoded_too_many_fields_is_413():
    body = "&".join(f"f{i}=v" for i in range(1001)).encode()
    with pytest.raises(RequestEntityTooLarge, match="Too many form fields"):
        post(body, URLENCODED)


def test_urlencoded_short_body_is_400():
    environ = {"wsgi.input": io.BytesIO(b"a=1"), "CONTENT_LENGTH": "100"}
    stream = get_input_stream(environ, None)
    with pytest.raises(ClientDisconnected):
        parse_form_data(stream, URLENCODED, 100)


def test_other_content_types_leave_the_body_alone():
    stream = io.BytesIO(b'{"a": 1}')
    form, files = parse_form_data(stream, "application/json", 8)
    assert len(form) == 0 and len(files) == 0
    assert stream.read() == b'{"a": 1}'
    form, files = parse_form_data(io.BytesIO(b"x"), "", 1)
    assert len(form) == 0 and len(files) == 0


# -- multipart: what browsers send --------------------------------------------------


def test_chrome_upload(close_files):
    body = multipart(
        CHROME,
        field("title", "Quarterly report"),
        field("comment", "Grüße\r\nzweite Zeile"),
        upload("attachment", "report.csv", b"a,b\r\n1,2\r\n", "text/csv"),
        upload("photos", "one.png", b"\x89PNG\r\n\x1a\n1", "image/png"),
        upload("photos", "two.png", b"\x89PNG\r\n\x1a\n2", "image/png"),
    )
    form, files = post(body, f"multipart/form-data; boundary={CHROME}")
    close_files(files)
    assert form["title"] == "Quarterly report"
    assert form["comment"] == "Grüße\r\nzweite Zeile"
    report = files["attachment"]
    assert isinstance(report, FileStorage)
    assert report.filename == "report.csv"
    assert report.name == "attachment"
    assert report.content_type == "text/csv"
    assert report.mimetype == "text/csv"
    assert report.content_length == len(b"a,b\r\n1,2\r\n")
    assert report.read() == b"a,b\r\n1,2\r\n"
    assert [f.filename for f in files.getlist("photos")] == ["one.png", "two.png"]
    assert files.getlist("photos")[1].read() == b"\x89PNG\r\n\x1a\n2"


def test_firefox_empty_file_input(close_files):
    body = multipart(
        FIREFOX,
        field("name", "ada"),
        upload("avatar", "", b"", "application/octet-stream"),
    )
    form, files = post(body, f'multipart/form-data; boundary="{FIREFOX}"')
    close_files(files)
    assert form["name"] == "ada"
    assert "avatar" in files
    assert not files["avatar"]
    assert files["avatar"].read() == b""


def test_browser_escaped_field_and_file_names(close_files):
    # HTML5 browsers percent-encode '"' as %22 in names and filenames.
    body = multipart(
        CHROME,
        (
            'Content-Disposition: form-data; name="file"; filename="my %22cv%22.pdf"'
            "\r\nContent-Type: application/pdf",
            b"%PDF",
        ),
        field("na%22me", "v"),
        upload("doc", "résumé.txt", b"x"),
    )
    form, files = post(body, f"multipart/form-data; boundary={CHROME}")
    close_files(files)
    assert files["file"].filename == 'my "cv".pdf'
    assert form['na"me'] == "v"
    assert files["doc"].filename == "résumé.txt"


@pytest.mark.parametrize(
    ("sent", "clean"),
    [
        ("../../../etc/passwd", "passwd"),
        ("C:\\Users\\ada\\Desktop\\cv.pdf", "cv.pdf"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/var/www/index.html", "index.html"),
        ("nul\x00byte.txt", "nulbyte.txt"),
    ],
)
def test_filenames_lose_their_directories(sent, clean, close_files):
    body = multipart(CHROME, upload("f", sent, b"data"))
    _, files = post(body, f"multipart/form-data; boundary={CHROME}")
    close_files(files)
    assert files["f"].filename == clean
    assert "/" not in files["f"].filename and "\\" not in files["f"].filename


def test_part_charset_is_respected():
    body = multipart(
        CHROME,
        field(
            "latin",
            "café".encode("latin-1"),
            "\r\nContent-Type: text/plain; charset=iso-8859-1",
        ),
        field("bogus", "x", "\r\nContent-Type: text/plain; charset=rot13"),
        field("unknown", "y", "\r\nContent-Type: text/plain; charset=no-such-codec"),
        field("bad", b"\xff\xfeok"),
    )
    form, _ = post(body, f"multipart/form-data; boundary={CHROME}")
    assert form["latin"] == "café"
    assert form["bogus"] == "x"
    assert form["unknown"] == "y"
    assert form["bad"] == "\ufffd\ufffdok"


def test_large_file_spools_to_disk_and_is_not_counted_as_form_memory(close_files):
    data = bytes(range(256)) * 4000  # ~1 MB
    body = multipart(CHROME, field("a", "1"), upload("blob", "blob.bin", data, "x/y"))
    form, files = post(
        body,
        f"multipart/form-data; boundary={CHROME}",
        max_form_memory_size=1000,
        spool_size=64 * 1024,
    )
    close_files(files)
    assert form["a"] == "1"
    blob = files["blob"]
    assert blob.stream._rolled  # type: ignore[attr-defined]
    assert blob.read() == data


# -- multipart: hostile bodies -------------------------------------------------------


def test_truncated_body_is_400():
    body = multipart(CHROME, field("a", "1"), upload("f", "x.txt", b"x" * 1000))
    cut = body[:-100]
    with pytest.raises(BadRequest, match="multipart"):
        parse_form_data(
            io.BytesIO(cut), f"multipart/form-data; boundary={CHROME}", None
        )
    with pytest.raises(BadRequest, match="multipart"):
        # Missing closing delimiter only.
        post(
            multipart(CHROME, field("a", "1"), end=False),
            f"multipart/form-data; boundary={CHROME}",
        )


def test_body_shorter_than_content_length_is_400():
    body = multipart(CHROME, field("a", "1"))
    environ = {"wsgi.input": io.BytesIO(body[:20]), "CONTENT_LENGTH": str(len(body))}
    stream = get_input_stream(environ, None)
    with pytest.raises(ClientDisconnected):
        parse_form_data(stream, f"multipart/form-data; boundary={CHROME}", len(body))


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        'multipart/form-data; boundary=""',
        "multipart/form-data; charset=utf-8",
    ],
)
def test_missing_boundary_is_400(content_type):
    body = multipart(CHROME, field("a", "1"))
    with pytest.raises(BadRequest, match="missing boundary"):
        post(body, content_type)


def test_wrong_boundary_is_400_not_an_empty_form():
    body = multipart(CHROME, field("a", "1"))
    with pytest.raises(BadRequest, match="multipart"):
        post(body, "multipart/form-data; boundary=----SomethingElse")


def test_malformed_boundary_is_400():
    with pytest.raises(BadRequest, match="malformed boundary"):
        post(b"x", 'multipart/form-data; boundary="a\tb"')
    with pytest.raises(BadRequest, match="malformed boundary"):
        post(b"x", "multipart/form-data; boundary=" + "a" * 300)


def test_empty_multipart_body_is_400():
    with pytest.raises(BadRequest):
        post(b"", f"multipart/form-data; boundary={CHROME}")


def test_lf_only_line_endings_are_400():
    body = multipart(CHROME, field("a", "1")).replace(b"\r\n", b"\n")
    with pytest.raises(BadRequest):
        post(body, f"multipart/form-data; boundary={CHROME}")


def test_part_without_content_disposition_is_400():
    body = multipart(CHROME, ("Content-Type: text/plain", b"x"))
    with pytest.raises(BadRequest, match="Content-Disposition"):
        post(body, f"multipart/form-data; boundary={CHROME}")


def test_unterminated_part_headers_are_400():
    head = f'--{CHROME}\r\nContent-Disposition: form-data; name="a"\r\nX-Foo: bar'
    with pytest.raises(BadRequest):
        post(head.encode(), f"multipart/form-data; boundary={CHROME}")


def test_oversized_part_header_is_400():
    body = multipart(CHROME, field("a", "1", "\r\nX-Junk: " + "j" * 10_000))
    with pytest.raises(BadRequest, match="header"):
        post(body, f"multipart/form-data; boundary={CHROME}")
    endless = f"--{CHROME}\r\nX-Junk: ".encode() + b"j" * 100_000
    with pytest.raises(BadRequest, match="header"):
        post(endless, f"multipart/form-data; boundary={CHROME}")


def test_too_many_parts_is_413():
    parts = [field(f"f{i}", "1") for i in range(11)]
    body = multipart(CHROME, *parts)
    with pytest.raises(RequestEntityTooLarge, match="parts"):
        post(body, f"multipart/form-data; boundary={CHROME}", max_form_parts=10)
    form, _ = post(body, f"multipart/form-data; boundary={CHROME}", max_form_parts=11)
    assert len(form) == 11


def test_too_many_fields_in_multipart_is_413():
    body = multipart(CHROME, *[field(f"f{i}", "1") for i in range(6)])
    with pytest.raises(RequestEntityTooLarge, match="fields"):
        post(body, f"multipart/form-data; boundary={CHROME}", max_fields=5)


def test_huge_field_is_413():
    body = multipart(CHROME, field("essay", b"x" * 600_001))
    with pytest.raises(RequestEntityTooLarge):
        post(body, f"multipart/form-data; boundary={CHROME}")


def test_field_sizes_add_up_against_the_memory_limit():
    body = multipart(CHROME, *[field(f"f{i}", b"x" * 300) for i in range(4)])
    with pytest.raises(RequestEntityTooLarge):
        post(body, f"multipart/form-data; boundary={CHROME}", max_form_memory_size=1000)


def test_failed_parse_closes_spooled_files():
    opened = []
    import erlen.formparser as forms_module

    real = forms_module.SpooledTemporaryFile

    def tracking(*args, **kwargs):
        spool = real(*args, **kwargs)
        opened.append(spool)
        return spool

    forms_module.SpooledTemporaryFile = tracking  # type: ignore[misc]
    try:
        body = multipart(CHROME, upload("f", "a.txt", b"x" * 100), end=False)
        with pytest.raises(BadRequest):
            post(body, f"multipart/form-data; boundary={CHROME}")
    finally:
        forms_module.SpooledTemporaryFile = real  # type: ignore[misc]
    assert opened and all(spool.closed for spool in opened)


def test_multipart_over_max_content_length_is_413():
    body = multipart(CHROME, upload("f", "a.bin", b"x" * 5000))
    with pytest.raises(RequestEntityTooLarge):
        post(body, f"multipart/form-data; boundary={CHROME}", max_content_length=1000)


def test_chunked_multipart_over_max_content_length_is_413():
    body = multipart(CHROME, upload("f", "a.bin", b"x" * 500_000))
    environ = {"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True}
    stream = get_input_stream(environ, 100_000)
    with pytest.raises(RequestEntityTooLarge):
        parse_form_data(stream, f"multipart/form-data; boundary={CHROME}", None)


def test_chunked_multipart_within_limit(close_files):
    body = multipart(CHROME, field("a", "1"), upload("f", "a.bin", b"abc"))
    environ = {"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True}
    stream = get_input_stream(environ, 100_000)
    form, files = parse_form_data(
        stream, f"multipart/form-data; boundary={CHROME}", None
    )
    close_files(files)
    assert form["a"] == "1"
    assert files["f"].read() == b"abc"
