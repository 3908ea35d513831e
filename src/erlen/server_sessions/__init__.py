"""Server-side sessions: only a signed random id in the cookie, data in a store.

``app.session_interface = ServerSideSessionInterface(MemoryStore())`` (or
``RedisStore``, ``SQLStore``).  The cookie holds a 256-bit random id signed
with the secret key; the store keys records by the SHA-256 of that id, so a
leaked store does not hand out live cookies.  Records are tagged JSON (never
pickle).

Timeouts are enforced on the server: ``SESSION_IDLE_TIMEOUT`` (since the
last request) and ``SESSION_ABSOLUTE_TIMEOUT`` (since the session was
created or regenerated), in seconds or as timedeltas; the store's own
expiry (TTL) follows them, else ``PERMANENT_SESSION_LIFETIME``.

``session.regenerate()`` gives the session a new id (the old record is
deleted when the response is saved; ``login_user`` calls it), and
``session.destroy()`` empties it and removes it from the store.

A store that is down makes the request a 503 with ``Retry-After`` and an
error in the app's log -- never a 500, never a silently empty session.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import typing as t
from datetime import timedelta

from itsdangerous import BadSignature
from itsdangerous import Signer

from ..exceptions import ServiceUnavailable
from ..sessions import SecureCookieSession
from ..sessions import SessionInterface
from ..sessions import SessionMixin
from ..sessions import session_json_serializer
from .base import SessionStore
from .base import SessionStoreError
from .memory import MemoryStore

if t.TYPE_CHECKING:
    from ..app import Erlen
    from ..request import Request
    from ..response import Response

__all__ = [
    "MemoryStore",
    "ServerSideSession",
    "ServerSideSessionInterface",
    "SessionStore",
    "SessionStoreError",
]

# Where a failed load is remembered for the rest of the request.
_FAILED_KEY = "erlen.session_store_error"
_UNAVAILABLE_BODY = (
    "<!doctype html>\n<html lang=en>\n<title>503 Service Unavailable</title>\n"
    "<h1>Service Unavailable</h1>\n<p>The session store is unavailable."
    " Please try again in a moment.</p>\n"
)


class ServerSideSession(SecureCookieSession):
    """A session whose data lives in a store; the cookie carries ``sid``."""

    __slots__ = ("sid", "created", "last_access", "_old_sids", "_stored")

    def __init__(
        self,
        initial: t.Mapping[str, t.Any] | None = None,
        sid: str | None = None,
        created: float = 0.0,
        last_access: float = 0.0,
        new: bool = False,
    ) -> None:
        super().__init__(initial, new=new)
        self.sid = sid
        self.created = created
        self.last_access = last_access
        self._old_sids: list[str] = []
        # Whether the store holds a record for ``sid``.
        self._stored = sid is not None

    def regenerate(self) -> None:
        """Move the data to a new id; the old id stops working."""
        if self.sid is not None:
            self._old_sids.append(self.sid)
        self.sid = None
        self._stored = False
        self.created = 0.0
        self.accessed = self.modified = True

    def destroy(self) -> None:
        """Empty the session and delete it from the store and the cookie."""
        self.regenerate()
        self.clear()


def _seconds(value: t.Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


class ServerSideSessionInterface(SessionInterface):
    """Opens and saves :class:`ServerSideSession` objects in ``store``."""

    session_class = ServerSideSession
    salt = "erlen.server-session"
    serializer: t.Any = session_json_serializer
    #: Seconds a client is told to wait when the store is down.
    retry_after = 5
    #: A cookie longer than this is ignored unread.
    max_cookie_length = 256

    def __init__(
        self, store: SessionStore, clock: t.Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.clock = clock
        self._signers: dict[tuple[t.Any, ...], Signer] = {}

    # -- ids and cookies --------------------------------------------------------

    def _signer(self, app: Erlen) -> Signer | None:
        secret = app.secret_key
        if not secret:
            return None
        fallbacks = tuple(app.config["SECRET_KEY_FALLBACKS"] or ())
        key = (secret, *fallbacks)
        signer = self._signers.get(key)
        if signer is None:
            signer = Signer([*fallbacks, secret], salt=self.salt)
            if len(self._signers) >= 8:
                self._signers.clear()
            self._signers[key] = signer
        return signer

    @staticmethod
    def _store_key(sid: str) -> str:
        return hashlib.sha256(sid.encode("ascii")).hexdigest()

    def _timeouts(self, app: Erlen) -> tuple[float | None, float | None]:
        config = app.config
        return (
            _seconds(config.get("SESSION_IDLE_TIMEOUT")),
            _seconds(config.get("SESSION_ABSOLUTE_TIMEOUT")),
        )

    def _unavailable(self, app: Erlen, error: BaseException) -> ServiceUnavailable:
        app.logger.error("Session store unavailable: %r", error)
        return ServiceUnavailable(
            "The session store is unavailable. Please try again in a moment.",
            retry_after=self.retry_after,
        )

    # -- open -------------------------------------------------------------------

    def open_session(self, app: Erlen, request: Request) -> ServerSideSession | None:
        signer = self._signer(app)
        if signer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value or len(value) > self.max_cookie_length:
            return self.session_class(new=True)
        try:
            sid = signer.unsign(value).decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            return self.session_class(new=True)
        failed = request.environ.get(_FAILED_KEY)
        if failed is not None:  # opened again in this request: do not wait twice
            raise failed
        key = self._store_key(sid)
        try:
            raw = self.store.load(key)
        except SessionStoreError as e:
            error = request.environ[_FAILED_KEY] = self._unavailable(app, e)
            raise error from None
        if raw is None:
            return self.session_class(new=True)
        try:
            record = self.serializer.loads(raw)
            data, created, last = record["d"], float(record["c"]), float(record["a"])
            if not isinstance(data, dict):
                raise TypeError
        except Exception:  # a record this code did not write: start over
            return self.session_class(new=True)
        now = self.clock()
        idle, absolute = self._timeouts(app)
        if (idle is not None and now - last > idle) or (
            absolute is not None and now - created > absolute
        ):
            try:
                self.store.delete(key)
            except SessionStoreError as e:
                raise self._unavailable(app, e) from None
            return self.session_class(new=True)
        return self.session_class(data, sid=sid, created=created, last_access=last)

    # -- save -------------------------------------------------------------------

    def _ttl(self, app: Erlen, session: ServerSideSession, now: float) -> int:
        idle, absolute = self._timeouts(app)
        limits = [app.permanent_session_lifetime.total_seconds()]
        if idle is not None:
            limits.append(idle)
        if absolute is not None:
            limits.append(session.created + absolute - now)
        return max(1, int(min(limits)) + 1)

    def _touch_due(self, app: Erlen, session: ServerSideSession, now: float) -> bool:
        """Whether to write just to move ``last_access`` (idle timeout)."""
        idle = self._timeouts(app)[0]
        if idle is None:
            return False
        # PERF: not on every request; the idle clock is exact to 1/10th.
        return now - session.last_access >= min(60.0, idle / 10)

    def save_session(
        self, app: Erlen, session: SessionMixin, response: Response
    ) -> None:
        assert isinstance(session, ServerSideSession)
        try:
            self._save(app, session, response)
        except SessionStoreError as e:
            error = self._unavailable(app, e)
            _make_unavailable(response, error.retry_after)

    def _save(self, app: Erlen, session: ServerSideSession, response: Response) -> None:
        if session.accessed:
            response.add_vary("Cookie")
        for old in session._old_sids:
            self.store.delete(self._store_key(old))
        had_cookie = bool(session._old_sids) or session.sid is not None
        session._old_sids = []
        if not session:
            if session._stored and session.sid is not None:
                self.store.delete(self._store_key(session.sid))
                session._stored = False
            if had_cookie:
                self.delete_session_cookie(app, response)
                response.add_vary("Cookie")
            return
        now = self.clock()
        write_cookie = False
        if session.sid is None:
            session.sid = secrets.token_urlsafe(32)
            session._stored = False
            write_cookie = True
        if not session.created:
            session.created = now
        due = session.modified or self._touch_due(app, session, now)
        if due or not session._stored:
            session.last_access = now
            record = {"d": dict(session), "c": session.created, "a": now}
            self.store.save(
                self._store_key(session.sid),
                self.serializer.dumps(record),
                self._ttl(app, session, now),
            )
            session._stored = True
        if write_cookie or self.should_set_cookie(app, session):
            signer = self._signer(app)
            if signer is None:
                raise RuntimeError("The secret key was removed mid-request.")
            value = signer.sign(session.sid).decode("ascii")
            self.write_session_cookie(app, session, response, value)
            response.add_vary("Cookie")


def _make_unavailable(response: Response, retry_after: t.Any) -> None:
    """Turn the response into a 503: the session (maybe a login) was not kept."""
    response.status_code = 503
    response.headers.remove("Location")
    response.headers.remove("Set-Cookie")
    response.headers["Retry-After"] = str(retry_after)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.set_data(_UNAVAILABLE_BODY)
