"""Sending files: ``send_file``, ``send_from_directory`` and conditional answers.

A file body is a :class:`_FileBody` that reads fixed-size blocks between two
offsets, so a single ``Range`` only narrows those offsets and nothing is
buffered.  The whole file (or a tail of it) goes to the server's
``wsgi.file_wrapper`` when it offers one, which lets it use ``sendfile``.
Every path a client names passes :func:`safe_join` and a symlink check first;
any way out of the directory is a plain 404.
"""

from __future__ import annotations

import functools
import io
import mimetypes
import os
import posixpath
import re
import stat
import typing as t
import zlib
from datetime import datetime
from time import time

from .exceptions import NotFound
from .exceptions import PreconditionFailed
from .exceptions import RequestedRangeNotSatisfiable
from .globals import _cv_context
from .http import content_disposition
from .http import http_date
from .http import is_precondition_failed
from .http import is_resource_modified
from .http import parse_date
from .http import parse_if_range_header
from .http import parse_range_header
from .http import quote_etag
from .response import Response

if t.TYPE_CHECKING:
    from .app import Erlen
    from .datastructures import Headers
    from .request import Request

__all__ = ["make_conditional", "safe_join", "send_file", "send_from_directory"]

#: Bytes read per block: large enough for throughput, small enough for memory.
BLOCK_SIZE = 64 * 1024

# "C:", "c:\\" ...: a drive would make the join absolute on Windows.
_DRIVE_RE = re.compile(r"^[A-Za-z]:")


class _FileBody:
    """A WSGI body reading ``file`` from ``start`` up to ``stop`` (exclusive).

    ``start`` None means "from where the file is now" (unseekable streams);
    ``stop`` None means "to the end".  The file is closed at the end of the
    data or by ``close()``, whichever comes first.
    """

    __slots__ = ("file", "start", "stop", "_pos")

    def __init__(self, file: t.IO[bytes], start: int | None, stop: int | None) -> None:
        self.file = file
        self.start = start
        self.stop = stop
        self._pos: int | None = None

    def __iter__(self) -> _FileBody:
        return self

    def __next__(self) -> bytes:
        pos = self._pos
        if pos is None:
            if self.start is not None:
                self.file.seek(self.start)
            pos = self.start or 0
        if self.stop is None:
            chunk = self.file.read(BLOCK_SIZE)
        else:
            want = min(BLOCK_SIZE, self.stop - pos)
            chunk = self.file.read(want) if want > 0 else b""
        if not chunk:
            # Close at the end, not only in close(): a server or test that
            # forgets close() then leaks nothing.
            self.file.close()
            raise StopIteration
        self._pos = pos + len(chunk)
        return chunk

    def close(self) -> None:
        self.file.close()


def safe_join(directory: str, *pathnames: str) -> str | None:
    """Join untrusted path segments below ``directory``, or None if unsafe.

    Refused: NUL bytes, backslashes, absolute paths, drive letters and any
    ``..`` that climbs out after normalisation.  The result is not checked
    against symlinks; :func:`send_from_directory` does that.
    """
    if not directory:
        directory = "."
    parts = [directory]
    for name in pathnames:
        if "\x00" in name or "\\" in name:
            return None
        if name:
            name = posixpath.normpath(name)
        if (
            name.startswith("/")
            or name == ".."
            or name.startswith("../")
            or _DRIVE_RE.match(name)
            or os.path.isabs(name)
        ):
            return None
        parts.append(name)
    return posixpath.join(*parts)


def _current_app() -> Erlen | None:
    ctx = _cv_context.get(None)
    return None if ctx is None else ctx.app


def _current_environ() -> dict[str, t.Any]:
    ctx = _cv_context.get(None)
    request = getattr(ctx, "request", None)
    if request is None:
        raise RuntimeError(
            "send_file needs an active request (or pass environ=...) to"
            " answer conditional and range requests."
        )
    return t.cast("dict[str, t.Any]", request.environ)


@functools.lru_cache(maxsize=64)
def _real_dir(directory: str) -> str:
    """The resolved folder, cached: it is the same for every static request.

    A folder re-pointed later only makes the containment check stricter.
    """
    return os.path.realpath(directory)


def send_from_directory(
    directory: str | os.PathLike[str], path: str | os.PathLike[str], **kwargs: t.Any
) -> Response:
    """Send ``path`` from inside ``directory``; any escape is a 404.

    ``path`` usually comes from the URL.  A relative ``directory`` is relative
    to the app's root path.  A symlink is followed only if it resolves inside
    ``directory``.  Other keyword arguments go to :func:`send_file`.
    """
    directory = os.fspath(directory)
    joined = safe_join(directory, os.fspath(path))
    if joined is None:
        raise NotFound()
    app = _current_app()
    root = kwargs.pop("_root_path", None)
    if root is None:
        root = app.root_path if app is not None else os.getcwd()
    full = os.path.join(root, joined)
    base = _real_dir(os.path.join(root, directory))
    real = os.path.realpath(full)
    if not real.startswith(base.rstrip(os.sep) + os.sep) or not os.path.isfile(real):
        raise NotFound()
    # Open the resolved path (no second symlink walk); name it as asked.
    kwargs.setdefault("download_name", os.path.basename(full))
    try:
        return send_file(real, **kwargs)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        raise NotFound() from None  # removed or replaced since the check


def send_file(
    path_or_file: str | os.PathLike[str] | t.IO[bytes],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: int | t.Callable[[str | None], int | None] | None = None,
    *,
    environ: dict[str, t.Any] | None = None,
) -> Response:
    """Send a file (a path, or a binary file object) as the response.

    The MIME type is guessed from ``download_name`` (or the path) unless
    given; ``Content-Disposition`` carries the name, RFC 6266-encoded, as
    ``attachment`` or ``inline``.  With ``conditional`` the answer honours
    If-None-Match / If-Modified-Since (304), If-Match / If-Unmodified-Since
    (412) and a single byte ``Range`` (206, or 416 when unsatisfiable).
    ``etag`` True derives a tag from the file's mtime, size and path; a string
    is used as the tag.  ``max_age`` (seconds, or a function of the path)
    defaults to the app's ``get_send_file_max_age``.  A relative path is
    relative to the app's root path.
    """
    app = _current_app()
    if environ is None:
        environ = _current_environ()
    response_class: type[Response] = Response
    use_x_sendfile = False
    root: str | None = None
    if app is not None:
        response_class = app.response_class
        use_x_sendfile = bool(app.config["USE_X_SENDFILE"])
        root = app.root_path
        if max_age is None:
            max_age = app.get_send_file_max_age

    path, file, size, mtime, base = _source(path_or_file, root)
    if download_name is None and path is not None:
        download_name = os.path.basename(path)
    mimetype, encoding = _guess_type(mimetype, download_name)

    rv = response_class(None, mimetype=mimetype, direct_passthrough=True)
    headers = rv.headers
    if download_name is not None:
        disposition = "attachment" if as_attachment else "inline"
        headers.set(
            "Content-Disposition", content_disposition(disposition, download_name)
        )
    if encoding is not None and not as_attachment:
        headers.set("Content-Encoding", encoding)

    if size is not None:
        headers.set("Content-Length", str(size))
    if callable(max_age):
        max_age = max_age(path)
    _set_cache_control(headers, max_age)
    _set_validators(headers, etag, last_modified, path, mtime, size)

    sendfile_header = use_x_sendfile and path is not None
    if path is not None and sendfile_header:
        # The front server reads the file (and handles Range itself).
        headers.set("X-Sendfile", os.fsencode(path).decode("latin-1"))
    else:
        if file is None:
            file = open(t.cast(str, path), "rb")  # closed by the body
        stop = None if size is None or base is None else base + size
        rv.response = t.cast(t.Any, _FileBody(file, base, stop))
    if conditional:
        rv = make_conditional(
            rv, environ, accept_ranges=not sendfile_header, complete_length=size
        )
    if not sendfile_header:
        _use_file_wrapper(rv, environ, base, size)
    return rv


def _source(
    path_or_file: str | os.PathLike[str] | t.IO[bytes], root: str | None
) -> tuple[str | None, t.IO[bytes] | None, int | None, float | None, int | None]:
    """``(path, file, size, mtime, start offset)`` of what is to be sent."""
    if isinstance(path_or_file, (str, os.PathLike)):
        path = os.fspath(path_or_file)
        if root is not None:
            path = os.path.join(root, path)
        st = os.stat(path)
        return path, None, st.st_size, st.st_mtime, 0
    if isinstance(path_or_file, io.TextIOBase):
        raise ValueError("Files must be opened in binary mode.")
    size, base = _measure(path_or_file)
    return None, path_or_file, size, None, base


def _guess_type(
    mimetype: str | None, download_name: str | None
) -> tuple[str, str | None]:
    """The MIME type (given, or guessed from the name) and a guessed encoding."""
    if mimetype is not None:
        return mimetype, None
    if download_name is None:
        raise TypeError(
            "Unable to detect the MIME type because a file name is not"
            " available. Either set 'download_name', pass a path instead"
            " of a file, or set 'mimetype'."
        )
    guessed, encoding = mimetypes.guess_type(download_name)
    return guessed or "application/octet-stream", encoding


def _set_validators(
    headers: Headers,
    etag: bool | str,
    last_modified: datetime | int | float | None,
    path: str | None,
    mtime: float | None,
    size: int | None,
) -> None:
    """``Last-Modified`` and ``ETag``; the default tag is mtime-size-crc(path)."""
    if last_modified is None:
        last_modified = mtime
    if last_modified is not None:
        headers.set("Last-Modified", http_date(last_modified))
    if isinstance(etag, str):
        headers.set("ETag", quote_etag(etag))
    elif etag and path is not None and mtime is not None and size is not None:
        check = zlib.crc32(os.fsencode(path))
        headers.set("ETag", f'"{int(mtime * 1e6):x}-{size:x}-{check:08x}"')


def _set_cache_control(headers: Headers, max_age: int | None) -> None:
    if max_age is None:
        headers.set("Cache-Control", "no-cache")
        return
    max_age = int(max_age)
    if max_age > 0:
        headers.set("Cache-Control", f"public, max-age={max_age}")
    else:
        headers.set("Cache-Control", f"no-cache, max-age={max_age}")
    headers.set("Expires", http_date(time() + max_age))


def _measure(file: t.IO[bytes]) -> tuple[int | None, int | None]:
    """``(size from the current position, that position)`` when knowable.

    A BytesIO or a regular on-disk file has a size; other streams have
    neither, so they are sent as they come, without ranges.
    """
    if isinstance(file, io.BytesIO):
        pos = file.tell()
        return max(0, file.getbuffer().nbytes - pos), pos
    try:
        st = os.fstat(file.fileno())
        if stat.S_ISREG(st.st_mode) and file.seekable():
            pos = file.tell()
            return max(0, st.st_size - pos), pos
    except (AttributeError, OSError, ValueError):
        pass
    return None, None


def _use_file_wrapper(
    rv: Response, environ: dict[str, t.Any], base: int | None, size: int | None
) -> None:
    """Hand a body that runs to the end of the file to ``wsgi.file_wrapper``."""
    body: t.Any = rv.response
    wrapper = environ.get("wsgi.file_wrapper")
    if (
        wrapper is None
        or type(body) is not _FileBody
        or rv.status_code not in (200, 206)
    ):
        return
    if body.stop is not None and (
        size is None or base is None or body.stop != base + size
    ):
        return  # a bounded range: the wrapper would read past its end
    if body.start is not None:
        body.file.seek(body.start)
    rv.response = wrapper(body.file, BLOCK_SIZE)


def _empty_body(response: Response) -> None:
    close = getattr(response.response, "close", None)
    if close is not None:
        close()
    response.response = []


def _if_range_matches(environ: dict[str, t.Any], response: Response) -> bool:
    """Whether ``If-Range`` (absent, or a strong validator) allows a range."""
    value = environ.get("HTTP_IF_RANGE")
    if not value:
        return True
    if_range = parse_if_range_header(value)
    if if_range.date is not None:
        modified = parse_date(response.headers.get("Last-Modified"))
        return modified is not None and modified == if_range.date
    if if_range.etag is None or if_range.weak:
        return False
    etag, weak = response.get_etag()
    return not weak and etag == if_range.etag


def make_conditional(
    response: Response,
    request_or_environ: Request | dict[str, t.Any],
    accept_ranges: bool | str = False,
    complete_length: int | None = None,
) -> Response:
    """Answer a GET or HEAD conditionally, using the response's validators.

    Reads ``ETag`` and ``Last-Modified`` from the response: a cached copy that
    is still fresh becomes 304, a failed If-Match / If-Unmodified-Since 412.
    With ``accept_ranges`` one satisfiable byte range becomes 206; an
    unsatisfiable one raises 416 (``Content-Range: bytes */length``).  Ranges
    that are malformed, abusive, multiple or guarded by a stale ``If-Range``
    are ignored and the whole body is sent, as RFC 9110 allows.
    """
    environ: dict[str, t.Any]
    if isinstance(request_or_environ, dict):
        environ = request_or_environ
    else:
        environ = request_or_environ.environ
    if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
        return response
    headers = response.headers
    if "Date" not in headers:
        headers.set("Date", http_date())
    etag = headers.get("ETag")
    last_modified = headers.get("Last-Modified")

    if is_precondition_failed(environ, etag, last_modified):
        _empty_body(response)
        raise PreconditionFailed()
    if not is_resource_modified(environ, etag, last_modified=last_modified):
        _empty_body(response)
        response.status_code = 304
        headers.pop("Content-Length", None)
        return response

    if not accept_ranges:
        return response
    headers.set("Accept-Ranges", "bytes" if accept_ranges is True else accept_ranges)
    body: t.Any = response.response
    is_file = type(body) is _FileBody
    if complete_length is None and response.is_sequence:
        complete_length = sum(len(chunk) for chunk in body)
    if (
        "HTTP_RANGE" not in environ
        or complete_length is None
        or complete_length == 0
        or not (is_file or response.is_sequence)
        or not _if_range_matches(environ, response)
    ):
        return response
    parsed = parse_range_header(environ["HTTP_RANGE"])
    if parsed is None or parsed.units != "bytes" or len(parsed.ranges) != 1:
        return response
    span = parsed.range_for_length(complete_length)
    if span is None:
        _empty_body(response)
        raise RequestedRangeNotSatisfiable(complete_length)
    start, stop = span
    if is_file:
        offset = body.start or 0
        body.start, body.stop = offset + start, offset + stop
    else:
        data = response.get_data()
        response.response = [data[start:stop]]
    response.status_code = 206
    headers.set("Content-Range", f"bytes {start}-{stop - 1}/{complete_length}")
    headers.set("Content-Length", str(stop - start))
    return response
