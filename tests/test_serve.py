"""``erlen serve`` over real HTTP on loopback, the same tests on every server.

Each server runs ``tests/apps/serve_app.py`` in a subprocess on a free port.
A server whose package is missing is skipped, unless ``CI`` is set.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import typing as t
import uuid
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from erlen import production
from erlen.cli import cli

APPS = Path(__file__).parent / "apps"
BIG = os.urandom(300_000)
LIMIT = 1024 * 1024  # serve_app's MAX_CONTENT_LENGTH

#: name -> extra ``erlen serve`` arguments
VARIANTS = {
    "granian": ["--server", "granian", "--threads", "2"],
    "gunicorn-sync": ["--server", "gunicorn"],
    "gunicorn-gthread": ["--server", "gunicorn", "--threads", "2"],
}


def _need(package: str) -> None:
    if importlib.util.find_spec(package) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{package} is not installed (needed in CI: erlen[serve])")
        pytest.skip(f"{package} is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Served:
    """One ``erlen serve`` subprocess and the folder its app writes to."""

    def __init__(self, variant: str, folder: Path, *extra: str) -> None:
        _need(variant.split("-")[0])
        self.folder = folder
        (folder / "big.bin").write_bytes(BIG)
        self.port = _free_port()
        self.log = open(folder / f"{variant}.log", "w+")
        env = dict(os.environ, SERVE_TEST_DIR=str(folder), PYTHONUNBUFFERED="1")
        env.pop("ERLEN_TRUSTED_PROXIES", None)
        cmd = [
            sys.executable, "-m", "erlen", "--app", "serve_app", "serve",
            "--port", str(self.port), "--workers", "2", "--graceful-timeout", "10",
            *VARIANTS[variant], *extra,
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            cmd, cwd=APPS, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        self._wait_ready()

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"erlen serve exited early:\n{self.output()}")
            try:
                if self.get("/plaintext")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        pytest.fail(f"erlen serve did not answer in {timeout} s:\n{self.output()}")

    def conn(self, timeout: float = 5) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def get(
        self, path: str, method: str = "GET", **kw: t.Any
    ) -> tuple[int, http.client.HTTPResponse, bytes]:
        conn = self.conn()
        try:
            conn.request(method, path, **kw)
            resp = conn.getresponse()
            return resp.status, resp, resp.read()
        finally:
            conn.close()

    def wait_for(self, name: str, timeout: float = 5) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (self.folder / name).exists():
                return True
            time.sleep(0.02)
        return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()


@pytest.fixture(scope="module", params=list(VARIANTS))
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> t.Iterator[Served]:
    server = Served(
        request.param,
        tmp_path_factory.mktemp(request.param),
        "--forwarded-allow-ips",
        "127.0.0.1",
        "--access-log",
    )
    try:
        yield server
    finally:
        server.stop()


def test_banner(served: Served) -> None:
    out = served.output()
    assert "with granian" in out or "with gunicorn" in out
    assert f"on http://127.0.0.1:{served.port}/" in out


def test_access_log(served: Served) -> None:
    assert served.get("/pid")[0] == 200
    deadline = time.monotonic() + 5
    while "/pid" not in served.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "/pid" in served.output()


def test_plaintext(served: Served) -> None:
    status, resp, body = served.get("/plaintext")
    assert status == 200
    assert body == b"Hello, World!"
    assert resp.getheader("Content-Type") == "text/plain; charset=utf-8"
    assert resp.getheader("Content-Length") == "13"


def test_json(served: Served) -> None:
    status, resp, body = served.get("/json")
    assert status == 200
    assert resp.getheader("Content-Type") == "application/json"
    assert json.loads(body) == {"message": "Hello, World!"}


def test_streaming_response_is_chunked(served: Served) -> None:
    status, resp, body = served.get("/stream")
    assert status == 200
    assert resp.getheader("Transfer-Encoding") == "chunked"
    assert resp.getheader("Content-Length") is None
    assert body == b"".join(f"chunk {i}\n".encode() for i in range(5))


def test_head(served: Served) -> None:
    status, resp, body = served.get("/plaintext", method="HEAD")
    assert status == 200
    assert body == b""
    assert resp.getheader("Content-Length") == "13"
    status, resp, body = served.get("/file", method="HEAD")
    assert (status, body) == (200, b"")
    assert resp.getheader("Content-Length") == str(len(BIG))
    status, resp, body = served.get("/stream", method="HEAD")
    assert (status, body) == (200, b"")


def test_file_with_or_without_file_wrapper(served: Served) -> None:
    status, resp, body = served.get("/file")
    assert (status, body) == (200, BIG)
    assert resp.getheader("Content-Length") == str(len(BIG))
    status, resp, body = served.get("/file", headers={"Range": "bytes=100-199"})
    assert (status, body) == (206, BIG[100:200])


def test_long_request_line(served: Served) -> None:
    """A request line nginx passes on (up to 8 KiB) is not a 400 on any server."""
    path = "/plaintext?q=" + "x" * (production.GUNICORN_REQUEST_LINE - 100)
    status, _, body = served.get(path)
    assert (status, body) == (200, b"Hello, World!")


def test_chunked_upload_without_content_length(served: Served) -> None:
    chunks = (BIG[i : i + 50_000] for i in range(0, len(BIG), 50_000))
    status, _, body = served.get(
        "/upload", method="POST", body=chunks, encode_chunked=True
    )
    assert (status, body) == (200, f"{len(BIG)} chunked".encode())


def _early_answer(port: int, head: bytes, body: t.Iterable[bytes]) -> bytes:
    """Send ``head`` and ``body`` from a thread; return what the server answers.

    A server that answers before reading the whole body (a 413) then closes
    the connection, so sending fails part-way: read while sending, as a
    browser does, and ignore the broken pipe.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:

        def send() -> None:
            try:
                sock.sendall(head)
                for chunk in body:
                    sock.sendall(chunk)
            except OSError:
                pass

        sender = threading.Thread(target=send)
        sender.start()
        try:
            answer = b""
            while b"\r\n" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        finally:
            sender.join(10)
        return answer


def test_chunked_upload_over_the_limit(served: Served) -> None:
    head = (
        b"POST /upload HTTP/1.1\r\nHost: localhost\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"10000\r\n" + b"x" * 65536 + b"\r\n"
    body = [chunk] * (LIMIT // 65536 + 4) + [b"0\r\n\r\n"]
    assert _early_answer(served.port, head, body).startswith(b"HTTP/1.1 413 ")


def test_large_upload_is_rejected_before_the_body_is_sent(served: Served) -> None:
    """A declared length over MAX_CONTENT_LENGTH: 413 while the client waits."""
    head = (
        b"POST /upload HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/octet-stream\r\n"
        b"Content-Length: %d\r\n\r\n" % (50 * LIMIT)
    )
    # Only 64 KiB of the 50 MiB are sent: the answer cannot wait for the rest.
    answer = _early_answer(served.port, head, [b"x" * 65536])
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_client_disconnect_closes_the_body(served: Served) -> None:
    token = uuid.uuid4().hex
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        sock.sendall(
            f"GET /endless?token={token} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
        )
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
        sock.recv(65536)
    assert served.wait_for(f"closed-{token}", timeout=8), "close() was not called"


def test_forwarded_allow_ips_is_exported(served: Served) -> None:
    """The app trusts X-Forwarded-* from the proxies given to erlen serve."""
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    status, _, body = served.get("/environ", headers=headers)
    assert status == 200
    seen = json.loads(body)
    assert seen["trusted"] == "127.0.0.1"
    assert (seen["remote_addr"], seen["scheme"]) == ("203.0.113.9", "https")


def test_forwarded_headers_untrusted_by_default(tmp_path: Path) -> None:
    server = Served("granian", tmp_path, "--workers", "1")
    try:
        headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
        seen = json.loads(server.get("/environ", headers=headers)[2])
        assert seen["trusted"] is None
        assert (seen["remote_addr"], seen["scheme"]) == ("127.0.0.1", "http")
    finally:
        server.stop()


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_sigterm_finishes_in_flight_requests(variant: str, tmp_path: Path) -> None:
    server = Served(variant, tmp_path)
    try:
        token = uuid.uuid4().hex
        result: list[t.Any] = []

        def slow() -> None:
            try:
                status, _, body = server.get(f"/slow?token={token}&s=0.5")
                result.append((status, body))
            except OSError as e:
                result.append(e)

        thread = threading.Thread(target=slow)
        thread.start()
        assert server.wait_for(f"started-{token}")
        server.proc.send_signal(signal.SIGTERM)
        thread.join(10)
        assert result == [(200, b"finished")]
        assert server.proc.wait(timeout=15) == 0
    finally:
        server.stop()


def test_max_requests_restarts_workers(tmp_path: Path) -> None:
    server = Served("gunicorn-sync", tmp_path, "--workers", "1", "--max-requests", "2")
    try:
        pids = set()
        for _ in range(6):
            status, _, body = server.get("/pid")
            assert status == 200
            pids.add(body)
        assert len(pids) >= 2, "the worker was never recycled"
    finally:
        server.stop()


# -- the command without a server ------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo what invoking the CLI in-process sets (``ERLEN_RUN_FROM_CLI``)."""
    for name in ("ERLEN_RUN_FROM_CLI", "ERLEN_TRUSTED_PROXIES"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


def test_pick_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(production, "installed_servers", lambda: ["gunicorn"])
    assert production.pick_server(None) == "gunicorn"
    with pytest.raises(production.ServeError, match="granian is not installed"):
        production.pick_server("granian")
    monkeypatch.setattr(production, "installed_servers", lambda: [])
    with pytest.raises(production.ServeError, match=r"pip install 'erlen\[serve\]'"):
        production.pick_server(None)


def test_no_server_installed_is_one_line(
    monkeypatch: pytest.MonkeyPatch, cli_env: None
) -> None:
    monkeypatch.setattr(production, "installed_servers", lambda: [])
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 2
    assert "No production server is installed" in result.output
    assert "Traceback" not in result.output


def test_bad_forwarded_allow_ips() -> None:
    assert production.parse_allow_ips("10.0.0.0/8, ::1,*") == ("10.0.0.0/8", "::1", "*")
    assert production.parse_allow_ips("") == ()
    with pytest.raises(production.ServeError, match="not an IP address"):
        production.parse_allow_ips("127.0.0.1,nginx")


def test_granian_has_no_max_requests(
    monkeypatch: pytest.MonkeyPatch, cli_env: None
) -> None:
    monkeypatch.setattr(production, "installed_servers", lambda: ["granian"])
    result = CliRunner().invoke(cli, ["serve", "--max-requests", "100"])
    assert result.exit_code == 2
    assert "by age, not by request count" in result.output


def test_gunicorn_settings() -> None:
    options = production.ServeOptions(
        server="gunicorn", host="::1", port=9000, workers=3, threads=4,
        max_requests=1000, forwarded_allow_ips=("10.0.0.1", "10.1.0.0/16"),
    )  # fmt: skip
    settings = production._gunicorn_settings(options)
    assert settings["bind"] == ["[::1]:9000"]
    assert settings["worker_class"] == "gthread"
    assert settings["max_requests"] == 1000
    assert settings["max_requests_jitter"] == 100
    assert settings["forwarded_allow_ips"] == "10.0.0.1,10.1.0.0/16"
    assert options.url == "http://[::1]:9000/"
    sync = production.ServeOptions(server="gunicorn")
    assert production._gunicorn_settings(sync)["worker_class"] == "sync"
    assert production._gunicorn_settings(sync)["accesslog"] is None
    assert production._gunicorn_settings(sync)["forwarded_allow_ips"] == ""
    assert settings["limit_request_line"] == production.GUNICORN_REQUEST_LINE


def test_gunicorn_heartbeat_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    options = production.ServeOptions(server="gunicorn")
    expected = "/dev/shm" if os.access("/dev/shm", os.W_OK | os.X_OK) else None
    assert production._gunicorn_settings(options)["worker_tmp_dir"] == expected
    real_isdir = os.path.isdir
    monkeypatch.setattr(os.path, "isdir", lambda p: p != "/dev/shm" and real_isdir(p))
    # Without /dev/shm, gunicorn's own default: the system temp folder.
    assert production._gunicorn_settings(options)["worker_tmp_dir"] is None


def test_serve_is_listed(cli_env: None) -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert "serve" in result.output
    assert isinstance(cli.commands["serve"], click.Command)
