"""JSON errors (every HTTP error as a JSON problem) and API pagination."""

from __future__ import annotations

import datetime as dt
import re
import typing as t
from dataclasses import dataclass
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import Session
from sqlalchemy.orm import mapped_column

from erlen import Blueprint
from erlen import Erlen
from erlen import abort
from erlen import request
from erlen.exceptions import MethodNotAllowed
from erlen.exceptions import NotFound
from erlen.exceptions import ServiceUnavailable
from erlen.exceptions import TooManyRequests
from erlen.exceptions import Unauthorized
from erlen.jsonapi import PROBLEM_JSON
from erlen.jsonapi import CursorCodec
from erlen.jsonapi import JSONErrors
from erlen.jsonapi import enable_json_errors
from erlen.jsonapi import json_abort
from erlen.jsonapi import keyset_paginate
from erlen.jsonapi import paginate

# -- JSON errors -----------------------------------------------------------------


@pytest.fixture
def japp(app: Erlen, monkeypatch: pytest.MonkeyPatch) -> Erlen:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    # The logger is global (named after the app): silence it for this test only.
    monkeypatch.setattr(app.logger, "disabled", True)
    JSONErrors(app)
    return app


def problem(rv: t.Any, status: int) -> dict[str, t.Any]:
    assert rv.status_code == status
    assert rv.mimetype == PROBLEM_JSON
    body = rv.get_json(force=True)
    assert set(body) == {"error"}
    error: dict[str, t.Any] = body["error"]
    assert error["status"] == status
    return error


def test_404_routing(japp: Erlen, client: t.Any) -> None:
    error = problem(client.get("/nowhere"), 404)
    assert error["title"] == "Not Found"
    assert "not found" in error["detail"]


def test_405_keeps_allow(japp: Erlen, client: t.Any) -> None:
    @japp.get("/thing")
    def thing() -> str:
        return "x"

    rv = client.delete("/thing")
    error = problem(rv, 405)
    assert error["title"] == "Method Not Allowed"
    assert set(rv.headers["Allow"].split(", ")) >= {"GET", "HEAD", "OPTIONS"}


def test_400_bad_json(japp: Erlen, client: t.Any) -> None:
    @japp.post("/echo")
    def echo() -> t.Any:
        return request.get_json()

    rv = client.post("/echo", data="{nope", content_type="application/json")
    assert problem(rv, 400)["title"] == "Bad Request"


def test_415_wrong_content_type(japp: Erlen, client: t.Any) -> None:
    @japp.post("/echo")
    def echo() -> t.Any:
        return request.get_json()

    rv = client.post("/echo", data="a=b", content_type="text/plain")
    assert problem(rv, 415)["title"] == "Unsupported Media Type"


def test_413_body_too_large(japp: Erlen, client: t.Any) -> None:
    japp.config["MAX_CONTENT_LENGTH"] = 10

    @japp.post("/upload")
    def upload() -> str:
        return str(len(request.get_data()))

    rv = client.post("/upload", data=b"x" * 100)
    assert problem(rv, 413)["title"] == "Request Entity Too Large"


def test_500_is_generic(japp: Erlen, client: t.Any) -> None:
    @japp.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret database password in traceback")

    rv = client.get("/boom")
    error = problem(rv, 500)
    assert error["title"] == "Internal Server Error"
    assert "secret" not in rv.text
    assert "Traceback" not in rv.text
    assert "RuntimeError" not in rv.text


def test_abort_with_description(japp: Erlen, client: t.Any) -> None:
    @japp.get("/item/<int:id>")
    def item(id: int) -> str:
        abort(404, f"No item {id}.")

    assert problem(client.get("/item/9"), 404)["detail"] == "No item 9."


@pytest.mark.parametrize(
    ("exc", "header", "value"),
    [
        (TooManyRequests(retry_after=30), "Retry-After", "30"),
        (ServiceUnavailable(retry_after=120), "Retry-After", "120"),
        (Unauthorized(www_authenticate='Bearer realm="api"'), "WWW-Authenticate", None),
        (MethodNotAllowed(["GET", "PUT"]), "Allow", "GET, PUT"),
    ],
)
def test_status_headers_are_kept(
    japp: Erlen, client: t.Any, exc: Exception, header: str, value: str | None
) -> None:
    @japp.get("/x")
    def x() -> str:
        raise exc

    rv = client.get("/x")
    problem(rv, t.cast(t.Any, exc).code)
    assert rv.headers[header] == (value or 'Bearer realm="api"')


def test_abort_response_is_sent_as_is(japp: Erlen, client: t.Any) -> None:
    @japp.get("/x")
    def x() -> str:
        abort(japp.response_class("custom", 418))

    rv = client.get("/x")
    assert rv.status_code == 418
    assert rv.text == "custom"


def test_code_handler_takes_precedence(japp: Erlen, client: t.Any) -> None:
    @japp.errorhandler(404)
    def not_found(e: Exception) -> tuple[str, int]:
        return "mine", 404

    @japp.get("/thing")
    def thing() -> str:
        return "x"

    assert client.get("/nope").text == "mine"
    problem(client.post("/thing"), 405)  # other codes still go to JSONErrors


def test_envelope_false_is_strict_rfc9457(app: Erlen, client: t.Any) -> None:
    JSONErrors(app, envelope=False)
    rv = client.get("/nope")
    assert rv.headers["Content-Type"] == PROBLEM_JSON
    body = rv.get_json(force=True)
    assert body["status"] == 404 and body["title"] == "Not Found"


def test_negotiated_json_errors(app: Erlen, client: t.Any) -> None:
    JSONErrors(app, always=False)
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    rv = client.get("/nope", headers={"Accept": browser})
    assert rv.status_code == 404 and rv.mimetype == "text/html"
    rv = client.get("/nope", headers={"Accept": "application/json"})
    problem(rv, 404)
    rv = client.post("/nope", json={"a": 1}, headers={"Accept": "*/*"})
    problem(rv, 404)
    rv = client.get("/nope")
    assert rv.mimetype == "text/html"


def test_blueprint_json_errors(app: Erlen, client: t.Any) -> None:
    api = Blueprint("api", __name__, url_prefix="/api")

    @api.get("/thing/<int:id>")
    def thing(id: int) -> str:
        abort(404)

    @app.get("/page/<int:id>")
    def page(id: int) -> str:
        abort(404)

    enable_json_errors(api)
    app.register_blueprint(api)
    problem(client.get("/api/thing/1"), 404)
    rv = client.get("/page/1")
    assert rv.status_code == 404 and rv.mimetype == "text/html"


def test_json_abort_without_extension(app: Erlen, client: t.Any) -> None:
    @app.post("/people")
    def create() -> str:
        json_abort(
            422,
            "Validation failed.",
            errors={"email": ["is required"]},
            headers={"X-Request-Id": "r1"},
        )

    rv = client.post("/people")
    error = problem(rv, 422)
    assert error["detail"] == "Validation failed."
    assert error["errors"] == {"email": ["is required"]}
    assert rv.headers["X-Request-Id"] == "r1"


def test_json_abort_is_the_status_class(app: Erlen, client: t.Any) -> None:
    seen: list[str] = []

    @app.errorhandler(NotFound)
    def handler(e: NotFound) -> tuple[str, int]:
        seen.append(type(e).__name__)
        return "handled", 404

    @app.get("/x")
    def x() -> str:
        json_abort(404)

    assert client.get("/x").text == "handled"
    assert seen == ["NotFound"]
    with pytest.raises(LookupError):
        json_abort(299)


# -- page-number pagination --------------------------------------------------------


def links(rv: t.Any) -> dict[str, dict[str, list[str]]]:
    """rel -> parsed query of each Link target (and check they are absolute)."""
    out = {}
    for part in rv.headers["Link"].split(", "):
        m = re.fullmatch(r'<([^>]*)>; rel="(\w+)"', part)
        assert m, part
        url = urlsplit(m.group(1))
        assert url.scheme == "http" and url.netloc == "localhost"
        out[m.group(2)] = parse_qs(url.query)
    return out


@pytest.fixture
def numbers(app: Erlen) -> Erlen:
    data = list(range(1, 96))  # 95 items

    @app.get("/numbers")
    def numbers_view() -> t.Any:
        return paginate(data, serializer=lambda n: {"n": n}, max_per_page=50)

    return app


def test_sequence_first_page(numbers: Erlen, client: t.Any) -> None:
    rv = client.get("/numbers")
    body = rv.json
    assert body["page"] == 1 and body["per_page"] == 20
    assert body["total"] == 95 and body["pages"] == 5
    assert body["items"][0] == {"n": 1} and len(body["items"]) == 20
    assert rv.headers["X-Total-Count"] == "95"
    rels = links(rv)
    assert set(rels) == {"first", "next", "last"}
    assert rels["next"]["page"] == ["2"]
    assert rels["last"]["page"] == ["5"]


def test_sequence_middle_and_last_page(numbers: Erlen, client: t.Any) -> None:
    rv = client.get("/numbers?page=3&per_page=10&filter=odd&filter=x")
    assert [i["n"] for i in rv.json["items"]] == list(range(21, 31))
    rels = links(rv)
    assert rels["prev"]["page"] == ["2"] and rels["next"]["page"] == ["4"]
    assert rels["last"]["page"] == ["10"]
    # other query arguments survive, repeated ones too
    assert rels["next"]["filter"] == ["odd", "x"]
    assert rels["next"]["per_page"] == ["10"]
    rv = client.get("/numbers?page=10&per_page=10")
    assert [i["n"] for i in rv.json["items"]] == list(range(91, 96))
    assert "next" not in links(rv)


def test_page_past_the_end_is_empty(numbers: Erlen, client: t.Any) -> None:
    rv = client.get("/numbers?page=50")
    assert rv.status_code == 200
    assert rv.json["items"] == []
    assert links(rv)["prev"]["page"] == ["5"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page=99999999999999999999", "page"),
        ("per_page=0", "per_page"),
        ("per_page=51", "per_page"),
        ("per_page=%C2%B2", "per_page"),
    ],
)
def test_invalid_page_args_are_400(
    numbers: Erlen, client: t.Any, query: str, field: str
) -> None:
    rv = client.get(f"/numbers?{query}")
    error = problem(rv, 400)
    assert field in error["detail"]
    assert field in error["errors"]


def test_empty_sequence(app: Erlen, client: t.Any) -> None:
    @app.get("/empty")
    def empty() -> t.Any:
        return paginate([])

    rv = client.get("/empty")
    assert rv.json == {"items": [], "page": 1, "per_page": 20, "total": 0, "pages": 0}
    assert set(links(rv)) == {"first", "last"}
    assert rv.headers["X-Total-Count"] == "0"


@dataclass
class FakePagination:
    """The attributes erlen.db's Pagination has."""

    items: list[t.Any]
    page: int
    per_page: int
    total: int | None
    has_next: bool = False


def test_pagination_object_and_url_for(app: Erlen, client: t.Any) -> None:
    @app.get("/orgs/<int:org>/members")
    def members(org: int) -> t.Any:
        page = FakePagination(["a", "b"], page=2, per_page=2, total=7)
        return paginate(page, endpoint="members")

    rv = client.get("/orgs/4/members?page=2&per_page=2")
    assert rv.json == {
        "items": ["a", "b"],
        "page": 2,
        "per_page": 2,
        "total": 7,
        "pages": 4,
    }
    link = rv.headers["Link"]
    assert '<http://localhost/orgs/4/members?page=3&per_page=2>; rel="next"' in link
    assert '<http://localhost/orgs/4/members?page=4&per_page=2>; rel="last"' in link


def test_pagination_without_total(app: Erlen, client: t.Any) -> None:
    @app.get("/feed")
    def feed() -> t.Any:
        return paginate(FakePagination([1], 1, 1, None, has_next=True))

    rv = client.get("/feed")
    assert rv.json["total"] is None and rv.json["pages"] is None
    assert "X-Total-Count" not in rv.headers
    assert set(links(rv)) == {"first", "next"}


# -- keyset pagination -----------------------------------------------------------------

metadata = sa.MetaData()
events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String),
    sa.Column("at", sa.DateTime, unique=True),
)


@pytest.fixture
def engine() -> t.Iterator[sa.Engine]:
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    start = dt.datetime(2024, 1, 1)
    with engine.begin() as conn:
        conn.execute(
            events.insert(),
            [
                {"id": i, "name": f"e{i}", "at": start + dt.timedelta(hours=i)}
                for i in range(1, 26)
            ],
        )
    yield engine
    engine.dispose()


@pytest.fixture
def keyset_app(app: Erlen, engine: sa.Engine) -> Erlen:
    @app.get("/events")
    def list_events() -> t.Any:
        descending = request.args.get("order") == "desc"
        column = events.c.at if request.args.get("by") == "at" else events.c.id
        with engine.connect() as conn:
            return keyset_paginate(
                conn,
                sa.select(events).order_by(events.c.name),
                column,
                descending=descending,
                scalars=False,
                serializer=lambda row: row.id,
                default_per_page=10,
            )

    return app


def walk(client: t.Any, url: str, rel: str) -> list[list[t.Any]]:
    pages = []
    while url:
        rv = client.get(url)
        assert rv.status_code == 200
        pages.append(rv.json["items"])
        found = re.search(rf'<([^>]*)>; rel="{rel}"', rv.headers["Link"])
        url = found.group(1) if found else ""
        assert len(pages) < 10
    return pages


def test_keyset_forward_and_back(keyset_app: Erlen, client: t.Any) -> None:
    pages = walk(client, "/events", "next")
    assert pages == [
        list(range(1, 11)),
        list(range(11, 21)),
        list(range(21, 26)),
    ]
    rv = client.get("/events")
    assert rv.json["prev_cursor"] is None
    assert "total" not in rv.json
    # From the last page walk back to the start.
    last_url = re.search(r'<([^>]*)>; rel="next"', rv.headers["Link"]).group(1)  # type: ignore[union-attr]
    last_url = re.search(  # type: ignore[union-attr]
        r'<([^>]*)>; rel="next"', client.get(last_url).headers["Link"]
    ).group(1)
    back = walk(client, last_url, "prev")
    assert back == [list(range(21, 26)), list(range(11, 21)), list(range(1, 11))]


def test_keyset_descending_by_datetime(keyset_app: Erlen, client: t.Any) -> None:
    pages = walk(client, "/events?by=at&order=desc&per_page=7", "next")
    assert [n for p in pages for n in p] == list(range(25, 0, -1))
    assert [len(p) for p in pages] == [7, 7, 7, 4]


def test_keyset_forged_or_broken_cursor_is_400(
    keyset_app: Erlen, client: t.Any
) -> None:
    unsigned = CursorCodec().encode("a", 5)
    for cursor in (unsigned, "garbage", "x" * 2000, ""):
        rv = client.get(f"/events?cursor={cursor}")
        if cursor == "":
            assert rv.status_code == 200
            continue
        assert problem(rv, 400)["errors"] == {"cursor": ["is invalid"]}
    assert problem(client.get("/events?per_page=500"), 400)


def test_cursor_codec_round_trip() -> None:
    plain = CursorCodec()
    signed = CursorCodec("key", ["old"])
    values = [1, "abc", dt.datetime(2024, 5, 1, 12, 30), dt.date(2024, 5, 1), None]
    for codec in (plain, signed):
        for value in values:
            assert codec.decode(codec.encode("a", value)) == ("a", value)
    rotated = CursorCodec("new", ["key"])
    assert rotated.decode(signed.encode("b", 3)) == ("b", 3)


class Base(DeclarativeBase):
    pass


class Person(Base):
    __tablename__ = "person"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]


def test_keyset_orm_session(app: Erlen) -> None:
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Person(id=i, name=f"p{i}") for i in range(1, 6)])
        s.commit()

    @app.get("/people")
    def people() -> t.Any:
        with Session(engine) as s:
            return keyset_paginate(
                s,
                sa.select(Person),
                Person.id,
                serializer=lambda p: p.name,
                default_per_page=2,
            )

    client = app.test_client()
    assert walk(client, "/people", "next") == [["p1", "p2"], ["p3", "p4"], ["p5"]]
    engine.dispose()
