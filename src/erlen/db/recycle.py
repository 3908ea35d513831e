"""Sessions closed at teardown are reset and reused, not rebuilt (issue 12).

Building a ``Session`` (its identity map, its id in SQLAlchemy's registry,
its per-instance event dispatch) is a fixed cost on every request that
touches the database.  ``Session.close()`` already resets a session to the
state it had when made (``close_resets_only``, SQLAlchemy's default): no
objects, no transaction, connection back in the pool.  A closed session is
reused only when nothing can tell it apart from a new one:

* nobody else holds it (its reference count is the recycler's own), so no
  code kept from the last request, and no other thread, can reach it;
* its settings (``autoflush``, ``bind``, ``expire_on_commit``...) are the
  ones it was made with, and ``info`` holds nothing;
* it has no listeners of its own (``event.listen(db.session(), ...)``);
* ``close()`` finished without an error.

Anything else is dropped and the next request gets a new session.
"""

from __future__ import annotations

import sys
import typing as t

import sqlalchemy.orm as sa_orm

try:  # private; without it no session is reused
    from sqlalchemy.event.attr import _EmptyListener
except ImportError:  # pragma: no cover - a SQLAlchemy without the name
    _EmptyListener = None  # type: ignore[assignment,misc]

__all__ = ["Recycler"]

#: Attributes a request changes and close() resets, the session's own id,
#: and those checked on their own; the rest is settings.
_STATE = frozenset(
    {
        "identity_map",
        "_new",
        "_deleted",
        "_transaction",
        "_nested_transaction",
        "hash_key",
        "dispatch",
        "info",
    }
)
#: Closed sessions kept per app: about one per worker thread is enough.
_KEEP = 8
_MISSING = object()
_CLOSE_IS_RESET = getattr(
    getattr(sa_orm.session, "_SessionCloseState", None), "CLOSE_IS_RESET", None
)
_SUPPORTED = (
    _EmptyListener is not None
    and _CLOSE_IS_RESET is not None
    and hasattr(sys, "getrefcount")
    # Free-threaded builds defer reference counts: "nobody else holds it"
    # cannot be read off sys.getrefcount there.
    and getattr(sys, "_is_gil_enabled", lambda: True)()
)


def _settings(session: sa_orm.Session) -> dict[str, t.Any]:
    return {k: v for k, v in vars(session).items() if k not in _STATE}


class Recycler:
    """Closed sessions of one app, ready for the next request."""

    __slots__ = ("_free", "_made")

    def __init__(self) -> None:
        self._free: list[sa_orm.Session] = []
        #: The settings a new session has (from the first one made).
        self._made: dict[str, t.Any] | None = None

    def take(self) -> sa_orm.Session | None:
        """A reset session, or None when there is none to reuse."""
        try:
            # list.pop is atomic: two threads never get the same session.
            return self._free.pop()
        except IndexError:
            return None

    def made(self, session: sa_orm.Session) -> None:
        """Note a new session's settings, the standard for reuse."""
        if self._made is None and _SUPPORTED:
            self._made = _settings(session)

    def close(self, session: sa_orm.Session) -> None:
        """Close ``session`` (what the teardown must do) and keep it for
        reuse if it is indistinguishable from a new one.

        The caller must hold no other reference to it: ``session`` must be
        its last one, passed straight from the registry.
        """
        try:
            _close_connections(session)
        finally:
            session.close()  # raises: not kept
        # Only the caller's pass-through and this frame's (see _OWN_REFS).
        if (
            self._made is not None
            and sys.getrefcount(session) <= _OWN_REFS
            and len(self._free) < _KEEP
            and session._close_state is _CLOSE_IS_RESET
            and not session.identity_map
            and not session._new
            and not session._deleted
            and session._transaction is None
            and _no_own_listeners(session)
            and _same_settings(session, self._made)
        ):
            # An empty ``info`` someone may still hold: the next user gets
            # a dict of its own.
            vars(session).pop("info", None)
            self._free.append(session)


def _close_connections(session: sa_orm.Session) -> None:
    """Close the connections the session opened before the session closes.

    ``Session.close`` rolls back each connection's transaction and then
    closes the connection, and the pool, not told the transaction ended,
    rolls back once more (a round trip on MySQL drivers).  Closing the
    connection itself does the one rollback and tells the pool so.  A
    connection the session was given (``bind=connection``) or a savepoint
    is left to ``Session.close``.
    """
    transaction = session._transaction
    if transaction is None or transaction._parent is not None or transaction.nested:
        return
    for conn, trans, should_commit, autoclose in list(
        transaction._connections.values()
    ):
        if autoclose and should_commit and conn._transaction is trans:
            conn.close()


def _same_settings(session: sa_orm.Session, made: dict[str, t.Any]) -> bool:
    now = vars(session)
    if now.get("info"):
        return False
    settings = 0
    for key, value in now.items():
        if key in _STATE:
            continue
        if made.get(key, _MISSING) is not value:
            return False
        settings += 1
    return settings == len(made)


def _no_own_listeners(session: sa_orm.Session) -> bool:
    dispatch = vars(session).get("dispatch")
    if dispatch is None:
        return True
    for listener in vars(dispatch).values():
        if type(listener) is not _EmptyListener:
            return False
    return True


def _count_own_refs() -> int:
    """What ``sys.getrefcount`` reports inside :meth:`Recycler.close` for a
    session nobody else holds (measured, not assumed: it differs between
    Python versions)."""
    seen: list[int] = []

    def probe(session: object) -> None:
        seen.append(sys.getrefcount(session))

    probe(object())
    return seen[0]


_OWN_REFS = _count_own_refs() if _SUPPORTED else 0
