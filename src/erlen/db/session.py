"""The ORM session class: picks the engine of a model's ``__bind_key__``."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from sqlalchemy.sql.util import find_tables

from .keyrange import key_cannot_exist
from .pkload import FALLBACK
from .pkload import fast_get

if t.TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.engine import Connection
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm._typing import OrmExecuteOptionsParameter
    from sqlalchemy.orm.interfaces import ORMOption
    from sqlalchemy.orm.session import _BindArguments
    from sqlalchemy.sql.selectable import ForUpdateParameter

_EMPTY: t.Mapping[str, t.Any] = sa.util.EMPTY_DICT


class Session(sa_orm.Session):
    """A Session that routes each statement to its bind's engine.

    Tables of a model with ``__bind_key__ = "x"`` live in a MetaData whose
    ``info["bind_key"]`` is ``"x"``; everything else goes to the default
    engine (the session's ``bind``).
    """

    #: Set while an ``@idempotent`` view runs on the database key store: its
    #: commits and rollbacks then stop at a savepoint, and the transaction
    #: commits with the stored answer (:mod:`erlen.db.idempotency`).
    _erlen_hold: t.Any = None

    def __init__(
        self, *, engines: t.Mapping[str | None, Engine] | None = None, **kw: t.Any
    ) -> None:
        super().__init__(**kw)
        self._engines: t.Mapping[str | None, Engine] = engines or {}

    def commit(self) -> None:
        """Commit; inside an ``@idempotent`` view, up to the answer's commit."""
        hold = self._erlen_hold
        if hold is None:
            super().commit()
        else:
            hold.commit()

    def rollback(self) -> None:
        """Roll back; inside an ``@idempotent`` view, what it did since its
        last commit (as a real rollback would)."""
        hold = self._erlen_hold
        if hold is None:
            super().rollback()
        else:
            hold.rollback()

    def get(  # type: ignore[override]
        self,
        entity: t.Any,
        ident: t.Any,
        *,
        options: Sequence[ORMOption] | None = None,
        populate_existing: bool | None = None,
        with_for_update: ForUpdateParameter = None,
        identity_token: t.Any | None = None,
        execution_options: OrmExecuteOptionsParameter = _EMPTY,
        bind_arguments: _BindArguments | None = None,
    ) -> t.Any:
        """SQLAlchemy's ``get``; a plain call by a one-column primary key runs
        a statement built once per model (see :mod:`erlen.db.pkload`).

        An integer key its column cannot hold is None without a query (see
        :mod:`erlen.db.keyrange`).
        """
        if key_cannot_exist(self, entity, ident):
            return None
        if not (
            options
            or populate_existing
            or with_for_update is not None
            or identity_token is not None
            or execution_options
            or bind_arguments
        ):
            rv = fast_get(self, entity, ident)
            if rv is not FALLBACK:
                return rv
        return super().get(
            entity,
            ident,
            options=options,
            populate_existing=populate_existing,
            with_for_update=with_for_update,
            identity_token=identity_token,
            execution_options=execution_options,
            bind_arguments=bind_arguments,
        )

    def get_bind(
        self,
        mapper: t.Any = None,
        *,
        clause: t.Any = None,
        bind: Engine | Connection | None = None,
        **kw: t.Any,
    ) -> Engine | Connection:
        if bind is not None:
            return bind
        # PERF: with one database there is nothing to route.
        if len(self._engines) > 1:
            engine = None
            if mapper is not None:
                engine = self._engine_for(sa.inspect(mapper).local_table)
            if engine is None and clause is not None:
                engine = self._engine_for(clause)
            if engine is not None:
                return engine
        return super().get_bind(mapper, clause=clause, **kw)

    def _engine_for(self, clause: t.Any) -> Engine | None:
        for table in find_tables(clause, include_crud=True):
            metadata = getattr(table, "metadata", None)  # not on a TableClause
            key = metadata.info.get("bind_key") if metadata is not None else None
            if key is not None and key in self._engines:
                return self._engines[key]
        return None
