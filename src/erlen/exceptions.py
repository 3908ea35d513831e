"""HTTP errors as exceptions: raise one anywhere and the client gets its page.

The names match Werkzeug's so ``except NotFound:`` in a ported Flask app keeps
working. Each class is a status code, a short description and, for a few, the
extra header that status needs (``Allow``, ``WWW-Authenticate``, ...)::

    Exception
    └── HTTPException
        ├── BadRequest                          400
        │   ├── BadRequestKeyError (+ KeyError)
        │   ├── ClientDisconnected
        │   ├── SecurityError
        │   └── BadHost
        ├── Unauthorized                        401  WWW-Authenticate
        ├── Forbidden                           403
        ├── NotFound                            404
        ├── MethodNotAllowed                    405  Allow
        ├── NotAcceptable                       406
        ├── RequestTimeout                      408
        ├── Conflict                            409
        ├── Gone                                410
        ├── LengthRequired                      411
        ├── PreconditionFailed                  412
        ├── RequestEntityTooLarge               413
        ├── RequestURITooLarge                  414
        ├── UnsupportedMediaType                415
        ├── RequestedRangeNotSatisfiable        416  Content-Range
        ├── ExpectationFailed                   417
        ├── ImATeapot                           418
        ├── UnprocessableEntity                 422
        ├── Locked                              423
        ├── FailedDependency                    424
        ├── PreconditionRequired                428
        ├── TooManyRequests                     429  Retry-After
        ├── RequestHeaderFieldsTooLarge         431
        ├── UnavailableForLegalReasons          451
        ├── InternalServerError                 500
        ├── NotImplemented                      501
        ├── BadGateway                          502
        ├── ServiceUnavailable                  503  Retry-After
        ├── GatewayTimeout                      504
        └── HTTPVersionNotSupported             505

``abort(404)`` raises the class mapped to a code; ``abort(response)`` raises an
HTTPException that carries a ready response.
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterable
from collections.abc import Mapping
from datetime import datetime
from html import escape

from .http import HTTP_STATUS_CODES
from .http import http_date

if t.TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse
    from _typeshed.wsgi import WSGIEnvironment

    from .response import Response

_HTML_TYPE = "text/html; charset=utf-8"


_BODY_CACHE: dict[type, str] = {}
_RESPONSE_CLASS: list[type[Response]] = []


def _response_class() -> type[Response]:
    """erlen.response.Response, imported once (it imports this module)."""
    if not _RESPONSE_CLASS:
        from .response import Response

        _RESPONSE_CLASS.append(Response)
    return _RESPONSE_CLASS[0]


class HTTPException(Exception):
    """Base of every HTTP error; also a WSGI app that sends its own page.

    :param description: replaces the class's description for this instance.
    :param response: a ready response sent instead of the generated page.
    """

    code: int | None = None
    description: str | None = None

    def __init__(
        self, description: str | None = None, response: Response | None = None
    ) -> None:
        super().__init__()
        if description is not None:
            self.description = description
        self.response = response

    @property
    def name(self) -> str:
        """The status phrase, such as ``"Not Found"``."""
        if self.code is None:
            return "Unknown Error"
        return HTTP_STATUS_CODES.get(self.code, "Unknown Error")

    def get_description(
        self,
        environ: WSGIEnvironment | None = None,
        scope: Mapping[str, t.Any] | None = None,
    ) -> str:
        """The description as an HTML paragraph, escaped."""
        text = escape(self.description or "").replace("\n", "<br>")
        return f"<p>{text}</p>"

    def get_body(
        self,
        environ: WSGIEnvironment | None = None,
        scope: Mapping[str, t.Any] | None = None,
    ) -> str:
        """A small HTML page naming the error."""
        cls = type(self)
        default = (
            self.description is cls.description
            and cls.get_description is HTTPException.get_description
        )
        if default:
            # PERF: the page for a class's own description never changes (`404`).
            cached = _BODY_CACHE.get(cls)
            if cached is not None:
                return cached
        name = escape(self.name)
        body = (
            "<!doctype html>\n<html lang=en>\n"
            f"<title>{self.code} {name}</title>\n"
            f"<h1>{name}</h1>\n"
            f"{self.get_description(environ, scope)}\n"
        )
        if default and len(_BODY_CACHE) < 256:
            _BODY_CACHE[cls] = body
        return body

    def get_headers(
        self,
        environ: WSGIEnvironment | None = None,
        scope: Mapping[str, t.Any] | None = None,
    ) -> list[tuple[str, str]]:
        """Headers for the error page; subclasses add what their status needs."""
        return [("Content-Type", _HTML_TYPE)]

    def get_response(
        self,
        environ: WSGIEnvironment | None = None,
        scope: Mapping[str, t.Any] | None = None,
    ) -> Response:
        """The response to send: the one given, else a generated HTML page."""
        if self.response is not None:
            return self.response
        Response = _response_class()
        if type(self).get_headers is HTTPException.get_headers:
            # PERF: no extra headers, so the response's trusted fast path (404).
            return Response(
                self.get_body(environ, scope), self.code, content_type=_HTML_TYPE
            )
        headers = self.get_headers(environ, scope)
        content_type = _HTML_TYPE
        others: list[tuple[str, str]] = []
        for key, value in headers:
            if key.lower() == "content-type":
                content_type = value
            else:
                others.append((key, value))
        return Response(
            self.get_body(environ, scope),
            self.code,
            others,
            content_type=content_type,
        )

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Serve the error page as a WSGI application."""
        response = self.get_response(environ)
        return response(environ, start_response)

    def __str__(self) -> str:
        code = self.code if self.code is not None else "???"
        return f"{code} {self.name}: {self.description}"

    def __repr__(self) -> str:
        code = self.code if self.code is not None else "???"
        return f"<{type(self).__name__} '{code}: {self.name}'>"


class BadRequest(HTTPException):
    """*400* ``Bad Request``: the client sent something the server cannot use."""

    code = 400
    description = (
        "The browser (or proxy) sent a request that this server could not understand."
    )


class BadRequestKeyError(BadRequest, KeyError):
    """A missing key in ``request.form``/``args``: a 400, and still a KeyError.

    The key is shown only when :attr:`show_exception` is true (debug mode), so
    a production page never echoes field names back.
    """

    show_exception = False

    def __init__(self, key: str | None = None, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        if key is None:
            KeyError.__init__(self)
        else:
            KeyError.__init__(self, key)

    @property
    def description(self) -> str:
        base = self._description
        if self.show_exception and self.args:
            return f"{base}\nKeyError: {self.args[0]!r}"
        return base

    @description.setter
    def description(self, value: str) -> None:
        self._description = value

    _description: str = BadRequest.description or ""

    def __str__(self) -> str:
        return HTTPException.__str__(self)


class ClientDisconnected(BadRequest):
    """The client went away before the request body was read completely."""

    description = (
        "The client disconnected before the whole request was received, so "
        "it could not be handled."
    )


class SecurityError(BadRequest):
    """The request was refused because it looked like an attack."""

    description = "The request was refused for security reasons."


class BadHost(BadRequest):
    """The Host header is malformed or not one of the trusted hosts."""

    description = "The request named a host this server does not serve."


class Unauthorized(HTTPException):
    """*401* ``Unauthorized``: credentials are missing or wrong.

    :param www_authenticate: one challenge or several, each sent as a
        ``WWW-Authenticate`` header.
    """

    code = 401
    description = (
        "The server could not verify that you are allowed to access this "
        "resource. Either the credentials were wrong or none were sent."
    )

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        www_authenticate: str | Iterable[str] | None = None,
    ) -> None:
        super().__init__(description, response)
        if isinstance(www_authenticate, str):
            www_authenticate = (www_authenticate,)
        self.www_authenticate = list(www_authenticate or ())

    def get_headers(
        self,
        environ: WSGIEnvironment | None = None,
        scope: Mapping[str, t.Any] | None = None,
    ) -> list[tuple[str, str]]:
        headers = super().get_headers(environ, scope)
        headers.extend(("WWW-Authenticate", str(v)) for v in self.www_authenticate)
        return headers


class Forbidden(HTTPException):
    """*403* ``Forbidden``: the client is known but may not do this."""

    code = 403
    description = "You do not have permission to access this resource."


class NotFound(HTTPException):
    """*404* ``Not Found``: nothing lives at this URL."""

    code = 404
    description = (
        "The requested URL was not found on this server. If you typed the "
        "address, please check the spelling."
    )


class MethodNotAllowed(HTTPException):
    """*405* ``Method Not Allowed``: the URL exists but not for this method.

    :param valid_methods: the methods the URL accepts, sent as ``Allow``.
    """

    code = 405
    description = "This method is not allowed for the requested URL."

    def __init__(
        self,
        valid_methods: Iterable[str] | None = None,
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description, response)
        self.valid_methods = None if valid_methods is None else list(valid_methods)

    def get_headers(
        self,
        environ: WSGIEnvironment | None = None,
        scope: Mapping[str, t.Any] | None = None,
    ) -> list[tuple[str, str]]:
        headers = super().get_headers(environ, scope)
        if self.valid_methods:
            headers.append(("Allow", ", ".join(self.valid_methods)))
        return headers


class NotAcceptable(HTTPException):
    """*406* ``Not Acceptable``: no representation matches the Accept headers."""

    code = 406
    description = (
        "The resource cannot be sent in any of the formats your client said it accepts."
    )


class RequestTimeout(HTTPException):
    """*408* ``Request Timeout``: the client took too long to send the request."""

    code = 408
    description = "The server gave up waiting for the request to arrive."


class Conflict(HTTPException):
    """*409* ``Conflict``: the request clashes with the resource's current state."""

    code = 409
    description = (
        "The request conflicts with the current state of the resource, for "
        "example a concurrent change."
    )


class Gone(HTTPException):
    """*410* ``Gone``: the resource existed once and is not coming back."""

    code = 410
    description = "The requested resource is no longer available and will not return."


class LengthRequired(HTTPException):
    """*411* ``Length Required``: the body needs a Content-Length."""

    code = 411
    description = "This request needs a Content-Length header."


class PreconditionFailed(HTTPException):
    """*412* ``Precondition Failed``: an If-Match style condition was false."""

    code = 412
    description = "A precondition given in the request headers was not met."


class RequestEntityTooLarge(HTTPException):
    """*413* ``Request Entity Too Large``: the body is over the size limit."""

    code = 413
    description = "The data sent with the request is larger than this server accepts."


class RequestURITooLarge(HTTPException):
    """*414* ``Request URI Too Long``: the URL is over the length limit."""

    code = 414
    description = "The requested URL is longer than this server accepts."


class UnsupportedMediaType(HTTPException):
    """*415* ``Unsupported Media Type``: the body's format is not handled here."""

    code = 415
    description = "The server does not support the media type of the request body."


class RequestedRangeNotSatisfiable(HTTPException):
    """*416* ``Range Not Satisfiable``: the requested bytes are out of range.

    :param length: the full size, sent as ``Content-Range: bytes */length``.
    :param units: the range unit.
    """

    code = 416
    description = "The server cannot provide the requested range."

    def __init__(
        self,
        length: int | None = None,
        units: str = "bytes",
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description, response)
        self.length = length
        self.units = units

    def get_headers(
        self,
        environ: WSGIEnvironment | None = None,
        scope: Mapping[str, t.Any] | None = None,
    ) -> list[tuple[str, str]]:
        headers = super().get_headers(environ, scope)
        if self.length is not None:
            headers.append(("Content-Range", f"{self.units} */{int(self.length)}"))
        return headers


class ExpectationFailed(HTTPException):
    """*417* ``Expectation Failed``: the Expect header cannot be met."""

    code = 417
    description = "The server cannot meet the requirements of the Expect header."


class ImATeapot(HTTPException):
    """*418* ``I'm a teapot``: it refuses to brew coffee (RFC 2324)."""

    code = 418
    description = "This server is a teapot, not a coffee machine."


class UnprocessableEntity(HTTPException):
    """*422* ``Unprocessable Entity``: well-formed, but semantically wrong."""

    code = 422
    description = "The request was well-formed but its content could not be processed."


class Locked(HTTPException):
    """*423* ``Locked``: the resource is locked (WebDAV)."""

    code = 423
    description = "The resource being accessed is locked."


class FailedDependency(HTTPException):
    """*424* ``Failed Dependency``: an earlier request it relied on failed."""

    code = 424
    description = (
        "The request could not be performed because a request it depends on failed."
    )


class PreconditionRequired(HTTPException):
    """*428* ``Precondition Required``: send If-Match to avoid lost updates."""

    code = 428
    description = (
        "This request must be conditional; send an If-Match or "
        "If-Unmodified-Since header."
    )


class _RetryAfter(HTTPException):
    """Adds an optional ``Retry-After`` header (seconds or a date)."""

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        retry_after: datetime | int | None = None,
    ) -> None:
        super().__init__(description, response)
        self.retry_after = retry_after

    def get_headers(
        self,
        environ: WSGIEnvironment | None = None,
        scope: Mapping[str, t.Any] | None = None,
    ) -> list[tuple[str, str]]:
        headers = super().get_headers(environ, scope)
        if self.retry_after is not None:
            if isinstance(self.retry_after, datetime):
                value = http_date(self.retry_after)
            else:
                value = str(int(self.retry_after))
            headers.append(("Retry-After", value))
        return headers


class TooManyRequests(_RetryAfter):
    """*429* ``Too Many Requests``: the client hit a rate limit."""

    code = 429
    description = "You have sent too many requests in a given amount of time."


class RequestHeaderFieldsTooLarge(HTTPException):
    """*431* ``Request Header Fields Too Large``: headers are over the limit."""

    code = 431
    description = "One or more request headers are larger than this server accepts."


class UnavailableForLegalReasons(HTTPException):
    """*451* ``Unavailable For Legal Reasons``: blocked by a legal demand."""

    code = 451
    description = "This resource is unavailable for legal reasons."


class InternalServerError(HTTPException):
    """*500* ``Internal Server Error``: the server failed; not the client's fault.

    :param original_exception: the unhandled exception that caused it, for
        error handlers and logging; never shown to the client.
    """

    code = 500
    description = (
        "The server hit an internal error and could not complete the request. "
        "Either the server is overloaded or the application has a bug."
    )

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        original_exception: BaseException | None = None,
    ) -> None:
        super().__init__(description, response)
        self.original_exception = original_exception


class NotImplemented(HTTPException):
    """*501* ``Not Implemented``: the server does not support this method."""

    code = 501
    description = "The server does not support the action requested."


class BadGateway(HTTPException):
    """*502* ``Bad Gateway``: an upstream server sent a bad response."""

    code = 502
    description = (
        "The proxy server received an invalid response from an upstream server."
    )


class ServiceUnavailable(_RetryAfter):
    """*503* ``Service Unavailable``: overloaded or down for maintenance."""

    code = 503
    description = (
        "The server is temporarily unable to handle the request, because it is "
        "overloaded or down for maintenance. Please try again later."
    )


class GatewayTimeout(HTTPException):
    """*504* ``Gateway Timeout``: an upstream server did not answer in time."""

    code = 504
    description = "The connection to an upstream server timed out."


class HTTPVersionNotSupported(HTTPException):
    """*505* ``HTTP Version Not Supported``: the protocol version is refused."""

    code = 505
    description = "The server does not support the HTTP version used by the request."


def _collect() -> dict[int, type[HTTPException]]:
    found: dict[int, type[HTTPException]] = {}
    todo: list[type[HTTPException]] = [HTTPException]
    while todo:
        cls = todo.pop(0)
        todo.extend(cls.__subclasses__())
        # The first class for a code wins: BadRequest, not its subclasses.
        if cls.code is not None and cls.code not in found:
            found[cls.code] = cls
    return dict(sorted(found.items()))


default_exceptions: dict[int, type[HTTPException]] = _collect()


class Aborter:
    """Raise the exception mapped to a status code.

    :param mapping: code → exception class; defaults to ``default_exceptions``.
    :param extra: more codes added on top of ``mapping``.
    """

    def __init__(
        self,
        mapping: Mapping[int, type[HTTPException]] | None = None,
        extra: Mapping[int, type[HTTPException]] | None = None,
    ) -> None:
        self.mapping: dict[int, type[HTTPException]] = dict(
            default_exceptions if mapping is None else mapping
        )
        if extra is not None:
            self.mapping.update(extra)

    def __call__(
        self, code: int | Response, *args: t.Any, **kwargs: t.Any
    ) -> t.NoReturn:
        if not isinstance(code, int):
            raise HTTPException(response=code)
        cls = self.mapping.get(code)
        if cls is None:
            raise LookupError(f"no exception for status code {code!r}")
        raise cls(*args, **kwargs)


_aborter = Aborter()


def abort(status: int | Response, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Stop the request with an HTTP error: ``abort(404)``, ``abort(403, "why")``.

    A response object is raised as-is inside an HTTPException, so error
    handlers are skipped and the client gets exactly that response. An unknown
    code raises ``LookupError``. Inside an app, the app's ``aborter`` raises.
    """
    from .globals import _cv_context

    ctx = _cv_context.get(None)
    if ctx is not None:
        ctx.app.aborter(status, *args, **kwargs)
    _aborter(status, *args, **kwargs)
