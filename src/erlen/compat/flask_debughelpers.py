"""``flask.debughelpers``: the debug-mode error types (erlen.debughelpers)."""

from __future__ import annotations

from erlen.debughelpers import DebugFilesKeyError as DebugFilesKeyError
from erlen.debughelpers import FormDataRoutingRedirect as FormDataRoutingRedirect
from erlen.debughelpers import UnexpectedUnicodeError as UnexpectedUnicodeError

__all__ = ["DebugFilesKeyError", "FormDataRoutingRedirect", "UnexpectedUnicodeError"]
