"""Query strings and form bodies, parsed with every limit checked while reading.

A form is client input of any size and shape, so each parser here counts as it
goes: fields, parts and bytes held in memory. A breached limit is a 413; a body
that is not what its Content-Type says (no boundary, truncated parts, headers that
never end) is a 400 with a short reason. The view never sees a silently empty or
half-parsed form.
"""

from __future__ import annotations

import typing as t
from tempfile import SpooledTemporaryFile
from urllib.parse import unquote_to_bytes

from multipart import MultipartError
from multipart import MultipartSegment
from multipart import PushMultipartParser
from multipart import parse_options_header as _parse_options_header

from .datastructures import FileStorage
from .datastructures import Headers
from .datastructures import ImmutableMultiDict
from .exceptions import BadRequest
from .exceptions import RequestEntityTooLarge

_CHUNK = 64 * 1024
_EMPTY: ImmutableMultiDict[str, t.Any] = ImmutableMultiDict()

HTTPError = BadRequest | RequestEntityTooLarge
FormResult = tuple[ImmutableMultiDict[str, str], ImmutableMultiDict[str, FileStorage]]


def _unquote(part: str) -> str:
    """Decode one ``%XX``/``+`` encoded WSGI str (latin-1 code points = raw bytes)."""
    try:
        raw = part.encode("latin-1")
    except UnicodeEncodeError:
        # Not a WSGI str: a test or a server already decoded it as text.
        raw = part.encode("utf-8", "surrogateescape")
    if b"+" in raw:
        raw = raw.replace(b"+", b" ")
    if b"%" in raw:
        raw = unquote_to_bytes(raw)
    return raw.decode("utf-8", "replace")


def _count_fields(pairs: list[str]) -> int:
    return sum(1 for pair in pairs if pair)


def _parse_pairs(
    text: str, max_fields: int | None, too_many: type[HTTPError], message: str
) -> ImmutableMultiDict[str, str]:
    pairs = text.split("&")
    if max_fields is not None and len(pairs) > max_fields:
        if _count_fields(pairs) > max_fields:
            raise too_many(message)
    data: dict[str, list[str]] = {}
    # PERF: the common query is short ASCII with no escapes; skip decoding then.
    plain = text.isascii() and "%" not in text and "+" not in text
    for pair in pairs:
        if not pair:
            continue
        key, _, value = pair.partition("=")
        if not plain:
            key = _unquote(key)
            value = _unquote(value)
        lst = data.get(key)
        if lst is None:
            data[key] = [value]
        else:
            lst.append(value)
    return ImmutableMultiDict._from_lists(data)


def parse_query_string(
    qs: str, max_fields: int | None = 1000
) -> ImmutableMultiDict[str, str]:
    """Parse a WSGI ``QUERY_STRING`` for ``request.args``.

    Keys and values are percent- and ``+``-decoded as UTF-8; invalid bytes become
    U+FFFD. Blank values are kept (``?a=&b`` gives ``a=""`` and ``b=""``). More
    than ``max_fields`` fields is a 400.
    """
    if not qs:
        return _EMPTY
    return _parse_pairs(qs, max_fields, BadRequest, "Too many query fields.")


def parse_form_data(
    stream: t.IO[bytes],
    content_type_header: str | None,
    content_length: int | None,
    *,
    max_form_memory_size: int | None = 500_000,
    max_form_parts: int | None = 1000,
    max_fields: int | None = 1000,
    spool_size: int = 500_000,
) -> FormResult:
    """Parse a request body into ``(form, files)``.

    ``stream`` should already stop at the body's end (``get_input_stream``).
    Handles ``application/x-www-form-urlencoded`` and ``multipart/form-data``;
    any other type gives two empty dicts and leaves the body unread. Uploaded files
    spool to memory up to ``spool_size`` bytes each, then to a temporary file;
    close them (``FileStorage.close``) when the request ends.
    """
    mimetype, options = _parse_options_header(content_type_header or "")
    if mimetype == "application/x-www-form-urlencoded":
        return _parse_urlencoded(
            stream, content_length, max_form_memory_size, max_fields
        ), _EMPTY
    if mimetype == "multipart/form-data":
        parser = _MultipartReader(
            max_form_memory_size, max_form_parts, max_fields, spool_size
        )
        return parser.parse(stream, options.get("boundary"), content_length)
    return _EMPTY, _EMPTY


def _too_large(limit: int) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(
        f"The form data is larger than the limit of {limit} bytes."
    )


def _parse_urlencoded(
    stream: t.IO[bytes],
    content_length: int | None,
    max_size: int | None,
    max_fields: int | None,
) -> ImmutableMultiDict[str, str]:
    if (
        content_length is not None
        and max_size is not None
        and content_length > max_size
    ):
        raise _too_large(max_size)
    chunks = []
    total = 0
    while True:
        size = _CHUNK
        if content_length is not None:
            size = min(size, content_length - total)
            if size <= 0:
                break
        chunk = stream.read(size)
        if not chunk:
            break
        total += len(chunk)
        if max_size is not None and total > max_size:
            raise _too_large(max_size)
        chunks.append(chunk)
    if not total:
        return _EMPTY
    # latin-1 maps each byte to one code point, as WSGI does for QUERY_STRING.
    text = b"".join(chunks).decode("latin-1")
    return _parse_pairs(
        text, max_fields, RequestEntityTooLarge, "Too many form fields."
    )


def _is_valid_boundary(boundary: str) -> bool:
    # RFC 2046 allows 1-70 chars; accept up to 200 printable ASCII like most
    # frameworks, but never control characters or a trailing space.
    return (
        0 < len(boundary) <= 200
        and boundary.isascii()
        and boundary.isprintable()
        and not boundary.endswith(" ")
    )


def _decode_field(data: bytes, charset: str | None) -> str:
    if charset:
        try:
            return data.decode(charset, "replace")
        except LookupError:  # unknown, or not a text codec (rot13, base64 ...)
            pass
    return data.decode("utf-8", "replace")


class _MultipartReader:
    """Feeds a body to ``multipart.PushMultipartParser`` and applies our limits."""

    __slots__ = (
        "max_memory",
        "max_parts",
        "max_fields",
        "spool_size",
        "fields",
        "files",
        "opened",
    )

    def __init__(
        self,
        max_memory: int | None,
        max_parts: int | None,
        max_fields: int | None,
        spool_size: int,
    ) -> None:
        self.max_memory = max_memory
        self.max_parts = max_parts
        self.max_fields = max_fields
        self.spool_size = spool_size
        self.fields: dict[str, list[str]] = {}
        self.files: dict[str, list[FileStorage]] = {}
        self.opened: list[t.IO[bytes]] = []

    def parse(
        self,
        stream: t.IO[bytes],
        boundary: str | None,
        content_length: int | None,
    ) -> FormResult:
        if not boundary:
            raise BadRequest("Invalid multipart body: missing boundary.")
        if not _is_valid_boundary(boundary):
            raise BadRequest("Invalid multipart body: malformed boundary.")
        try:
            self._run(stream, boundary, content_length)
        except MultipartError as ex:
            self._close_all()
            reason = str(ex).rstrip(".") or type(ex).__name__
            if reason.startswith("Unexpected end of multipart stream"):
                reason = (
                    "the body ended before the closing boundary"
                    " (truncated, or not the boundary the Content-Type names)"
                )
            raise BadRequest(f"Invalid multipart body: {reason}.") from None
        except BaseException:
            self._close_all()
            raise
        return (
            ImmutableMultiDict._from_lists(self.fields) if self.fields else _EMPTY,
            ImmutableMultiDict._from_lists(self.files) if self.files else _EMPTY,
        )

    def _close_all(self) -> None:
        for spool in self.opened:
            spool.close()

    def _run(
        self, stream: t.IO[bytes], boundary: str, content_length: int | None
    ) -> None:
        parser = PushMultipartParser(
            boundary, -1 if content_length is None else content_length
        )
        remaining = -1 if content_length is None else content_length
        max_memory = self.max_memory
        parts = fields = memory = 0
        segment: MultipartSegment | None = None
        buffer: list[bytes] = []
        spool: t.IO[bytes] | None = None
        read = stream.read
        while not parser.closed:
            if remaining < 0:
                chunk = read(_CHUNK)
            elif remaining:
                chunk = read(min(_CHUNK, remaining))
                remaining -= len(chunk)
            else:
                chunk = b""  # tells the parser the body ended
            # The parser raises MultipartError on an early end or broken syntax.
            for event in parser.parse(chunk):
                if isinstance(event, MultipartSegment):
                    parts += 1
                    if self.max_parts is not None and parts > self.max_parts:
                        raise RequestEntityTooLarge(
                            f"Too many multipart parts (limit {self.max_parts})."
                        )
                    segment = event
                    if event.filename is None:
                        fields += 1
                        if self.max_fields is not None and fields > self.max_fields:
                            raise RequestEntityTooLarge("Too many form fields.")
                        buffer = []
                        spool = None
                    else:
                        spool = t.cast(
                            t.IO[bytes], SpooledTemporaryFile(self.spool_size)
                        )
                        self.opened.append(spool)
                elif event is None:
                    assert segment is not None
                    self._finish(segment, buffer, spool)
                    segment = spool = None
                elif spool is not None:
                    spool.write(event)
                else:
                    memory += len(event)
                    if max_memory is not None and memory > max_memory:
                        raise _too_large(max_memory)
                    buffer.append(event)

    def _finish(
        self,
        segment: MultipartSegment,
        buffer: list[bytes],
        spool: t.IO[bytes] | None,
    ) -> None:
        name: str = segment.name or ""
        if spool is None:
            value = _decode_field(b"".join(buffer), segment.charset)
            self.fields.setdefault(name, []).append(value)
            return
        spool.seek(0)
        # Part headers come from the parser (already split on CRLF); they may
        # hold non-Latin-1 filenames, so skip the response-side validation.
        headers = Headers._trusted(list(segment.headerlist))
        file = FileStorage(
            stream=spool,
            filename=segment.filename,
            name=name,
            content_length=segment.bytes_received,
            headers=headers,
        )
        self.files.setdefault(name, []).append(file)
