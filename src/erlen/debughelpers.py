"""Errors that explain common mistakes, raised in debug mode only.

A form posted without ``enctype="multipart/form-data"`` sends file names,
not files, and a 301/302 redirect after a POST makes the browser drop the
form.  In production these stay a plain 400 and a redirect; in debug mode
the developer gets an error that says what went wrong.
"""

from __future__ import annotations

import typing as t

from .datastructures import ImmutableMultiDict

__all__ = [
    "DebugFilesKeyError",
    "FormDataRoutingRedirect",
    "UnexpectedUnicodeError",
    "debug_files",
]


class UnexpectedUnicodeError(AssertionError, UnicodeError):
    """Raised where bytes were expected but text arrived (debug mode)."""


class DebugFilesKeyError(KeyError, AssertionError):
    """``request.files[key]`` is missing because the form has no enctype."""

    def __init__(self, request: t.Any, key: str) -> None:
        sent = request.form.getlist(key)
        self.msg = (
            f"request.files has no {key!r}: the request's mimetype is"
            f" {request.mimetype!r}, not 'multipart/form-data', so no file"
            ' contents were transmitted. Add enctype="multipart/form-data"'
            " to the form."
        )
        if sent:
            names = ", ".join(repr(name) for name in sent)
            self.msg += f" This was submitted: {names}."

    def __str__(self) -> str:
        return self.msg


class FormDataRoutingRedirect(AssertionError):
    """A redirect for a POST would drop the form data (debug mode)."""

    def __init__(self, request: t.Any) -> None:
        exc = request.routing_exception
        new_url = exc.new_url
        if new_url.startswith("/"):  # erlen's redirects are host-relative
            new_url = request.host_url.rstrip("/") + new_url
        message = (
            f"A request was sent to {request.url!r}, but routing issued a"
            f" redirect to the canonical URL {new_url!r}."
        )
        if f"{request.base_url}/" == new_url.partition("?")[0]:
            message += (
                " The URL was defined with a trailing slash. Erlen redirects"
                " to the URL with the slash if it was accessed without one."
            )
        message += (
            f" Send requests to the canonical URL, or use 307 or 308 for"
            f" routing redirects. Otherwise, browsers drop the form data.\n\n"
            f"This exception is only raised in debug mode. (code {exc.code})"
        )
        super().__init__(message)


class _DebugFiles(ImmutableMultiDict[str, t.Any]):
    """``request.files`` of a form without an enctype: says so on a miss."""

    _request: t.Any = None

    def __getitem__(self, key: str) -> t.Any:
        try:
            return super().__getitem__(key)
        except KeyError as e:
            request = self._request
            if request is None or key not in request.form:
                raise
            raise DebugFilesKeyError(request, key).with_traceback(
                e.__traceback__
            ) from None


def debug_files(request: t.Any) -> ImmutableMultiDict[str, t.Any]:
    """An empty ``files`` that explains a missing enctype on lookup."""
    files = _DebugFiles()
    files._request = request
    return files
