"""The development server: threaded HTTP/1.1 for WSGI, on the standard library.

Keep-alive, chunked responses when the app gives no length, chunked request
bodies, ``Expect: 100-continue``, and time limits on reading, so one stuck
client holds one thread and never the server.  It is for development: it
says so when it starts, and louder when debug mode faces the network.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
import traceback
import typing as t
from email.utils import formatdate
from urllib.parse import unquote_to_bytes
from wsgiref.util import FileWrapper

import click

from .exceptions import BadRequest
from .exceptions import ClientDisconnected

if t.TYPE_CHECKING:
    from .app import Erlen

WSGIApp = t.Callable[[dict[str, t.Any], t.Callable[..., t.Any]], t.Iterable[bytes]]

MAX_LINE = 8192
MAX_HEADERS = 100
MAX_HEADER_BYTES = 65536
MAX_CHUNK_LINE = 1024
#: Bytes of an unread request body read and dropped to keep the connection.
MAX_DRAIN = 1 << 20
_TOKEN = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
_NO_BODY = frozenset((204, 304))


class _ClientError(Exception):
    """A malformed or over-limit request: answered with ``status`` and closed."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


class BadBody(BadRequest):
    """The request body broke off or its chunked framing is wrong.

    A 400 the app can handle like any other bad request, raised from
    ``wsgi.input``; the connection is closed after the response.
    """


class _Timeout(Exception):
    """The client was too slow sending the request head."""


class _Reader:
    """Buffered reads from the socket with a deadline for the request head.

    A socket timeout alone bounds each ``recv``, so a client trickling one
    byte at a time could hold a header line open for ever; the deadline
    bounds the whole head.
    """

    __slots__ = ("sock", "buf", "timeout")

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.timeout = timeout

    def _fill(self, deadline: float | None) -> bool:
        if deadline is None:
            self.sock.settimeout(self.timeout)
        else:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Timeout
            self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            if deadline is None:
                raise TimeoutError("client too slow sending the body") from None
            raise _Timeout from None
        if not data:
            return False
        self.buf += data
        return True

    def readline(self, limit: int, deadline: float | None = None) -> bytes:
        """A line of at most ``limit`` bytes (longer lines come back cut)."""
        start = 0
        while True:
            i = self.buf.find(b"\n", start, limit)
            if i >= 0:
                end = i + 1
                break
            if len(self.buf) >= limit:
                end = limit
                break
            start = len(self.buf)
            if not self._fill(deadline):
                end = len(self.buf)
                break
        line = bytes(self.buf[:end])
        del self.buf[:end]
        return line

    def read(self, size: int) -> bytes:
        if not self.buf and not self._fill(None):
            return b""
        data = bytes(self.buf[:size])
        del self.buf[:size]
        return data


# -- request bodies ----------------------------------------------------------------


class _Input:
    """``wsgi.input``: never reads past the body, whatever the app asks for."""

    def __init__(self, rfile: _Reader, continue_hook: t.Callable[[], None] | None):
        self._rfile = rfile
        self._continue = continue_hook
        self.done = False
        #: Set when the body broke off or was malformed: the connection must end.
        self.broken = False

    def _start(self) -> None:
        if self._continue is not None:
            hook, self._continue = self._continue, None
            hook()

    def _read(self, size: int) -> bytes:  # pragma: no cover - overridden
        raise NotImplementedError

    def _guarded(self, size: int) -> bytes:
        if self.broken:
            raise BadBody("The request body is unusable after an earlier error.")
        try:
            return self._read(size)
        except (BadRequest, OSError):
            self.broken = True
            raise

    def read(self, size: int | None = -1) -> bytes:
        self._start()
        if size is None or size < 0:
            parts: list[bytes] = []
            while True:
                part = self._guarded(65536)
                if not part:
                    return b"".join(parts)
                parts.append(part)
        return self._guarded(size) if size else b""

    def readline(self, size: int | None = -1) -> bytes:
        self._start()
        limit = size if size is not None and size >= 0 else 1 << 62
        line = bytearray()
        while len(line) < limit:
            byte = self._guarded(1)
            if not byte:
                break
            line += byte
            if byte == b"\n":
                break
        return bytes(line)

    def readlines(self, hint: int = -1) -> list[bytes]:
        lines: list[bytes] = []
        total = 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                return lines

    def __iter__(self) -> t.Iterator[bytes]:
        return iter(self.readline, b"")

    def drain(self, limit: int) -> bool:
        """Read what the app left; False when more than ``limit`` bytes remain."""
        if self.done:
            return True
        if self.broken or self._continue is not None:
            # The client waits for "100 Continue" that never came: it has sent
            # no body, and closing is the only safe answer.
            return False
        total = 0
        while total <= limit:
            part = self._guarded(65536)
            if not part:
                return True
            total += len(part)
        return False


class _LengthInput(_Input):
    def __init__(
        self, rfile: _Reader, length: int, hook: t.Callable[[], None] | None
    ) -> None:
        super().__init__(rfile, hook)
        self._left = length
        self.done = length == 0

    def _read(self, size: int) -> bytes:
        if self._left <= 0:
            return b""
        data = self._rfile.read(min(size, self._left))
        if not data:
            raise ClientDisconnected()
        self._left -= len(data)
        if self._left == 0:
            self.done = True
        return data


class _ChunkedInput(_Input):
    """A decoded ``Transfer-Encoding: chunked`` body (``wsgi.input_terminated``)."""

    def __init__(self, rfile: _Reader, hook: t.Callable[[], None] | None) -> None:
        super().__init__(rfile, hook)
        self._left = 0

    def _next_chunk(self) -> None:
        line = self._rfile.readline(MAX_CHUNK_LINE)
        if not line.endswith(b"\n"):
            raise BadBody("Malformed chunk size line.")
        size_text = line.split(b";", 1)[0].strip()
        if not size_text or any(c not in b"0123456789abcdefABCDEF" for c in size_text):
            raise BadBody("Malformed chunk size.")
        self._left = int(size_text, 16)
        if self._left == 0:
            for _ in range(MAX_HEADERS):  # trailers, ignored
                line = self._rfile.readline(MAX_LINE)
                if line in (b"\r\n", b"\n", b""):
                    break
            else:
                raise BadBody("Too many trailer fields.")
            self.done = True

    def _read(self, size: int) -> bytes:
        if self.done:
            return b""
        if self._left == 0:
            self._next_chunk()
            if self.done:
                return b""
        data = self._rfile.read(min(size, self._left))
        if not data:
            raise ClientDisconnected()
        self._left -= len(data)
        if self._left == 0 and self._rfile.readline(3) not in (b"\r\n", b"\n"):
            raise BadBody("A chunk is not followed by CRLF.")
        return data


# -- the connection handler --------------------------------------------------------


class RequestHandler(socketserver.BaseRequestHandler):
    """One connection: requests one after another while keep-alive allows."""

    server: DevServer
    request: socket.socket

    def setup(self) -> None:
        self.remote = self.client_address
        self.connection = self.request
        self.reader = _Reader(self.request, self.server.body_timeout)
        self._served = False
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def handle(self) -> None:
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.settimeout(self.server.header_timeout)
                self.connection.do_handshake()
            except (OSError, ssl.SSLError):
                return
        while self._handle_one():
            pass

    def send(self, data: bytes) -> None:
        self.connection.settimeout(self.server.body_timeout)
        self.connection.sendall(data)

    # -- reading the request head --

    def _read_line(self, deadline: float) -> bytes:
        line = self.reader.readline(MAX_LINE + 1, deadline)
        if len(line) > MAX_LINE:
            raise _ClientError("431 Request Header Fields Too Large", "line too long")
        return line

    def _read_head(
        self, first: bool
    ) -> tuple[str, str, str, list[tuple[str, str]]] | None:
        server = self.server
        idle = server.header_timeout if first else server.keep_alive_timeout
        # Waiting for the next request on a kept-alive connection may end
        # quietly; once bytes arrive, the header timeout applies.
        line = self._read_line(time.monotonic() + idle)
        if line in (b"\r\n", b"\n"):
            line = self._read_line(time.monotonic() + idle)
        if not line:
            return None
        deadline = time.monotonic() + server.header_timeout
        try:
            text = line.decode("latin-1").rstrip("\r\n")
            method, target, version = text.split(" ")
        except ValueError:
            raise _ClientError("400 Bad Request", "malformed request line")
        if not method or not set(method) <= _TOKEN:
            raise _ClientError("400 Bad Request", "bad method")
        if version not in ("HTTP/1.1", "HTTP/1.0"):
            if version.startswith("HTTP/"):
                raise _ClientError("505 HTTP Version Not Supported", version)
            raise _ClientError("400 Bad Request", "bad HTTP version")
        headers: list[tuple[str, str]] = []
        total = 0
        while True:
            raw = self._read_line(deadline)
            if raw in (b"\r\n", b"\n"):
                break
            if not raw:
                raise ConnectionError("client closed the connection in the head")
            total += len(raw)
            if len(headers) >= MAX_HEADERS or total > MAX_HEADER_BYTES:
                raise _ClientError(
                    "431 Request Header Fields Too Large", "too many header bytes"
                )
            if raw[:1] in (b" ", b"\t"):
                raise _ClientError("400 Bad Request", "obsolete header folding")
            name, sep, value = raw.decode("latin-1").partition(":")
            if not sep or not name or not set(name) <= _TOKEN:
                raise _ClientError("400 Bad Request", "malformed header")
            value = value.strip(" \t\r\n")
            if "\0" in value or "\r" in value or "\n" in value:
                raise _ClientError("400 Bad Request", "control character in header")
            headers.append((name, value))
        return method, target, version, headers

    # -- one request --

    def _handle_one(self) -> bool:
        first = not self._served
        self._served = True
        try:
            head = self._read_head(first)
        except _Timeout:
            if first:
                self._send_error("408 Request Timeout", "request head too slow")
            return False
        except _ClientError as e:
            self._send_error(e.status, str(e))
            return False
        except (ConnectionError, OSError):
            return False
        if head is None:
            return False
        method, target, version, headers = head
        try:
            environ = self._make_environ(method, target, version, headers)
        except _ClientError as e:
            self._send_error(e.status, str(e))
            return False
        return self._run_app(environ, method, version)

    def _make_environ(
        self, method: str, target: str, version: str, headers: list[tuple[str, str]]
    ) -> dict[str, t.Any]:
        server = self.server
        scheme = "https" if server.ssl_context is not None else "http"
        if target.startswith(("http://", "https://")):
            # absolute-form: the host part of the target wins over Host
            rest = target.split("://", 1)[1]
            host, slash, path = rest.partition("/")
            headers = [h for h in headers if h[0].lower() != "host"] + [("Host", host)]
            target = slash + path
        if not target.startswith("/") and not (target == "*" and method == "OPTIONS"):
            raise _ClientError("400 Bad Request", "bad request target")
        path, _, query = target.partition("?")
        environ: dict[str, t.Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
            "REQUEST_URI": target,
            "RAW_URI": target,
            "SERVER_NAME": server.server_name,
            "SERVER_PORT": str(server.server_port),
            "SERVER_PROTOCOL": version,
            "SERVER_SOFTWARE": server.software,
            "REMOTE_ADDR": str(self.remote[0]) if self.remote else "",
            "REMOTE_PORT": str(self.remote[1]) if self.remote else "",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scheme,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": server.threaded,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
            "wsgi.file_wrapper": FileWrapper,
        }
        length: str | None = None
        chunked = False
        expect_continue = False
        for name, value in headers:
            key = name.upper().replace("-", "_")
            if "_" in name:
                # "X_Forwarded" would alias "X-Forwarded" in the environ.
                continue
            if key == "CONTENT_LENGTH":
                if length is not None and length != value:
                    raise _ClientError("400 Bad Request", "conflicting Content-Length")
                length = value
                continue
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
                continue
            if key == "TRANSFER_ENCODING":
                codings = [c.strip().lower() for c in value.split(",")]
                if codings != ["chunked"]:
                    raise _ClientError("501 Not Implemented", "transfer coding")
                chunked = True
            elif key == "EXPECT" and value.lower() == "100-continue":
                expect_continue = version == "HTTP/1.1"
            key = "HTTP_" + key
            if key in environ:
                sep = "; " if key == "HTTP_COOKIE" else ","
                environ[key] += sep + value
            else:
                environ[key] = value
        self._attach_input(environ, length, chunked, expect_continue)
        return environ

    def _attach_input(
        self, environ: dict[str, t.Any], length: str | None, chunked: bool, expect: bool
    ) -> None:
        hook = self._send_continue if expect else None
        if chunked:
            if length is not None:
                raise _ClientError("400 Bad Request", "both Content-Length and chunked")
            environ["wsgi.input"] = _ChunkedInput(self.reader, hook)
        elif length is not None:
            if not length.isdigit() or len(length) > 18:
                raise _ClientError("400 Bad Request", "bad Content-Length")
            environ["CONTENT_LENGTH"] = length
            environ["wsgi.input"] = _LengthInput(self.reader, int(length), hook)
        else:
            environ["wsgi.input"] = _LengthInput(self.reader, 0, None)

    def _send_continue(self) -> None:
        self.send(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _send_error(self, status: str, reason: str) -> None:
        body = f"{status}\n".encode()
        head = (
            f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        try:
            self.send(head.encode("latin-1") + body)
        except OSError:
            pass
        self.server.log_request(self.remote, f"<{reason}>", status.split()[0], "-")

    # -- the response --

    def _run_app(self, environ: dict[str, t.Any], method: str, version: str) -> bool:
        state = _Response(self, environ, method, version)
        app_iter: t.Iterable[bytes] | None = None
        try:
            app_iter = self.server.app(environ, state.start_response)
            state.write_body(app_iter)
        except (ConnectionError, TimeoutError):
            state.keep_alive = False
        except (BadBody, ClientDisconnected) as e:
            # Found while the app read the body, and the app did not handle it.
            state.keep_alive = False
            if not state.headers_sent:
                self._send_error("400 Bad Request", str(e.description))
                return False
        except Exception:
            state.keep_alive = False
            traceback.print_exc()
            if not state.headers_sent:
                state.send_internal_error()
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    traceback.print_exc()
        self.server.log_request(
            self.remote,
            f"{method} {environ['REQUEST_URI']} {version}",
            state.status_code,
            str(state.sent) if state.sent else "-",
        )
        if not state.keep_alive:
            return False
        try:
            return environ["wsgi.input"].drain(MAX_DRAIN)  # type: ignore[no-any-return]
        except (BadRequest, OSError):
            return False


class _Response:
    """The per-request state of ``start_response`` and the body writer."""

    __slots__ = (
        "handler",
        "environ",
        "method",
        "version",
        "status",
        "headers",
        "headers_sent",
        "chunked",
        "length",
        "sent",
        "keep_alive",
    )

    def __init__(
        self,
        handler: RequestHandler,
        environ: dict[str, t.Any],
        method: str,
        version: str,
    ) -> None:
        self.handler = handler
        self.environ = environ
        self.method = method
        self.version = version
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.headers_sent = False
        self.chunked = False
        self.length: int | None = None
        self.sent = 0
        connection = environ.get("HTTP_CONNECTION", "").lower()
        if version == "HTTP/1.1":
            self.keep_alive = "close" not in connection
        else:
            self.keep_alive = "keep-alive" in connection

    @property
    def status_code(self) -> str:
        return self.status.split(" ", 1)[0] if self.status else "-"

    def start_response(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: t.Any = None,
    ) -> t.Callable[[bytes], None]:
        if exc_info:
            try:
                if self.headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("start_response called twice without exc_info")
        code = status.split(" ", 1)[0]
        if len(code) != 3 or not code.isdigit():
            raise ValueError(f"invalid status {status!r}")
        for name, value in headers:
            if not set(name) <= _TOKEN or any(c in value for c in "\r\n\0"):
                raise ValueError(f"invalid response header {name!r}")
        self.status = status
        self.headers = list(headers)
        return self.write

    def _head(self, body_hint: int | None) -> bytes:
        """The status line and headers; decides the framing of the body."""
        assert self.status is not None, "the app did not call start_response"
        code = int(self.status[:3])
        names = {name.lower() for name, _ in self.headers}
        lines = [f"HTTP/1.1 {self.status}\r\n"]
        if "date" not in names:
            lines.append(f"Date: {formatdate(usegmt=True)}\r\n")
        if "server" not in names:
            lines.append(f"Server: {self.handler.server.software}\r\n")
        no_body = code in _NO_BODY or code < 200 or self.method == "HEAD"
        for name, value in self.headers:
            lname = name.lower()
            if lname == "content-length":
                self.length = int(value)
            elif lname == "connection" and "close" in value.lower():
                self.keep_alive = False
                continue
            elif lname == "transfer-encoding":
                continue  # the server decides the framing
            lines.append(f"{name}: {value}\r\n")
        if self.length is None and not no_body:
            if body_hint is not None:
                self.length = body_hint
                lines.append(f"Content-Length: {body_hint}\r\n")
            elif self.version == "HTTP/1.1":
                self.chunked = True
                lines.append("Transfer-Encoding: chunked\r\n")
            else:
                self.keep_alive = False
        if self.keep_alive and (
            self.handler.server.shutting_down or self.environ["wsgi.input"].broken
        ):
            self.keep_alive = False
        if not self.keep_alive:
            lines.append("Connection: close\r\n")
        elif self.version == "HTTP/1.0":
            lines.append("Connection: keep-alive\r\n")
        lines.append("\r\n")
        self.headers_sent = True
        if no_body:
            self.length = 0
            self.chunked = False
        return "".join(lines).encode("latin-1")

    def write(self, data: bytes, body_hint: int | None = None) -> None:
        """Send ``data`` (the head first, in the same packet, if not yet sent)."""
        head = b"" if self.headers_sent else self._head(body_hint)
        if not data or self.length == 0 and not self.chunked:
            if head:
                self.handler.send(head)
            return
        if self.chunked:
            data = b"%x\r\n%s\r\n" % (len(data), data)
            self.sent += len(data)
        else:
            if self.length is not None and self.sent + len(data) > self.length:
                data = data[: self.length - self.sent]
                self.keep_alive = False  # the app sent more than it announced
            self.sent += len(data)
        self.handler.send(head + data)

    def write_body(self, app_iter: t.Iterable[bytes]) -> None:
        hint: int | None = None
        if isinstance(app_iter, (list, tuple)):
            # PERF: a body known in full gets a Content-Length, not chunks.
            hint = sum(len(x) for x in app_iter)
        for data in app_iter:
            if data:
                self.write(data, hint)
        if not self.headers_sent:
            self.write(b"", 0 if hint is None else hint)
        if self.chunked:
            self.handler.send(b"0\r\n\r\n")
        elif self.length is not None and self.sent < self.length:
            self.keep_alive = False  # the app sent less than it announced

    def send_internal_error(self) -> None:
        body = b"Internal Server Error\n"
        self.status = "500 INTERNAL SERVER ERROR"
        self.headers = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ]
        self.keep_alive = False
        self.length = None
        self.write(body)


# -- the server --------------------------------------------------------------------


class DevServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """A TCP server for one WSGI app; threaded unless ``threaded=False``."""

    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(
        self,
        host: str,
        port: int,
        app: WSGIApp,
        threaded: bool = True,
        fd: int | None = None,
        ssl_context: ssl.SSLContext | None = None,
        header_timeout: float = 30.0,
        keep_alive_timeout: float = 5.0,
        body_timeout: float = 60.0,
        quiet: bool = False,
    ) -> None:
        self.app = app
        self.threaded = threaded
        self.ssl_context = ssl_context
        self.header_timeout = header_timeout
        self.keep_alive_timeout = keep_alive_timeout
        self.body_timeout = body_timeout
        self.quiet = quiet
        self.shutting_down = False
        self.software = "erlen-dev"
        self.address_family = _family(host)
        if fd is not None:
            super().__init__((host, port), RequestHandler, bind_and_activate=False)
            self.socket.close()
            self.socket = socket.socket(fileno=fd)
            self.server_address = self.socket.getsockname()
        else:
            super().__init__((host, port), RequestHandler)
        self.server_name = socket.getfqdn(host) if host in ("", "0.0.0.0") else host
        self.server_port = self.server_address[1]

    def get_request(self) -> tuple[socket.socket, t.Any]:
        conn, addr = self.socket.accept()
        if self.ssl_context is not None:
            conn.settimeout(self.header_timeout)
            conn = self.ssl_context.wrap_socket(conn, server_side=True)
        return conn, addr

    def process_request(self, request: t.Any, client_address: t.Any) -> None:
        if self.threaded:
            super().process_request(request, client_address)
        else:
            self.finish_request(request, client_address)
            self.shutdown_request(request)

    def handle_error(self, request: t.Any, client_address: t.Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, ssl.SSLError)):
            return
        traceback.print_exc()

    def log_request(self, remote: t.Any, line: str, status: str, size: str) -> None:
        if self.quiet:
            return
        host = remote[0] if remote else "-"
        when = time.strftime("%d/%b/%Y %H:%M:%S")
        sys.stderr.write(f'{host} - - [{when}] "{line}" {status} {size}\n')

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return _url(scheme, self.server_address)


def _family(host: str) -> socket.AddressFamily:
    if host.startswith("unix://"):
        raise ValueError("unix sockets are not supported by the dev server")
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _load_ssl_context(ssl_context: t.Any) -> ssl.SSLContext | None:
    if ssl_context is None or isinstance(ssl_context, ssl.SSLContext):
        return ssl_context
    cert, key = ssl_context
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket the reloader hands down to each child process."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def show_server_banner(app: t.Any, debug: bool) -> None:
    """The lines ``erlen run`` prints before the server starts."""
    from .reloader import is_running_from_reloader

    if is_running_from_reloader():
        return
    name = getattr(app, "name", None)
    if name is not None:
        click.echo(f" * Serving Erlen app '{name}'")
    click.echo(f" * Debug mode: {'on' if debug else 'off'}")


def _print_urls(server_url: str, host: str, debug: bool) -> None:
    click.secho(
        "WARNING: This is a development server. Do not use it in production;"
        " use a production WSGI server (gunicorn, granian) instead.",
        fg="red",
        bold=True,
        err=True,
    )
    if host in ("0.0.0.0", "::", ""):
        click.echo(" * Running on all addresses")
    click.echo(f" * Running on {server_url}")
    if debug and not _is_loopback(host):
        click.secho(
            "\n" + "!" * 72 + "\n"
            " WARNING: DEBUG MODE ON A NON-LOOPBACK ADDRESS.\n"
            " Anyone who can reach this address sees tracebacks and source code.\n"
            " Never do this on a network you do not control.\n" + "!" * 72 + "\n",
            fg="red",
            bold=True,
            err=True,
        )
    click.echo("Press CTRL+C to quit")


def run_simple(
    hostname: str,
    port: int,
    application: WSGIApp | None,
    use_reloader: bool = False,
    use_debugger: bool = False,
    use_evalex: bool = False,
    extra_files: t.Iterable[str] | None = None,
    exclude_patterns: t.Iterable[str] | None = None,
    reloader_interval: float = 1,
    reloader_type: str = "auto",
    threaded: bool = True,
    processes: int = 1,
    request_handler: t.Any = None,
    static_files: t.Any = None,
    passthrough_errors: bool = False,
    ssl_context: t.Any = None,
    header_timeout: float = 30.0,
    quiet: bool = False,
) -> None:
    """Serve ``application`` until Ctrl-C (Werkzeug's signature).

    With ``use_reloader`` this process only watches files and runs the server
    in a child process that it restarts on change; the listening socket is
    made here and inherited, so the port stays the same across restarts.
    ``use_debugger`` only sets the debug flag of an erlen app: the debug page
    never executes code.
    """
    from . import reloader

    if processes != 1:
        raise ValueError("the development server runs a single process")
    if use_debugger and application is not None and hasattr(application, "debug"):
        application.debug = True
    context = _load_ssl_context(ssl_context)
    scheme = "https" if context is not None else "http"
    if use_reloader and not reloader.is_running_from_reloader():
        # Bind here and hand the socket down, so the port (even port 0) stays
        # the same across restarts and no request is refused mid-restart.
        # Windows cannot pass sockets to children: there each child binds.
        sock = bind_socket(hostname, port) if os.name != "nt" else None
        try:
            if sock is not None:
                _print_urls(_url(scheme, sock.getsockname()), hostname, use_debugger)
                os.environ[reloader.SERVER_FD_ENV] = str(sock.fileno())
            code = reloader.run_with_reloader(
                extra_files=extra_files,
                exclude_patterns=exclude_patterns,
                interval=reloader_interval,
                reloader_type=reloader_type,
                pass_fds=(sock.fileno(),) if sock is not None else (),
            )
        finally:
            if sock is not None:
                sock.close()
        sys.exit(code)
    if application is None:
        raise TypeError("run_simple needs an application")
    fd = os.environ.get(reloader.SERVER_FD_ENV) if use_reloader else None
    try:
        server = DevServer(
            hostname,
            port,
            application,
            threaded=threaded,
            fd=int(fd) if fd else None,
            ssl_context=context,
            header_timeout=header_timeout,
            quiet=quiet,
        )
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            click.secho(
                f"Address {hostname}:{port} is already in use; pass another --port.",
                fg="red",
                err=True,
            )
            sys.exit(1)
        raise
    if fd is None:
        _print_urls(server.url, hostname, use_debugger)
    else:
        reloader.watch_parent()
    _serve_until_interrupted(server)


def _url(scheme: str, address: t.Any) -> str:
    host, port = str(address[0]), address[1]
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def _serve_until_interrupted(server: DevServer) -> None:
    """Serve until SIGINT/SIGTERM, then close the socket and return quietly."""

    def stop(signum: int, frame: t.Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutting_down = True
        server.server_close()


#: Variables a CLI sets while it serves the app; ``app.run()`` then does
#: nothing.  Compat mode adds ``FLASK_RUN_FROM_CLI`` (set by erlen-flask).
RUN_FROM_CLI_VARIABLES: tuple[str, ...] = ("ERLEN_RUN_FROM_CLI",)


def run_app(
    app: Erlen,
    host: str | None = None,
    port: int | None = None,
    debug: bool | None = None,
    load_dotenv: bool = True,
    **options: t.Any,
) -> None:
    """``app.run()``: the dev server, configured like Flask's.

    Inside ``erlen run`` it does nothing (the CLI already serves the app);
    ``SERVER_NAME`` supplies host and port when they are not given.
    """
    if any(os.environ.get(name) == "true" for name in RUN_FROM_CLI_VARIABLES):
        from .reloader import is_running_from_reloader

        if not is_running_from_reloader():
            click.secho(
                " * Ignoring a call to 'app.run()' that would block the"
                " current 'erlen' CLI command; only call 'app.run()' in an"
                " 'if __name__ == \"__main__\"' guard.",
                fg="red",
            )
        return
    if load_dotenv:
        from .cli import load_dotenv as _load

        _load()
        from .helpers import get_debug_flag

        if "ERLEN_DEBUG" in os.environ:
            app.debug = get_debug_flag()
    if debug is not None:
        app.debug = bool(debug)
    server_name = app.config.get("SERVER_NAME")
    sn_host = sn_port = None
    if server_name:
        sn_host, _, sn_port = server_name.partition(":")
    host = host or sn_host or "127.0.0.1"
    if port is None:
        port = int(sn_port) if sn_port else int(os.environ.get("PORT") or 5000)
    options.setdefault("use_reloader", app.debug)
    options.setdefault("use_debugger", app.debug)
    options.setdefault("threaded", True)
    show_server_banner(app, app.debug)
    run_simple(host, port, app, **options)
