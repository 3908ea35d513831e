"""The request body as a safe stream: never past Content-Length, never past the limit.

``wsgi.input`` is the raw socket: reading past the declared length blocks or reads
the next request, and a chunked body has no length at all. ``get_input_stream``
turns it into a stream that stops where the body stops and refuses what is too big.
"""

from __future__ import annotations

import io
import typing as t
from collections.abc import Iterator
from collections.abc import Mapping

from .exceptions import BadRequest
from .exceptions import ClientDisconnected
from .exceptions import RequestEntityTooLarge

_CHUNK = 64 * 1024


def _readlines(readline: t.Callable[[], bytes], hint: int) -> list[bytes]:
    lines: list[bytes] = []
    total = 0
    while True:
        line = readline()
        if not line:
            return lines
        lines.append(line)
        total += len(line)
        if 0 < hint <= total:
            return lines


class LimitedStream:
    """Read-only file-like that yields at most ``limit`` bytes of ``stream``.

    If the client sends less than ``limit`` (it promised a Content-Length and
    closed), reading raises :exc:`ClientDisconnected`, a 400, instead of handing a
    truncated body to the view.
    """

    __slots__ = ("_stream", "limit", "_pos")

    def __init__(self, stream: t.Any, limit: int) -> None:
        self._stream = stream
        self.limit = limit
        self._pos = 0

    @property
    def exhausted(self) -> bool:
        """True once ``limit`` bytes were read."""
        return self._pos >= self.limit

    def tell(self) -> int:
        return self._pos

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def writable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return False

    def close(self) -> None:
        """Does nothing: the server owns ``wsgi.input``."""

    def _check(self, data: bytes, wanted: int) -> bytes:
        if not data and wanted:
            raise ClientDisconnected(
                "The client sent less data than its Content-Length announced."
            )
        self._pos += len(data)
        return data

    def read(self, size: int | None = -1) -> bytes:
        remaining = self.limit - self._pos
        if remaining <= 0:
            return b""
        if size is None or size < 0:
            chunks = []
            while remaining > 0:
                chunk = self._check(
                    self._stream.read(min(remaining, _CHUNK)), remaining
                )
                chunks.append(chunk)
                remaining -= len(chunk)
            return b"".join(chunks)
        size = min(size, remaining)
        return self._check(self._stream.read(size), size)

    def readline(self, size: int | None = -1) -> bytes:
        remaining = self.limit - self._pos
        if remaining <= 0:
            return b""
        if size is None or size < 0 or size > remaining:
            size = remaining
        return self._check(self._stream.readline(size), size)

    def readlines(self, hint: int = -1) -> list[bytes]:
        return _readlines(self.readline, hint)

    def __iter__(self) -> Iterator[bytes]:
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def __enter__(self) -> LimitedStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._pos}/{self.limit}>"


class CappedStream:
    """A stream of unknown length (chunked) that fails once it passes ``limit``.

    The 413 is raised by the read that crosses the limit, so nothing past it is
    ever buffered.
    """

    __slots__ = ("_stream", "limit", "_pos")

    def __init__(self, stream: t.Any, limit: int) -> None:
        self._stream = stream
        self.limit = limit
        self._pos = 0

    def tell(self) -> int:
        return self._pos

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def writable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return False

    def close(self) -> None:
        """Does nothing: the server owns ``wsgi.input``."""

    def _count(self, data: bytes) -> bytes:
        self._pos += len(data)
        if self._pos > self.limit:
            raise RequestEntityTooLarge(
                f"The request body is larger than {self.limit} bytes."
            )
        return data

    def read(self, size: int | None = -1) -> bytes:
        if size is not None and size >= 0:
            # Ask for one byte past the limit at most, to detect the overflow.
            size = min(size, self.limit - self._pos + 1)
            return self._count(self._stream.read(size)) if size > 0 else b""
        chunks: list[bytes] = []
        while True:
            chunk = self._count(
                self._stream.read(min(_CHUNK, self.limit - self._pos + 1))
            )
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)

    def readline(self, size: int | None = -1) -> bytes:
        cap = self.limit - self._pos + 1
        if size is None or size < 0 or size > cap:
            size = cap
        return self._count(self._stream.readline(size))

    def readlines(self, hint: int = -1) -> list[bytes]:
        return _readlines(self.readline, hint)

    def __iter__(self) -> Iterator[bytes]:
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._pos}/{self.limit}>"


def parse_content_length(value: str | None) -> int | None:
    """The CONTENT_LENGTH of an environ as an int, None when absent.

    Only ASCII digits are allowed: ``int()`` would also take ``+5``, ``1_0`` and
    non-ASCII digits, which a proxy in front may read differently.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 19:
        raise BadRequest("Invalid Content-Length header.")
    return int(value)


def get_input_stream(
    environ: Mapping[str, t.Any], max_content_length: int | None
) -> t.IO[bytes]:
    """Wrap ``wsgi.input`` so reading it is bounded by length and limit.

    - A declared Content-Length over ``max_content_length`` is a 413 before any
      byte is read; otherwise the stream ends at Content-Length (400 if short).
    - No Content-Length but ``wsgi.input_terminated`` (chunked): the stream reads
      to the end and raises 413 once it passes ``max_content_length``.
    - Neither: an empty stream, since reading would block on the socket.
    """
    length = parse_content_length(environ.get("CONTENT_LENGTH"))
    if length is not None:
        if max_content_length is not None and length > max_content_length:
            raise RequestEntityTooLarge(
                f"The request body is larger than {max_content_length} bytes."
            )
        if length == 0:
            return io.BytesIO()
        return t.cast(t.IO[bytes], LimitedStream(environ["wsgi.input"], length))
    if environ.get("wsgi.input_terminated"):
        stream = environ["wsgi.input"]
        if max_content_length is None:
            return t.cast(t.IO[bytes], stream)
        return t.cast(t.IO[bytes], CappedStream(stream, max_content_length))
    return io.BytesIO()
