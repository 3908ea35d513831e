"""``werkzeug.http`` names beyond erlen.http's."""

from __future__ import annotations

import typing as t
from collections.abc import Callable

from erlen.datastructures import parse_accept_header as parse_accept_header

from .werkzeug_datastructures import HeaderSet

__all__ = ["parse_accept_header", "parse_set_header"]


def parse_set_header(
    value: str | None, on_update: Callable[[HeaderSet], None] | None = None
) -> HeaderSet:
    """A comma-separated header (``Vary``, ``Allow``) as a :class:`HeaderSet`."""
    from erlen.http import parse_list_header

    return HeaderSet(parse_list_header(value) if value else (), on_update)


def parse_cache_control_header(
    value: str | None,
    on_update: Callable[[t.Any], None] | None = None,
    cls: type[t.Any] | None = None,
) -> t.Any:
    """Cache-Control directives as a (request) cache-control dict."""
    from erlen.http import parse_dict_header

    from .werkzeug_datastructures import RequestCacheControl

    directives = parse_dict_header(value) if value else {}
    return (cls or RequestCacheControl)(directives, on_update)


__all__ += ["parse_cache_control_header"]
