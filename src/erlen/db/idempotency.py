"""Idempotency keys in the database, stored in the view's own transaction.

The gap this closes: a view commits its rows, then the connection dies
before the answer is stored.  Had the rows committed alone, a retry could
neither replay the answer (there is none) nor run again (a second insert).
So, per request:

1. *claim*: the key row is inserted and committed at once, with a lease
   (``expires_at``) and a mark naming this claim.  A concurrent retry sees
   it and gets 409; a retry after the lease (the worker died) takes it over.
2. *the view*: ``db.session.commit()`` and ``rollback()`` stop at a
   savepoint (see :class:`erlen.db.Session`); nothing is committed yet.
3. *finish*: the answer is written into the key row -- only if the row
   still carries this claim's mark -- and everything commits at once.
   *release* (an exception, a 5xx) rolls it all back and deletes the claim.

Whatever fails, a retry then finds either the answer (replayed) or none of
the view's rows (and a claim that is freed or expires): the request runs
again safely, never twice.  A claim taken over because the first request
outlived its lease is safe too: the first one's finish finds another mark,
undoes its work and answers 409.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import typing as t

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc

from ..globals import _cv_context
from ..idempotency import IdempotencyStore
from ..jsonapi import json_abort
from .session import Session

if t.TYPE_CHECKING:
    import sqlalchemy.orm as sa_orm

    from .extension import SQLAlchemy

_create_lock = threading.Lock()
metadata = sa.MetaData()
keys_table = sa.Table(
    "erlen_idempotency_keys",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("done", sa.Boolean, nullable=False, default=False),
    # On MariaDB a FLOAT is 4 bytes: a timestamp to ~2 minutes.  Fine for
    # an answer's ttl and for purge(); a claim's exact deadline is in its mark.
    sa.Column("expires_at", sa.Float, nullable=False, index=True),
    # The answer (JSON) once done; while pending, the claim's mark.
    sa.Column("response", sa.Text, nullable=True),
)
_MARK = "claim:"
#: Where a request keeps the claims it holds (on ``g``: per context).
_HOLDS = "_erlen_idempotency_holds"


def _mark(deadline: float) -> str:
    """A claim's mark: unique, and carrying its exact deadline (the
    ``expires_at`` column rounds it on MariaDB)."""
    return f"{_MARK}{secrets.token_hex(8)}:{deadline!r}"


def _live(response: str | None, live: bool, now: float) -> bool:
    """Whether a pending claim is within its lease: by its mark's exact
    deadline, else (a claim made before marks existed) by the column."""
    if response is not None and response.startswith(_MARK):
        try:
            return float(response.rsplit(":", 1)[1]) > now
        except ValueError:
            pass
    return bool(live)


def _cursor(result: t.Any) -> sa.CursorResult[t.Any]:
    """An UPDATE's or DELETE's result (its ``rowcount``), typed as such."""
    return t.cast("sa.CursorResult[t.Any]", result)


class _Hold:
    """A claimed key and the savepoint the view's commits stop at."""

    __slots__ = ("session", "key", "mark", "savepoint")

    def __init__(self, session: Session, key: str, mark: str) -> None:
        self.session = session
        self.key = key
        self.mark = mark
        self.savepoint: t.Any = self._begin()

    def _begin(self) -> t.Any:
        _begin_sqlite(self.session)
        return self.session.begin_nested()

    def check(self) -> None:
        """Refuse to go on when the view closed the session: that rolled
        back what it had committed, which a real commit would have kept."""
        transaction = self.session.get_nested_transaction()
        while transaction is not None:
            if transaction is self.savepoint:
                return
            transaction = transaction.parent
        raise RuntimeError(
            "The session was closed inside an @idempotent view, which undid"
            " what the view had committed: with the database key store its"
            " commits are held until the answer is stored.  Do not call"
            " db.session.close() or remove() in such a view."
        )

    def commit(self) -> None:
        self.check()
        self.savepoint.commit()  # flush; RELEASE SAVEPOINT
        self.savepoint = self._begin()

    def rollback(self) -> None:
        self.check()
        self.savepoint.rollback()  # ROLLBACK TO SAVEPOINT
        self.savepoint = self._begin()


def _begin_sqlite(session: Session) -> None:
    """Open a real transaction on each SQLite connection before the first
    SAVEPOINT: Python's sqlite3 emits BEGIN only before a write, and a
    SAVEPOINT outside a transaction opens one that its RELEASE commits."""
    engines: set[t.Any] = set(session._engines.values()) or {session.get_bind()}
    for engine in engines:
        if engine.dialect.name != "sqlite":
            continue
        conn = session.connection(bind_arguments={"bind": engine})
        dbapi_connection = conn.connection.dbapi_connection
        # isolation_level None: the engine is in autocommit mode (nothing
        # to hold), or opens its own transactions (then already open).
        if (
            not getattr(dbapi_connection, "in_transaction", True)
            and getattr(dbapi_connection, "isolation_level", None) is not None
        ):
            conn.exec_driver_sql("BEGIN")


class SQLIdempotencyStore(IdempotencyStore):
    """Keys in the ``erlen_idempotency_keys`` table of the default bind.

    :param create_table: create the table on first use (else leave it to a
        migration: ``erlen.db.idempotency.keys_table``).
    :param clock: the time source (tests pass their own).
    """

    def __init__(
        self,
        db: SQLAlchemy,
        create_table: bool = True,
        clock: t.Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.create_table = create_table
        self.clock = clock
        self._created: set[int] = set()

    def _session(self) -> Session:
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
        session = self.db.session()
        if not isinstance(session, Session):
            raise TypeError(
                "SQLIdempotencyStore needs erlen.db.Session (or a subclass) as"
                f" the session class, not {type(session).__name__}."
            )
        return session

    @staticmethod
    def _holds() -> dict[str, _Hold]:
        g = _cv_context.get().g
        holds: dict[str, _Hold] | None = getattr(g, _HOLDS, None)
        if holds is None:
            holds = {}
            setattr(g, _HOLDS, holds)
        return holds

    def claim(
        self, key: str, fingerprint: str, lease: float
    ) -> dict[str, t.Any] | None:
        session = self._session()
        if session._erlen_hold is not None:
            raise RuntimeError(
                "An @idempotent view called another one: with the database"
                " store, one key per request."
            )
        table = keys_table
        for _ in range(3):
            now = self.clock()
            mark = _mark(now + lease)
            values = {
                "fingerprint": fingerprint,
                "done": False,
                "expires_at": now + lease,
                "response": mark,
            }
            try:
                session.execute(sa.insert(table).values(key=key, **values))
            except sa_exc.IntegrityError:
                session.rollback()
            else:
                self._hold(session, key, mark)
                return None
            row = session.execute(
                sa.select(
                    table.c.fingerprint,
                    table.c.done,
                    # Compared by the database: MariaDB sends a FLOAT to six
                    # digits (a timestamp to ~1 h).
                    (table.c.expires_at > now).label("live"),
                    table.c.response,
                ).where(table.c.key == key)
            ).first()
            # End the read: the next one must see what others committed
            # since (MariaDB reads a transaction's first snapshot).
            session.rollback()
            if row is None:
                continue  # deleted meanwhile: insert again
            if row.done:
                if row.live:
                    response = json.loads(row.response)
                    return {"fp": row.fingerprint, "done": True, "response": response}
                # Past its ttl: the key is new again.
                stale = sa.and_(table.c.done, table.c.expires_at <= now)
            else:
                if _live(row.response, row.live, now):
                    return {"fp": row.fingerprint, "done": False}
                # Past its lease: that request died; take the claim over,
                # unless someone else just did (the mark is compared).
                same = (
                    table.c.response.is_(None)
                    if row.response is None
                    else table.c.response == row.response
                )
                stale = sa.and_(sa.not_(table.c.done), same)
            result = _cursor(
                session.execute(
                    sa.update(table).where(table.c.key == key, stale).values(**values)
                )
            )
            if result.rowcount == 1:
                self._hold(session, key, mark)
                return None
            session.rollback()
        return {"fp": fingerprint, "done": False}  # contended: 409, retry

    def _hold(self, session: Session, key: str, mark: str) -> None:
        """Commit the claim (keeping the objects the request already
        loaded), then hold the view's commits back."""
        expire = session.expire_on_commit
        session.expire_on_commit = False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire
        try:
            hold = _Hold(session, key, mark)
        except sa_exc.SQLAlchemyError:
            self._forget(session, key, mark)
            raise
        session._erlen_hold = hold
        self._holds()[key] = hold

    def _drop_hold(self, key: str) -> _Hold | None:
        hold = self._holds().pop(key, None)
        if hold is not None and hold.session._erlen_hold is hold:
            del hold.session._erlen_hold
        return hold

    def finish(self, key: str, record: dict[str, t.Any], ttl: float) -> None:
        hold = self._drop_hold(key)
        if hold is None:
            raise RuntimeError(f"finish() of key {key!r}, which is not claimed.")
        session = hold.session
        table = keys_table
        try:
            hold.check()
        except RuntimeError:
            self._forget(session, key, hold.mark)
            raise
        try:
            result = _cursor(
                session.execute(
                    sa.update(table)
                    .where(table.c.key == key, table.c.response == hold.mark)
                    .values(
                        done=True,
                        expires_at=self.clock() + ttl,
                        response=json.dumps(record["response"]),
                    )
                )
            )
            if result.rowcount != 1:
                # Taken over after the lease: the other request's answer
                # counts, this one's work goes.
                session.rollback()
                json_abort(
                    409,
                    "A request with this idempotency key is still being processed.",
                    headers={"Retry-After": "1"},
                )
            session.commit()
        except sa_exc.SQLAlchemyError:
            self._forget(session, key, hold.mark)
            raise

    def release(self, key: str) -> None:
        hold = self._drop_hold(key)
        if hold is not None:
            self._forget(hold.session, key, hold.mark)

    def _forget(self, session: sa_orm.Session, key: str, mark: str) -> None:
        """Undo the request's work and delete its claim, so a retry runs at
        once; with the database gone, the claim expires after its lease."""
        try:
            session.rollback()
        except sa_exc.SQLAlchemyError:
            pass  # the connection is gone: the server rolled back
        table = keys_table
        try:
            session.execute(
                sa.delete(table).where(table.c.key == key, table.c.response == mark)
            )
            session.commit()
        except sa_exc.SQLAlchemyError as e:
            try:
                session.rollback()
            except sa_exc.SQLAlchemyError:
                pass
            _cv_context.get().app.logger.warning(
                "Idempotency key not freed (it expires after its lease): %s", e
            )

    def purge(self) -> int:
        """Delete expired keys; returns how many (run it from a cron job)."""
        session = self._session()
        table = keys_table
        result = _cursor(
            session.execute(sa.delete(table).where(table.c.expires_at <= self.clock()))
        )
        session.commit()
        return int(result.rowcount or 0)
