from __future__ import annotations

from datetime import datetime
from datetime import timezone

import pytest

from erlen import exceptions as exc
from erlen.exceptions import Aborter
from erlen.exceptions import BadRequest
from erlen.exceptions import BadRequestKeyError
from erlen.exceptions import HTTPException
from erlen.exceptions import InternalServerError
from erlen.exceptions import MethodNotAllowed
from erlen.exceptions import NotFound
from erlen.exceptions import RequestedRangeNotSatisfiable
from erlen.exceptions import ServiceUnavailable
from erlen.exceptions import TooManyRequests
from erlen.exceptions import Unauthorized
from erlen.exceptions import abort
from erlen.exceptions import default_exceptions


def test_every_code_maps_to_its_class() -> None:
    expected = {
        400, 401, 403, 404, 405, 406, 408, 409, 410, 411, 412, 413, 414, 415,
        416, 417, 418, 422, 423, 424, 428, 429, 431, 451,
        500, 501, 502, 503, 504, 505,
    }  # fmt: skip
    assert set(default_exceptions) == expected
    for code, cls in default_exceptions.items():
        assert cls.code == code
        assert cls.__doc__
        assert cls.description
    # The base class of a code wins over its subclasses.
    assert default_exceptions[400] is BadRequest


def test_werkzeug_names_exist() -> None:
    for name in (
        "ClientDisconnected",
        "SecurityError",
        "BadHost",
        "RequestURITooLarge",
        "RequestedRangeNotSatisfiable",
        "ImATeapot",
        "UnavailableForLegalReasons",
        "NotImplemented",
        "HTTPVersionNotSupported",
    ):
        assert issubclass(getattr(exc, name), HTTPException)
    assert issubclass(exc.BadHost, BadRequest)
    assert issubclass(exc.ClientDisconnected, BadRequest)


def test_str_repr_and_name() -> None:
    e = NotFound()
    assert e.name == "Not Found"
    assert str(e).startswith("404 Not Found: The requested URL")
    assert repr(e) == "<NotFound '404: Not Found'>"
    custom = NotFound("no such user")
    assert custom.description == "no such user"
    assert NotFound.description != "no such user"  # instance only
    assert HTTPException().name == "Unknown Error"


def test_body_is_escaped_html() -> None:
    e = BadRequest("<script>alert(1)</script>\nsecond line")
    body = e.get_body()
    assert "<title>400 Bad Request</title>" in body
    assert "<h1>Bad Request</h1>" in body
    assert "<script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>second line" in body
    assert e.get_headers() == [("Content-Type", "text/html; charset=utf-8")]


def test_method_not_allowed_sends_allow() -> None:
    headers = dict(MethodNotAllowed(["GET", "HEAD"]).get_headers())
    assert headers["Allow"] == "GET, HEAD"
    assert "Allow" not in dict(MethodNotAllowed().get_headers())


def test_unauthorized_challenges() -> None:
    e = Unauthorized(www_authenticate=['Basic realm="x"', "Bearer"])
    values = [v for k, v in e.get_headers() if k == "WWW-Authenticate"]
    assert values == ['Basic realm="x"', "Bearer"]
    single = Unauthorized(www_authenticate="Basic")
    assert ("WWW-Authenticate", "Basic") in single.get_headers()


def test_range_not_satisfiable_content_range() -> None:
    headers = dict(RequestedRangeNotSatisfiable(length=1234).get_headers())
    assert headers["Content-Range"] == "bytes */1234"
    assert "Content-Range" not in dict(RequestedRangeNotSatisfiable().get_headers())


def test_retry_after_seconds_and_date() -> None:
    assert ("Retry-After", "30") in TooManyRequests(retry_after=30).get_headers()
    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    headers = dict(ServiceUnavailable(retry_after=when).get_headers())
    assert headers["Retry-After"] == "Wed, 02 Jan 2030 03:04:05 GMT"


def test_internal_server_error_keeps_original() -> None:
    cause = ZeroDivisionError("boom")
    e = InternalServerError(original_exception=cause)
    assert e.original_exception is cause
    assert "boom" not in e.get_body()


def test_bad_request_key_error_is_both() -> None:
    with pytest.raises(KeyError):
        raise BadRequestKeyError("password")
    e = BadRequestKeyError("password")
    assert isinstance(e, BadRequest)
    assert e.code == 400
    assert e.args == ("password",)
    assert "password" not in str(e)
    assert "password" not in e.get_body()


def test_bad_request_key_error_shows_key_in_debug(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(BadRequestKeyError, "show_exception", True)
    e = BadRequestKeyError("password")
    assert "KeyError: 'password'" in str(e)
    assert "KeyError: &#x27;password&#x27;" in e.get_body()


def test_abort_raises_mapped_class() -> None:
    with pytest.raises(NotFound) as info:
        abort(404)
    assert info.value.code == 404
    with pytest.raises(exc.Forbidden, match="members only"):
        abort(403, "members only")
    with pytest.raises(MethodNotAllowed) as mna:
        abort(405, valid_methods=["POST"])
    assert ("Allow", "POST") in mna.value.get_headers()


def test_abort_unknown_code_is_lookup_error() -> None:
    with pytest.raises(LookupError):
        abort(299)


def test_abort_with_response_object() -> None:
    sentinel = object()
    with pytest.raises(HTTPException) as info:
        abort(sentinel)  # type: ignore[arg-type]
    assert info.value.response is sentinel
    assert info.value.get_response() is sentinel


def test_aborter_extra_codes() -> None:
    class PaymentRequired(HTTPException):
        code = 402
        description = "Pay up."

    aborter = Aborter(extra={402: PaymentRequired})
    with pytest.raises(PaymentRequired):
        aborter(402)
    with pytest.raises(NotFound):
        aborter(404)
    with pytest.raises(LookupError):
        Aborter(mapping={})(404)


def test_subclass_with_custom_description() -> None:
    class ArticleMissing(NotFound):
        description = "That article does not exist."

    with pytest.raises(NotFound) as info:
        raise ArticleMissing()
    assert "That article does not exist." in info.value.get_body()


# --- responses (need erlen.response) --------------------------------------------


def _response_module() -> None:
    pytest.importorskip("erlen.response")


def test_get_response_status_headers_body() -> None:
    _response_module()
    response = MethodNotAllowed(["GET"]).get_response()
    assert response.status_code == 405
    assert response.headers.get("Allow") == "GET"
    assert response.headers.get("Content-Type") == "text/html; charset=utf-8"
    assert b"<h1>Method Not Allowed</h1>" in response.get_data()


def test_exception_is_a_wsgi_app() -> None:
    _response_module()
    seen: dict[str, object] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *a: object) -> None:
        seen["status"] = status
        seen["headers"] = headers

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_NAME": "x"}
    body = b"".join(NotFound()(environ, start_response))  # type: ignore[arg-type]
    assert str(seen["status"]).startswith("404")
    assert b"Not Found" in body
