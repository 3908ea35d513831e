"""``werkzeug.utils``: file names, redirects, files, lazy attributes, imports."""

from __future__ import annotations

import typing as t

from erlen.files import send_file as _send_file
from erlen.files import send_from_directory as _send_from_directory
from erlen.helpers import _redirect
from erlen.response import Response
from erlen.utils import cached_property as cached_property
from erlen.utils import import_string as import_string
from erlen.utils import secure_filename as secure_filename

__all__ = [
    "append_slash_redirect",
    "cached_property",
    "get_content_type",
    "import_string",
    "redirect",
    "secure_filename",
    "send_file",
    "send_from_directory",
]


def redirect(
    location: str, code: int = 302, Response: type[Response] | None = None
) -> Response:
    """A redirect response (no app involved, as in Werkzeug)."""
    return _redirect(location, code, Response)


def append_slash_redirect(environ: dict[str, t.Any], code: int = 308) -> Response:
    """Redirect to the request's path with a trailing slash."""
    tail = environ.get("PATH_INFO", "").strip("/").rpartition("/")[2]
    location = f"{tail}/" if tail else "./"
    query = environ.get("QUERY_STRING")
    if query:
        location = f"{location}?{query}"
    return redirect(location, code)


def get_content_type(mimetype: str, charset: str) -> str:
    """Add ``charset`` to text types, as Werkzeug does."""
    if (
        mimetype.startswith("text/")
        or mimetype in ("application/xml", "application/javascript")
        or (mimetype.startswith("application/") and mimetype.endswith("+xml"))
    ) and "charset" not in mimetype:
        mimetype += f"; charset={charset}"
    return mimetype


def send_file(
    path_or_file: t.Any, environ: dict[str, t.Any], **kwargs: t.Any
) -> Response:
    """Werkzeug's spelling: the environ is the second argument."""
    kwargs.pop("use_x_sendfile", None)
    kwargs.pop("response_class", None)
    kwargs.pop("_root_path", None)
    return _send_file(path_or_file, environ=environ, **kwargs)


def send_from_directory(
    directory: t.Any, path: t.Any, environ: dict[str, t.Any], **kwargs: t.Any
) -> Response:
    """Werkzeug's spelling of :func:`erlen.send_from_directory`."""
    return _send_from_directory(directory, path, environ=environ, **kwargs)
