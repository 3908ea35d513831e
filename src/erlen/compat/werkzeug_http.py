"""``werkzeug.http`` names beyond erlen.http's."""

from __future__ import annotations

from erlen.datastructures import parse_accept_header as parse_accept_header
from erlen.headersets import parse_cache_control_header as parse_cache_control_header
from erlen.headersets import parse_set_header as parse_set_header

__all__ = ["parse_accept_header", "parse_cache_control_header", "parse_set_header"]
