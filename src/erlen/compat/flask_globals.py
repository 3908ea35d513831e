"""Flask's extra context proxies: ``request_ctx``, ``app_ctx``, the ContextVars.

erlen keeps one ContextVar for both contexts, so ``_cv_app`` and
``_cv_request`` are the same variable.
"""

from __future__ import annotations

import typing as t

from erlen.globals import _cv_context
from erlen.globals import _no_app_msg
from erlen.globals import _no_req_msg

from .werkzeug_local import LocalProxy

__all__ = ["_cv_app", "_cv_request", "app_ctx", "request_ctx"]

_cv_app = _cv_context
_cv_request = _cv_context


def _get_app_ctx() -> t.Any:
    ctx = _cv_context.get(None)
    if ctx is None:
        raise RuntimeError(_no_app_msg)
    return ctx


def _get_request_ctx() -> t.Any:
    ctx = _cv_context.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(_no_req_msg)
    return ctx


app_ctx: t.Any = LocalProxy(_get_app_ctx, unbound_message=_no_app_msg)
request_ctx: t.Any = LocalProxy(_get_request_ctx, unbound_message=_no_req_msg)
