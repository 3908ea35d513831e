"""Field bounds: enforced by erlen's validator, refused at registration when
they make no sense, and stated in the OpenAPI document."""

from __future__ import annotations

import dataclasses
import decimal
import io
import re
import typing as t
from typing import Annotated
from typing import NotRequired
from typing import Required
from typing import TypedDict

import pytest

from erlen import Erlen
from erlen.api import Body
from erlen.api import Field
from erlen.api import File
from erlen.api import Form
from erlen.api import Header
from erlen.api import Param
from erlen.api import Path
from erlen.api import Query
from erlen.api.validate import compile_type
from erlen.datastructures import FileStorage

Slug = Annotated[str, Field(min_length=2, max_length=8, pattern=r"^[a-z-]+$")]
Page = Annotated[int, Field(ge=1)]


@dataclasses.dataclass
class Order:
    sku: Slug
    quantity: Annotated[int, Field(ge=1, le=10)]
    price: Annotated[float, Field(gt=0, lt=1000)]
    pack: Annotated[int, Field(multiple_of=6)] = 6
    tags: Annotated[list[Slug], Field(min_length=1, max_length=3)] = dataclasses.field(
        default_factory=lambda: ["new"]
    )


class Filters(TypedDict):
    page: Annotated[int, Field(ge=1)]


class MoreFilters(Filters, total=False):
    q: Annotated[str, Field(max_length=5)]
    sort: Required[Annotated[str, Field(pattern="^[a-z]+$")]]
    order: Annotated[NotRequired[str], Field(max_length=4)]


def errors_of(response: t.Any) -> list[tuple[str, str, str]]:
    assert response.status_code == 422, response.data
    assert response.mimetype == "application/problem+json"
    return [
        (e["location"], e["name"], e["type"])
        for e in response.get_json()["error"]["errors"]
    ]


def test_body_reports_every_broken_bound(app: Erlen, client: t.Any) -> None:
    @app.post("/orders")
    def create(order: Body[Order]) -> Order:
        return order

    good = {"sku": "pen", "quantity": 2, "price": 9.5, "pack": 12, "tags": ["a-b"]}
    assert client.post("/orders", json=good).get_json() == good
    rv = client.post(
        "/orders",
        json={"sku": "P", "quantity": 11, "price": 0, "pack": 7, "tags": []},
    )
    assert errors_of(rv) == [
        ("body", "sku", "minLength"),
        ("body", "quantity", "maximum"),
        ("body", "price", "exclusiveMinimum"),
        ("body", "pack", "multipleOf"),
        ("body", "tags", "minItems"),
    ]
    messages = [e["message"] for e in rv.get_json()["error"]["errors"]]
    assert messages == [
        "must have at least 2 characters",
        "must be at most 10",
        "must be greater than 0",
        "must be a multiple of 6",
        "must have at least 1 item",
    ]
    rv = client.post(
        "/orders",
        json={
            "sku": "PEN",
            "quantity": 0,
            "price": 1000,
            "tags": ["ok", "XY", "toolongtag"],
        },
    )
    assert errors_of(rv) == [
        ("body", "sku", "pattern"),
        ("body", "quantity", "minimum"),
        ("body", "price", "exclusiveMaximum"),
        ("body", "tags.1", "pattern"),
        ("body", "tags.2", "maxLength"),
    ]


def test_query_spellings_and_every_error_at_once(app: Erlen, client: t.Any) -> None:
    @app.get("/items")
    def items(
        page: Query[Page] = 1,
        per_page: Annotated[
            int, Param("query", alias="per-page"), Field(ge=1, le=100)
        ] = 20,
        q: Annotated[Query[str], Field(max_length=10)] = "",
        tag: Query[Annotated[list[str], Field(max_length=2)]] = [],  # noqa: B006
    ) -> dict[str, t.Any]:
        return {"page": page, "per_page": per_page, "q": q, "tag": tag}

    assert client.get("/items?page=3&per-page=100&q=pen&tag=a&tag=b").get_json() == {
        "page": 3,
        "per_page": 100,
        "q": "pen",
        "tag": ["a", "b"],
    }
    rv = client.get("/items?page=0&per-page=101&q=" + "x" * 11 + "&tag=a&tag=b&tag=c")
    assert errors_of(rv) == [
        ("query", "page", "minimum"),
        ("query", "per_page", "maximum"),
        ("query", "q", "maxLength"),
        ("query", "tag", "maxItems"),
    ]


def test_pattern_is_a_search_as_in_json_schema(app: Erlen, client: t.Any) -> None:
    @app.get("/p")
    def p(
        has_digit: Query[Annotated[str, Field(pattern=r"[0-9]")]] = "0",
        whole: Query[Annotated[str, Field(pattern=r"^[0-9]+$")]] = "0",
    ) -> dict[str, str]:
        return {"has_digit": has_digit, "whole": whole}

    assert client.get("/p?has_digit=ab1cd&whole=123").status_code == 200
    assert errors_of(client.get("/p?has_digit=abc&whole=12a")) == [
        ("query", "has_digit", "pattern"),
        ("query", "whole", "pattern"),
    ]


def test_length_is_checked_before_the_pattern(app: Erlen, client: t.Any) -> None:
    @app.post("/n")
    def n(name: Form[Annotated[str, Field(max_length=16, pattern=r"^(a+)+$")]]) -> str:
        return name

    rv = client.post("/n", data={"name": "a" * 64 + "!"})
    # One error, and the catastrophic regex never saw the long value.
    assert errors_of(rv) == [("form", "name", "maxLength")]
    assert client.post("/n", data={"name": "aaaa"}).data == b"aaaa"


def test_arrays_are_counted_before_their_items_convert(
    app: Erlen, client: t.Any
) -> None:
    @app.post("/ids")
    def ids(ids: Body[Annotated[list[int], Field(max_length=3)]]) -> dict[str, int]:
        return {"n": len(ids)}

    assert client.post("/ids", json=[1, 2, 3]).get_json() == {"n": 3}
    assert errors_of(client.post("/ids", json=["x"] * 1000)) == [
        ("body", "", "maxItems")
    ]


def test_typeddict_fields_keep_their_bounds(app: Erlen, client: t.Any) -> None:
    @app.get("/f")
    def f(filters: Query[MoreFilters]) -> dict[str, t.Any]:
        return dict(filters)

    # Required[...] as a string (``from __future__``) may not make a key
    # required (Python 3.11 reads only total=), so `sort` is always sent.
    assert client.get("/f?page=2&q=abc&sort=a").get_json() == {
        "page": 2,
        "q": "abc",
        "sort": "a",
    }
    assert errors_of(client.get("/f?page=0&q=abcdef&sort=A&order=lowest")) == [
        ("query", "page", "minimum"),
        ("query", "q", "maxLength"),
        ("query", "sort", "pattern"),
        ("query", "order", "maxLength"),
    ]
    assert errors_of(client.get("/f?sort=a")) == [("query", "page", "missing")]
    props = app.openapi()["paths"]["/f"]["get"]["parameters"]
    assert [p["schema"] for p in props] == [
        {"type": "integer", "minimum": 1},
        {"type": "string", "maxLength": 5},
        {"type": "string", "pattern": "^[a-z]+$"},
        {"type": "string", "maxLength": 4},
    ]


def test_optional_and_path_values_meet_their_bounds(app: Erlen, client: t.Any) -> None:
    @app.get("/users/<int:user_id>/<slug>")
    def user(
        user_id: Path[Annotated[int, Field(le=1000)]],
        slug: Path[Slug],
        limit: Query[Annotated[int, Field(ge=1)] | None] = None,
        offset: Query[Annotated[int | None, Field(ge=0)]] = None,
    ) -> dict[str, t.Any]:
        return {"id": user_id, "slug": slug, "limit": limit, "offset": offset}

    assert client.get("/users/7/bob").get_json() == {
        "id": 7,
        "slug": "bob",
        "limit": None,
        "offset": None,
    }
    rv = client.get("/users/1001/BOB?limit=0&offset=-1")
    assert errors_of(rv) == [
        ("path", "user_id", "maximum"),
        ("path", "slug", "pattern"),
        ("query", "limit", "minimum"),
        ("query", "offset", "minimum"),
    ]
    # The bound's message, not "expected int or null".
    assert rv.get_json()["error"]["errors"][2]["message"] == "must be at least 1"


def test_headers_and_files(app: Erlen, client: t.Any) -> None:
    @app.post("/upload")
    def upload(
        docs: File[Annotated[list[FileStorage], Field(min_length=1, max_length=2)]],
        x_trace: Header[Annotated[str, Field(max_length=8)]] = "",
    ) -> dict[str, int]:
        return {"n": len(docs)}

    def files(n: int) -> dict[str, t.Any]:
        return {"docs": [(io.BytesIO(b"x"), f"{i}.txt") for i in range(n)]}

    assert client.post("/upload", data=files(2)).get_json() == {"n": 2}
    rv = client.post("/upload", data=files(3), headers={"X-Trace": "x" * 9})
    assert errors_of(rv) == [
        ("file", "docs", "maxItems"),
        ("header", "x_trace", "maxLength"),
    ]


def test_decimal_and_float_bounds_are_exact_as_written() -> None:
    price = compile_type(
        Annotated[decimal.Decimal, Field(ge=0.1, multiple_of=decimal.Decimal("0.05"))],
        strings=True,
    )
    ratio = compile_type(Annotated[float, Field(ge=0, le=1, multiple_of=0.1)])
    errors: list[t.Any] = []
    assert price("0.1", ("q",), errors) == decimal.Decimal("0.1")
    assert price("1E+400", ("q",), errors) == decimal.Decimal("1E+400")
    assert ratio(0.3, ("b",), errors) == 0.3  # binary floats would say no
    assert errors == []
    for conv, value in (
        (price, "0.09"),
        (price, "0.12"),
        (ratio, 0.35),
        (ratio, float("nan")),  # fails every bound, as in JSON Schema
        (ratio, -0.0001),
    ):
        assert conv(value, ("x",), errors) is not value
    assert [e[2] for e in errors] == [
        "minimum",
        "multipleOf",
        "multipleOf",
        "minimum",
        "minimum",
    ]


def test_several_fields_merge_and_aliases_nest(app: Erlen, client: t.Any) -> None:
    Limit = Annotated[Page, Field(le=50)]  # ge=1 from Page, le=50 added

    @app.get("/l")
    def limit(n: Query[Limit] = 1) -> dict[str, int]:
        return {"n": n}

    assert client.get("/l?n=50").get_json() == {"n": 50}
    assert errors_of(client.get("/l?n=0")) == [("query", "n", "minimum")]
    assert errors_of(client.get("/l?n=51")) == [("query", "n", "maximum")]
    schema = app.openapi()["paths"]["/l"]["get"]["parameters"][0]["schema"]
    assert schema == {"type": "integer", "minimum": 1, "maximum": 50, "default": 1}


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"pattern": "(unclosed"}, "not a valid regular expression"),
        ({"ge": 5, "le": 1}, "allows no value"),
        ({"gt": 1, "lt": 1}, "allows no value"),
        ({"min_length": 3, "max_length": 2}, "allows no length"),
        ({"multiple_of": 0}, "greater than 0"),
        ({"ge": float("inf")}, "finite"),
    ],
)
def test_impossible_fields_fail_when_written(
    kwargs: dict[str, t.Any], error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        Field(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"ge": True}, "number"), ({"max_length": 2.0}, "int"), ({"pattern": 1}, "str")],
)
def test_fields_of_the_wrong_type_fail_when_written(
    kwargs: dict[str, t.Any], error: str
) -> None:
    with pytest.raises(TypeError, match=error):
        Field(**kwargs)


@pytest.mark.parametrize(
    "annotation",
    [
        Annotated[str, Field(ge=1)],
        Annotated[int, Field(max_length=3)],
        Annotated[list[int], Field(pattern="x")],
        Annotated[bool, Field(le=1)],
        Annotated[dict[str, int], Field(max_length=3)],
    ],
)
def test_bounds_a_type_cannot_have_fail_at_registration(
    app: Erlen, annotation: t.Any
) -> None:
    def view(x: Query[annotation]) -> str:  # type: ignore[valid-type]
        return "x"

    with pytest.raises(TypeError, match="needs? a"):
        app.add_url_rule("/x", view_func=view)


def test_regexes_are_compiled_once(
    app: Erlen, client: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    @app.get("/s")
    def s(code: Query[Annotated[str, Field(pattern=r"^[A-Z]{3}$")]]) -> str:
        return code

    def refuse(*args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise AssertionError("a regex compiled per request")

    for name in ("compile", "search", "match", "fullmatch"):
        monkeypatch.setattr(re, name, refuse)
    assert client.get("/s?code=EUR").data == b"EUR"
    assert errors_of(client.get("/s?code=eur")) == [("query", "code", "pattern")]


def test_the_document_states_the_bounds(app: Erlen) -> None:
    validator = pytest.importorskip("openapi_spec_validator")

    @app.post("/orders")
    def create(
        order: Body[Order],
        dry_run: Query[Annotated[int | None, Field(ge=0, le=1)]] = None,
        price: Query[
            Annotated[decimal.Decimal | None, Field(gt=decimal.Decimal("0.5"))]
        ] = None,
    ) -> Order:
        return order

    @app.post("/upload")
    def upload(
        docs: File[Annotated[list[FileStorage], Field(max_length=2)]],
        title: Form[Annotated[str, Field(min_length=1)]],
    ) -> str:
        return ""

    document = app.openapi()
    validator.validate(document)
    props = document["components"]["schemas"]["Order"]["properties"]
    slug = {
        "type": "string",
        "minLength": 2,
        "maxLength": 8,
        "pattern": "^[a-z-]+$",
    }
    assert props["sku"] == slug
    assert props["quantity"] == {"type": "integer", "minimum": 1, "maximum": 10}
    assert props["price"] == {
        "type": "number",
        "exclusiveMinimum": 0,
        "exclusiveMaximum": 1000,
    }
    assert props["pack"] == {"type": "integer", "multipleOf": 6, "default": 6}
    assert props["tags"] == {
        "type": "array",
        "items": slug,
        "minItems": 1,
        "maxItems": 3,
    }
    params = document["paths"]["/orders"]["post"]["parameters"]
    assert params[0]["schema"] == {"type": "integer", "minimum": 0, "maximum": 1}
    assert params[1]["schema"]["exclusiveMinimum"] == 0.5  # a number, not "0.5"
    form = document["paths"]["/upload"]["post"]["requestBody"]["content"][
        "multipart/form-data"
    ]["schema"]["properties"]
    assert form["docs"] == {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "maxItems": 2,
    }
    assert form["title"] == {"type": "string", "minLength": 1}
