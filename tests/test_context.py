"""Contexts and the proxies: request, current_app, g, session."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import typing as t

import pytest

from erlen import Erlen
from erlen import after_this_request
from erlen import copy_current_request_context
from erlen import current_app
from erlen import g
from erlen import has_app_context
from erlen import has_request_context
from erlen import request
from erlen import session
from erlen.globals import _cv_context

# -- outside any context -------------------------------------------------------


@pytest.mark.parametrize(
    ("proxy", "message"),
    [
        (request, "outside of request context"),
        (session, "outside of request context"),
        (current_app, "outside of application context"),
        (g, "outside of application context"),
    ],
    ids=["request", "session", "current_app", "g"],
)
def test_proxies_outside_a_context_raise_clear_errors(
    proxy: t.Any, message: str
) -> None:
    with pytest.raises(RuntimeError, match=message):
        proxy.anything  # noqa: B018
    with pytest.raises(RuntimeError, match=message):
        proxy._get_current_object()


def test_unbound_proxies_are_falsy_and_have_a_repr() -> None:
    assert not request
    assert not current_app
    assert "unbound" in repr(request)


def test_request_proxy_in_app_context_only(app_ctx: t.Any) -> None:
    with pytest.raises(RuntimeError, match="request context"):
        request.path  # noqa: B018
    assert current_app.name == "test_app"


def test_after_this_request_outside_a_request_raises() -> None:
    with pytest.raises(RuntimeError, match="request context"):
        after_this_request(lambda r: r)


def test_copy_current_request_context_outside_a_request_raises() -> None:
    with pytest.raises(RuntimeError, match="request context"):
        copy_current_request_context(lambda: None)


# -- app context ---------------------------------------------------------------


def test_app_context(app: Erlen) -> None:
    assert not has_app_context()
    with app.app_context() as ctx:
        assert has_app_context()
        assert not has_request_context()
        assert current_app._get_current_object() is app  # type: ignore[attr-defined]
        assert current_app.config["TESTING"] is True
        assert ctx.app is app
        g.value = 42
        assert g.value == 42
    assert not has_app_context()
    assert _cv_context.get(None) is None


def test_app_context_fixture(app_ctx: t.Any, app: Erlen) -> None:
    assert current_app.name == app.name


def test_g_namespace_api(app_ctx: t.Any) -> None:
    g.a = 1
    assert "a" in g
    assert g.get("a") == 1
    assert g.get("missing", "d") == "d"
    assert g.setdefault("b", 2) == 2
    assert g.setdefault("b", 3) == 2
    assert sorted(g) == ["a", "b"]
    assert g.pop("a") == 1
    assert g.pop("a", None) is None
    with pytest.raises(KeyError):
        g.pop("a")
    assert "erlen.g" in repr(g)


def test_g_is_fresh_for_each_app_context(app: Erlen) -> None:
    with app.app_context():
        g.x = 1
    with app.app_context():
        assert "x" not in g


def test_nested_app_contexts_restore_the_outer(app: Erlen) -> None:
    other = Erlen("other_app", root_path=app.root_path)
    with app.app_context():
        with other.app_context():
            assert current_app.name == "other_app"
        assert current_app.name == "test_app"


def test_teardown_appcontext_runs_on_pop(app: Erlen) -> None:
    seen: list[t.Any] = []

    @app.teardown_appcontext
    def teardown(exc: BaseException | None) -> None:
        seen.append(exc)

    with app.app_context():
        pass
    assert seen == [None]
    with pytest.raises(ZeroDivisionError):
        with app.app_context():
            1 / 0  # noqa: B018
    assert isinstance(seen[1], ZeroDivisionError)


def test_popping_the_wrong_context_is_an_error(app: Erlen) -> None:
    outer = app.app_context()
    outer.push()
    inner = app.app_context()
    inner.push()
    with pytest.raises(AssertionError, match="Popped wrong"):
        outer.pop()
    # The context var was reset by outer.pop; clean up what remains.
    while _cv_context.get(None) is not None:
        _cv_context.get().pop()


# -- request context -----------------------------------------------------------


def test_test_request_context(app: Erlen) -> None:
    with app.test_request_context(
        "/path?x=1", method="POST", headers={"X-A": "a"}, data={"f": "v"}
    ) as ctx:
        assert has_request_context()
        assert has_app_context()
        assert request.path == "/path"
        assert request.method == "POST"
        assert request.args["x"] == "1"
        assert request.headers["X-A"] == "a"
        assert request.form["f"] == "v"
        assert ctx.request is request._get_current_object()  # type: ignore[attr-defined]
        assert current_app.name == "test_app"
    assert not has_request_context()


def test_request_context_fixture(req_ctx: t.Any) -> None:
    assert request.path == "/"
    assert request.method == "GET"
    assert has_request_context()


def test_test_request_context_matches_the_url(app: Erlen) -> None:
    @app.route("/users/<int:id>")
    def user(id: int) -> str:
        return ""

    with app.test_request_context("/users/3"):
        assert request.endpoint == "user"
        assert request.view_args == {"id": 3}


def test_g_is_shared_between_app_and_request_context(app: Erlen) -> None:
    with app.app_context():
        g.from_app = "app"
        with app.test_request_context():
            assert g.from_app == "app"
            g.from_request = "request"
        assert g.from_request == "request"


def test_g_is_per_request(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        count = g.get("count", 0) + 1
        g.count = count
        return str(count)

    assert client.get("/").text == "1"
    assert client.get("/").text == "1"


def test_g_is_shared_by_hooks_and_view(app: Erlen, client: t.Any) -> None:
    @app.before_request
    def load_user() -> None:
        g.user = "ann"

    @app.route("/")
    def index() -> str:
        return g.user

    assert client.get("/").text == "ann"


def test_request_inside_view_is_the_current_request(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        return f"{has_request_context()} {has_app_context()} {current_app.name}"

    assert client.get("/").text == "True True test_app"


def test_with_client_keeps_the_last_request_context(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        g.seen = "yes"
        return "ok"

    with client:
        client.get("/?q=kept")
        assert request.args["q"] == "kept"
        assert g.seen == "yes"
    assert not has_request_context()


def test_with_client_teardown_still_runs_at_the_end_of_each_request(
    app: Erlen, client: t.Any
) -> None:
    # As in Flask 2.2+: teardown runs when the request ends; the preserved
    # context is only kept for inspection.
    torn: list[str] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn.append(request.path)

    @app.route("/a")
    @app.route("/b")
    def view() -> str:
        return ""

    with client:
        client.get("/a")
        assert torn == ["/a"]
        assert request.path == "/a"
        client.get("/b")
        assert torn[-1] == "/b"
        assert request.path == "/b"
    assert not has_request_context()


def test_session_proxy_in_a_request(app: Erlen, client: t.Any) -> None:
    @app.route("/set")
    def set_() -> str:
        session["k"] = "v"
        return ""

    @app.route("/get")
    def get() -> str:
        return session.get("k", "missing")

    client.get("/set")
    assert client.get("/get").text == "v"


# -- copying contexts ----------------------------------------------------------


def test_copy_current_request_context_in_a_thread(app: Erlen, client: t.Any) -> None:
    results: list[str] = []

    @app.route("/")
    def index() -> str:
        @copy_current_request_context
        def work() -> None:
            results.append(f"{request.path}?{request.args['x']} {current_app.name}")

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        return "started"

    assert client.get("/?x=1").text == "started"
    assert results == ["/?1 test_app"]


def test_copy_current_request_context_shares_the_session(
    app: Erlen, client: t.Any
) -> None:
    results: list[t.Any] = []

    @app.route("/")
    def index() -> str:
        session["user"] = "ann"

        @copy_current_request_context
        def work() -> None:
            results.append(session.get("user"))

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        return ""

    client.get("/")
    assert results == ["ann"]


def test_plain_thread_has_no_context(app: Erlen, client: t.Any) -> None:
    results: list[bool] = []

    @app.route("/")
    def index() -> str:
        thread = threading.Thread(target=lambda: results.append(has_request_context()))
        thread.start()
        thread.join()
        return ""

    client.get("/")
    assert results == [False]


def test_contexts_are_isolated_between_contextvars_contexts(app: Erlen) -> None:
    def read() -> bool:
        return has_request_context()

    with app.test_request_context():
        assert contextvars.copy_context().run(read) is True
    assert contextvars.Context().run(read) is False


def test_async_view_sees_the_request(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    async def index() -> str:
        await asyncio.sleep(0)
        return f"{request.path} {g.get('x', 'no-g')} {current_app.name}"

    assert client.get("/").text == "/ no-g test_app"


# -- after_this_request --------------------------------------------------------


def test_after_this_request(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        @after_this_request
        def add_header(response: t.Any) -> t.Any:
            response.headers["X-Foo"] = "a header"
            return response

        return "Test"

    @app.route("/other")
    def other() -> str:
        return "other"

    rv = client.get("/")
    assert rv.headers["X-Foo"] == "a header"
    assert rv.text == "Test"
    assert "X-Foo" not in client.get("/other").headers


def test_after_this_request_runs_before_app_after_request(
    app: Erlen, client: t.Any
) -> None:
    order: list[str] = []

    @app.after_request
    def app_after(response: t.Any) -> t.Any:
        order.append("app")
        return response

    @app.route("/")
    def index() -> str:
        after_this_request(lambda r: order.append("this") or r)
        return ""

    client.get("/")
    assert order == ["this", "app"]
