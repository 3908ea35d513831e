"""The ORM session class: picks the engine of a model's ``__bind_key__``."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from sqlalchemy.sql.util import find_tables

if t.TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.engine import Engine


class Session(sa_orm.Session):
    """A Session that routes each statement to its bind's engine.

    Tables of a model with ``__bind_key__ = "x"`` live in a MetaData whose
    ``info["bind_key"]`` is ``"x"``; everything else goes to the default
    engine (the session's ``bind``).
    """

    def __init__(
        self, *, engines: t.Mapping[str | None, Engine] | None = None, **kw: t.Any
    ) -> None:
        super().__init__(**kw)
        self._engines: t.Mapping[str | None, Engine] = engines or {}

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
