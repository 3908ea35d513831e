"""Pagination of a select or a legacy query.

``page`` and ``per_page`` default to ``?page=`` and ``?per_page=`` of the
current request.  Client input is never trusted: a value that is not a small
positive decimal integer, or a page past the end, is a 404 with
``error_out=True`` and is clamped into range with ``error_out=False``.  The
count query is skipped when the items already tell the total.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa

from ..ctx import has_request_context
from ..exceptions import abort
from ..globals import request

if t.TYPE_CHECKING:
    import sqlalchemy.orm as sa_orm

DEFAULT_PER_PAGE = 20
# Larger offsets overflow a BIGINT on some servers; no real table gets there.
_MAX_OFFSET = 2**62
_MAX_DIGITS = 18


def _parse(raw: str | None) -> int | None:
    """A decimal integer from the query string, or None when malformed."""
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > _MAX_DIGITS:
        return -1
    return int(raw)


def page_args(
    page: int | None,
    per_page: int | None,
    max_per_page: int | None,
    error_out: bool,
) -> tuple[int, int]:
    """Validate ``page``/``per_page`` (from the request when None)."""
    if (page is None or per_page is None) and has_request_context():
        args = request.args
        if page is None:
            page = _parse(args.get("page"))
        if per_page is None:
            per_page = _parse(args.get("per_page"))
    if page is None:
        page = 1
    if per_page is None:
        per_page = DEFAULT_PER_PAGE
    if page < 1:
        if error_out:
            abort(404)
        page = 1
    if per_page < 1:
        if error_out:
            abort(404)
        per_page = DEFAULT_PER_PAGE
    if max_per_page is not None:
        per_page = min(per_page, max_per_page)
    return page, per_page


class Pagination:
    """One page of results and the numbers to link the others.

    Subclasses say how to fetch items and the total; users get one from
    ``db.paginate(select)`` or ``Model.query.paginate()``.
    """

    items: list[t.Any]
    total: int | None

    def __init__(
        self,
        page: int | None = None,
        per_page: int | None = None,
        max_per_page: int | None = 100,
        error_out: bool = True,
        count: bool = True,
        **kwargs: t.Any,
    ) -> None:
        self._query_args = kwargs
        self.max_per_page = max_per_page
        self._error_out = error_out
        self._count = count
        page, per_page = page_args(page, per_page, max_per_page, error_out)
        self.page, self.per_page = page, per_page
        items = self._items_for(page)
        total: int | None = None
        if items and len(items) < per_page:
            total = self._offset(page) + len(items)  # the last page: no COUNT
        elif not items and page == 1:
            total = 0
        elif count:
            total = self._query_count()
        if not items and page > 1:
            if error_out:
                abort(404)
            # Clamp to the last page (needs the total; page 1 when unknown).
            if total is None:
                total = self._query_count()
            page = max(1, -(-total // per_page))
            self.page = page
            items = self._items_for(page) if total else []
        self.items = items
        self.total = total

    def _offset(self, page: int) -> int:
        return (page - 1) * self.per_page

    def _items_for(self, page: int) -> list[t.Any]:
        offset = self._offset(page)
        if offset > _MAX_OFFSET:
            return []
        return self._query_items(offset, self.per_page)

    def _query_items(self, offset: int, limit: int) -> list[t.Any]:
        raise NotImplementedError

    def _query_count(self) -> int:
        raise NotImplementedError

    @property
    def first(self) -> int:
        """1-based number of the first item on this page (0 when empty)."""
        return self._offset(self.page) + 1 if self.items else 0

    @property
    def last(self) -> int:
        """1-based number of the last item on this page (0 when empty)."""
        return self._offset(self.page) + len(self.items) if self.items else 0

    @property
    def pages(self) -> int:
        """How many pages there are (0 without a total or without rows)."""
        if not self.total:
            return 0
        return -(-self.total // self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        if self.total is None:
            return len(self.items) == self.per_page
        return self.page < self.pages

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def prev(self, *, error_out: bool = False) -> Pagination:
        """The previous page, with the same settings."""
        return self._sibling(max(1, self.page - 1), error_out)

    def next(self, *, error_out: bool = False) -> Pagination:
        """The next page, with the same settings."""
        return self._sibling(self.page + 1, error_out)

    def _sibling(self, page: int, error_out: bool) -> Pagination:
        return type(self)(
            page=page,
            per_page=self.per_page,
            max_per_page=self.max_per_page,
            error_out=error_out,
            count=self._count,
            **self._query_args,
        )

    def iter_pages(
        self,
        *,
        left_edge: int = 2,
        left_current: int = 2,
        right_current: int = 4,
        right_edge: int = 2,
    ) -> t.Iterator[int | None]:
        """Page numbers for a pager, with None where a gap ("…") goes.

        With 20 pages on page 10: 1 2 None 8 9 10 11 12 13 14 None 19 20.
        """
        pages = self.pages
        if not pages:
            return
        left_end = min(1 + left_edge, pages + 1)
        yield from range(1, left_end)
        if left_end > pages:
            return
        mid_start = max(left_end, self.page - left_current)
        mid_end = min(self.page + right_current + 1, pages + 1)
        if mid_start > left_end:
            yield None
        yield from range(mid_start, mid_end)
        if mid_end > pages:
            return
        right_start = max(mid_end, pages - right_edge + 1)
        if right_start > mid_end:
            yield None
        yield from range(right_start, pages + 1)

    def __iter__(self) -> t.Iterator[t.Any]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} page={self.page} per_page={self.per_page}"
            f" total={self.total}>"
        )


class SelectPagination(Pagination):
    """Pages of ``session.execute(select).scalars()`` (``db.paginate``)."""

    def _query_items(self, offset: int, limit: int) -> list[t.Any]:
        select: sa.Select[t.Any] = self._query_args["select"]
        session: sa_orm.Session = self._query_args["session"]
        stmt = select.limit(limit).offset(offset)
        return list(session.execute(stmt).unique().scalars())

    def _query_count(self) -> int:
        select: sa.Select[t.Any] = self._query_args["select"]
        session: sa_orm.Session = self._query_args["session"]
        sub = select.order_by(None).subquery()
        stmt = sa.select(sa.func.count()).select_from(sub)
        return int(session.execute(stmt).scalar_one())


class QueryPagination(Pagination):
    """Pages of a legacy ``Model.query`` (``Query.paginate``)."""

    def _query_items(self, offset: int, limit: int) -> list[t.Any]:
        query: sa_orm.Query[t.Any] = self._query_args["query"]
        return query.limit(limit).offset(offset).all()

    def _query_count(self) -> int:
        query: sa_orm.Query[t.Any] = self._query_args["query"]
        return query.order_by(None).count()
