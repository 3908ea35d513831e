"""db.paginate and Query.paginate: request args, bad input, page links."""

from __future__ import annotations

import typing as t

import pytest

from erlen import Erlen
from erlen import request
from erlen.db import Pagination
from erlen.db import SQLAlchemy


@pytest.fixture
def client(app: Erlen, db: SQLAlchemy, user_model: t.Any) -> t.Any:
    """25 users and two listing views (select and legacy query)."""
    User = user_model
    with app.app_context():
        db.session.add_all([User(username=f"user{i:02d}") for i in range(1, 26)])
        db.session.commit()

    def dump(page: Pagination) -> dict[str, t.Any]:
        return {
            "items": [u.username for u in page.items],
            "page": page.page,
            "per_page": page.per_page,
            "total": page.total,
            "pages": page.pages,
            "has_prev": page.has_prev,
            "has_next": page.has_next,
            "prev_num": page.prev_num,
            "next_num": page.next_num,
            "first": page.first,
            "last": page.last,
        }

    @app.get("/users")
    def users() -> t.Any:
        error_out = request.args.get("strict", "1") == "1"
        count = request.args.get("count", "1") == "1"
        stmt = db.select(User).order_by(User.id)
        return dump(
            db.paginate(stmt, max_per_page=10, error_out=error_out, count=count)
        )

    @app.get("/legacy")
    def legacy() -> t.Any:
        return dump(User.query.order_by(User.id).paginate(max_per_page=10))

    return app.test_client()


def test_defaults_from_the_query_string(client: t.Any) -> None:
    data = client.get("/users").json
    assert data["items"] == [f"user{i:02d}" for i in range(1, 11)]  # clamped to 10
    assert data["page"] == 1 and data["per_page"] == 10
    assert data["total"] == 25 and data["pages"] == 3
    assert (data["has_prev"], data["has_next"]) == (False, True)
    assert (data["prev_num"], data["next_num"]) == (None, 2)
    assert (data["first"], data["last"]) == (1, 10)


@pytest.mark.parametrize("path", ["/users", "/legacy"])
def test_middle_and_last_page(client: t.Any, path: str) -> None:
    data = client.get(f"{path}?page=2&per_page=5").json
    assert data["items"] == [f"user{i:02d}" for i in range(6, 11)]
    assert (data["prev_num"], data["next_num"], data["pages"]) == (1, 3, 5)
    last = client.get(f"{path}?page=5&per_page=5").json
    assert last["items"][-1] == "user25" and not last["has_next"]
    assert (last["first"], last["last"], last["total"]) == (21, 25, 25)


BAD_QUERIES = [
    "page=0",
    "page=-1",
    "page=abc",
    "page=",
    "page=1.5",
    "page=%2B2",  # "+2"
    "page=%D9%A3",  # an Arabic-Indic digit, which int() would accept
    "page=99",  # past the end
    "page=99999999999999999999999",  # far past any offset a server takes
    "per_page=0",
    "per_page=-5",
    "per_page=x",
]


def test_bad_values_are_404(client: t.Any) -> None:
    # One test per backend, looping: the 25-row setup is the slow part.
    for query in BAD_QUERIES:
        for path in ("/users", "/legacy"):
            assert client.get(f"{path}?{query}").status_code == 404, (path, query)


LENIENT = [
    ("page=0", 1, 10),
    ("page=abc", 1, 10),
    ("page=99", 3, 10),  # clamped to the last page
    ("page=99&count=0", 3, 10),  # clamping counts when it must
    ("page=99999999999999999", 3, 10),
    ("per_page=0", 1, 10),  # the default (20), then max_per_page
    ("per_page=3&page=9", 9, 3),
    ("per_page=1000", 1, 10),
]


def test_lenient_mode_clamps(client: t.Any) -> None:
    for query, page, per_page in LENIENT:
        data = client.get(f"/users?strict=0&{query}").json
        assert (data["page"], data["per_page"]) == (page, per_page), query
        assert data["items"], "a clamped page is never empty"


def test_count_false_skips_total_unless_known(client: t.Any) -> None:
    first = client.get("/users?count=0&per_page=10").json
    assert first["total"] is None and first["pages"] == 0
    assert first["has_next"] is True
    last = client.get("/users?count=0&per_page=10&page=3").json
    assert last["total"] == 25  # a short page tells the total
    assert last["has_next"] is False


def test_explicit_arguments_and_siblings(
    app: Erlen, db: SQLAlchemy, client: t.Any, user_model: t.Any
) -> None:
    User = user_model
    with app.test_request_context("/?page=3&per_page=2"):
        stmt = db.select(User).order_by(User.id)
        page = db.paginate(stmt, page=2, per_page=4, max_per_page=None)
        assert [u.username for u in page] == ["user05", "user06", "user07", "user08"]
        assert len(page) == 4
        from_args = db.paginate(stmt)
        assert (from_args.page, from_args.per_page) == (3, 2)
        nxt = page.next()
        assert nxt.page == 3 and nxt.items[0].username == "user09"
        assert page.prev().page == 1
        assert "page=2" in repr(page)
    with app.app_context():  # no request: the defaults
        page = db.paginate(db.select(User).order_by(User.id))
        assert (page.page, page.per_page, page.total) == (1, 20, 25)


def test_empty_table(app: Erlen, db: SQLAlchemy, user_model: t.Any) -> None:
    with app.test_request_context("/"):
        page = db.paginate(db.select(user_model))
        assert page.items == [] and page.total == 0 and page.pages == 0
        assert not page.has_next and not page.has_prev
        assert list(page.iter_pages()) == []
        assert (page.first, page.last) == (0, 0)


class _Numbers(Pagination):
    """A pagination over a fixed total, to check the page arithmetic."""

    def _query_items(self, offset: int, limit: int) -> list[t.Any]:
        total = self._query_args["total"]
        return list(range(offset, min(offset + limit, total)))

    def _query_count(self) -> int:
        return int(self._query_args["total"])


@pytest.mark.parametrize(
    ("page", "total", "expected"),
    [
        (10, 200, [1, 2, None, 8, 9, 10, 11, 12, 13, 14, None, 19, 20]),
        (1, 200, [1, 2, 3, 4, 5, None, 19, 20]),
        (20, 200, [1, 2, None, 18, 19, 20]),
        (3, 50, [1, 2, 3, 4, 5]),
        (1, 10, [1]),
    ],
)
def test_iter_pages(page: int, total: int, expected: list[int | None]) -> None:
    pagination = _Numbers(page=page, per_page=10, total=total)
    assert list(pagination.iter_pages()) == expected
