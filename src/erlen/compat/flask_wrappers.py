"""``flask.wrappers``: erlen's Request and Response are Flask's and Werkzeug's."""

from __future__ import annotations

from erlen.exceptions import BadRequest as BadRequest
from erlen.exceptions import HTTPException as HTTPException
from erlen.globals import current_app as current_app
from erlen.request import Request as Request
from erlen.request import Request as RequestBase
from erlen.response import Response as Response
from erlen.response import Response as ResponseBase

__all__ = ["Request", "RequestBase", "Response", "ResponseBase"]
