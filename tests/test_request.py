"""The request object: attributes, lazy parsing, limits, hosts and proxies."""

from __future__ import annotations

import io
import json
import typing as t

import pytest

from erlen import Erlen
from erlen import request
from erlen import url_for
from erlen.datastructures import FileStorage
from erlen.request import Request

# -- attributes ------------------------------------------------------------------


def test_url_attributes(app: Erlen, client: t.Any) -> None:
    @app.route("/p/<name>")
    def view(name: str) -> dict[str, t.Any]:
        return {
            "method": request.method,
            "path": request.path,
            "full_path": request.full_path,
            "script_root": request.script_root,
            "url": request.url,
            "base_url": request.base_url,
            "url_root": request.url_root,
            "host": request.host,
            "host_url": request.host_url,
            "scheme": request.scheme,
            "is_secure": request.is_secure,
        }

    rv = client.get(
        "/p/x y", query_string="a=1&b=2", base_url="https://example.com:8443/root"
    )
    assert rv.get_json() == {
        "method": "GET",
        "path": "/p/x y",
        "full_path": "/p/x y?a=1&b=2",
        "script_root": "/root",
        "url": "https://example.com:8443/root/p/x%20y?a=1&b=2",
        "base_url": "https://example.com:8443/root/p/x%20y",
        "url_root": "https://example.com:8443/root/",
        "host": "example.com:8443",
        "host_url": "https://example.com:8443/",
        "scheme": "https",
        "is_secure": True,
    }


def test_default_port_is_dropped_from_host(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def view() -> str:
        return request.host

    assert client.get("/", base_url="http://example.com:80").text == "example.com"
    assert client.get("/", base_url="https://example.com:443").text == "example.com"


def test_remote_addr_and_environ(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def view() -> dict[str, t.Any]:
        return {
            "remote_addr": request.remote_addr,
            "environ_method": request.environ["REQUEST_METHOD"],
            "custom": request.environ.get("my.key"),
        }

    rv = client.get(
        "/", environ_base={"REMOTE_ADDR": "192.0.2.7", "my.key": "from environ"}
    )
    assert rv.get_json() == {
        "remote_addr": "192.0.2.7",
        "environ_method": "GET",
        "custom": "from environ",
    }


def test_args_multidict(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def view() -> dict[str, t.Any]:
        args = request.args
        return {
            "a": args["a"],
            "all_a": args.getlist("a"),
            "n": args.get("n", type=int),
            "bad_n": args.get("bad", -1, type=int),
            "missing": args.get("missing", "default"),
            "to_dict": args.to_dict(),
            "flat_false": args.to_dict(flat=False),
            "blank": args.get("blank"),
            "space": args.get("space"),
            "utf8": args.get("utf8"),
        }

    rv = client.get("/?a=1&a=2&n=5&bad=x&blank=&space=a+b%20c&utf8=%C3%A9")
    data = rv.get_json()
    assert data["a"] == "1"
    assert data["all_a"] == ["1", "2"]
    assert data["n"] == 5
    assert data["bad_n"] == -1
    assert data["missing"] == "default"
    assert data["to_dict"]["a"] == "1"
    assert data["flat_false"]["a"] == ["1", "2"]
    assert data["blank"] == ""
    assert data["space"] == "a b c"
    assert data["utf8"] == "é"


def test_query_string_argument_of_the_client(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def view() -> dict[str, t.Any]:
        return request.args.to_dict(flat=False)

    rv = client.get("/", query_string={"q": "a&b", "tag": ["x", "y"]})
    assert rv.get_json() == {"q": ["a&b"], "tag": ["x", "y"]}


def test_headers_are_case_insensitive(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def view() -> dict[str, t.Any]:
        return {
            "lower": request.headers.get("x-custom"),
            "upper": request.headers["X-CUSTOM"],
            "in": "X-Custom" in request.headers,
            "missing": request.headers.get("X-Missing", "none"),
            "typed": request.headers.get("X-Number", type=int),
        }

    rv = client.get("/", headers={"X-Custom": "v", "X-Number": "7"})
    assert rv.get_json() == {
        "lower": "v",
        "upper": "v",
        "in": True,
        "missing": "none",
        "typed": 7,
    }


def test_missing_header_item_is_a_400(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def view() -> str:
        return request.headers["X-Required"]

    assert client.get("/").status_code == 400
    assert client.get("/", headers={"X-Required": "ok"}).text == "ok"


def test_cookies_from_the_client_jar(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def view() -> dict[str, t.Any]:
        return request.cookies.to_dict()

    client.set_cookie("flavour", "oat")
    assert client.get("/").get_json() == {"flavour": "oat"}


def test_cookie_header_parsed(wsgi: t.Any, app: Erlen) -> None:
    @app.route("/")
    def view() -> dict[str, t.Any]:
        return {
            "c": request.cookies.to_dict(),
            "missing": request.cookies.get("nope", "default"),
        }

    rv = wsgi(app, headers={"Cookie": 'a=1; b="quoted value"'})
    data = json.loads(rv.data)
    assert data["c"] == {"a": "1", "b": "quoted value"}
    assert data["missing"] == "default"


def test_dict_of_args_gives_first_values(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def view() -> dict[str, t.Any]:
        return {"dict": dict(request.args), "splat": {**request.args}}

    rv = client.get("/?a=1&a=2&b=3")
    assert rv.get_json() == {
        "dict": {"a": "1", "b": "3"},
        "splat": {"a": "1", "b": "3"},
    }


def test_content_type_attributes(app: Erlen, client: t.Any) -> None:
    @app.post("/")
    def view() -> dict[str, t.Any]:
        return {
            "content_type": request.content_type,
            "mimetype": request.mimetype,
            "params": request.mimetype_params,
            "length": request.content_length,
            "data": request.get_data(as_text=True),
        }

    rv = client.post("/", data=b"hello", content_type="Text/Plain; charset=latin-1")
    assert rv.get_json() == {
        "content_type": "Text/Plain; charset=latin-1",
        "mimetype": "text/plain",
        "params": {"charset": "latin-1"},
        "length": 5,
        "data": "hello",
    }


def test_user_agent_and_accept(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def view() -> dict[str, t.Any]:
        return {
            "ua": request.user_agent.string,
            "best": request.accept_mimetypes.best_match(
                ["text/html", "application/json"]
            ),
            "accepts_json": "application/json" in request.accept_mimetypes,
        }

    rv = client.get(
        "/",
        headers={
            "User-Agent": "erlen-test/1.0",
            "Accept": "text/html;q=0.5, application/json",
        },
    )
    assert rv.get_json() == {
        "ua": "erlen-test/1.0",
        "best": "application/json",
        "accepts_json": True,
    }


def test_accept_best_match_default(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def view() -> str:
        best = request.accept_mimetypes.best_match(["application/json"], "none")
        return str(best)

    assert client.get("/", headers={"Accept": "image/png"}).text == "none"
    assert client.get("/", headers={"Accept": "*/*"}).text == "application/json"
    assert client.get("/", headers={"Accept": "application/*"}).text == (
        "application/json"
    )


def test_routing_attributes(app: Erlen, client: t.Any) -> None:
    @app.route("/items/<int:id>")
    def item(id: int) -> dict[str, t.Any]:
        assert request.url_rule is not None
        return {
            "endpoint": request.endpoint,
            "view_args": request.view_args,
            "rule": request.url_rule.rule,
        }

    assert client.get("/items/4").get_json() == {
        "endpoint": "item",
        "view_args": {"id": 4},
        "rule": "/items/<int:id>",
    }


def test_form_and_values(app: Erlen, client: t.Any) -> None:
    @app.route("/", methods=["GET", "POST"])
    def view() -> dict[str, t.Any]:
        return {
            "form": request.form.to_dict(flat=False),
            "values": request.values.to_dict(flat=False),
            "name": request.form.get("name"),
            "age": request.form.get("age", type=int),
        }

    rv = client.post("/?q=1", data={"name": "Ann", "age": "30", "tag": ["a", "b"]})
    data = rv.get_json()
    assert data["form"] == {"name": ["Ann"], "age": ["30"], "tag": ["a", "b"]}
    assert data["values"]["q"] == ["1"]
    assert data["values"]["name"] == ["Ann"]
    assert data["name"] == "Ann"
    assert data["age"] == 30
    # GET: values are the args only, as in Flask 2.3+.
    assert client.get("/?q=1").get_json()["values"] == {"q": ["1"]}


def test_missing_form_key_is_a_400_not_a_500(app: Erlen, client: t.Any) -> None:
    @app.post("/")
    def view() -> str:
        return request.form["missing"]

    rv = client.post("/", data={"other": "x"})
    assert rv.status_code == 400


def test_missing_args_key_is_a_400(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def view() -> str:
        return request.args["q"]

    assert client.get("/").status_code == 400


def test_files(app: Erlen, client: t.Any, tmp_path: t.Any) -> None:
    saved = tmp_path / "saved.txt"

    @app.post("/upload")
    def upload() -> dict[str, t.Any]:
        f = request.files["doc"]
        assert isinstance(f, FileStorage)
        info = {
            "filename": f.filename,
            "content_type": f.content_type,
            "name": f.name,
            "first": f.stream.read(5).decode(),
        }
        f.stream.seek(0)
        info["read"] = f.read().decode()
        f.stream.seek(0)
        f.save(str(saved))
        info["others"] = [x.filename for x in request.files.getlist("many")]
        info["field"] = request.form["title"]
        return info

    rv = client.post(
        "/upload",
        data={
            "doc": (io.BytesIO(b"hello file"), "notes.txt", "text/plain"),
            "many": [(io.BytesIO(b"1"), "a.bin"), (io.BytesIO(b"2"), "b.bin")],
            "title": "My notes",
        },
    )
    assert rv.status_code == 200, rv.text
    assert rv.get_json() == {
        "filename": "notes.txt",
        "content_type": "text/plain",
        "name": "doc",
        "first": "hello",
        "read": "hello file",
        "others": ["a.bin", "b.bin"],
        "field": "My notes",
    }
    assert saved.read_bytes() == b"hello file"


def test_missing_file_is_a_400(app: Erlen, client: t.Any) -> None:
    @app.post("/")
    def view() -> str:
        return str(request.files["nope"])

    assert client.post("/", data={"a": "b"}).status_code == 400


BOUNDARY = "----erlenboundary"


def _multipart(*parts: tuple[str, str]) -> bytes:
    """Hand-made multipart body: each part is (headers text, body)."""
    out = []
    for headers, body in parts:
        out.append(f"--{BOUNDARY}\r\n{headers}\r\n\r\n{body}\r\n")
    out.append(f"--{BOUNDARY}--\r\n")
    return "".join(out).encode("utf-8")


MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def test_filename_has_no_directory_part(app: Erlen, wsgi: t.Any) -> None:
    @app.post("/")
    def view() -> dict[str, t.Any]:
        return {
            name: [f.filename, f.raw_filename]
            for name, f in request.files.items(multi=True)
        }

    body = _multipart(
        (
            'Content-Disposition: form-data; name="a"; filename="../../etc/passwd"',
            "x",
        ),
        (
            'Content-Disposition: form-data; name="b"; filename="C:\\\\me\\\\cv.pdf"',
            "y",
        ),
    )
    rv = wsgi(app, method="POST", body=body, headers={"Content-Type": MULTIPART})
    data = json.loads(rv.data)
    assert data["a"] == ["passwd", "../../etc/passwd"]
    # (the multipart library already drops Windows directories from raw names)
    assert data["b"][0] == "cv.pdf"


def test_data_and_get_data(app: Erlen, client: t.Any) -> None:
    @app.post("/")
    def view() -> dict[str, t.Any]:
        return {
            "data": request.data.decode(),
            "again": request.get_data(as_text=True),
            "form": request.form.to_dict(),
        }

    rv = client.post("/", data=b"raw body", content_type="application/octet-stream")
    assert rv.get_json() == {"data": "raw body", "again": "raw body", "form": {}}


def test_data_is_empty_for_parsed_forms(app: Erlen, client: t.Any) -> None:
    @app.post("/")
    def view() -> dict[str, t.Any]:
        return {"data": request.data.decode(), "form": request.form.to_dict()}

    rv = client.post("/", data={"a": "1"})
    assert rv.get_json() == {"data": "", "form": {"a": "1"}}


def test_get_data_then_form_still_parses(app: Erlen, client: t.Any) -> None:
    @app.post("/")
    def view() -> dict[str, t.Any]:
        raw = request.get_data(as_text=True)
        return {"raw": raw, "form": request.form.to_dict()}

    rv = client.post("/", data={"a": "1"})
    assert rv.get_json() == {"raw": "a=1", "form": {"a": "1"}}


def test_stream(app: Erlen, client: t.Any) -> None:
    @app.post("/")
    def view() -> str:
        chunks = []
        while True:
            chunk = request.stream.read(3)
            if not chunk:
                break
            chunks.append(chunk.decode())
        return "|".join(chunks)

    rv = client.post("/", data=b"abcdefgh", content_type="application/octet-stream")
    assert rv.text == "abc|def|gh"


# -- laziness ------------------------------------------------------------------


class _ExplodingInput:
    """A wsgi.input that fails the test if anyone reads it."""

    def read(self, *args: t.Any) -> bytes:
        raise AssertionError("the body was read")

    readline = read


def test_nothing_is_parsed_until_read(app: Erlen, wsgi: t.Any) -> None:
    seen: dict[str, t.Any] = {}

    @app.post("/")
    def view() -> str:
        seen["dict"] = set(vars(request._get_current_object()))  # type: ignore[attr-defined]
        return "ok"

    rv = wsgi(
        app,
        method="POST",
        query="a=1",
        body=_ExplodingInput(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-Length": "10",
            "Cookie": "a=b",
            "Accept": "text/html",
        },
    )
    assert rv.status_code == 200
    for name in ("args", "form", "files", "cookies", "headers", "accept_mimetypes"):
        assert name not in seen["dict"], name


def test_parsed_parts_are_cached(app: Erlen, client: t.Any) -> None:
    @app.post("/")
    def view() -> dict[str, t.Any]:
        return {
            "args": request.args is request.args,
            "form": request.form is request.form,
            "json": request.get_json() is request.get_json(),
        }

    rv = client.post("/?x=1", json={"a": [1]})
    assert rv.get_json() == {"args": True, "form": True, "json": True}


# -- JSON ----------------------------------------------------------------------


def test_json_body(app: Erlen, client: t.Any) -> None:
    @app.post("/")
    def view() -> dict[str, t.Any]:
        return {"is_json": request.is_json, "json": request.json}

    rv = client.post("/", json={"a": [1, 2], "b": None})
    assert rv.get_json() == {"is_json": True, "json": {"a": [1, 2], "b": None}}


def test_json_suffix_types_count(app: Erlen, client: t.Any) -> None:
    @app.post("/")
    def view() -> t.Any:
        return request.get_json()

    rv = client.post("/", data=b'{"x": 1}', content_type="application/problem+json")
    assert rv.get_json() == {"x": 1}


def test_invalid_json_is_a_400(app: Erlen, client: t.Any) -> None:
    @app.post("/")
    def view() -> t.Any:
        return request.get_json()

    rv = client.post("/", data=b"{not json", content_type="application/json")
    assert rv.status_code == 400
    rv = client.post("/", data=b"\xff\xfe{", content_type="application/json")
    assert rv.status_code == 400


def test_json_on_another_content_type_is_a_415(app: Erlen, client: t.Any) -> None:
    @app.post("/")
    def view() -> t.Any:
        return request.get_json()

    rv = client.post("/", data=b'{"a": 1}', content_type="text/plain")
    assert rv.status_code == 415
    rv = client.post("/", data=b'{"a": 1}')
    assert rv.status_code == 415


def test_json_force(app: Erlen, client: t.Any) -> None:
    @app.post("/")
    def view() -> t.Any:
        return request.get_json(force=True)

    rv = client.post("/", data=b'{"a": 1}', content_type="text/plain")
    assert rv.get_json() == {"a": 1}


def test_json_silent(app: Erlen, client: t.Any) -> None:
    @app.post("/")
    def view() -> dict[str, t.Any]:
        return {"value": request.get_json(silent=True)}

    assert client.post(
        "/", data=b"{bad", content_type="application/json"
    ).get_json() == {"value": None}
    assert client.post("/", data=b"{}", content_type="text/plain").get_json() == {
        "value": None
    }


def test_json_cache_false_reparses(app: Erlen, client: t.Any) -> None:
    @app.post("/")
    def view() -> dict[str, t.Any]:
        request.get_data()  # keep the body; get_json(cache=False) re-parses it
        first = request.get_json(cache=False)
        second = request.get_json(cache=False)
        return {"same": first is second, "equal": first == second}

    rv = client.post("/", json={"a": 1})
    assert rv.get_json() == {"same": False, "equal": True}


def test_json_depth_limit_is_a_400(app: Erlen, client: t.Any) -> None:
    app.config["MAX_JSON_DEPTH"] = 20

    @app.post("/")
    def view() -> str:
        request.get_json()
        return "parsed"

    ok = "[" * 20 + "]" * 20
    too_deep = "[" * 21 + "]" * 21
    brackets_in_strings = json.dumps(["[" * 100])
    assert client.post("/", data=ok, content_type="application/json").text == "parsed"
    assert (
        client.post("/", data=too_deep, content_type="application/json").status_code
        == 400
    )
    assert (
        client.post("/", data=brackets_in_strings, content_type="application/json").text
        == "parsed"
    )


def test_huge_json_nesting_by_default_is_a_400_not_a_500(
    app: Erlen, client: t.Any
) -> None:
    @app.post("/")
    def view() -> str:
        request.get_json()
        return "parsed"

    body = "[" * 100_000 + "]" * 100_000
    rv = client.post("/", data=body, content_type="application/json")
    assert rv.status_code == 400


# -- limits --------------------------------------------------------------------


def test_max_content_length_is_a_413(app: Erlen, client: t.Any) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/")
    def view() -> str:
        return request.get_data(as_text=True)

    assert client.post("/", data=b"0123456789").text == "0123456789"
    assert client.post("/", data=b"0123456789x").status_code == 413
    assert client.post("/", data={"a": "x" * 20}).status_code == 413
    assert client.post("/", json={"a": "x" * 20}).status_code == 413


def test_max_content_length_enforced_while_reading_chunked_body(
    app: Erlen, wsgi: t.Any
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000

    class Endless:
        read_total = 0

        def read(self, size: int = -1) -> bytes:
            if size is None or size < 0:
                raise AssertionError("unbounded read of a chunked body")
            size = min(size, 64 * 1024)
            Endless.read_total += size
            return b"x" * size

        def readline(self, size: int = -1) -> bytes:
            return self.read(size)

    @app.post("/")
    def view() -> str:
        return str(len(request.get_data()))

    rv = wsgi(app, method="POST", body=Endless(), **{"wsgi.input_terminated": True})
    assert rv.status_code == 413
    assert Endless.read_total <= 1000 + 64 * 1024


def test_request_max_content_length_per_request(app: Erlen, client: t.Any) -> None:
    @app.post("/")
    def view() -> str:
        request.max_content_length = 3
        return request.get_data(as_text=True)

    assert client.post("/", data=b"abcd").status_code == 413


def test_max_form_memory_size_is_a_413(app: Erlen, client: t.Any) -> None:
    app.config["MAX_FORM_MEMORY_SIZE"] = 100

    @app.post("/")
    def view() -> str:
        return str(len(request.form.get("a", "")))

    assert client.post("/", data={"a": "x" * 50}).text == "50"
    assert client.post("/", data={"a": "x" * 200}).status_code == 413
    rv = client.post("/", data={"a": "x" * 200, "f": (io.BytesIO(b"1"), "f.txt")})
    assert rv.status_code == 413
    # Files do not count against the form memory limit.
    rv = client.post("/", data={"a": "ok", "f": (io.BytesIO(b"y" * 500), "f.txt")})
    assert rv.text == "2"


def test_max_form_parts_is_a_413(app: Erlen, client: t.Any) -> None:
    app.config["MAX_FORM_PARTS"] = 3

    @app.post("/")
    def view() -> str:
        return str(len(request.form) + len(request.files))

    files = {f"f{i}": (io.BytesIO(b"x"), f"{i}.txt") for i in range(5)}
    assert client.post("/", data=files).status_code == 413
    small = {f"f{i}": (io.BytesIO(b"x"), f"{i}.txt") for i in range(2)}
    assert client.post("/", data=small).text == "2"


def test_max_query_fields(app: Erlen, client: t.Any) -> None:
    app.config["MAX_QUERY_FIELDS"] = 5

    @app.route("/")
    def view() -> str:
        return str(len(request.args))

    assert client.get("/?" + "&".join(f"k{i}=1" for i in range(5))).text == "5"
    rv = client.get("/?" + "&".join(f"k{i}=1" for i in range(6)))
    assert rv.status_code in (400, 413)


def test_query_fields_capped_at_1000_by_default(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def view() -> str:
        return str(len(request.args))

    assert client.get("/?" + "&".join(f"k{i}=" for i in range(1000))).text == "1000"
    rv = client.get("/?" + "&".join(f"k{i}=" for i in range(1001)))
    assert rv.status_code in (400, 413)


def test_max_form_fields(app: Erlen, client: t.Any) -> None:
    app.config["MAX_FORM_FIELDS"] = 5

    @app.post("/")
    def view() -> str:
        return str(len(request.form))

    assert client.post("/", data={f"k{i}": "v" for i in range(5)}).text == "5"
    rv = client.post("/", data={f"k{i}": "v" for i in range(6)})
    assert rv.status_code in (400, 413)
    multipart = {f"k{i}": "v" for i in range(6)}
    multipart["file"] = (io.BytesIO(b"x"), "x.txt")  # type: ignore[assignment]
    assert client.post("/", data=multipart).status_code in (400, 413)


def test_multipart_part_header_too_large_is_a_400(app: Erlen, wsgi: t.Any) -> None:
    @app.post("/")
    def view() -> str:
        return str(len(request.form))

    body = _multipart(
        ('Content-Disposition: form-data; name="a"\r\nX-Pad: ' + "p" * 100_000, "v")
    )
    rv = wsgi(app, method="POST", body=body, headers={"Content-Type": MULTIPART})
    assert rv.status_code in (400, 413)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (
            "multipart/form-data",
            _multipart(('Content-Disposition: form-data; name="a"', "v")),
        ),
        (
            "multipart/form-data; boundary=other",
            _multipart(('Content-Disposition: form-data; name="a"', "v")),
        ),
        (
            MULTIPART,
            _multipart(('Content-Disposition: form-data; name="a"', "v"))[:-20],
        ),
        (MULTIPART, f"--{BOUNDARY}\r\nContent-Disposition: form-data".encode()),
        (MULTIPART, b"garbage with no boundary at all"),
    ],
    ids=[
        "no-boundary",
        "wrong-boundary",
        "truncated",
        "unterminated-headers",
        "garbage",
    ],
)
def test_broken_multipart_is_a_400_never_an_empty_form(
    app: Erlen, wsgi: t.Any, content_type: str, body: bytes
) -> None:
    @app.post("/")
    def view() -> str:
        return f"form={request.form.to_dict()}"

    rv = wsgi(app, method="POST", body=body, headers={"Content-Type": content_type})
    assert rv.status_code == 400, rv.data


def test_body_shorter_than_content_length_is_a_400(app: Erlen, wsgi: t.Any) -> None:
    @app.post("/")
    def view() -> str:
        return request.get_data(as_text=True)

    rv = wsgi(
        app,
        method="POST",
        body=io.BytesIO(b"short"),
        CONTENT_LENGTH="100",
        CONTENT_TYPE="application/octet-stream",
    )
    assert rv.status_code == 400


def test_short_urlencoded_body_is_a_400(app: Erlen, wsgi: t.Any) -> None:
    @app.post("/")
    def view() -> str:
        return f"form={request.form.to_dict()}"

    rv = wsgi(
        app,
        method="POST",
        body=io.BytesIO(b"a=1"),
        CONTENT_LENGTH="100",
        CONTENT_TYPE="application/x-www-form-urlencoded",
    )
    assert rv.status_code == 400


@pytest.mark.parametrize("length", ["abc", "-1", "+5", "1_0", "١٢"])
def test_malformed_content_length_is_a_400(
    app: Erlen, wsgi: t.Any, length: str
) -> None:
    @app.post("/")
    def view() -> str:
        return request.get_data(as_text=True)

    rv = wsgi(
        app,
        method="POST",
        body=io.BytesIO(b"hello"),
        CONTENT_LENGTH=length,
        CONTENT_TYPE="text/plain",
    )
    assert rv.status_code == 400


# -- bad bytes -----------------------------------------------------------------


def test_invalid_utf8_in_path_is_never_a_500(app: Erlen, wsgi: t.Any) -> None:
    @app.route("/u/<name>")
    def view(name: str) -> str:
        return f"{name}|{request.path}|{request.url}"

    # PATH_INFO holds the raw bytes as latin-1 code points (PEP 3333).
    rv = wsgi(app, path="/u/\xff\xfe")
    assert rv.status_code in (200, 400, 404)
    if rv.status_code == 200:
        assert "\ufffd" in rv.data.decode()


def test_invalid_utf8_in_query_is_never_a_500(app: Erlen, wsgi: t.Any) -> None:
    @app.route("/")
    def view() -> dict[str, t.Any]:
        return {"q": request.args.get("q"), "url": request.url, "fp": request.full_path}

    rv = wsgi(app, query="q=%ff%fe")
    assert rv.status_code in (200, 400)
    if rv.status_code == 200:
        assert "\ufffd" in json.loads(rv.data)["q"]
    rv = wsgi(app, query="q=\xff")
    assert rv.status_code in (200, 400)


def test_invalid_utf8_in_form_is_never_a_500(app: Erlen, wsgi: t.Any) -> None:
    @app.post("/")
    def view() -> dict[str, t.Any]:
        return {"form": request.form.to_dict()}

    rv = wsgi(
        app,
        method="POST",
        body=b"a=%ff%fe&b=\xff",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert rv.status_code in (200, 400)
    body = _multipart(('Content-Disposition: form-data; name="a"', "x")).replace(
        b"x\r\n", b"\xff\xfe\r\n"
    )
    rv = wsgi(app, method="POST", body=body, headers={"Content-Type": MULTIPART})
    assert rv.status_code in (200, 400)
    if rv.status_code == 200:
        assert "\ufffd" in json.loads(rv.data)["form"]["a"]


def test_invalid_utf8_in_cookie_and_header_is_never_a_500(
    app: Erlen, wsgi: t.Any
) -> None:
    @app.route("/")
    def view() -> dict[str, t.Any]:
        return {"c": dict(request.cookies), "h": request.headers.get("X-A")}

    rv = wsgi(app, headers={"Cookie": "a=\xff\xfe", "X-A": "\xff"})
    assert rv.status_code in (200, 400)


# -- hosts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "evil host",
        "a/b",
        "user@host",
        "host\r\nX: y",
        "[::1",
        "exa mple.com:80",
        "a" * 300,
    ],
)
def test_invalid_host_is_a_400(app: Erlen, wsgi: t.Any, host: str) -> None:
    @app.route("/")
    def view() -> str:
        return url_for("view", _external=True)

    rv = wsgi(app, headers={"Host": host})
    assert rv.status_code == 400
    assert f"://{host}".encode() not in rv.data


def test_no_host_header_falls_back_to_server_name(app: Erlen, wsgi: t.Any) -> None:
    @app.route("/")
    def view() -> str:
        return url_for("view", _external=True)

    rv = wsgi(app, HTTP_HOST="", SERVER_NAME="srv.test", SERVER_PORT="8080")
    assert rv.data == b"http://srv.test:8080/"


@pytest.mark.parametrize(
    "host",
    ["example.com", "EXAMPLE.com:8080", "127.0.0.1:5000", "[::1]:8000", "a-b.c_d"],
)
def test_valid_hosts(app: Erlen, wsgi: t.Any, host: str) -> None:
    @app.route("/")
    def view() -> str:
        return request.host

    rv = wsgi(app, headers={"Host": host})
    assert rv.status_code == 200
    assert rv.data.decode() == host


def test_trusted_hosts(app: Erlen, client: t.Any) -> None:
    app.config["TRUSTED_HOSTS"] = ["example.com", ".example.org", "localhost"]

    @app.route("/")
    def view() -> str:
        return request.host

    assert client.get("/", base_url="http://example.com").status_code == 200
    assert client.get("/", base_url="http://example.com:8080").status_code == 200
    assert client.get("/", base_url="http://example.org").status_code == 200
    assert client.get("/", base_url="http://api.example.org").status_code == 200
    assert client.get("/", base_url="http://evil.com").status_code == 400
    assert client.get("/", base_url="http://notexample.com").status_code == 400
    assert client.get("/", base_url="http://example.org.evil.com").status_code == 400


def test_untrusted_host_is_refused_even_if_the_view_ignores_it(
    app: Erlen, client: t.Any
) -> None:
    app.config["TRUSTED_HOSTS"] = ["example.com"]

    @app.route("/")
    def view() -> str:
        return "no host read here"

    assert client.get("/", base_url="http://evil.com").status_code == 400


def test_url_for_external_is_never_built_from_a_bad_host(
    app: Erlen, wsgi: t.Any
) -> None:
    app.config["TRUSTED_HOSTS"] = ["good.test"]

    @app.route("/")
    def view() -> str:
        return url_for("view", _external=True)

    assert wsgi(app, headers={"Host": "good.test"}).data == b"http://good.test/"
    rv = wsgi(app, headers={"Host": "evil.test"})
    assert rv.status_code == 400
    assert b"http://evil.test" not in rv.data


def test_host_is_trusted_helper() -> None:
    from erlen.request import host_is_trusted

    assert host_is_trusted("example.com:443", ["example.com"])
    assert host_is_trusted("a.example.com", [".example.com"])
    assert not host_is_trusted("aexample.com", [".example.com"])
    assert host_is_trusted("[::1]:80", ["[::1]"])


# -- proxies -------------------------------------------------------------------


FORWARDED = {
    "X-Forwarded-For": "203.0.113.9, 198.51.100.2",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "public.example",
    "X-Forwarded-Port": "8443",
    "X-Forwarded-Prefix": "/prefix",
}


@pytest.fixture
def proxy_app(app: Erlen) -> Erlen:
    @app.route("/")
    def view() -> dict[str, t.Any]:
        return {
            "remote_addr": request.remote_addr,
            "scheme": request.scheme,
            "host": request.host,
            "script_root": request.script_root,
            "url": request.url,
            "external": url_for("view", _external=True),
        }

    return app


def test_forwarded_headers_are_ignored_by_default(
    proxy_app: Erlen, wsgi: t.Any
) -> None:
    rv = wsgi(proxy_app, headers=FORWARDED, REMOTE_ADDR="10.0.0.1")
    assert json.loads(rv.data) == {
        "remote_addr": "10.0.0.1",
        "scheme": "http",
        "host": "localhost",
        "script_root": "",
        "url": "http://localhost/",
        "external": "http://localhost/",
    }


def test_forwarded_headers_trusted_for_one_hop(proxy_app: Erlen, wsgi: t.Any) -> None:
    proxy_app.config["TRUSTED_PROXY_HOPS"] = 1
    rv = wsgi(proxy_app, headers=FORWARDED, REMOTE_ADDR="10.0.0.1")
    assert json.loads(rv.data) == {
        "remote_addr": "198.51.100.2",
        "scheme": "https",
        "host": "public.example:8443",
        "script_root": "/prefix",
        "url": "https://public.example:8443/prefix/",
        "external": "https://public.example:8443/prefix/",
    }


def test_forwarded_for_with_two_hops_picks_the_right_client(
    proxy_app: Erlen, wsgi: t.Any
) -> None:
    proxy_app.config["TRUSTED_PROXY_HOPS"] = 2
    rv = wsgi(
        proxy_app,
        headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9, 198.51.100.2"},
        REMOTE_ADDR="10.0.0.1",
    )
    assert json.loads(rv.data)["remote_addr"] == "203.0.113.9"


def test_forwarded_for_shorter_than_hops_is_ignored(
    proxy_app: Erlen, wsgi: t.Any
) -> None:
    proxy_app.config["TRUSTED_PROXY_HOPS"] = 2
    rv = wsgi(proxy_app, headers={"X-Forwarded-For": "6.6.6.6"}, REMOTE_ADDR="10.0.0.1")
    assert json.loads(rv.data)["remote_addr"] == "10.0.0.1"


def test_forwarded_host_is_validated(proxy_app: Erlen, wsgi: t.Any) -> None:
    proxy_app.config["TRUSTED_PROXY_HOPS"] = 1
    rv = wsgi(proxy_app, headers={"X-Forwarded-Host": "evil host/x"})
    assert rv.status_code == 400


def test_forwarded_proto_other_than_http_is_ignored(
    proxy_app: Erlen, wsgi: t.Any
) -> None:
    proxy_app.config["TRUSTED_PROXY_HOPS"] = 1
    rv = wsgi(proxy_app, headers={"X-Forwarded-Proto": "javascript"})
    assert json.loads(rv.data)["scheme"] == "http"


# -- the class on its own ------------------------------------------------------


def test_request_outside_an_app(wsgi: t.Any) -> None:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/x",
        "QUERY_STRING": "a=1",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b'{"k": 1}'),
        "CONTENT_LENGTH": "8",
        "CONTENT_TYPE": "application/json",
    }
    req = Request(environ)
    assert req.method == "POST"
    assert req.path == "/x"
    assert req.args["a"] == "1"
    assert req.url == "http://localhost/x?a=1"
    assert req.get_json() == {"k": 1}
    assert repr(req) == "<Request 'http://localhost/x?a=1' [POST]>"
