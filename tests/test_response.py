"""Responses: the object, view return values, headers, cookies, streaming."""

from __future__ import annotations

import typing as t
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest

from erlen import Erlen
from erlen import Response
from erlen import abort
from erlen import jsonify
from erlen import make_response
from erlen import redirect
from erlen import request
from erlen import stream_with_context
from erlen.datastructures import Headers
from erlen.exceptions import NotFound

# -- the object ------------------------------------------------------------------


def test_response_defaults() -> None:
    rv = Response("Hello")
    assert rv.status_code == 200
    assert rv.status == "200 OK"
    assert rv.mimetype == "text/html"
    assert rv.content_type == "text/html; charset=utf-8"
    assert rv.headers["Content-Length"] == "5"
    assert rv.get_data() == b"Hello"
    assert rv.data == b"Hello"
    assert rv.text == "Hello"


def test_response_constructor_arguments() -> None:
    rv = Response(b"{}", 201, {"X-Id": "1"}, mimetype="application/json")
    assert rv.status == "201 CREATED"
    assert rv.headers["X-Id"] == "1"
    assert rv.content_type == "application/json"
    assert rv.is_json
    assert rv.get_json() == {}
    rv = Response("x", content_type="text/plain; charset=latin-1")
    assert rv.content_type == "text/plain; charset=latin-1"
    assert rv.mimetype_params == {"charset": "latin-1"}
    rv = Response("x", status="418")
    assert rv.status_code == 418


def test_status_strings_keep_werkzeug_upper_case_form() -> None:
    rv = Response(status=404)
    assert rv.status == "404 NOT FOUND"
    rv.status = "299 Custom Reason"
    assert rv.status_code == 299
    assert rv.status == "299 CUSTOM REASON"
    rv.status_code = 500
    assert rv.status == "500 INTERNAL SERVER ERROR"
    rv.status_code = 599
    assert rv.status == "599 UNKNOWN"


def test_status_refuses_control_characters_and_nonsense() -> None:
    rv = Response()
    with pytest.raises(ValueError):
        rv.status = "200 OK\r\nX-Injected: 1"
    with pytest.raises(ValueError):
        rv.status = ""
    with pytest.raises(ValueError):
        rv.status_code = 42


def test_set_data_updates_content_length() -> None:
    rv = Response("a")
    rv.set_data("héllo")
    assert rv.headers["Content-Length"] == str(len("héllo".encode()))
    rv.data = b"xyz"
    assert rv.get_data(as_text=True) == "xyz"
    assert rv.content_length == 3


def test_headers_api() -> None:
    rv = Response()
    rv.headers["X-One"] = "1"
    rv.headers.add("X-Multi", "a")
    rv.headers.add("X-Multi", "b")
    rv.headers.extend({"X-Ext": "e"})
    rv.headers.extend([("X-Multi", "c")])
    assert rv.headers.get("x-one") == "1"
    assert rv.headers.getlist("X-MULTI") == ["a", "b", "c"]
    assert rv.headers["X-Ext"] == "e"
    rv.headers.set("X-Multi", "only")
    assert rv.headers.getlist("X-Multi") == ["only"]
    assert rv.headers.get("X-Missing") is None
    assert rv.headers.get("X-Missing", "d") == "d"
    assert "x-one" in rv.headers
    del rv.headers["X-One"]
    assert "X-One" not in rv.headers


def test_mimetype_setter_adds_charset_for_text() -> None:
    rv = Response()
    rv.mimetype = "text/plain"
    assert rv.content_type == "text/plain; charset=utf-8"
    rv.mimetype = "application/octet-stream"
    assert rv.content_type == "application/octet-stream"


def test_response_get_json_force_and_silent() -> None:
    rv = Response("{}", mimetype="text/plain")
    assert rv.get_json(silent=True) is None
    assert rv.get_json(force=True) == {}
    bad = Response("{oops", mimetype="application/json")
    with pytest.raises(ValueError):
        bad.get_json()
    assert bad.get_json(silent=True) is None


def test_response_get_json_of_non_json_is_none() -> None:
    assert Response("{}", mimetype="text/plain").get_json() is None


# -- header injection ----------------------------------------------------------


@pytest.mark.parametrize("value", ["a\r\nSet-Cookie: x=1", "a\nb", "a\rb", "a\0b", "€"])
def test_header_values_with_control_or_non_latin1_characters_are_refused(
    value: str,
) -> None:
    rv = Response()
    with pytest.raises(ValueError):
        rv.headers["X-Test"] = value
    with pytest.raises(ValueError):
        rv.headers.add("X-Test", value)
    with pytest.raises(ValueError):
        rv.headers.set("X-Test", value)
    with pytest.raises(ValueError):
        rv.headers.extend({"X-Test": value})
    with pytest.raises(ValueError):
        rv.headers.update({"X-Test": value})
    with pytest.raises(ValueError):
        Response("x", headers={"X-Test": value})
    with pytest.raises(ValueError):
        Response("x", headers=[("X-Test", value)])
    with pytest.raises(ValueError):
        rv.location = f"/x{value}"
    with pytest.raises(ValueError):
        rv.content_type = f"text/plain{value}"
    assert "X-Test" not in rv.headers


@pytest.mark.parametrize("name", ["X Test", "X:Test", "X\nTest", ""])
def test_invalid_header_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        Response().headers[name] = "v"


def test_latin1_header_values_are_allowed() -> None:
    rv = Response()
    rv.headers["X-Name"] = "café"
    assert rv.headers["X-Name"] == "café"


def test_header_injection_from_a_view_tuple(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def index() -> t.Any:
        return "body", {"X-Evil": "a\r\nSet-Cookie: owned=1"}

    with pytest.raises(ValueError):
        client.get("/")


def test_header_injection_from_a_view_is_a_500_outside_testing(
    app: Erlen, client: t.Any
) -> None:
    app.testing = False

    @app.route("/")
    def index() -> t.Any:
        return "body", 200, [("X-Evil", "a\nInjected: 1")]

    rv = client.get("/")
    assert rv.status_code == 500
    assert "Injected" not in rv.headers


# -- make_response and view return values --------------------------------------


def test_view_returns_str_bytes_dict_list(app: Erlen, client: t.Any) -> None:
    @app.route("/str")
    def s() -> str:
        return "héllo"

    @app.route("/bytes")
    def b() -> bytes:
        return b"\x00\x01"

    @app.route("/dict")
    def d() -> dict[str, t.Any]:
        return {"a": 1}

    @app.route("/list")
    def li() -> list[int]:
        return [1, 2]

    rv = client.get("/str")
    assert rv.text == "héllo"
    assert rv.mimetype == "text/html"
    assert client.get("/bytes").data == b"\x00\x01"
    rv = client.get("/dict")
    assert rv.mimetype == "application/json"
    assert rv.get_json() == {"a": 1}
    assert client.get("/list").get_json() == [1, 2]


def test_view_returns_tuples(app: Erlen, client: t.Any) -> None:
    @app.route("/status")
    def status() -> t.Any:
        return "created", 201

    @app.route("/status-str")
    def status_str() -> t.Any:
        return "teapot", "418 I'M A TEAPOT"

    @app.route("/headers")
    def headers() -> t.Any:
        return "h", {"X-A": "1"}

    @app.route("/headers-list")
    def headers_list() -> t.Any:
        return "h", [("X-A", "1"), ("X-A", "2")]

    @app.route("/all")
    def all_three() -> t.Any:
        return {"ok": True}, 202, {"X-B": "2"}

    @app.route("/response-tuple")
    def response_tuple() -> t.Any:
        return Response("r"), 203, {"X-C": "3"}

    assert client.get("/status").status_code == 201
    assert client.get("/status-str").status_code == 418
    assert client.get("/headers").headers["X-A"] == "1"
    assert client.get("/headers-list").headers.getlist("X-A") == ["1", "2"]
    rv = client.get("/all")
    assert (rv.status_code, rv.headers["X-B"], rv.get_json()) == (
        202,
        "2",
        {"ok": True},
    )
    rv = client.get("/response-tuple")
    assert (rv.status_code, rv.headers["X-C"], rv.text) == (203, "3", "r")


def test_view_returns_generator_and_iterator(app: Erlen, client: t.Any) -> None:
    @app.route("/gen")
    def gen() -> t.Any:
        def chunks() -> t.Iterator[str]:
            yield "a"
            yield "b"
            yield "c"

        return chunks()

    @app.route("/iter")
    def it() -> t.Any:
        return iter([b"x", b"y"]), 206

    assert client.get("/gen").data == b"abc"
    rv = client.get("/iter")
    assert (rv.status_code, rv.data) == (206, b"xy")


def test_view_returns_wsgi_callable(app: Erlen, client: t.Any) -> None:
    def wsgi_app(environ: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        start_response("202 Accepted", [("X-From", "wsgi")])
        return [b"from ", environ["PATH_INFO"].encode()]

    @app.route("/w")
    def w() -> t.Any:
        return wsgi_app

    rv = client.get("/w")
    assert rv.status_code == 202
    assert rv.headers["X-From"] == "wsgi"
    assert rv.data == b"from /w"


def test_view_returns_http_exception(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def index() -> t.Any:
        return NotFound("gone fishing")

    rv = client.get("/")
    assert rv.status_code == 404
    assert b"gone fishing" in rv.data


def test_view_returning_none_is_a_type_error_naming_the_view(
    app: Erlen, client: t.Any
) -> None:
    @app.route("/")
    def forgot_to_return() -> None:
        pass

    with pytest.raises(TypeError, match="forgot_to_return"):
        client.get("/")


@pytest.mark.parametrize("value", [42, object(), ("a",), ("a", 200, {}, "x"), 1.5])
def test_invalid_return_values_are_type_errors(
    app: Erlen, client: t.Any, value: t.Any
) -> None:
    @app.route("/")
    def index() -> t.Any:
        return value

    with pytest.raises(TypeError):
        client.get("/")


def test_make_response_helper(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def index() -> t.Any:
        rv = make_response("made", 201, {"X-A": "a"})
        rv.headers["X-B"] = "b"
        return rv

    @app.route("/empty")
    def empty() -> t.Any:
        return make_response()

    @app.route("/json")
    def as_json() -> t.Any:
        return make_response({"k": "v"})

    rv = client.get("/")
    assert (rv.status_code, rv.text, rv.headers["X-A"], rv.headers["X-B"]) == (
        201,
        "made",
        "a",
        "b",
    )
    assert client.get("/empty").data == b""
    assert client.get("/json").get_json() == {"k": "v"}


def test_make_response_outside_a_context_raises() -> None:
    with pytest.raises(RuntimeError):
        make_response("x")


def test_app_make_response_directly(app: Erlen) -> None:
    with app.test_request_context():
        rv = app.make_response(("x", 404, {"X": "y"}))
        assert (rv.status_code, rv.headers["X"], rv.data) == (404, "y", b"x")


# -- jsonify, redirect, abort --------------------------------------------------


def test_jsonify(app: Erlen, client: t.Any) -> None:
    @app.route("/kw")
    def kw() -> t.Any:
        return jsonify(a=1, b=[1, 2])

    @app.route("/list")
    def li() -> t.Any:
        return jsonify([1, "two"])

    @app.route("/args")
    def args() -> t.Any:
        return jsonify(1, 2)

    rv = client.get("/kw")
    assert rv.mimetype == "application/json"
    assert rv.get_json() == {"a": 1, "b": [1, 2]}
    assert client.get("/list").get_json() == [1, "two"]
    assert client.get("/args").get_json() == [1, 2]


def test_redirect(app: Erlen, client: t.Any) -> None:
    @app.route("/old")
    def old() -> t.Any:
        return redirect("/new")

    @app.route("/moved")
    def moved() -> t.Any:
        return redirect("/new", code=301)

    @app.route("/new")
    def new() -> str:
        return "new place"

    rv = client.get("/old")
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/new"
    assert b"/new" in rv.data
    assert client.get("/moved").status_code == 301
    rv = client.get("/old", follow_redirects=True)
    assert rv.text == "new place"
    assert [r.status_code for r in rv.history] == [302]


def test_redirect_percent_encodes_non_ascii() -> None:
    rv = redirect("/café?q=ü")
    assert rv.headers["Location"] == "/caf%C3%A9?q=%C3%BC"


@pytest.mark.parametrize(
    "location",
    ["/x\r\nSet-Cookie: a=1", "/x\nLocation: //evil", "/x\rY", "/x\0y"],
)
def test_redirect_refuses_control_characters(location: str) -> None:
    with pytest.raises(ValueError):
        redirect(location)


def test_redirect_body_escapes_the_location() -> None:
    rv = redirect('/x"><script>alert(1)</script>')
    assert b"<script>" not in rv.data


def test_abort(app: Erlen, client: t.Any) -> None:
    @app.route("/404")
    def nf() -> t.Any:
        abort(404)

    @app.route("/desc")
    def desc() -> t.Any:
        abort(403, description="not for you")

    @app.route("/resp")
    def resp() -> t.Any:
        abort(Response("custom body", 409))

    assert client.get("/404").status_code == 404
    rv = client.get("/desc")
    assert rv.status_code == 403
    assert b"not for you" in rv.data
    rv = client.get("/resp")
    assert (rv.status_code, rv.data) == (409, b"custom body")


def test_abort_unknown_code_is_a_lookup_error() -> None:
    with pytest.raises(LookupError):
        abort(299)


# -- HEAD and bodiless statuses ------------------------------------------------


def test_head_has_no_body_and_an_honest_content_length(
    app: Erlen, client: t.Any
) -> None:
    @app.route("/json")
    def as_json() -> t.Any:
        return {"key": "value"}

    get = client.get("/json")
    head = client.head("/json")
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Length"] == str(len(get.data))
    assert head.headers["Content-Type"] == get.headers["Content-Type"]


def test_head_of_a_stream_does_not_run_it_into_the_body(
    app: Erlen, client: t.Any
) -> None:
    @app.route("/stream")
    def stream() -> t.Any:
        def gen() -> t.Iterator[str]:
            yield "a"

        return gen()

    head = client.head("/stream")
    assert head.data == b""
    assert "Content-Length" not in head.headers or head.headers["Content-Length"] == "1"


def test_sequence_bodies_get_a_content_length(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def index() -> t.Any:
        return Response([b"a", b"bc"])

    assert client.get("/").headers.get("Content-Length") == "3"
    assert client.head("/").headers.get("Content-Length") == "3"
    assert client.options("/").headers.get("Content-Length") == "0"


@pytest.mark.parametrize("code", [204, 304])
def test_no_body_statuses_send_no_body_and_no_length(
    app: Erlen, client: t.Any, code: int
) -> None:
    @app.route("/")
    def index() -> t.Any:
        return "ignored", code

    rv = client.get("/")
    assert rv.status_code == code
    assert rv.data == b""
    assert "Content-Length" not in rv.headers


# -- cookies ---------------------------------------------------------------------


def _cookie_attrs(header: str) -> tuple[str, dict[str, str]]:
    first, *rest = [p.strip() for p in header.split(";")]
    attrs = {}
    for part in rest:
        key, _, value = part.partition("=")
        attrs[key.lower()] = value
    return first, attrs


def test_set_cookie_writes_every_attribute() -> None:
    rv = Response()
    rv.set_cookie(
        "sid",
        "abc",
        max_age=120,
        path="/app",
        domain="example.com",
        secure=True,
        httponly=True,
        samesite="Strict",
        partitioned=True,
    )
    first, attrs = _cookie_attrs(rv.headers["Set-Cookie"])
    assert first == "sid=abc"
    assert attrs["max-age"] == "120"
    assert attrs["expires"].endswith("GMT")
    assert attrs["path"] == "/app"
    assert attrs["domain"] == "example.com"
    assert "secure" in attrs
    assert "httponly" in attrs
    assert attrs["samesite"] == "Strict"
    assert "partitioned" in attrs


def test_set_cookie_timedelta_and_datetime_expiry() -> None:
    rv = Response()
    rv.set_cookie("a", "1", max_age=timedelta(hours=1))
    rv.set_cookie("b", "2", expires=datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    a, b = rv.headers.getlist("Set-Cookie")
    assert _cookie_attrs(a)[1]["max-age"] == "3600"
    assert _cookie_attrs(b)[1]["expires"] == "Wed, 02 Jan 2030 03:04:05 GMT"


def test_set_cookie_defaults_are_minimal() -> None:
    rv = Response()
    rv.set_cookie("a", "1")
    first, attrs = _cookie_attrs(rv.headers["Set-Cookie"])
    assert first == "a=1"
    assert attrs == {"path": "/"}


def test_delete_cookie() -> None:
    rv = Response()
    rv.delete_cookie("sid", path="/app", domain="example.com")
    first, attrs = _cookie_attrs(rv.headers["Set-Cookie"])
    assert first == "sid="
    assert attrs["max-age"] == "0"
    assert "1970" in attrs["expires"]
    assert attrs["path"] == "/app"
    assert attrs["domain"] == "example.com"


def test_cookie_values_with_special_characters_are_quoted() -> None:
    rv = Response()
    rv.set_cookie("a", 'semi;colon "quote" é')
    header = rv.headers["Set-Cookie"]
    assert header.count(";") == 1  # only the separator before Path
    assert header.isascii()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"key": "bad;name"},
        {"key": "bad name"},
        {"key": "bad\nname"},
        {"key": "a", "value": "x\r\nSet-Cookie: y=1"},
        {"key": "a", "value": "x\0"},
        {"key": "a", "path": "/;Domain=evil.com"},
        {"key": "a", "path": "/\r\nX: y"},
        {"key": "a", "domain": "example.com\nX: y"},
        {"key": "a", "domain": "a;b"},
        {"key": "a", "samesite": "Sometimes"},
    ],
)
def test_cookie_injection_is_refused(kwargs: dict[str, t.Any]) -> None:
    rv = Response()
    with pytest.raises(ValueError):
        rv.set_cookie(**kwargs)
    assert "Set-Cookie" not in rv.headers


def test_cookies_reach_the_client(app: Erlen, client: t.Any) -> None:
    @app.route("/set")
    def set_() -> t.Any:
        rv = make_response("set")
        rv.set_cookie("flavour", "oat", httponly=True)
        return rv

    @app.route("/read")
    def read() -> str:
        return request.cookies.get("flavour", "none")

    @app.route("/del")
    def delete() -> t.Any:
        rv = make_response("deleted")
        rv.delete_cookie("flavour")
        return rv

    client.get("/set")
    assert client.get_cookie("flavour").value == "oat"
    assert client.get("/read").text == "oat"
    client.get("/del")
    assert client.get_cookie("flavour") is None
    assert client.get("/read").text == "none"


# -- streaming -----------------------------------------------------------------


def test_stream_with_context_keeps_the_request(app: Erlen, client: t.Any) -> None:
    torn_down: list[bool] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn_down.append(True)

    @app.route("/")
    def index() -> t.Any:
        def generate() -> t.Iterator[str]:
            yield "Hello "
            yield request.args["name"]
            yield "!"

        return stream_with_context(generate())

    rv = client.get("/?name=World")
    assert rv.data == b"Hello World!"
    assert torn_down == [True]


def test_stream_with_context_as_decorator(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def index() -> t.Any:
        @stream_with_context
        def generate() -> t.Iterator[str]:
            yield request.method
            yield " "
            yield request.path

        return generate()

    assert client.get("/").data == b"GET /"


def test_stream_without_context_cannot_read_request(app: Erlen) -> None:
    @app.route("/")
    def index() -> t.Any:
        def generate() -> t.Iterator[str]:
            yield request.path

        return generate()

    client = app.test_client()
    with pytest.raises(RuntimeError, match="request context"):
        client.get("/")


def test_stream_with_context_outside_a_request_raises() -> None:
    with pytest.raises(RuntimeError, match="request context"):
        stream_with_context(iter(["x"]))


def test_streamed_response_is_closed(app: Erlen, client: t.Any) -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> t.Iterator[bytes]:
            yield b"a"
            yield b"b"

        def close(self) -> None:
            closed.append(True)

    @app.route("/")
    def index() -> t.Any:
        return Response(Body())

    assert client.get("/").data == b"ab"
    assert closed == [True]


def test_call_on_close(app: Erlen, client: t.Any) -> None:
    called: list[str] = []

    @app.route("/")
    def index() -> t.Any:
        rv = Response("x")
        rv.call_on_close(lambda: called.append("closed"))
        return rv

    client.get("/")
    assert called == ["closed"]


def test_make_conditional_method_matches_the_function() -> None:
    rv = Response(b"0123456789")
    rv.set_etag("v1")
    environ = {"REQUEST_METHOD": "GET", "HTTP_IF_NONE_MATCH": '"v1"'}
    assert rv.make_conditional(environ) is rv
    assert rv.status_code == 304
    rv = Response(b"0123456789")
    rv = rv.make_conditional(
        {"REQUEST_METHOD": "GET", "HTTP_RANGE": "bytes=2-4"}, accept_ranges=True
    )
    assert rv.status_code == 206
    assert rv.get_data() == b"234"
    assert rv.headers["Content-Range"] == "bytes 2-4/10"


def test_dict_headers_give_the_same_list_as_headers_objects() -> None:
    # The constructor's fast path for a plain dict must match Headers(dict).
    cases: list[dict[str, t.Any]] = [
        {"Content-Type": "text/plain; charset=utf-8"},
        {"X-A": "1", "x-a": "2", "X-List": ["a", "b"], "X-Num": 3},
        {"content-length": "99", "X-B": "b"},
        {},
    ]
    for headers in cases:
        fast = Response("hi", headers=dict(headers))
        slow = Response("hi", headers=Headers(headers))
        assert fast.headers.to_wsgi_list() == slow.headers.to_wsgi_list(), headers
    with pytest.raises(ValueError):
        Response("x", headers={"X-Bad": "a\r\nb"})
    with pytest.raises(ValueError):
        Response("x", headers={"Bad Name": "a"})
    with pytest.raises(ValueError):
        Response("x", headers={"X-List": ["ok", "a\nb"]})
