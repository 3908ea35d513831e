"""The same endpoints with pydantic v2 and msgspec models, and with login_required."""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t
from typing import Annotated

import pytest

from erlen import Erlen
from erlen.api import Body
from erlen.api import Form
from erlen.api import Query

pydantic = pytest.importorskip("pydantic")
msgspec = pytest.importorskip("msgspec")


class PItem(pydantic.BaseModel):
    name: str
    price: float
    tags: list[str] = []


class PPage(pydantic.BaseModel):
    page: int = 1
    tag: list[str] = []


class MItem(msgspec.Struct):
    name: str
    price: float
    tags: list[str] = []


class MPage(msgspec.Struct):
    page: int = 1
    tag: list[str] = []


class PStamped(pydantic.BaseModel):
    at: dt.datetime


class PBounded(pydantic.BaseModel):
    name: str = pydantic.Field(min_length=1, max_length=5, pattern="^[a-z]+$")
    qty: int = pydantic.Field(ge=1, lt=10, multiple_of=2)
    tags: list[str] = pydantic.Field(default=[], max_length=2)


class MBounded(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=5, pattern="^[a-z]+$")]
    qty: Annotated[int, msgspec.Meta(ge=1, lt=10, multiple_of=2)]
    tags: Annotated[list[str], msgspec.Meta(max_length=2)] = []


@dataclasses.dataclass
class Mixed:
    """A stdlib dataclass: erlen validates it, so pydantic.Field here is ignored."""

    n: Annotated[int, pydantic.Field(ge=1)]


BACKENDS = {"pydantic": (PItem, PPage), "msgspec": (MItem, MPage)}


@pytest.fixture(params=sorted(BACKENDS))
def models(request: t.Any) -> tuple[t.Any, t.Any]:
    return BACKENDS[request.param]


def test_body_query_and_form(app: Erlen, client: t.Any, models: t.Any) -> None:
    Item, Page = models

    @app.post("/items")
    def create(item: Body[Item]) -> tuple[Item, int]:  # type: ignore[valid-type]
        return item, 201

    @app.get("/items")
    def listing(args: Query[Page]) -> dict[str, t.Any]:  # type: ignore[valid-type]
        return {"page": args.page, "tag": args.tag}

    @app.post("/form")
    def form(item: Form[Item]) -> Item:  # type: ignore[valid-type]
        return item

    rv = client.post("/items", json={"name": "pen", "price": 2, "tags": ["a"]})
    assert rv.status_code == 201
    assert rv.get_json() == {"name": "pen", "price": 2.0, "tags": ["a"]}
    assert client.get("/items?page=2&tag=x&tag=y").get_json() == {
        "page": 2,
        "tag": ["x", "y"],
    }
    rv = client.post("/form", data={"name": "a", "price": "1.5", "tags": "t"})
    assert rv.get_json() == {"name": "a", "price": 1.5, "tags": ["t"]}


def test_errors_have_erlens_shape(app: Erlen, client: t.Any, models: t.Any) -> None:
    Item, Page = models

    @app.post("/items")
    def create(item: Body[Item]) -> Item:  # type: ignore[valid-type]
        return item

    @app.get("/items")
    def listing(args: Query[Page]) -> str:  # type: ignore[valid-type]
        return "x"

    rv = client.post("/items", json={"price": "cheap"})
    assert rv.status_code == 422
    errors = rv.get_json()["error"]["errors"]
    assert all(e["location"] == "body" for e in errors)
    names = {e["name"] for e in errors}
    # pydantic lists every error; msgspec stops at the first one.
    assert names == {"name", "price"} if Item is PItem else len(names) == 1
    rv = client.get("/items?page=x")
    assert rv.status_code == 422
    assert rv.get_json()["error"]["errors"][0]["location"] == "query"
    assert rv.get_json()["error"]["errors"][0]["name"] == "page"
    assert (
        client.post("/items", data="{", content_type="application/json").status_code
        == 400
    )
    assert client.post("/items", data="x", content_type="text/plain").status_code == 415


def test_missing_field_reported_as_missing(
    app: Erlen, client: t.Any, models: t.Any
) -> None:
    Item, _ = models

    @app.post("/items")
    def create(item: Body[Item]) -> Item:  # type: ignore[valid-type]
        return item

    rv = client.post("/items", json={"price": 1})
    (error,) = rv.get_json()["error"]["errors"]
    assert (error["location"], error["name"], error["type"]) == (
        "body",
        "name",
        "missing",
    )


def test_pydantic_return_is_iso(app: Erlen, client: t.Any) -> None:
    @app.get("/stamp")
    def stamp() -> PStamped:
        return PStamped(at=dt.datetime(2024, 1, 2, 3, 4, 5))

    assert client.get("/stamp").get_json() == {"at": "2024-01-02T03:04:05"}


def test_login_required_runs_before_validation(app: Erlen, client: t.Any) -> None:
    pytest.importorskip("erlen.auth")
    from erlen.auth import LoginManager
    from erlen.auth import login_required

    manager = LoginManager(app)
    manager.user_loader(lambda user_id: None)

    @app.post("/secret")
    @login_required
    def secret(item: Body[PItem]) -> PItem:
        return item

    rv = client.post("/secret", json={"bad": 1})
    assert rv.status_code == 401  # not a 422 that tells anonymous users the schema
    doc = app.openapi()
    op = doc["paths"]["/secret"]["post"]
    assert op["security"] == [{"session": []}]
    assert "401" in op["responses"]
    assert doc["components"]["securitySchemes"]["session"]["in"] == "cookie"


def test_body_limits_hold_for_library_decoders(
    app: Erlen, client: t.Any, models: t.Any
) -> None:
    Item, _ = models
    app.config.update(MAX_JSON_DEPTH=20, MAX_CONTENT_LENGTH=1000)

    @app.post("/items")
    def create(item: Body[Item]) -> Item:  # type: ignore[valid-type]
        return item

    deep = '{"name": ' + "[" * 50 + "]" * 50 + ', "price": 1}'
    rv = client.post("/items", data=deep, content_type="application/json")
    assert rv.status_code == 400
    assert rv.mimetype == "application/problem+json"
    big = '{"name": "' + "x" * 2000 + '", "price": 1}'
    rv = client.post("/items", data=big, content_type="application/json")
    assert rv.status_code == 413


@pytest.mark.parametrize("model", [PBounded, MBounded])
def test_library_constraints_reach_the_document(
    app: Erlen, client: t.Any, model: t.Any
) -> None:
    validator = pytest.importorskip("openapi_spec_validator")

    @app.post("/body")
    def body(item: Body[model]) -> model:  # type: ignore[valid-type]
        return item

    @app.get("/query")
    def query(item: Query[model]) -> model:  # type: ignore[valid-type]
        return item

    document = app.openapi()
    validator.validate(document)
    props = document["components"]["schemas"][model.__name__]["properties"]
    assert props["name"]["minLength"] == 1
    assert props["name"]["maxLength"] == 5
    assert props["name"]["pattern"] == "^[a-z]+$"
    assert props["qty"]["minimum"] == 1
    assert props["qty"]["exclusiveMaximum"] == 10
    assert props["qty"]["multipleOf"] == 2
    assert props["tags"]["maxItems"] == 2
    params = {
        p["name"]: p["schema"] for p in document["paths"]["/query"]["get"]["parameters"]
    }
    assert params["qty"]["exclusiveMaximum"] == 10
    assert params["name"]["pattern"] == "^[a-z]+$"
    # ... and the library enforces them, in erlen's 422 shape.
    rv = client.post("/body", json={"name": "ABC", "qty": 3})
    assert rv.status_code == 422
    names = {e["name"] for e in rv.get_json()["error"]["errors"]}
    # pydantic lists every error; msgspec stops at the first one.
    assert names == {"name", "qty"} if model is PBounded else len(names) == 1
    rv = client.get("/query?name=abc&qty=12")
    assert rv.status_code == 422
    assert rv.get_json()["error"]["errors"][0]["name"] == "qty"
    assert client.get("/query?name=abc&qty=4&tags=a").status_code == 200


def test_other_libraries_bounds_are_refused_where_erlen_validates(
    app: Erlen,
) -> None:
    def body(m: Body[Mixed]) -> str:
        return "x"

    def query(n: Query[pydantic.PositiveInt]) -> str:
        return "x"

    def meta(n: Query[Annotated[int, msgspec.Meta(le=3)]]) -> str:
        return "x"

    def described(n: Query[Annotated[int, pydantic.Field(description="ok")]]) -> str:
        return "x"

    for view in (body, query, meta):
        with pytest.raises(TypeError, match="not enforced by erlen's validator"):
            app.add_url_rule(f"/{view.__name__}", view_func=view)
    app.add_url_rule("/described", view_func=described)  # constrains nothing
