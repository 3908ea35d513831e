"""The debug error page: shown in debug mode only, code but no code execution."""

from __future__ import annotations

import json
import os
import typing as t

import pytest

import erlen
from erlen import Erlen
from erlen.debug import Traceback
from erlen.debug import debug_response
from erlen.debug import is_app_code


@pytest.fixture
def debug_app(app: Erlen) -> Erlen:
    app.testing = False  # otherwise the exception propagates to the test
    app.debug = True

    @app.get("/boom")
    def boom() -> str:
        api_token = "app-local-value"
        raise ValueError(f"bad <value> {len(api_token)}")

    return app


def test_debug_page_shows_the_traceback(debug_app: Erlen) -> None:
    response = debug_app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "DEBUG MODE" in page
    assert "ValueError" in page
    assert "bad &lt;value&gt; 15" in page  # escaped
    assert "<value>" not in page
    assert "raise ValueError(f&quot;bad &lt;value&gt; {len(api_token)}&quot;)" in page
    assert "test_debug.py" in page
    assert "app-local-value" in page  # the app's own frame shows its locals
    assert response.headers["Cache-Control"] == "no-store"
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "<script" not in page


def test_debug_page_is_json_when_the_client_prefers_it(debug_app: Erlen) -> None:
    client = debug_app.test_client()
    response = client.get("/boom", headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert response.mimetype == "application/json"
    data = response.get_json()
    assert data["exception"] == "ValueError"
    assert data["message"] == "bad <value> 15"
    assert data["debug"] is True
    frames = data["traceback"][-1]["frames"]
    last = frames[-1]
    assert last["function"] == "boom"
    assert last["file"] == __file__
    assert last["locals"]["api_token"] == "'app-local-value'"
    erlen_frames = [
        f for f in frames if f["file"].startswith(os.path.dirname(erlen.__file__))
    ]
    assert erlen_frames, "the dispatch frames are part of the traceback"
    assert all("locals" not in f and f["app_code"] is False for f in erlen_frames)


def test_a_json_request_gets_json(debug_app: Erlen) -> None:
    response = debug_app.test_client().get("/boom", json={"a": 1})
    assert response.mimetype == "application/json"


def test_browsers_get_html(debug_app: Erlen) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = debug_app.test_client().get("/boom", headers={"Accept": accept})
    assert response.mimetype == "text/html"


def test_no_debug_no_traceback(debug_app: Erlen) -> None:
    debug_app.debug = False
    response = debug_app.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "ValueError" not in page
    assert "DEBUG MODE" not in page
    assert "app-local-value" not in page


def test_library_frames_show_no_locals() -> None:
    def library_call() -> None:
        json.loads("{not json")  # raises inside the standard library

    try:
        library_call()
    except ValueError as e:
        data = Traceback(e).to_dict()
    frames = data["traceback"][-1]["frames"]
    stdlib = [f for f in frames if f["file"].startswith(os.path.dirname(json.__file__))]
    assert stdlib
    assert all("locals" not in f for f in stdlib)
    assert "locals" in frames[0]  # this test's own frame
    assert not is_app_code(json.__file__)
    assert not is_app_code(pytest.__file__)
    assert not is_app_code(erlen.__file__)
    assert is_app_code(__file__)
    assert not is_app_code("<string>")


def test_chained_exceptions_are_shown_oldest_first() -> None:
    try:
        try:
            {}["missing"]
        except KeyError as e:
            raise RuntimeError("lookup failed") from e
    except RuntimeError as e:
        tb = Traceback(e)
        response = debug_response(e, None)
    names = [type(exc).__name__ for exc, _frames, _link in tb.chain]
    assert names == ["KeyError", "RuntimeError"]
    assert "direct cause" in tb.chain[0][2]
    assert tb.chain[1][2] == ""
    page = response.get_data(as_text=True)
    assert page.index("KeyError") < page.index("direct cause") < page.rindex("lookup")


def test_implicit_context_is_shown_and_suppressed_context_is_not() -> None:
    try:
        try:
            1 / 0  # noqa: B018
        except ZeroDivisionError:
            raise LookupError("while handling") from None
    except LookupError as e:
        assert [type(x).__name__ for x, _f, _l in Traceback(e).chain] == ["LookupError"]
    try:
        try:
            1 / 0  # noqa: B018
        except ZeroDivisionError:
            raise LookupError("while handling")
    except LookupError as e:
        chain = Traceback(e).chain
    assert [type(x).__name__ for x, _f, _l in chain] == [
        "ZeroDivisionError",
        "LookupError",
    ]
    assert "While handling" in chain[0][2]


def test_broken_repr_and_huge_values_do_not_break_the_page() -> None:
    class Evil:
        def __repr__(self) -> str:
            raise RuntimeError("no repr for you")

    def fail() -> None:
        evil = Evil()
        huge = "x" * 100_000
        raise KeyError(f"{id(evil)}{len(huge)}")

    try:
        fail()
    except KeyError as e:
        frame = Traceback(e).chain[-1][1][-1]
    assert frame.locals is not None
    assert frame.locals["evil"].startswith("<")  # reprlib's fallback, no crash
    assert len(frame.locals["huge"]) < 200


def test_debug_response_without_a_request_is_html() -> None:
    try:
        raise OSError("disk on fire")
    except OSError as e:
        response = debug_response(e)
    assert response.status_code == 500
    assert "disk on fire" in response.get_data(as_text=True)


def test_json_body_is_valid_json_with_awkward_values(app: Erlen) -> None:
    def fail(value: t.Any) -> None:
        raise ValueError("\u2603 \x00 snow")

    try:
        fail(b"\xff")
    except ValueError as e:
        with app.test_request_context(headers={"Accept": "application/json"}):
            from erlen import request

            response = debug_response(e, request)
    data = json.loads(response.get_data())
    assert data["message"] == "\u2603 \x00 snow"
    assert data["traceback"][-1]["frames"][-1]["locals"]["value"] == "b'\\xff'"
