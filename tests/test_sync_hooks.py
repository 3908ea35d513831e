"""Sync and async hooks, handlers and views: decided once, still correct.

Whether a registered hook is ``async def`` is decided the first time it runs
and kept (keyed by the function), so a request does not pay for
``inspect.iscoroutinefunction`` per hook.  These tests pin down that hooks
and views registered, replaced or assigned later still run the right way.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import sys
import typing as t
from unittest import mock

import pytest

from erlen import Erlen
from erlen import Response
from erlen import after_this_request
from erlen import render_template_string
from erlen import views
from erlen.app import _is_async
from erlen.exceptions import NotFound


def test_async_hooks_run_on_every_request(app: Erlen, client: t.Any) -> None:
    calls: list[str] = []

    @app.after_request
    async def after(response: Response) -> Response:
        await asyncio.sleep(0)
        calls.append("after")
        return response

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        calls.append("teardown")

    @app.teardown_appcontext
    async def teardown_app(exc: BaseException | None) -> None:
        calls.append("teardown_app")

    @app.route("/")
    def index() -> str:
        return "ok"

    for _ in range(3):
        assert client.get("/").text == "ok"
    assert calls == ["after", "teardown", "teardown_app"] * 3


def test_the_coroutine_check_runs_once_per_hook(
    app: Erlen, client: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[t.Any] = []

    def counting(func: t.Any) -> bool:
        asked.append(func)
        return _is_async(func)

    monkeypatch.setattr("erlen.app._is_async", counting)

    @app.after_request
    def after(response: Response) -> Response:
        return response

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        pass

    @app.route("/")
    def index() -> str:
        return "ok"

    for _ in range(5):
        client.get("/")
    assert sorted(f.__name__ for f in asked) == ["after", "teardown"]


def test_a_hook_swapped_in_later_runs_the_right_way(app: Erlen, client: t.Any) -> None:
    seen: list[str] = []

    def sync_after(response: Response) -> Response:
        seen.append("sync")
        return response

    async def async_after(response: Response) -> Response:
        await asyncio.sleep(0)
        seen.append("async")
        response.headers["X-Async"] = "1"
        return response

    app.after_request(sync_after)
    app.route("/")(lambda: "ok")
    client.get("/")
    # The hook lists are plain lists: Flask apps and extensions edit them.
    app.after_request_funcs[None][0] = async_after
    assert client.get("/").headers["X-Async"] == "1"
    app.after_request_funcs[None][0] = sync_after
    assert "X-Async" not in client.get("/").headers
    assert seen == ["sync", "async", "sync"]


def test_a_view_assigned_directly_may_be_async(app: Erlen, client: t.Any) -> None:
    @app.route("/v")
    def v() -> str:
        return "sync"

    assert client.get("/v").text == "sync"

    async def v_async() -> str:
        await asyncio.sleep(0)
        return "async"

    app.view_functions["v"] = v_async
    assert client.get("/v").text == "async"
    app.view_functions["v"] = lambda: "sync again"
    assert client.get("/v").text == "sync again"


def test_async_error_handler_registered_after_requests(app: Erlen) -> None:
    app.route("/")(lambda: "ok")
    client = app.test_client()
    assert client.get("/missing").status_code == 404

    async def not_found(e: NotFound) -> tuple[str, int]:
        await asyncio.sleep(0)
        return "async 404", 404

    # Added after requests were served, by editing the registry directly
    # (as extensions do): it is awaited all the same.
    app.error_handler_spec[None][404][NotFound] = not_found
    assert client.get("/missing").text == "async 404"


def test_async_context_processor(app: Erlen, client: t.Any) -> None:
    @app.context_processor
    async def extra() -> dict[str, str]:
        return {"who": "async"}

    @app.route("/")
    def index() -> str:
        return render_template_string("{{ who }}")

    assert client.get("/").text == "async"
    assert client.get("/").text == "async"


def test_an_overridden_ensure_sync_is_asked_every_time() -> None:
    asked: list[str] = []

    class App(Erlen):
        def ensure_sync(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
            asked.append(func.__name__)
            return super().ensure_sync(func)

    app = App(__name__)

    @app.after_request
    def after(response: Response) -> Response:
        return response

    app.route("/")(lambda: "ok")
    client = app.test_client()
    client.get("/")
    client.get("/")
    assert asked == ["after", "after"]


def test_an_instance_patched_ensure_sync_is_asked_every_time(app: Erlen) -> None:
    asked: list[str] = []
    plain = app.ensure_sync

    def ensure_sync(func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        asked.append(func.__name__)
        return plain(func)

    app.ensure_sync = ensure_sync  # type: ignore[method-assign]

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        pass

    app.route("/")(lambda: "ok")
    client = app.test_client()
    client.get("/")
    client.get("/")
    assert asked == ["teardown", "teardown"]


class _Unhashable:
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, calls: list[int]) -> None:
        self.calls = calls

    def __call__(self, response: Response) -> Response:
        self.calls.append(1)
        return response


def test_an_unhashable_hook_still_runs(app: Erlen, client: t.Any) -> None:
    calls: list[int] = []
    app.after_request_funcs[None].append(_Unhashable(calls))
    app.route("/")(lambda: "ok")
    client.get("/")
    client.get("/")
    assert calls == [1, 1]


def test_after_this_request_may_be_async(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        @after_this_request
        async def once(response: Response) -> Response:
            response.headers["X-Once"] = "1"
            return response

        return "ok"

    assert client.get("/").headers["X-Once"] == "1"
    assert client.get("/").headers["X-Once"] == "1"


def test_method_view_with_async_and_sync_methods(app: Erlen, client: t.Any) -> None:
    class Item(views.MethodView):
        async def get(self) -> str:
            await asyncio.sleep(0)
            return "async get"

        def post(self) -> str:
            return "sync post"

    app.add_url_rule("/item", view_func=Item.as_view("item"))
    assert client.get("/item").text == "async get"
    assert client.post("/item").text == "sync post"


# -- _is_async agrees with inspect (and asyncio's marker) ---------------------------


def _sync() -> None:
    pass


async def _async() -> None:
    pass


class _Methods:
    def sync(self) -> None:
        pass

    async def asynchronous(self) -> None:
        pass

    async def __call__(self) -> None:
        pass


@functools.wraps(_async)
def _wrapped_sync(*args: t.Any) -> t.Any:
    return _async(*args)


def _with_attribute() -> None:
    pass


_with_attribute.methods = ["GET"]  # type: ignore[attr-defined]

_CALLABLES: list[t.Any] = [
    _sync,
    _async,
    _Methods().sync,
    _Methods().asynchronous,
    _Methods(),
    functools.partial(_async),
    functools.partial(_sync),
    _wrapped_sync,
    _with_attribute,
    len,
    mock.Mock(),
    mock.AsyncMock(),
    lambda: None,
]
if sys.version_info >= (3, 12):
    _CALLABLES.append(inspect.markcoroutinefunction(lambda: None))  # type: ignore[attr-defined]


@pytest.mark.parametrize("func", _CALLABLES, ids=repr)
def test_is_async_agrees_with_inspect(func: t.Any) -> None:
    expected = inspect.iscoroutinefunction(func) or isinstance(func, mock.AsyncMock)
    assert _is_async(func) is expected
