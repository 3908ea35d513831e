"""Idempotency keys in the database, claimed inside the view's transaction.

The key row is inserted (not committed) before the view runs, so it commits
with whatever the view commits: a retry either finds the key (and the
stored answer) or finds that nothing was written.  Two requests racing with
one key meet at the primary key: the second waits for the first and gets 409.
A key whose request committed but never stored its answer (a crash) stays
claimed until it expires; the request is never applied twice.
"""

from __future__ import annotations

import json
import threading
import time
import typing as t

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc

from ..idempotency import IdempotencyStore

if t.TYPE_CHECKING:
    from .extension import SQLAlchemy

_create_lock = threading.Lock()
metadata = sa.MetaData()
keys_table = sa.Table(
    "erlen_idempotency_keys",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("done", sa.Boolean, nullable=False, default=False),
    sa.Column("expires_at", sa.Float, nullable=False, index=True),
    sa.Column("response", sa.Text, nullable=True),
)


class SQLIdempotencyStore(IdempotencyStore):
    """Keys in the ``erlen_idempotency_keys`` table of the default bind.

    :param create_table: create the table on first use (else leave it to a
        migration: ``erlen.db.idempotency.keys_table``).
    """

    def __init__(self, db: SQLAlchemy, create_table: bool = True) -> None:
        self.db = db
        self.create_table = create_table
        self._created: set[int] = set()

    def _session(self) -> t.Any:
        if self.create_table:
            engine = self.db.engine
            if id(engine) not in self._created:
                with _create_lock:  # one creator per process
                    if id(engine) not in self._created:
                        try:
                            metadata.create_all(engine, checkfirst=True)
                        except sa_exc.DBAPIError:  # another process won
                            metadata.create_all(engine, checkfirst=True)
                        self._created.add(id(engine))
        return self.db.session

    def claim(
        self, key: str, fingerprint: str, lease: float
    ) -> dict[str, t.Any] | None:
        session = self._session()
        table = keys_table
        now = time.time()
        try:
            session.execute(
                sa.insert(table).values(
                    key=key, fingerprint=fingerprint, done=False, expires_at=now + lease
                )
            )
            session.flush()
            return None
        except sa_exc.IntegrityError:
            session.rollback()  # nothing of the view's ran yet
        row = session.execute(sa.select(table).where(table.c.key == key)).first()
        if row is None:  # deleted meanwhile: try once more
            return self.claim(key, fingerprint, lease)
        if row.done and row.expires_at <= now:  # an answer past its ttl
            session.execute(sa.delete(table).where(table.c.key == key))
            session.commit()
            return self.claim(key, fingerprint, lease)
        response = json.loads(row.response) if row.response else None
        return {"fp": row.fingerprint, "done": bool(row.done), "response": response}

    def finish(self, key: str, record: dict[str, t.Any], ttl: float) -> None:
        session = self.db.session
        table = keys_table
        session.execute(
            sa.update(table)
            .where(table.c.key == key)
            .values(
                done=True,
                expires_at=time.time() + ttl,
                response=json.dumps(record["response"]),
            )
        )
        session.commit()

    def release(self, key: str) -> None:
        # Undo the uncommitted claim; a claim the view committed stays (its
        # writes happened), so a retry gets 409 instead of applying it twice.
        self.db.session.rollback()

    def purge(self) -> int:
        """Delete expired keys; returns how many (run it from a cron job)."""
        session = self._session()
        table = keys_table
        result = session.execute(
            sa.delete(table).where(table.c.expires_at <= time.time())
        )
        session.commit()
        return int(result.rowcount or 0)
