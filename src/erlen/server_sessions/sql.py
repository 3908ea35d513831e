"""A SQL session store on SQLAlchemy Core: one row per session.

Independent of erlen.db: give it an ``Engine`` or a database URL.  Expired
rows are ignored when read and removed by :meth:`SQLStore.purge_expired`
(run it from a periodic job).
"""

from __future__ import annotations

import time
import typing as t

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import SQLAlchemyError

from .base import SessionStore
from .base import SessionStoreError

__all__ = ["SQLStore"]


class SQLStore(SessionStore):
    """Sessions in table ``table_name`` (created unless ``create_table=False``)."""

    def __init__(
        self,
        engine: sa.engine.Engine | str,
        table_name: str = "erlen_sessions",
        *,
        metadata: sa.MetaData | None = None,
        create_table: bool = True,
        clock: t.Callable[[], float] = time.time,
    ) -> None:
        self.engine = sa.create_engine(engine) if isinstance(engine, str) else engine
        self.clock = clock
        self.metadata = metadata if metadata is not None else sa.MetaData()
        self.table = sa.Table(
            table_name,
            self.metadata,
            sa.Column("id", sa.String(64), primary_key=True),
            sa.Column("data", sa.Text, nullable=False),
            sa.Column("expires", sa.Float, nullable=False, index=True),
        )
        table = self.table
        c = table.c
        # PERF: statements built once; SQLAlchemy caches their compilation.
        self._select = sa.select(c.data).where(
            c.id == sa.bindparam("k"), c.expires > sa.bindparam("now")
        )
        self._update = (
            table.update()
            .where(c.id == sa.bindparam("k"))
            .values(data=sa.bindparam("d"), expires=sa.bindparam("e"))
        )
        self._insert = table.insert().values(
            id=sa.bindparam("k"), data=sa.bindparam("d"), expires=sa.bindparam("e")
        )
        self._delete = table.delete().where(c.id == sa.bindparam("k"))
        self._purge = table.delete().where(c.expires <= sa.bindparam("now"))
        if create_table:
            try:
                self.metadata.create_all(self.engine, tables=[table])
            except SQLAlchemyError as e:
                raise SessionStoreError(f"sql: {e}") from e

    def load(self, key: str) -> str | None:
        try:
            with self.engine.connect() as conn:
                params = {"k": key, "now": self.clock()}
                row = conn.execute(self._select, params).first()
        except SQLAlchemyError as e:
            raise SessionStoreError(f"sql: {e}") from e
        return None if row is None else t.cast(str, row[0])

    def save(self, key: str, data: str, ttl: int) -> None:
        params = {"k": key, "d": data, "e": self.clock() + ttl}
        try:
            with self.engine.begin() as conn:
                if conn.execute(self._update, params).rowcount:
                    return
                conn.execute(self._insert, params)
        except IntegrityError:
            # Another request inserted the same id between our two statements.
            try:
                with self.engine.begin() as conn:
                    conn.execute(self._update, params)
            except SQLAlchemyError as e:
                raise SessionStoreError(f"sql: {e}") from e
        except SQLAlchemyError as e:
            raise SessionStoreError(f"sql: {e}") from e

    def delete(self, key: str) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(self._delete, {"k": key})
        except SQLAlchemyError as e:
            raise SessionStoreError(f"sql: {e}") from e

    def purge_expired(self) -> int:
        """Delete expired rows; returns how many."""
        try:
            with self.engine.begin() as conn:
                return int(conn.execute(self._purge, {"now": self.clock()}).rowcount)
        except SQLAlchemyError as e:
            raise SessionStoreError(f"sql: {e}") from e
