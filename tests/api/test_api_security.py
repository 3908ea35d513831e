"""``login_required`` (and ``fresh_login_required``) shows in the OpenAPI
document however a view gets it: on a function, on a MethodView handler, or
through a class's ``decorators``."""

from __future__ import annotations

import typing as t

import pytest

from erlen import Erlen
from erlen.api import Body
from erlen.api import Query
from erlen.views import MethodView
from erlen.views import View

pytest.importorskip("erlen.auth")
validator = pytest.importorskip("openapi_spec_validator")

from erlen.auth import LoginManager  # noqa: E402
from erlen.auth import fresh_login_required  # noqa: E402
from erlen.auth import login_required  # noqa: E402


@pytest.fixture
def secured_app(app: Erlen) -> Erlen:
    manager = LoginManager(app)
    manager.user_loader(lambda user_id: None)

    @app.get("/function")
    @login_required
    def function(n: Query[int] = 1) -> dict[str, int]:
        return {"n": n}

    @app.get("/plain-function")
    @login_required
    def plain_function() -> str:
        return "x"

    @app.get("/fresh")
    @fresh_login_required
    def fresh(n: Query[int] = 1) -> dict[str, int]:
        return {"n": n}

    class TypedResource(MethodView):
        decorators = [login_required]

        def get(self, n: Query[int] = 1) -> dict[str, int]:
            return {"n": n}

        def post(self, n: Body[int]) -> dict[str, int]:
            return {"n": n}

    class PlainResource(MethodView):
        decorators = [login_required]

        def get(self) -> str:
            return "x"

    class OneHandler(MethodView):
        @login_required
        def get(self, n: Query[int] = 1) -> dict[str, int]:
            return {"n": n}

        def post(self, n: Body[int]) -> dict[str, int]:
            return {"n": n}

    class Dispatching(View):
        decorators = [login_required]

        def dispatch_request(self) -> str:
            return "x"

    class Open(MethodView):
        def get(self, n: Query[int] = 1) -> dict[str, int]:
            return {"n": n}

    for path, cls in {
        "/typed": TypedResource,
        "/plain": PlainResource,
        "/one": OneHandler,
        "/dispatching": Dispatching,
        "/open": Open,
    }.items():
        app.add_url_rule(path, view_func=cls.as_view(path.strip("/")))
    return app


def _secured(operation: dict[str, t.Any]) -> bool:
    has_401 = "401" in operation["responses"]
    assert ("security" in operation) == has_401
    if has_401:
        assert operation["security"] == [{"session": []}]
    return has_401


def test_every_kind_of_view_states_its_login(secured_app: Erlen) -> None:
    document = secured_app.openapi()
    validator.validate(document)
    found = {
        (path, method): _secured(op)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
    }
    assert found == {
        ("/function", "get"): True,
        ("/plain-function", "get"): True,
        ("/fresh", "get"): True,
        ("/typed", "get"): True,
        ("/typed", "post"): True,
        ("/plain", "get"): True,
        ("/one", "get"): True,
        ("/one", "post"): False,
        ("/dispatching", "get"): True,
        ("/open", "get"): False,
    }
    scheme = document["components"]["securitySchemes"]["session"]
    assert scheme == {
        "type": "apiKey",
        "in": "cookie",
        "name": "session",
        "description": "The signed session cookie set at login.",
    }
    typed = document["paths"]["/typed"]["post"]["responses"]
    assert list(typed) == sorted(typed)  # 401 slotted in, still in order


def test_the_document_matches_what_the_server_does(secured_app: Erlen) -> None:
    client = secured_app.test_client()
    document = secured_app.openapi()
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            # Bad input: a secured view must refuse with 401 before it validates.
            kwargs: dict[str, t.Any] = {"query_string": {"n": "x"}}
            if method == "post":
                kwargs["json"] = "not a number"
            status = client.open(path, method=method.upper(), **kwargs).status_code
            assert (status == 401) == _secured(op), (path, method, status)


def test_no_login_no_security_scheme(app: Erlen) -> None:
    class Open(MethodView):
        def get(self, n: Query[int] = 1) -> dict[str, int]:
            return {"n": n}

    app.add_url_rule("/open", view_func=Open.as_view("open"))
    document = app.openapi()
    assert "securitySchemes" not in document["components"]
    assert "security" not in document["paths"]["/open"]["get"]
