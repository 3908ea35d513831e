"""``werkzeug.wrappers`` (and ``.request``, ``.response``, ``sansio``)."""

from __future__ import annotations

from erlen.request import Request as Request
from erlen.response import Response as Response

__all__ = ["Request", "Response"]
