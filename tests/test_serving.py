"""The development server over real HTTP on 127.0.0.1.

Protocol details run against a server in a thread of this process (fast);
the ``erlen run`` path runs in a subprocess on an ephemeral port.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import socket
import threading
import time
import typing as t
from pathlib import Path

import pytest

from erlen import Erlen
from erlen import request
from erlen.serving import DevServer

_spec = importlib.util.spec_from_file_location(
    "erlen_live_server", Path(__file__).parent / "apps" / "erlen_live_server.py"
)
assert _spec is not None and _spec.loader is not None
live = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(live)

Environ = dict[str, t.Any]
StartResponse = t.Callable[..., t.Any]


@pytest.fixture
def serve() -> t.Iterator[t.Callable[..., DevServer]]:
    started: list[tuple[DevServer, threading.Thread]] = []

    def start(app: t.Any, **options: t.Any) -> DevServer:
        options.setdefault("quiet", True)
        server = DevServer("127.0.0.1", 0, app, **options)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        started.append((server, thread))
        return server

    yield start
    for server, thread in started:
        server.shutdown()
        server.server_close()
        thread.join(5)


class _Unclosable:
    """The connection's one buffered reader, shared by successive responses.

    http.client reads ahead and closes its file after each response, which
    would lose pipelined bytes and end the connection.
    """

    def __init__(self, fp: t.BinaryIO) -> None:
        self._fp = fp

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._fp, name)

    def close(self) -> None:
        pass


class RawClient:
    """A socket to the server, with responses parsed by http.client."""

    def __init__(self, server: DevServer, timeout: float = 5) -> None:
        self.sock = socket.create_connection(
            ("127.0.0.1", server.server_port), timeout=timeout
        )
        self.fp = _Unclosable(self.sock.makefile("rb"))

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fp._fp.close()
        self.sock.close()

    def sendall(self, data: bytes) -> None:
        self.sock.sendall(data)

    def makefile(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        return self.fp

    def response(self, method: str = "GET") -> http.client.HTTPResponse:
        response = http.client.HTTPResponse(self, method=method)  # type: ignore[arg-type]
        response.begin()
        return response

    def recv(self, size: int) -> bytes:
        return self.fp.read1(size)  # type: ignore[no-any-return]

    def read_all(self) -> bytes:
        """Everything until the server closes (bounded by the socket timeout)."""
        return self.fp.read()  # type: ignore[no-any-return]


def connect(server: DevServer, timeout: float = 5) -> RawClient:
    return RawClient(server, timeout)


def echo_environ(environ: Environ, start_response: StartResponse) -> list[bytes]:
    body = environ["wsgi.input"].read()
    keys = {
        k: v
        for k, v in environ.items()
        if isinstance(v, (str, bool)) and not k.startswith("wsgi.errors")
    }
    keys["body"] = body.decode("latin-1")
    keys["has_file_wrapper"] = "wsgi.file_wrapper" in environ
    data = json.dumps(keys).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [data]


# -- plain requests -------------------------------------------------------------------


def test_environ_follows_pep_3333(serve: t.Callable[..., DevServer]) -> None:
    server = serve(echo_environ)
    conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=5)
    conn.request(
        "POST",
        "/caf%C3%A9/x%2Fy?a=1&b=%20",
        body=b"hello",
        headers={
            "Content-Type": "text/plain",
            "X-Custom": "yes",
            "X_Spoofed": "dropped",
        },
    )
    response = conn.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Length") == str(len(response.peek()))
    env = json.loads(response.read())
    conn.close()
    assert env["REQUEST_METHOD"] == "POST"
    assert env["PATH_INFO"] == "/caf\u00c3\u00a9/x/y"  # bytes decoded as latin-1
    assert env["QUERY_STRING"] == "a=1&b=%20"
    assert env["SCRIPT_NAME"] == ""
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["SERVER_PORT"] == str(server.server_port)
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["CONTENT_TYPE"] == "text/plain"
    assert env["CONTENT_LENGTH"] == "5"
    assert env["HTTP_X_CUSTOM"] == "yes"
    assert "HTTP_X_SPOOFED" not in env
    assert env["body"] == "hello"
    assert env["wsgi.url_scheme"] == "http"
    assert env["wsgi.input_terminated"] is True
    assert env["wsgi.multithread"] is True
    assert env["has_file_wrapper"] is True


def test_an_erlen_app_with_keep_alive(serve: t.Callable[..., DevServer]) -> None:
    app = Erlen("live")

    @app.route("/hello/<name>")
    def hello(name: str) -> str:
        return f"hello {name} from port {request.environ['REMOTE_PORT']}"

    server = serve(app)
    conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=5)
    bodies = []
    for name in ("ann", "bob", "cy"):
        conn.request("GET", f"/hello/{name}")
        response = conn.getresponse()
        assert response.status == 200
        assert response.getheader("Connection") is None
        bodies.append(response.read().decode())
    conn.close()
    ports = {body.rsplit(" ", 1)[1] for body in bodies}
    assert len(ports) == 1  # three requests, one connection
    assert bodies[0].startswith("hello ann")


def test_pipelined_requests_are_answered_in_order(
    serve: t.Callable[..., DevServer],
) -> None:
    server = serve(echo_environ)
    with connect(server) as sock:
        sock.sendall(
            b"POST /one HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
            b"GET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        first = json.loads(sock.response().read())
        second_response = sock.response()
        second = json.loads(second_response.read())
    assert (first["PATH_INFO"], first["body"]) == ("/one", "abc")
    assert (second["PATH_INFO"], second["body"]) == ("/two", "")
    assert second_response.getheader("Connection") == "close"


def test_unread_body_is_drained_and_the_connection_kept(
    serve: t.Callable[..., DevServer],
) -> None:
    def ignore_body(environ: Environ, start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    server = serve(ignore_body)
    with connect(server) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789"
        )
        assert sock.response().read() == b"ok"
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.response().read() == b"ok"


def test_head_has_headers_but_no_body(serve: t.Callable[..., DevServer]) -> None:
    app = Erlen("live")

    @app.get("/")
    def index() -> str:
        return "twelve bytes"

    server = serve(app)
    with connect(server) as sock:
        sock.sendall(
            b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        head = sock.response("HEAD")
        assert head.getheader("Content-Length") == "12"
        assert head.read() == b""
        assert sock.response().read() == b"twelve bytes"


def test_no_body_statuses_are_not_chunked(serve: t.Callable[..., DevServer]) -> None:
    def no_content(
        environ: Environ, start_response: StartResponse
    ) -> t.Iterator[bytes]:
        start_response("204 No Content", [])
        yield b""

    server = serve(no_content)
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        raw = sock.read_all()
    assert raw.startswith(b"HTTP/1.1 204 No Content\r\n")
    assert b"Transfer-Encoding" not in raw
    assert raw.endswith(b"\r\n\r\n")


# -- streaming and chunked bodies ------------------------------------------------------


def test_streamed_response_is_chunked_and_sent_as_produced(
    serve: t.Callable[..., DevServer],
) -> None:
    release = threading.Event()
    app = Erlen("live")

    @app.get("/stream")
    def stream() -> t.Any:
        def generate() -> t.Iterator[str]:
            yield "first;"
            release.wait(5)
            yield "second"

        return app.response_class(generate(), mimetype="text/plain")

    server = serve(app)
    with connect(server) as sock:
        sock.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        response = sock.response()
        assert response.getheader("Transfer-Encoding") == "chunked"
        assert response.getheader("Content-Length") is None
        # The first chunk arrives while the generator is still blocked.
        assert response.read1(100) == b"first;"
        release.set()
        assert response.read() == b"second"
        # The chunked framing ended cleanly: the connection is reusable.
        sock.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.response().read() == b"first;second"


def test_raw_chunk_framing(serve: t.Callable[..., DevServer]) -> None:
    def app(environ: Environ, start_response: StartResponse) -> t.Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"abc"
        yield b""
        yield b"0123456789abcdef!"

    server = serve(app)
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        raw = sock.read_all()
    head, body = raw.split(b"\r\n\r\n", 1)
    assert b"Transfer-Encoding: chunked" in head
    assert body == b"3\r\nabc\r\n11\r\n0123456789abcdef!\r\n0\r\n\r\n"


def test_http_10_stream_is_delimited_by_close(
    serve: t.Callable[..., DevServer],
) -> None:
    def app(environ: Environ, start_response: StartResponse) -> t.Iterator[bytes]:
        start_response("200 OK", [])
        yield b"old "
        yield b"client"

    server = serve(app)
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        raw = sock.read_all()
    head, body = raw.split(b"\r\n\r\n", 1)
    assert b"Connection: close" in head
    assert b"chunked" not in head
    assert body == b"old client"


def test_chunked_request_body_is_decoded(serve: t.Callable[..., DevServer]) -> None:
    server = serve(echo_environ)
    with connect(server) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nTrailer: x\r\n\r\n"
            b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        env = json.loads(sock.response().read())
        after = json.loads(sock.response().read())
    assert env["body"] == "hello, world"
    assert "CONTENT_LENGTH" not in env
    assert env["HTTP_TRANSFER_ENCODING"] == "chunked"
    assert after["PATH_INFO"] == "/next"


def test_erlen_reads_a_chunked_form(serve: t.Callable[..., DevServer]) -> None:
    app = Erlen("live")

    @app.post("/")
    def form() -> str:
        return request.form["name"]

    server = serve(app)
    conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=5)
    conn.request(
        "POST",
        "/",
        body=iter([b"name=", b"erlen"]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        encode_chunked=True,
    )
    assert conn.getresponse().read() == b"erlen"
    conn.close()


def test_input_never_reads_past_content_length(
    serve: t.Callable[..., DevServer],
) -> None:
    seen: list[bytes] = []

    def greedy(environ: Environ, start_response: StartResponse) -> list[bytes]:
        stream = environ["wsgi.input"]
        seen.append(stream.readline())
        seen.append(stream.read(1000))
        seen.append(stream.read())
        start_response("200 OK", [("Content-Length", "0")])
        return []

    server = serve(greedy)
    with connect(server) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nline\nrest"
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        sock.response().read()
        sock.response().read()
    assert seen[:3] == [b"line\n", b"rest", b""]


def test_expect_100_continue(serve: t.Callable[..., DevServer]) -> None:
    server = serve(echo_environ)
    with connect(server) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        interim = sock.recv(100)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"body")
        assert json.loads(sock.response().read())["body"] == "body"


# -- bad input is a clear 4xx, never a hang --------------------------------------------


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"NONSENSE\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\n\r\n", 505),
        (b"GET / FTP/1.0\r\n\r\n", 400),
        (b"G(T / HTTP/1.1\r\n\r\n", 400),
        (b"GET nope HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        (
            b"POST / HTTP/1.1\r\nContent-Length: 3\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n",
            400,
        ),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 101 + b"\r\n", 431),
    ],
)
def test_malformed_requests(
    serve: t.Callable[..., DevServer], raw: bytes, status: int
) -> None:
    calls: list[int] = []

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        calls.append(1)
        start_response("200 OK", [])
        return [b""]

    server = serve(app)
    with connect(server) as sock:
        sock.sendall(raw)
        response = sock.read_all()
    assert response.startswith(f"HTTP/1.1 {status} ".encode()), response[:80]
    assert b"Connection: close" in response
    assert calls == []


def test_bad_chunked_body_is_a_400(serve: t.Callable[..., DevServer]) -> None:
    app = Erlen("live")

    @app.post("/")
    def read_all() -> str:
        return str(len(request.get_data()))

    server = serve(app)
    with connect(server) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
        )
        raw = sock.read_all()
    assert raw.startswith(b"HTTP/1.1 400 ")


def test_slow_header_sender_gets_a_408(serve: t.Callable[..., DevServer]) -> None:
    server = serve(echo_environ, header_timeout=0.5)
    start = time.monotonic()
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n")
        try:
            for _ in range(20):  # one header byte every 0.1 s, never finishing
                sock.sendall(b"X")
                time.sleep(0.1)
        except OSError:
            pass
        raw = sock.read_all()
    assert raw.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - start < 3


def test_idle_keep_alive_connection_is_closed(
    serve: t.Callable[..., DevServer],
) -> None:
    server = serve(echo_environ, keep_alive_timeout=0.3)
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.response().read()
        start = time.monotonic()
        assert sock.recv(10) == b""  # closed quietly, no 408 on an idle connection
        assert time.monotonic() - start < 3


def test_stuck_client_does_not_block_others(serve: t.Callable[..., DevServer]) -> None:
    server = serve(echo_environ)
    with connect(server) as stuck:
        stuck.sendall(b"GET / HTTP/1.1\r\n")  # and nothing more
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=5)
        conn.request("GET", "/other")
        assert json.loads(conn.getresponse().read())["PATH_INFO"] == "/other"
        conn.close()


# -- app errors ------------------------------------------------------------------------


def test_app_exception_is_a_plain_500_and_the_server_goes_on(
    serve: t.Callable[..., DevServer], capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(environ: Environ, start_response: StartResponse) -> list[bytes]:
        if environ["PATH_INFO"] == "/boom":
            raise RuntimeError("app bug")
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    server = serve(broken)
    with connect(server) as sock:
        sock.sendall(b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\n")
        raw = sock.read_all()
    assert raw.startswith(b"HTTP/1.1 500 ")
    assert raw.endswith(b"Internal Server Error\n")
    assert b"app bug" not in raw
    assert "RuntimeError: app bug" in capsys.readouterr().err
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.response().read() == b"ok"


def test_header_with_newline_from_the_app_is_refused(
    serve: t.Callable[..., DevServer], capsys: pytest.CaptureFixture[str]
) -> None:
    def splitting(environ: Environ, start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", [("X-Evil", "a\r\nSet-Cookie: x=1")])
        return [b"no"]

    server = serve(splitting)
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        raw = sock.read_all()
    assert raw.startswith(b"HTTP/1.1 500 ")
    assert b"Set-Cookie" not in raw
    assert "invalid response header" in capsys.readouterr().err


def test_short_body_closes_the_connection(serve: t.Callable[..., DevServer]) -> None:
    def liar(environ: Environ, start_response: StartResponse) -> t.Iterator[bytes]:
        start_response("200 OK", [("Content-Length", "10")])
        yield b"short"

    server = serve(liar)
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        raw = sock.read_all()  # returns because the server closed
    assert raw.endswith(b"\r\n\r\nshort")


def test_single_threaded_server_still_serves(serve: t.Callable[..., DevServer]) -> None:
    server = serve(echo_environ, threaded=False)
    conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=5)
    conn.request("GET", "/", headers={"Connection": "close"})
    assert json.loads(conn.getresponse().read())["wsgi.multithread"] is False
    conn.close()


# -- erlen run, in a subprocess --------------------------------------------------------

APP_SOURCE = """\
from erlen import Erlen

app = Erlen(__name__)


@app.route("/")
def index():
    return "hello from the dev server"


@app.route("/stream")
def stream():
    def generate():
        yield "a"
        yield "b"
    return app.response_class(generate())


@app.route("/boom")
def boom():
    secret_local = "visible in the debug page"
    raise ValueError("kaboom")
"""


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "liveapp.py").write_text(APP_SOURCE)
    return tmp_path


@pytest.mark.slow
def test_erlen_run_serves_and_stops_on_ctrl_c(app_dir: Path) -> None:
    server = live.LiveServer(
        ["-m", "erlen", "--app", "liveapp", "run", "--port", "0", "--no-reload"],
        cwd=app_dir,
    )
    try:
        url = server.wait_started()
        assert url.startswith("http://127.0.0.1:")
        assert "development server" in server.output
        assert "Do not use it in production" in server.output
        assert "Serving Erlen app 'liveapp'" in server.output
        assert server.get("/") == (200, "hello from the dev server")
        assert server.get("/stream") == (200, "ab")
        status, body = server.get("/boom")
        assert status == 500
        assert "kaboom" not in body  # debug is off
        assert server.interrupt() == 0
        server.proc.wait(5)
        assert "Traceback" not in server.output.split("ValueError: kaboom")[-1]
        assert "KeyboardInterrupt" not in server.output
    finally:
        server.stop()


@pytest.mark.slow
def test_debug_on_all_addresses_warns_loudly_and_shows_tracebacks(
    app_dir: Path,
) -> None:
    server = live.LiveServer(
        [
            "-m",
            "erlen",
            "--app",
            "liveapp",
            "run",
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--debug",
            "--no-reload",
        ],
        cwd=app_dir,
    )
    try:
        match = server.wait_for(r"Running on http://0\.0\.0\.0:(\d+)")
        server.port = int(match[1])
        server.wait_for("DEBUG MODE ON A NON-LOOPBACK ADDRESS")
        assert "Debug mode: on" in server.output
        status, body = server.get("/boom")
        assert status == 500
        assert "DEBUG MODE" in body
        assert "kaboom" in body
        assert "visible in the debug page" in body
        status, body = server.get("/boom", Accept="application/json")
        assert json.loads(body)["message"] == "kaboom"
    finally:
        server.stop()


@pytest.mark.slow
def test_app_run_from_a_script(tmp_path: Path) -> None:
    (tmp_path / "script.py").write_text(
        APP_SOURCE + "\nif __name__ == '__main__':\n    app.run(port=0)\n"
    )
    server = live.LiveServer(["script.py"], cwd=tmp_path)
    try:
        server.wait_started()
        assert server.get("/") == (200, "hello from the dev server")
        assert server.interrupt() == 0
    finally:
        server.stop()


@pytest.mark.slow
def test_port_in_use_is_a_clear_error(app_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        server = live.LiveServer(
            [
                "-m",
                "erlen",
                "--app",
                "liveapp",
                "run",
                "--port",
                str(port),
                "--no-reload",
            ],
            cwd=app_dir,
        )
        try:
            assert server.proc.wait(15) == 1
            server.wait_for("already in use")
            assert "Traceback" not in server.output
        finally:
            server.stop()
