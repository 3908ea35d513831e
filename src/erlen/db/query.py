"""``Model.query``: SQLAlchemy's legacy Query plus the web shortcuts.

New code can use ``db.session.execute(db.select(...))``; this class keeps the
Flask-SQLAlchemy idioms (``User.query.get(1)``, ``.first_or_404()``) working.
"""

from __future__ import annotations

import typing as t

import sqlalchemy.exc as sa_exc
import sqlalchemy.orm as sa_orm
from sqlalchemy.orm import loading as _loading

from ..exceptions import abort
from .keyrange import cannot_match
from .keyrange import key_cannot_exist
from .pagination import Pagination
from .pagination import QueryPagination
from .pkload import FALLBACK
from .pkload import fast_get

_T = t.TypeVar("_T")


class Query(sa_orm.Query[_T]):
    """A legacy Query with ``*_or_404`` helpers and :meth:`paginate`."""

    def get(self, ident: t.Any) -> _T | None:
        """The row with primary key ``ident`` (identity map first), or None.

        Same as SQLAlchemy's ``Query.get`` without its legacy-API warning:
        ``Model.query.get(id)`` is a supported spelling here.  An integer
        key its column cannot hold is None without a query.
        """
        self._no_criterion_assertion("get", order_by=False, distinct=False)
        mapper = self._only_full_mapper_zero("get")
        if key_cannot_exist(self.session, mapper.class_, ident):
            return None
        if (
            not self._with_options
            and self._for_update_arg is None
            and not self.load_options._populate_existing
            and not self._execution_options
        ):
            # PERF: a plain get runs a statement built once per model.
            rv = fast_get(self.session, mapper.class_, ident)
            if rv is not FALLBACK:
                return t.cast("_T | None", rv)
        # NOTE: the same call SQLAlchemy's Query.get makes after its warning.
        rv = self._get_impl(ident, _loading._load_on_pk_identity)
        return t.cast("_T | None", rv)

    def get_or_404(self, ident: t.Any, description: str | None = None) -> _T:
        """Like :meth:`get`, but a missing row is a 404."""
        rv = self.get(ident)
        if rv is None:
            abort(404, description=description)
        return rv

    def first_or_404(self, description: str | None = None) -> _T:
        """Like ``first()``, but no row is a 404 (with no query when a
        ``column == n`` filter names an integer the column cannot hold)."""
        if cannot_match(self.session, self.whereclause):
            abort(404, description=description)
        rv = self.first()
        if rv is None:
            abort(404, description=description)
        return rv

    def one_or_404(self, description: str | None = None) -> _T:
        """Like ``one()``, but no row or several rows is a 404."""
        if cannot_match(self.session, self.whereclause):
            abort(404, description=description)
        try:
            return self.one()
        except (sa_exc.NoResultFound, sa_exc.MultipleResultsFound):
            abort(404, description=description)

    def paginate(
        self,
        *,
        page: int | None = None,
        per_page: int | None = None,
        max_per_page: int | None = 100,
        error_out: bool = True,
        count: bool = True,
    ) -> Pagination:
        """One page of results; see :class:`~erlen.db.Pagination`."""
        return QueryPagination(
            query=self,
            page=page,
            per_page=per_page,
            max_per_page=max_per_page,
            error_out=error_out,
            count=count,
        )
