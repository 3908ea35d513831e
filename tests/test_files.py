"""Static files, send_file, send_from_directory: caching, ranges, escapes."""

from __future__ import annotations

import io
import os
import sys
import time
import typing as t
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest

from erlen import Erlen
from erlen import url_for
from erlen.exceptions import NotFound
from erlen.files import make_conditional
from erlen.files import safe_join
from erlen.files import send_file
from erlen.files import send_from_directory
from erlen.http import http_date
from erlen.response import Response
from erlen.testing import ErlenClient

HERE = os.path.dirname(os.path.abspath(__file__))
STATIC = os.path.join(HERE, "static")
CSS = b"body { color: #333; }\n"


class Raw(t.NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes
    chunks: list[bytes]


def wsgi(app: Erlen, path: str, method: str = "GET", **environ: t.Any) -> Raw:
    """Call the app with a hand-built environ: PATH_INFO exactly as given."""
    env: dict[str, t.Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    env.update(environ)
    seen: dict[str, t.Any] = {}

    def start_response(
        status: str, headers: list[tuple[str, str]], exc: t.Any = None
    ) -> None:
        seen["status"] = int(status.split()[0])
        seen["headers"] = dict(headers)

    it = app(env, start_response)
    try:
        chunks = list(it)
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()
    return Raw(seen["status"], seen["headers"], b"".join(chunks), chunks)


class BufferedClient(ErlenClient):
    """Reads each body whole and closes it, so no test leaves a file open."""

    def open(self, *args: t.Any, buffered: bool = True, **kwargs: t.Any) -> t.Any:
        return super().open(*args, buffered=buffered, **kwargs)


def make_client(app: Erlen) -> t.Any:
    app.test_client_class = BufferedClient
    return app.test_client()


@pytest.fixture
def client(app: Erlen) -> t.Any:
    return make_client(app)


@pytest.fixture
def big(tmp_path: t.Any) -> t.Any:
    """An app whose static folder holds a 200 KiB file of known bytes."""
    folder = tmp_path / "static"
    folder.mkdir()
    data = bytes(range(256)) * 800
    (folder / "data.bin").write_bytes(data)
    app = Erlen("big_app", root_path=str(tmp_path))
    return app, data


# -- the static route ----------------------------------------------------------------


def test_static_file_is_served_with_validators(client: t.Any) -> None:
    rv = client.get("/static/style.css")
    assert rv.status_code == 200
    assert rv.data == CSS
    assert rv.headers["Content-Type"] == "text/css; charset=utf-8"
    assert rv.headers["Content-Length"] == str(len(CSS))
    assert rv.headers["Accept-Ranges"] == "bytes"
    assert rv.headers["Cache-Control"] == "no-cache"
    mtime = os.stat(os.path.join(STATIC, "style.css")).st_mtime
    assert rv.headers["Last-Modified"] == http_date(mtime)
    etag = rv.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 4
    rv.close()


def test_static_file_in_a_subfolder(client: t.Any) -> None:
    rv = client.get("/static/sub/hello.txt")
    assert rv.status_code == 200
    assert rv.data == b"hello from a subfolder\n"
    assert rv.mimetype == "text/plain"


def test_missing_static_file_is_404(client: t.Any) -> None:
    assert client.get("/static/nope.css").status_code == 404
    assert client.get("/static/sub").status_code == 404
    assert client.get("/static/sub/").status_code == 404


def test_static_url_for_and_custom_url_path() -> None:
    app = Erlen("test_app", root_path=HERE, static_url_path="/assets")
    with app.test_request_context():
        assert url_for("static", filename="style.css") == "/assets/style.css"
    client = make_client(app)
    assert client.get("/assets/style.css").data == CSS
    assert client.get("/static/style.css").status_code == 404


def test_no_static_folder_means_no_static_route() -> None:
    app = Erlen("test_app", root_path=HERE, static_folder=None)
    assert "static" not in app.view_functions
    assert make_client(app).get("/static/style.css").status_code == 404


@pytest.mark.parametrize(
    ("setting", "expected"), [(3600, 3600), (timedelta(minutes=2), 120)]
)
def test_send_file_max_age_default(
    app: Erlen, client: t.Any, setting: t.Any, expected: int
) -> None:
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = setting
    before = time.time()
    rv = client.get("/static/style.css")
    assert rv.headers["Cache-Control"] == f"public, max-age={expected}"
    expires = datetime.strptime(rv.headers["Expires"], "%a, %d %b %Y %H:%M:%S GMT")
    expires = expires.replace(tzinfo=timezone.utc).timestamp()
    assert before + expected - 2 <= expires <= time.time() + expected + 1


def test_get_send_file_max_age_can_be_overridden(tmp_path: t.Any) -> None:
    class App(Erlen):
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            return 60 if filename and filename.endswith(".css") else None

    app = App("test_app", root_path=HERE)
    client = make_client(app)
    assert client.get("/static/style.css").headers["Cache-Control"] == (
        "public, max-age=60"
    )
    assert client.get("/static/sub/hello.txt").headers["Cache-Control"] == "no-cache"


def test_head_has_honest_length_and_no_body(client: t.Any) -> None:
    rv = client.head("/static/style.css")
    assert rv.status_code == 200
    assert rv.data == b""
    assert rv.headers["Content-Length"] == str(len(CSS))


def test_head_raw_closes_file_and_sends_nothing(app: Erlen) -> None:
    rv = wsgi(app, "/static/style.css", method="HEAD")
    assert rv.status == 200
    assert rv.body == b""
    assert rv.headers["Content-Length"] == str(len(CSS))


def test_non_ascii_static_name(tmp_path: t.Any) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "grüße.txt").write_bytes(b"hallo")
    app = Erlen("u_app", root_path=str(tmp_path))
    rv = make_client(app).get("/static/gr%C3%BC%C3%9Fe.txt")
    assert rv.status_code == 200
    assert rv.data == b"hallo"
    assert "filename*=UTF-8''gr%C3%BC%C3%9Fe.txt" in rv.headers["Content-Disposition"]


def test_large_file_streams_in_blocks(big: t.Any) -> None:
    app, data = big
    rv = wsgi(app, "/static/data.bin")
    assert rv.status == 200
    assert rv.body == data
    assert rv.headers["Content-Type"] == "application/octet-stream"
    assert len(rv.chunks) > 1
    assert all(8 * 1024 <= len(c) <= 64 * 1024 for c in rv.chunks[:-1])


def test_server_file_wrapper_is_used(big: t.Any) -> None:
    app, data = big
    wrapped: list[t.Any] = []

    class FileWrapper:
        def __init__(self, f: t.Any, block_size: int = 8192) -> None:
            self.f = f
            self.block_size = block_size
            wrapped.append(self)

        def __iter__(self) -> t.Iterator[bytes]:
            while chunk := self.f.read(self.block_size):
                yield chunk

        def close(self) -> None:
            self.f.close()

    rv = wsgi(app, "/static/data.bin", **{"wsgi.file_wrapper": FileWrapper})
    assert rv.body == data
    assert len(wrapped) == 1 and wrapped[0].f.closed
    # A tail range can go to the wrapper too (the file is positioned first).
    rv = wsgi(
        app,
        "/static/data.bin",
        HTTP_RANGE="bytes=204000-",
        **{"wsgi.file_wrapper": FileWrapper},
    )
    assert rv.status == 206
    assert rv.body == data[204000:]
    assert len(wrapped) == 2
    # A bounded range cannot: the wrapper would read to the end of the file.
    rv = wsgi(
        app,
        "/static/data.bin",
        HTTP_RANGE="bytes=10-19",
        **{"wsgi.file_wrapper": FileWrapper},
    )
    assert rv.status == 206
    assert rv.body == data[10:20]
    assert len(wrapped) == 2


# -- conditional requests --------------------------------------------------------


def test_if_none_match_gives_304(client: t.Any) -> None:
    etag = client.get("/static/style.css").headers["ETag"]
    rv = client.get("/static/style.css", headers={"If-None-Match": etag})
    assert rv.status_code == 304
    assert rv.data == b""
    assert "Content-Length" not in rv.headers or rv.headers["Content-Length"] == "0"
    assert rv.headers["ETag"] == etag
    assert "Date" in rv.headers
    # A weak comparison matches too, and so does "*" and a list holding it.
    assert (
        client.get(
            "/static/style.css", headers={"If-None-Match": f"W/{etag}"}
        ).status_code
        == 304
    )
    assert (
        client.get("/static/style.css", headers={"If-None-Match": "*"}).status_code
        == 304
    )
    assert (
        client.get(
            "/static/style.css", headers={"If-None-Match": f'"other", {etag}'}
        ).status_code
        == 304
    )
    rv = client.get("/static/style.css", headers={"If-None-Match": '"other"'})
    assert rv.status_code == 200
    assert rv.data == CSS


def test_if_modified_since(client: t.Any) -> None:
    last = client.get("/static/style.css").headers["Last-Modified"]
    assert (
        client.get("/static/style.css", headers={"If-Modified-Since": last}).status_code
        == 304
    )
    rv = client.get(
        "/static/style.css",
        headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"},
    )
    assert rv.status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.1.3).
    rv = client.get(
        "/static/style.css",
        headers={"If-Modified-Since": last, "If-None-Match": '"other"'},
    )
    assert rv.status_code == 200
    # A garbage date is ignored.
    rv = client.get("/static/style.css", headers={"If-Modified-Since": "yesterday"})
    assert rv.status_code == 200


def test_if_match_failure_is_412(client: t.Any) -> None:
    etag = client.get("/static/style.css").headers["ETag"]
    assert (
        client.get("/static/style.css", headers={"If-Match": '"other"'}).status_code
        == 412
    )
    assert (
        client.get("/static/style.css", headers={"If-Match": etag}).status_code == 200
    )
    rv = client.get(
        "/static/style.css",
        headers={"If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"},
    )
    assert rv.status_code == 412


# -- ranges -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "start", "stop"),
    [
        ("bytes=0-3", 0, 4),
        ("bytes=5-", 5, len(CSS)),
        ("bytes=-5", len(CSS) - 5, len(CSS)),
        ("bytes=10-9999", 10, len(CSS)),
        ("bytes=-9999", 0, len(CSS)),
        ("BYTES = 0-0", 0, 1),
    ],
)
def test_single_range_is_206(client: t.Any, header: str, start: int, stop: int) -> None:
    rv = client.get("/static/style.css", headers={"Range": header})
    assert rv.status_code == 206
    assert rv.data == CSS[start:stop]
    assert rv.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{len(CSS)}"
    assert rv.headers["Content-Length"] == str(stop - start)


def test_range_across_blocks(big: t.Any) -> None:
    app, data = big
    rv = wsgi(app, "/static/data.bin", HTTP_RANGE="bytes=65000-140000")
    assert rv.status == 206
    assert rv.body == data[65000:140001]
    assert rv.headers["Content-Length"] == str(140001 - 65000)


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=22-30", "bytes=99999999999-"])
def test_unsatisfiable_range_is_416(client: t.Any, header: str) -> None:
    rv = client.get("/static/style.css", headers={"Range": header})
    assert rv.status_code == 416
    assert rv.headers["Content-Range"] == f"bytes */{len(CSS)}"
    assert CSS not in rv.data


@pytest.mark.parametrize(
    "header",
    [
        "bytes=0-1,3-4",  # several ranges: no multipart, the whole file
        "bytes=0-5,2-3",  # overlapping
        "bytes=5-2",  # inverted
        "bytes=0-" + "9" * 30,  # absurd number
        "bytes=" + ",".join(f"{i}-{i}" for i in range(5000)),  # thousands
        "bytes=" + "0-0," * 2000,  # thousands of the same
        "items=0-3",  # unknown unit
        "bytes",  # garbage
        "bytes=a-b",
        "bytes=-0",
        "bytes=--1",
        "bytes=1-2-3",
    ],
)
def test_abusive_ranges_send_the_whole_file(client: t.Any, header: str) -> None:
    before = time.perf_counter()
    rv = client.get("/static/style.css", headers={"Range": header})
    assert time.perf_counter() - before < 0.5
    assert rv.status_code == 200
    assert rv.data == CSS
    assert "Content-Range" not in rv.headers


def test_if_range(client: t.Any) -> None:
    first = client.get("/static/style.css")
    etag, last = first.headers["ETag"], first.headers["Last-Modified"]
    for validator in (etag, last):
        rv = client.get(
            "/static/style.css", headers={"Range": "bytes=0-3", "If-Range": validator}
        )
        assert rv.status_code == 206, validator
        assert rv.data == CSS[:4]
    for stale in ('"other"', f"W/{etag}", "Mon, 01 Jan 2001 00:00:00 GMT", "x"):
        rv = client.get(
            "/static/style.css", headers={"Range": "bytes=0-3", "If-Range": stale}
        )
        assert rv.status_code == 200, stale
        assert rv.data == CSS


def test_range_on_post_route_is_ignored(app: Erlen, client: t.Any) -> None:
    @app.post("/upload")
    def upload() -> Response:
        return send_file(os.path.join(STATIC, "style.css"))

    rv = client.post("/upload", headers={"Range": "bytes=0-3"})
    assert rv.status_code == 200
    assert rv.data == CSS


# -- escaping the directory --------------------------------------------------------


ESCAPES = [
    "/static/../conftest.py",
    "/static/sub/../../conftest.py",
    "/static/./../conftest.py",
    "/static/..",
    "/static/..\\conftest.py",
    "/static/sub\\..\\..\\conftest.py",
    "/static/\\..\\conftest.py",
    "/static//etc/passwd",
    "/static/" + HERE + "/conftest.py",
    "/static/C:/Windows/win.ini",
    "/static/c:conftest.py",
    "/static/style.css\x00.txt",
    "/static/\x00../conftest.py",
    "/static/%2e%2e/conftest.py",  # a client that double-encoded: literal name
    "/static/..%2fconftest.py",
]


@pytest.mark.parametrize("path", ESCAPES)
def test_escape_attempts_are_404_raw(app: Erlen, path: str) -> None:
    # The PATH_INFO a server hands over (already percent-decoded).
    assert os.path.isfile(os.path.join(HERE, "conftest.py"))
    rv = wsgi(app, path)
    assert rv.status == 404
    assert b"import" not in rv.body


@pytest.mark.parametrize(
    "url",
    [
        "/static/%2e%2e/conftest.py",
        "/static/%2E%2E/%2E%2E/tests/conftest.py",
        "/static/sub/%2e%2e/%2e%2e/conftest.py",
        "/static/..%2fconftest.py",
        "/static/..%5cconftest.py",
        "/static/%2fetc%2fpasswd",
        "/static/style.css%00",
        "/static/%252e%252e/conftest.py",
        "/static/%c0%ae%c0%ae/conftest.py",  # overlong UTF-8 dots
    ],
)
def test_escape_attempts_are_404_encoded(client: t.Any, url: str) -> None:
    rv = client.get(url)
    assert rv.status_code == 404
    assert b"import" not in rv.data


def test_symlink_out_of_the_folder_is_404(tmp_path: t.Any) -> None:
    static = tmp_path / "static"
    static.mkdir()
    (tmp_path / "secret.txt").write_bytes(b"secret")
    (static / "inside.txt").write_bytes(b"inside")
    try:
        os.symlink(tmp_path / "secret.txt", static / "leak.txt")
        os.symlink(tmp_path, static / "up")
        os.symlink(static / "inside.txt", static / "alias.txt")
    except (OSError, NotImplementedError):
        pytest.skip("no symlinks here")
    client = make_client(Erlen("s_app", root_path=str(tmp_path)))
    assert client.get("/static/leak.txt").status_code == 404
    assert client.get("/static/up/secret.txt").status_code == 404
    # A link that stays inside the folder is fine.
    rv = client.get("/static/alias.txt")
    assert rv.status_code == 200
    assert rv.data == b"inside"


def test_static_folder_that_is_itself_a_symlink(tmp_path: t.Any) -> None:
    real = tmp_path / "real_static"
    real.mkdir()
    (real / "a.txt").write_bytes(b"a")
    try:
        os.symlink(real, tmp_path / "static")
    except (OSError, NotImplementedError):
        pytest.skip("no symlinks here")
    client = make_client(Erlen("s_app", root_path=str(tmp_path)))
    assert client.get("/static/a.txt").data == b"a"


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("a",), "base/a"),
        (("a/b", "c"), "base/a/b/c"),
        (("a/./b/../c",), "base/a/c"),
        (("",), "base/"),
        (("..",), None),
        (("../x",), None),
        (("a/../../x",), None),
        (("/etc/passwd",), None),
        (("a", "/etc"), None),
        (("a\\b",), None),
        (("a\x00b",), None),
        (("C:x",), None),
        (("c:/x",), None),
    ],
)
def test_safe_join(parts: tuple[str, ...], expected: str | None) -> None:
    assert safe_join("base", *parts) == expected


def test_safe_join_empty_directory_means_here() -> None:
    assert safe_join("", "a") == "./a"


def test_send_from_directory(app: Erlen, client: t.Any) -> None:
    @app.route("/files/<path:name>")
    def files(name: str) -> Response:
        return send_from_directory("static", name, max_age=10)

    rv = client.get("/files/sub/hello.txt")
    assert rv.status_code == 200
    assert rv.data == b"hello from a subfolder\n"
    assert rv.headers["Cache-Control"] == "public, max-age=10"
    assert client.get("/files/../conftest.py").status_code == 404
    assert client.get("/files/%2e%2e/conftest.py").status_code == 404


def test_send_from_directory_raises_not_found(app: Erlen) -> None:
    with app.test_request_context():
        with pytest.raises(NotFound):
            send_from_directory(STATIC, "../conftest.py")
        with pytest.raises(NotFound):
            send_from_directory(STATIC, "missing.txt")
        rv = send_from_directory(HERE, "conftest.py")  # the target exists
        assert rv.status_code == 200
        rv.close()


# -- send_file ------------------------------------------------------------------


def test_send_file_attachment_with_non_ascii_name(app: Erlen, client: t.Any) -> None:
    @app.route("/download")
    def download() -> Response:
        return send_file(
            "static/style.css", as_attachment=True, download_name="résumé 2024 €.pdf"
        )

    rv = client.get("/download")
    assert rv.status_code == 200
    assert rv.data == CSS
    assert rv.mimetype == "application/pdf"
    disposition = rv.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="resume 2024 _.pdf"')
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9%202024%20%E2%82%AC.pdf" in disposition


def test_send_file_download_name_cannot_inject_headers(
    app: Erlen, client: t.Any
) -> None:
    @app.route("/download")
    def download() -> Response:
        return send_file(
            "static/style.css", as_attachment=True, download_name='a"b\r\nX-Evil: 1.txt'
        )

    rv = client.get("/download")
    assert rv.status_code == 200
    assert "X-Evil" not in rv.headers
    assert "\r" not in rv.headers["Content-Disposition"]
    assert "\n" not in rv.headers["Content-Disposition"]


def test_compressed_name_sets_content_encoding_inline_only(app: Erlen) -> None:
    with app.test_request_context():
        rv = send_file(io.BytesIO(b"x"), download_name="backup.tar.gz")
        assert rv.mimetype == "application/x-tar"
        assert rv.headers["Content-Encoding"] == "gzip"
        rv.close()
        rv = send_file(
            io.BytesIO(b"x"), download_name="backup.tar.gz", as_attachment=True
        )
        assert "Content-Encoding" not in rv.headers
        rv.close()


def test_send_from_directory_file_vanishing_is_404(
    app: Erlen, monkeypatch: pytest.MonkeyPatch
) -> None:
    import erlen.files

    def gone(*args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise FileNotFoundError("raced away")

    monkeypatch.setattr(erlen.files, "send_file", gone)
    with app.test_request_context():
        with pytest.raises(NotFound):
            send_from_directory(STATIC, "style.css")


def test_send_file_plain_ascii_name(app: Erlen, client: t.Any) -> None:
    @app.route("/download")
    def download() -> Response:
        return send_file("static/style.css", as_attachment=True)

    rv = client.get("/download")
    assert rv.headers["Content-Disposition"] == 'attachment; filename="style.css"'
    assert rv.mimetype == "text/css"


def test_send_file_object_needs_a_name_or_mimetype(app: Erlen) -> None:
    with app.test_request_context():
        with pytest.raises(TypeError, match="download_name"):
            send_file(io.BytesIO(b"data"))
        rv = send_file(io.BytesIO(b"data"), mimetype="text/plain")
        assert rv.mimetype == "text/plain"
        assert "Content-Disposition" not in rv.headers
        assert "ETag" not in rv.headers
        rv.close()
        with pytest.raises(ValueError, match="binary"):
            send_file(io.StringIO("text"), mimetype="text/plain")


def test_send_file_bytesio_with_ranges(app: Erlen, client: t.Any) -> None:
    buffers: list[io.BytesIO] = []

    @app.route("/report")
    def report() -> Response:
        buf = io.BytesIO(b"0123456789")
        buffers.append(buf)
        return send_file(buf, download_name="report.csv", etag="v1")

    rv = client.get("/report")
    assert rv.data == b"0123456789"
    assert rv.mimetype == "text/csv"
    assert rv.headers["Content-Length"] == "10"
    assert rv.headers["ETag"] == '"v1"'
    rv = client.get("/report", headers={"Range": "bytes=2-4"})
    assert rv.status_code == 206
    assert rv.data == b"234"
    assert client.get("/report", headers={"If-None-Match": '"v1"'}).status_code == 304
    assert buffers and all(b.closed for b in buffers)


def test_send_file_closes_the_file(app: Erlen, client: t.Any) -> None:
    opened: list[t.IO[bytes]] = []

    @app.route("/f")
    def f() -> Response:
        fh = open(os.path.join(STATIC, "style.css"), "rb")
        opened.append(fh)
        return send_file(fh, mimetype="text/css")

    assert client.get("/f").data == CSS
    assert client.head("/f").data == b""
    assert client.get("/f", headers={"Range": "bytes=0-1"}).data == CSS[:2]
    assert client.get("/f", headers={"Range": "bytes=900-"}).status_code == 416
    assert len(opened) == 4 and all(fh.closed for fh in opened)


def test_send_file_unseekable_stream(app: Erlen, client: t.Any) -> None:
    class Pipe:
        def __init__(self) -> None:
            self.parts = [b"abc", b"def"]
            self.closed = False

        def read(self, size: int = -1) -> bytes:
            return self.parts.pop(0) if self.parts else b""

        def close(self) -> None:
            self.closed = True

    pipes: list[Pipe] = []

    @app.route("/pipe")
    def pipe() -> Response:
        pipes.append(Pipe())
        return send_file(pipes[-1], mimetype="application/octet-stream")  # type: ignore[arg-type]

    rv = client.get("/pipe", headers={"Range": "bytes=0-1"})
    assert rv.status_code == 200
    assert rv.data == b"abcdef"
    assert "Content-Length" not in rv.headers
    assert pipes[0].closed


def test_send_file_validators_options(app: Erlen, client: t.Any) -> None:
    stamp = datetime(2020, 5, 17, 12, 0, tzinfo=timezone.utc)

    @app.route("/a")
    def a() -> Response:
        return send_file("static/style.css", etag=False, last_modified=stamp)

    @app.route("/b")
    def b() -> Response:
        return send_file("static/style.css", conditional=False)

    @app.route("/c")
    def c() -> Response:
        return send_file("static/style.css", max_age=lambda path: 0)

    rv = client.get("/a")
    assert "ETag" not in rv.headers
    assert rv.headers["Last-Modified"] == "Sun, 17 May 2020 12:00:00 GMT"
    assert (
        client.get(
            "/a", headers={"If-Modified-Since": "Sun, 17 May 2020 12:00:00 GMT"}
        ).status_code
        == 304
    )
    etag = client.get("/static/style.css").headers["ETag"]
    rv = client.get("/b", headers={"Range": "bytes=0-1", "If-None-Match": etag})
    assert rv.status_code == 200
    assert rv.data == CSS
    assert client.get("/c").headers["Cache-Control"] == "no-cache, max-age=0"


def test_etag_changes_with_the_file(tmp_path: t.Any) -> None:
    (tmp_path / "static").mkdir()
    target = tmp_path / "static" / "x.txt"
    target.write_bytes(b"one")
    client = make_client(Erlen("e_app", root_path=str(tmp_path)))
    first = client.get("/static/x.txt").headers["ETag"]
    target.write_bytes(b"three")
    os.utime(target, (time.time() + 5, time.time() + 5))
    rv = client.get("/static/x.txt", headers={"If-None-Match": first})
    assert rv.status_code == 200
    assert rv.data == b"three"
    assert rv.headers["ETag"] != first


def test_x_sendfile(app: Erlen, client: t.Any) -> None:
    app.config["USE_X_SENDFILE"] = True
    rv = client.get("/static/style.css")
    assert rv.status_code == 200
    assert rv.headers["X-Sendfile"] == os.path.join(STATIC, "style.css")
    assert rv.data == b""
    assert rv.headers["Content-Length"] == str(len(CSS))


def test_send_file_outside_a_request_needs_environ(tmp_path: t.Any) -> None:
    target = tmp_path / "x.txt"
    target.write_bytes(b"hello")
    with pytest.raises(RuntimeError, match="request"):
        send_file(str(target))
    rv = send_file(
        str(target), environ={"REQUEST_METHOD": "GET", "HTTP_RANGE": "bytes=1-2"}
    )
    assert rv.status_code == 206
    assert b"".join(rv.response) == b"el"
    rv.close()


# -- make_conditional on any response -------------------------------------------


def test_make_conditional_on_a_bytes_response() -> None:
    rv = Response(b"0123456789", mimetype="text/plain")
    rv.set_etag("abc")
    rv = make_conditional(rv, {"REQUEST_METHOD": "GET", "HTTP_IF_NONE_MATCH": '"abc"'})
    assert rv.status_code == 304

    rv = Response(b"0123456789", mimetype="text/plain")
    rv = make_conditional(
        rv, {"REQUEST_METHOD": "GET", "HTTP_RANGE": "bytes=-3"}, accept_ranges=True
    )
    assert rv.status_code == 206
    assert rv.get_data() == b"789"
    assert rv.headers["Content-Range"] == "bytes 7-9/10"

    rv = Response(b"0123456789", mimetype="text/plain")
    rv = make_conditional(rv, {"REQUEST_METHOD": "GET", "HTTP_RANGE": "bytes=-3"})
    assert rv.status_code == 200  # ranges were not offered
    rv = Response(b"x")
    rv.set_etag("abc")
    rv = make_conditional(rv, {"REQUEST_METHOD": "POST", "HTTP_IF_NONE_MATCH": "*"})
    assert rv.status_code == 200
