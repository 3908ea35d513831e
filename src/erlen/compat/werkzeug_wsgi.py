"""``werkzeug.wsgi``: the WSGI helpers apps and extensions still import."""

from __future__ import annotations

import typing as t
from wsgiref.util import FileWrapper as FileWrapper

from erlen.streams import LimitedStream as LimitedStream

__all__ = ["FileWrapper", "LimitedStream", "get_current_url", "get_host", "wrap_file"]


def wrap_file(
    environ: dict[str, t.Any], file: t.IO[bytes], buffer_size: int = 8192
) -> t.Iterable[bytes]:
    """The server's ``wsgi.file_wrapper`` if it has one, else a chunk iterator."""
    wrapper = environ.get("wsgi.file_wrapper", FileWrapper)
    return t.cast("t.Iterable[bytes]", wrapper(file, buffer_size))


def get_host(environ: dict[str, t.Any], trusted_hosts: t.Any = None) -> str:
    """The request's host (``Host`` header or server name), port if not default."""
    from erlen.request import Request

    return Request(environ).host


def get_current_url(environ: dict[str, t.Any], **kwargs: t.Any) -> str:
    from erlen.request import Request

    request = Request(environ)
    if kwargs.get("root_only"):
        return request.url_root
    if kwargs.get("host_only"):
        return request.host_url
    if kwargs.get("strip_querystring"):
        return request.base_url
    return request.url
