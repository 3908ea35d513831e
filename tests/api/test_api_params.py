"""Typed view parameters: each source, conversion, defaults, and the 422 shape."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import typing as t
import uuid
from typing import Annotated
from typing import Literal
from typing import TypedDict

import pytest

from erlen import Erlen
from erlen.api import Body
from erlen.api import Cookie
from erlen.api import File
from erlen.api import Form
from erlen.api import Header
from erlen.api import Param
from erlen.api import Path
from erlen.api import Query
from erlen.datastructures import FileStorage


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass
class ItemIn:
    name: str
    price: float
    tags: list[str] = dataclasses.field(default_factory=list)
    color: Color | None = None


@dataclasses.dataclass
class ItemOut:
    id: int
    name: str
    price: float


class Filters(TypedDict, total=False):
    page: int
    sort: Literal["name", "price"]
    tag: list[str]


def errors_of(response: t.Any) -> list[dict[str, str]]:
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    body = response.get_json()["error"]
    assert body["status"] == 422
    return [{k: e[k] for k in ("location", "name", "type")} for e in body["errors"]]


def test_the_issue_example(app: Erlen, client: t.Any) -> None:
    items: list[ItemOut] = []

    @app.post("/items")
    def create_item(item: Body[ItemIn]) -> tuple[ItemOut, int]:
        out = ItemOut(len(items) + 1, item.name, item.price)
        items.append(out)
        return out, 201

    @app.get("/items")
    def list_items(page: Query[int] = 1, q: Query[str | None] = None) -> list[ItemOut]:
        found = [i for i in items if q is None or q in i.name]
        return found[(page - 1) * 10 : page * 10]

    rv = client.post("/items", json={"name": "pen", "price": 2})
    assert rv.status_code == 201
    assert rv.get_json() == {"id": 1, "name": "pen", "price": 2.0}
    client.post("/items", json={"name": "ink", "price": 3.5})
    assert client.get("/items?q=in").get_json() == [
        {"id": 2, "name": "ink", "price": 3.5}
    ]
    assert client.get("/items?page=2").get_json() == []


def test_body_reports_every_field_error(app: Erlen, client: t.Any) -> None:
    @app.post("/items")
    def create(item: Body[ItemIn]) -> dict[str, t.Any]:
        return {"ok": True}

    rv = client.post(
        "/items", json={"name": 5, "tags": ["a", 2], "color": "green", "extra": 1}
    )
    assert errors_of(rv) == [
        {"location": "body", "name": "name", "type": "type"},
        {"location": "body", "name": "price", "type": "missing"},
        {"location": "body", "name": "tags.1", "type": "type"},
        {"location": "body", "name": "color", "type": "value"},
    ]
    messages = [e["message"] for e in rv.get_json()["error"]["errors"]]
    assert messages[1] == "field required"
    assert "'red', 'blue'" in messages[3]


def test_body_that_is_not_json_stays_400_or_415(app: Erlen, client: t.Any) -> None:
    @app.post("/items")
    def create(item: Body[ItemIn]) -> dict[str, t.Any]:
        return {"ok": True}

    rv = client.post("/items", data="name=x", content_type="text/plain")
    assert rv.status_code == 415
    assert rv.mimetype == "application/problem+json"
    rv = client.post("/items", data="{not json", content_type="application/json")
    assert rv.status_code == 400
    assert rv.get_json()["error"]["status"] == 400
    rv = client.post("/items", json=[1, 2])
    assert errors_of(rv) == [{"location": "body", "name": "", "type": "type"}]


def test_json_types_are_strict_in_a_body(app: Erlen, client: t.Any) -> None:
    @app.post("/n")
    def n(count: Body[int]) -> dict[str, int]:
        return {"count": count}

    assert client.post("/n", json=3).get_json() == {"count": 3}
    assert errors_of(client.post("/n", json="3"))
    assert errors_of(client.post("/n", json=True))


def test_optional_body_defaults_when_absent(app: Erlen, client: t.Any) -> None:
    @app.post("/opt")
    def opt(item: Body[ItemIn | None] = None) -> dict[str, t.Any]:
        return {"name": item.name if item else None}

    assert client.post("/opt").get_json() == {"name": None}
    assert client.post("/opt", json={"name": "a", "price": 1}).get_json() == {
        "name": "a"
    }


def test_query_parameters(app: Erlen, client: t.Any) -> None:
    @app.get("/search")
    def search(
        q: Query[str],
        page: Query[int] = 1,
        exact: Query[bool] = False,
        tag: Query[list[str]] = [],  # noqa: B006 - never mutated
        since: Query[dt.date | None] = None,
        sort: Query[Literal["name", "price"]] = "name",
    ) -> dict[str, t.Any]:
        return {
            "q": q,
            "page": page,
            "exact": exact,
            "tag": tag,
            "since": since,
            "sort": sort,
        }

    rv = client.get("/search?q=pen&page=2&exact=yes&tag=a&tag=b&since=2024-05-01")
    assert rv.get_json() == {
        "q": "pen",
        "page": 2,
        "exact": True,
        "tag": ["a", "b"],
        "since": "2024-05-01",
        "sort": "name",
    }
    rv = client.get("/search?page=x&exact=maybe&since=yesterday&sort=size")
    assert errors_of(rv) == [
        {"location": "query", "name": "q", "type": "missing"},
        {"location": "query", "name": "page", "type": "type"},
        {"location": "query", "name": "exact", "type": "type"},
        {"location": "query", "name": "since", "type": "type"},
        {"location": "query", "name": "sort", "type": "value"},
    ]


def test_query_into_a_typeddict(app: Erlen, client: t.Any) -> None:
    @app.get("/list")
    def listing(filters: Query[Filters]) -> dict[str, t.Any]:
        return dict(filters)

    assert client.get("/list?page=3&tag=x&other=1").get_json() == {
        "page": 3,
        "tag": ["x"],
    }
    assert errors_of(client.get("/list?sort=size")) == [
        {"location": "query", "name": "sort", "type": "value"}
    ]


def test_headers_and_cookies(app: Erlen, client: t.Any) -> None:
    @app.get("/who")
    def who(
        x_request_id: Header[uuid.UUID],
        user_agent: Header[str] = "?",
        theme: Cookie[Literal["dark", "light"]] = "light",
        token: Annotated[str | None, Param("header", alias="X-Api-Token")] = None,
    ) -> dict[str, t.Any]:
        return {"id": x_request_id, "ua": user_agent, "theme": theme, "tok": token}

    rid = uuid.uuid4()
    client.set_cookie("theme", "dark")
    rv = client.get(
        "/who",
        headers={"X-Request-Id": str(rid), "User-Agent": "t/1", "X-Api-Token": "k"},
    )
    assert rv.get_json() == {"id": str(rid), "ua": "t/1", "theme": "dark", "tok": "k"}
    client.set_cookie("theme", "pink")
    rv = client.get("/who", headers={"X-Request-Id": "nope"})
    assert errors_of(rv) == [
        {"location": "header", "name": "x_request_id", "type": "type"},
        {"location": "cookie", "name": "theme", "type": "value"},
    ]


def test_form_fields_and_form_model(app: Erlen, client: t.Any) -> None:
    @app.post("/one")
    def one(name: Form[str], qty: Form[int] = 1) -> dict[str, t.Any]:
        return {"name": name, "qty": qty}

    @app.post("/model")
    def model(item: Form[ItemIn]) -> ItemIn:
        return item

    assert client.post("/one", data={"name": "a", "qty": "4"}).get_json() == {
        "name": "a",
        "qty": 4,
    }
    assert errors_of(client.post("/one", data={"qty": "x"})) == [
        {"location": "form", "name": "name", "type": "missing"},
        {"location": "form", "name": "qty", "type": "type"},
    ]
    rv = client.post("/model", data={"name": "a", "price": "1.5", "tags": ["x", "y"]})
    assert rv.get_json() == {
        "name": "a",
        "price": 1.5,
        "tags": ["x", "y"],
        "color": None,
    }


def test_file_parameter(app: Erlen, client: t.Any) -> None:
    import io

    @app.post("/upload")
    def upload(doc: File[FileStorage], title: Form[str] = "") -> dict[str, t.Any]:
        return {"name": doc.filename, "size": len(doc.read()), "title": title}

    rv = client.post(
        "/upload", data={"doc": (io.BytesIO(b"hello"), "a.txt"), "title": "t"}
    )
    assert rv.get_json() == {"name": "a.txt", "size": 5, "title": "t"}
    assert errors_of(client.post("/upload", data={"title": "t"})) == [
        {"location": "file", "name": "doc", "type": "missing"}
    ]


def test_path_parameters(app: Erlen, client: t.Any) -> None:
    @app.get("/users/<user_id>/orders/<int:n>")
    def order(user_id: Path[uuid.UUID], n: int) -> dict[str, t.Any]:
        return {"user": user_id, "n": n}

    uid = uuid.UUID(int=7)
    assert client.get(f"/users/{uid}/orders/3").get_json() == {
        "user": str(uid),
        "n": 3,
    }
    assert errors_of(client.get("/users/bob/orders/3")) == [
        {"location": "path", "name": "user_id", "type": "type"}
    ]
    assert client.get(f"/users/{uid}/orders/x").status_code == 404


def test_return_annotation_serialises(app: Erlen, client: t.Any) -> None:
    @dataclasses.dataclass
    class Receipt:
        id: uuid.UUID
        at: dt.datetime
        total: decimal.Decimal
        color: Color
        tags: frozenset[str]

    @app.get("/receipt")
    def receipt() -> Receipt:
        return Receipt(
            uuid.UUID(int=1),
            dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
            decimal.Decimal("9.99"),
            Color.BLUE,
            frozenset({"a"}),
        )

    assert client.get("/receipt").get_json() == {
        "id": "00000000-0000-0000-0000-000000000001",
        "at": "2024-01-02T03:04:05+00:00",
        "total": "9.99",
        "color": "blue",
        "tags": ["a"],
    }


def test_plain_views_are_registered_untouched(app: Erlen) -> None:
    def plain(name):  # type: ignore[no-untyped-def]
        return name

    def annotated(name: str) -> str:
        return name

    app.add_url_rule("/p/<name>", view_func=plain)
    app.add_url_rule("/a/<name>", view_func=annotated)
    assert app.view_functions["plain"] is plain
    assert app.view_functions["annotated"] is annotated


def test_one_typed_view_on_two_rules(app: Erlen, client: t.Any) -> None:
    def page(n: Query[int] = 1) -> dict[str, int]:
        return {"n": n}

    app.add_url_rule("/a", view_func=page)
    app.add_url_rule("/b", view_func=page)
    with pytest.raises(AssertionError, match="overwriting"):
        app.add_url_rule("/c", endpoint="page", view_func=lambda: "x")
    assert client.get("/b?n=2").get_json() == {"n": 2}


def test_async_typed_view(app: Erlen, client: t.Any) -> None:
    @app.get("/async")
    async def view(n: Query[int]) -> ItemOut:
        return ItemOut(n, "x", 1.0)

    assert client.get("/async?n=4").get_json() == {"id": 4, "name": "x", "price": 1.0}
    assert client.get("/async?n=z").status_code == 422


def test_unresolvable_annotation_is_a_clear_error(app: Erlen) -> None:
    def view(item: Body[Missing]) -> str:  # type: ignore[name-defined]  # noqa: F821
        return "x"

    with pytest.raises(TypeError, match="cannot be resolved"):
        app.add_url_rule("/x", view_func=view)


def test_two_json_bodies_are_refused(app: Erlen) -> None:
    def view(a: Body[int], b: Body[int]) -> str:
        return "x"

    with pytest.raises(TypeError, match="JSON body twice"):
        app.add_url_rule("/x", view_func=view)


def test_422_handler_can_be_replaced(app: Erlen, client: t.Any) -> None:
    @app.errorhandler(422)
    def unprocessable(e: t.Any) -> tuple[dict[str, t.Any], int]:
        return {"problems": len(e.extra["errors"])}, 422

    @app.get("/n")
    def n(a: Query[int], b: Query[int]) -> str:
        return "x"

    assert client.get("/n?a=x").get_json() == {"problems": 2}


def test_csrf_exempt_sees_the_typed_view(app: Erlen, client: t.Any) -> None:
    from erlen.csrf import CSRFProtect

    csrf = CSRFProtect(app)

    @app.post("/hook")
    @csrf.exempt
    def hook(n: Body[int]) -> dict[str, int]:
        return {"n": n}

    assert client.post("/hook", json=1).get_json() == {"n": 1}


def test_typed_methodview(app: Erlen, client: t.Any) -> None:
    from erlen.views import MethodView

    class Items(MethodView):
        def get(self, item_id: int, full: Query[bool] = False) -> dict[str, t.Any]:
            return {"id": item_id, "full": full}

        def put(self, item_id: int, item: Body[ItemIn]) -> ItemOut:
            return ItemOut(item_id, item.name, item.price)

    app.add_url_rule("/items/<int:item_id>", view_func=Items.as_view("item"))
    assert client.get("/items/3?full=1").get_json() == {"id": 3, "full": True}
    rv = client.put("/items/3", json={"name": "a", "price": 1})
    assert rv.get_json() == {"id": 3, "name": "a", "price": 1.0}
    assert errors_of(client.put("/items/3", json={})) == [
        {"location": "body", "name": "name", "type": "missing"},
        {"location": "body", "name": "price", "type": "missing"},
    ]
    document = app.openapi()
    ops = document["paths"]["/items/{item_id}"]
    assert ops["get"]["parameters"][1]["name"] == "full"
    assert "requestBody" in ops["put"]


def test_plain_app_never_loads_erlen_api() -> None:
    import subprocess
    import sys

    code = (
        "import sys\nfrom erlen import Erlen\napp = Erlen('p')\n"
        "@app.route('/<name>')\ndef hello(name):\n    return name\n"
        "assert app.test_client().get('/x').data == b'x'\n"
        "print('erlen.api' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip() == "False", out.stderr


def test_response_annotations_keep_flasks_behaviour(app: Erlen, client: t.Any) -> None:
    from erlen import Response
    from erlen.typing import ResponseReturnValue

    when = dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc)

    def flask_style() -> ResponseReturnValue:
        return {"at": when}

    def stream() -> t.Iterator[str]:
        yield "a"
        yield "b"

    def either(n: Query[int]) -> Response | ItemOut:
        return ItemOut(n, "x", 1.0) if n else Response("none")

    for view in (flask_style, stream):
        app.add_url_rule(f"/{view.__name__}", view_func=view)
        assert app.view_functions[view.__name__] is view  # not wrapped
    app.add_url_rule("/either", view_func=either)
    assert client.get("/flask_style").get_json() == {
        "at": "Tue, 02 Jan 2024 00:00:00 GMT"
    }
    assert client.get("/stream").data == b"ab"
    assert client.get("/either?n=2").get_json()["id"] == 2
    assert client.get("/either?n=0").data == b"none"
