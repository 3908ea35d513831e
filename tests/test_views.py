"""Class-based views: View and MethodView behave as in Flask 3.1."""

from __future__ import annotations

import typing as t

import pytest

from erlen import Blueprint
from erlen import Erlen
from erlen import request
from erlen.views import MethodView
from erlen.views import View


def test_view_dispatch_request_and_methods(app: Erlen, client: t.Any) -> None:
    class Index(View):
        methods = ["GET", "POST"]

        def dispatch_request(self) -> str:
            return request.method

    app.add_url_rule("/", view_func=Index.as_view("index"))
    assert client.get("/").text == "GET"
    assert client.post("/").text == "POST"
    assert client.put("/").status_code == 405
    allow = client.options("/").headers["Allow"]
    assert set(allow.split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}


def test_view_not_implemented(app: Erlen, client: t.Any) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = True
    app.add_url_rule("/", view_func=View.as_view("index"))
    with pytest.raises(NotImplementedError):
        client.get("/")


def test_method_view_collects_methods(app: Erlen, client: t.Any) -> None:
    class Item(MethodView):
        def get(self, id: int) -> str:
            return f"get {id}"

        def delete(self, id: int) -> tuple[str, int]:
            return "", 204

    view = Item.as_view("item")
    assert view.methods == {"GET", "DELETE"}  # type: ignore[attr-defined]
    app.add_url_rule("/items/<int:id>", view_func=view)
    assert client.get("/items/3").text == "get 3"
    assert client.delete("/items/3").status_code == 204
    rv = client.post("/items/3")
    assert rv.status_code == 405
    assert "DELETE" in rv.headers["Allow"]


def test_method_view_inherits_methods(app: Erlen, client: t.Any) -> None:
    class Base(MethodView):
        def get(self) -> str:
            return "base get"

    class Child(Base):
        def post(self) -> str:
            return "child post"

    class GrandChild(Child):
        def put(self) -> str:
            return "put"

    assert Child.methods == {"GET", "POST"}
    assert GrandChild.methods == {"GET", "POST", "PUT"}
    app.add_url_rule("/", view_func=GrandChild.as_view("index"))
    assert client.get("/").text == "base get"
    assert client.post("/").text == "child post"
    assert client.put("/").text == "put"


def test_method_view_explicit_methods_win() -> None:
    class Only(MethodView):
        methods = ["GET"]

        def get(self) -> str:
            return "x"

        def post(self) -> str:
            return "y"

    assert Only.methods == ["GET"]


def test_head_falls_back_to_get(app: Erlen, client: t.Any) -> None:
    class Page(MethodView):
        def get(self) -> tuple[str, dict[str, str]]:
            return "body", {"X-Method": request.method}

    app.add_url_rule("/", view_func=Page.as_view("page"))
    rv = client.head("/")
    assert rv.status_code == 200
    assert rv.headers["X-Method"] == "HEAD"
    assert rv.data == b""


def test_explicit_head_is_used(app: Erlen, client: t.Any) -> None:
    class Page(MethodView):
        def get(self) -> str:
            return "get"

        def head(self) -> tuple[str, int, dict[str, str]]:
            return "", 200, {"X-From": "head"}

    app.add_url_rule("/", view_func=Page.as_view("page"))
    assert client.head("/").headers["X-From"] == "head"


def test_async_method(app: Erlen, client: t.Any) -> None:
    class Page(MethodView):
        async def get(self) -> str:
            return "async get"

    app.add_url_rule("/", view_func=Page.as_view("page"))
    assert client.get("/").text == "async get"


def test_decorators_applied_in_order(app: Erlen, client: t.Any) -> None:
    calls: list[str] = []

    def tag(name: str) -> t.Callable[..., t.Any]:
        def decorator(f: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
            def wrapper(**kwargs: t.Any) -> t.Any:
                calls.append(name)
                return f(**kwargs)

            return wrapper

        return decorator

    class Page(View):
        decorators = [tag("inner"), tag("outer")]

        def dispatch_request(self) -> str:
            calls.append("view")
            return "ok"

    view = Page.as_view("page")
    assert view.__name__ == "page"
    assert view.view_class is Page  # type: ignore[attr-defined]
    app.add_url_rule("/", view_func=view)
    assert client.get("/").text == "ok"
    assert calls == ["outer", "inner", "view"]


def test_class_args_and_init_every_request(app: Erlen, client: t.Any) -> None:
    inits: list[int] = []

    class Counter(View):
        def __init__(self, start: int, step: int = 1) -> None:
            inits.append(start)
            self.value = start
            self.step = step

        def dispatch_request(self) -> str:
            self.value += self.step
            return str(self.value)

    class Shared(Counter):
        init_every_request = False

    app.add_url_rule("/fresh", view_func=Counter.as_view("fresh", 10, step=5))
    assert client.get("/fresh").text == "15"
    assert client.get("/fresh").text == "15"
    assert inits == [10, 10]

    inits.clear()
    app2 = Erlen("views_shared")
    app2.add_url_rule("/shared", view_func=Shared.as_view("shared", 0))
    c2 = app2.test_client()
    assert inits == [0]  # built once, at as_view()
    assert c2.get("/shared").text == "1"
    assert c2.get("/shared").text == "2"
    assert inits == [0]


def test_provide_automatic_options_false(app: Erlen, client: t.Any) -> None:
    class Page(MethodView):
        provide_automatic_options = False

        def get(self) -> str:
            return "x"

    app.add_url_rule("/", view_func=Page.as_view("page"))
    assert client.options("/").status_code == 405


def test_method_view_on_blueprint_with_url_for(app: Erlen, client: t.Any) -> None:
    bp = Blueprint("api", __name__, url_prefix="/api")

    class Users(MethodView):
        def get(self, user_id: int | None = None) -> dict[str, t.Any]:
            return {"id": user_id}

        def post(self) -> tuple[dict[str, str], int]:
            return {"created": "yes"}, 201

    view = Users.as_view("users")
    bp.add_url_rule(
        "/users/", defaults={"user_id": None}, view_func=view, methods=["GET"]
    )
    bp.add_url_rule("/users/", view_func=view, methods=["POST"])
    bp.add_url_rule("/users/<int:user_id>", view_func=view, methods=["GET"])
    app.register_blueprint(bp)
    assert client.get("/api/users/").json == {"id": None}
    assert client.get("/api/users/7").json == {"id": 7}
    assert client.post("/api/users/").status_code == 201
    with app.test_request_context():
        from erlen import url_for

        assert url_for("api.users", user_id=7) == "/api/users/7"
