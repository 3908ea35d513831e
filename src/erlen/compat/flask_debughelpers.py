"""``flask.debughelpers``: the debug-mode error types Flask raises."""

from __future__ import annotations

import typing as t

__all__ = ["DebugFilesKeyError", "FormDataRoutingRedirect", "UnexpectedUnicodeError"]


class UnexpectedUnicodeError(AssertionError, UnicodeError):
    """Raised where bytes were expected but text arrived (debug mode)."""


class DebugFilesKeyError(KeyError, AssertionError):
    """``request.files[key]`` is missing because the form has no enctype."""

    def __init__(self, request: t.Any, key: str) -> None:
        sent = request.form.getlist(key)
        self.msg = (
            f"request.files has no {key!r}: the request's mimetype is"
            f" {request.mimetype!r}, not 'multipart/form-data', so no file"
            ' was sent. Add enctype="multipart/form-data" to the form.'
        )
        if sent:
            self.msg += f" The browser sent only the file names: {sent!r}."

    def __str__(self) -> str:
        return self.msg


class FormDataRoutingRedirect(AssertionError):
    """A redirect for a POST would drop the form data (debug mode)."""

    def __init__(self, request: t.Any) -> None:
        new_url = request.routing_exception.new_url
        super().__init__(
            f"{request.url!r} was redirected to {new_url!r}; the browser"
            " would drop the form data. Use the canonical URL in the form."
        )
