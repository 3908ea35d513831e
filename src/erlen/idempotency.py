"""``Idempotency-Key``: a retried POST replays its first answer, once-only.

A client that timed out cannot know whether its POST was applied; with
``@idempotent`` it sends the same ``Idempotency-Key`` again and gets the
stored response (``Idempotent-Replayed: true``) instead of a second insert.
Semantics follow the IETF httpapi draft: the key is claimed before the view
runs; a retry while the first is running gets 409 with ``Retry-After``; the
same key with another request body gets 422; answers below 500 are kept for
``ttl`` seconds, a 500 or an exception frees the key for a retry.  What is
stored is the final response (after erlen.api serialised a typed view's
return value), taken once the view has returned.

A claim lasts ``lease`` seconds: a claim whose request never finished (the
worker died) is taken over after that, so keep it above your longest request.
With erlen.db the default store is :class:`erlen.db.idempotency.SQLIdempotencyStore`,
which holds back the view's commits and commits them together with the
stored answer: after any failure a retry finds either the answer or nothing
of the view's, so a request is never applied twice and never stuck.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import inspect
import json
import threading
import time
import typing as t

from .ctx import after_this_request
from .globals import _cv_context
from .jsonapi import json_abort

if t.TYPE_CHECKING:
    from .app import Erlen
    from .response import Response

__all__ = [
    "IdempotencyStore",
    "MemoryIdempotencyStore",
    "RedisIdempotencyStore",
    "idempotent",
]

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
#: Headers never stored or replayed (per-response, or another client's).
_SKIP_HEADERS = frozenset({"set-cookie", "date", "content-length", "vary"})
_MAX_KEY = 255
_store_lock = threading.Lock()


class IdempotencyStore:
    """Where keys and their answers live.  Records are JSON-safe dicts:
    ``{"fp": fingerprint, "done": bool, "at": claimed at, "response": ...}``.

    Per request: :meth:`claim`, then the view runs, then exactly one of
    :meth:`finish` (an answer below 500) or :meth:`release`.
    """

    def claim(
        self, key: str, fingerprint: str, lease: float
    ) -> dict[str, t.Any] | None:
        """Claim ``key``: None when it is now ours, else the existing record.
        A record still pending after ``lease`` seconds may be taken over."""
        raise NotImplementedError

    def finish(self, key: str, record: dict[str, t.Any], ttl: float) -> None:
        """Store the finished record, kept for ``ttl`` seconds."""
        raise NotImplementedError

    def release(self, key: str) -> None:
        """Forget a claim whose request failed, so a retry runs again."""
        raise NotImplementedError


class MemoryIdempotencyStore(IdempotencyStore):
    """One process only (tests, a single worker): a dict behind a lock."""

    def __init__(self, clock: t.Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._records: dict[str, tuple[float, dict[str, t.Any]]] = {}

    def claim(
        self, key: str, fingerprint: str, lease: float
    ) -> dict[str, t.Any] | None:
        now = self.clock()
        with self._lock:
            found = self._records.get(key)
            if found is not None and found[0] > now:
                return found[1]
            self._records[key] = (
                now + lease,
                {"fp": fingerprint, "done": False, "at": now},
            )
            if len(self._records) > 10_000:
                self._records = {k: v for k, v in self._records.items() if v[0] > now}
            return None

    def finish(self, key: str, record: dict[str, t.Any], ttl: float) -> None:
        with self._lock:
            self._records[key] = (self.clock() + ttl, record)

    def release(self, key: str) -> None:
        with self._lock:
            self._records.pop(key, None)


class RedisIdempotencyStore(IdempotencyStore):
    """Keys in Redis: the claim is ``SET NX`` with the lease as its expiry."""

    def __init__(self, client: t.Any, prefix: str = "idempotency:") -> None:
        self.client = client
        self.prefix = prefix

    def claim(
        self, key: str, fingerprint: str, lease: float
    ) -> dict[str, t.Any] | None:
        record = {"fp": fingerprint, "done": False, "at": time.time()}
        name = self.prefix + key
        for _ in range(3):
            if self.client.set(name, json.dumps(record), nx=True, px=int(lease * 1000)):
                return None
            raw = self.client.get(name)
            if raw is not None:
                return t.cast("dict[str, t.Any]", json.loads(raw))
        return None  # claimed and expired three times in a row: take it

    def finish(self, key: str, record: dict[str, t.Any], ttl: float) -> None:
        self.client.set(self.prefix + key, json.dumps(record), px=int(ttl * 1000))

    def release(self, key: str) -> None:
        self.client.delete(self.prefix + key)


def _default_store(app: Erlen) -> IdempotencyStore:
    store = app.extensions.get("idempotency")
    if store is None:
        with _store_lock:
            return _make_default_store(app)
    return t.cast(IdempotencyStore, store)


def _make_default_store(app: Erlen) -> IdempotencyStore:
    store = app.extensions.get("idempotency")
    if store is None:
        db = app.extensions.get("sqlalchemy")
        if db is not None:
            from .db.idempotency import SQLIdempotencyStore

            store = SQLIdempotencyStore(db)
        else:
            store = MemoryIdempotencyStore()
        app.extensions["idempotency"] = store
    return t.cast(IdempotencyStore, store)


def _snapshot(response: Response) -> dict[str, t.Any]:
    headers = [
        [k, v] for k, v in response.headers.items() if k.lower() not in _SKIP_HEADERS
    ]
    body = base64.b64encode(response.get_data()).decode("ascii")
    return {"status": response.status_code, "headers": headers, "body": body}


def _replay(app: Erlen, saved: dict[str, t.Any]) -> Response:
    response = app.response_class(
        base64.b64decode(saved["body"]), status=int(saved["status"])
    )
    response.headers.clear()
    for name, value in saved["headers"]:
        response.headers.add(name, value)
    response.headers["Idempotent-Replayed"] = "true"
    return response


class _Claim:
    """A key this request holds: stored with the final response, or freed.

    ``finish`` runs as an ``after_this_request`` function, so it sees the
    response the client gets -- after erlen.api serialised a typed view's
    model, whichever way round the decorators are.
    """

    __slots__ = ("app", "store", "key", "fingerprint", "ttl", "open")

    def __init__(
        self,
        app: Erlen,
        store: IdempotencyStore,
        key: str,
        fingerprint: str,
        ttl: float,
    ) -> None:
        self.app = app
        self.store = store
        self.key = key
        self.fingerprint = fingerprint
        self.ttl = ttl
        self.open = True

    def release(self) -> None:
        if self.open:
            self.open = False
            self.store.release(self.key)

    def finish(self, response: Response) -> Response:
        # Once only: after a failing after_request hook, the error response
        # goes through the hooks again.
        if not self.open:
            return response
        if response.status_code >= 500 or response.is_streamed:
            self.release()
            return response
        self.open = False
        record = {
            "fp": self.fingerprint,
            "done": True,
            "at": time.time(),
            "response": _snapshot(response),
        }
        try:
            self.store.finish(self.key, record, self.ttl)
        except Exception as e:
            # Not stored (the database store has undone the view's work):
            # answer as the error handlers say (a lost database is a 503).
            return self.app.make_response(self.app.handle_user_exception(e))
        return response


def _begin(
    store: IdempotencyStore | None,
    required: bool,
    ttl: float,
    lease: float | None,
    scope: t.Callable[[], t.Any] | None,
    header: str,
) -> _Claim | Response | None:
    """Claim the request's key: None without a key, the stored answer for a
    repeat, or the claim; 400/409/422 are raised."""
    ctx = _cv_context.get()
    app, request = ctx.app, ctx.request
    if request is None:
        raise RuntimeError("@idempotent views need a request.")
    key = request.headers.get(header)
    if key is None:
        if required:
            json_abort(400, f"The {header} header is required.")
        return None
    if not key or len(key) > _MAX_KEY or not key.isprintable() or not key.isascii():
        json_abort(400, f"The {header} header must be 1-{_MAX_KEY} ASCII characters.")
    owner = str(scope()) if scope is not None else ""
    where = f"{request.method} {request.path}"
    store_key = hashlib.sha256("\0".join((owner, where, key)).encode()).hexdigest()
    fingerprint = hashlib.sha256(
        request.query_string + b"\0" + request.get_data(cache=True)
    ).hexdigest()
    the_store = store or _default_store(app)
    if lease is None:
        lease = float(app.config.get("IDEMPOTENCY_LEASE", 60))
    existing = the_store.claim(store_key, fingerprint, lease)
    if existing is not None:
        if existing.get("fp") != fingerprint:
            json_abort(422, f"This {header} was used with a different request.")
        if not existing.get("done"):
            json_abort(
                409,
                f"A request with this {header} is still being processed.",
                headers={"Retry-After": "1"},
            )
        return _replay(app, existing["response"])
    return _Claim(app, the_store, store_key, fingerprint, ttl)


@t.overload
def idempotent(f: F) -> F: ...


@t.overload
def idempotent(
    f: None = None,
    *,
    store: IdempotencyStore | None = None,
    required: bool = False,
    ttl: float = 24 * 3600,
    lease: float | None = None,
    scope: t.Callable[[], t.Any] | None = None,
    header: str = "Idempotency-Key",
) -> t.Callable[[F], F]: ...


def idempotent(
    f: F | None = None,
    *,
    store: IdempotencyStore | None = None,
    required: bool = False,
    ttl: float = 24 * 3600,
    lease: float | None = None,
    scope: t.Callable[[], t.Any] | None = None,
    header: str = "Idempotency-Key",
) -> t.Any:
    """Make a view replay its answer for a repeated ``Idempotency-Key``.

    The stored answer is the final response, so a typed view (erlen.api)
    may return its model.  ``@idempotent`` goes right above the ``def``,
    below ``@login_required`` (an anonymous request then claims nothing).

    :param store: where keys live (default: the app's ``extensions
        ["idempotency"]``, else the database with erlen.db, else memory).
    :param required: answer 400 when the header is missing.
    :param ttl: seconds an answer is kept for replay.
    :param lease: seconds a claim holds before a retry may take it over
        (the request is taken to have died); keep it above your longest
        request.  Default: ``IDEMPOTENCY_LEASE`` in the config, else 60.
    :param scope: a function naming whose key it is (say, the user id), so
        two clients' keys never meet.
    """

    def decorator(view: F) -> F:
        if inspect.iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
                claim = _begin(store, required, ttl, lease, scope, header)
                if claim is None:
                    return await view(*args, **kwargs)
                if not isinstance(claim, _Claim):
                    return claim
                try:
                    rv = await view(*args, **kwargs)
                except BaseException:
                    claim.release()
                    raise
                after_this_request(claim.finish)
                return rv

            return t.cast(F, async_wrapper)

        @functools.wraps(view)
        def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            claim = _begin(store, required, ttl, lease, scope, header)
            if claim is None:
                return view(*args, **kwargs)
            if not isinstance(claim, _Claim):
                return claim  # the stored answer
            try:
                rv = view(*args, **kwargs)
            except BaseException:
                claim.release()
                raise
            after_this_request(claim.finish)
            return rv

        return t.cast(F, wrapper)

    if f is not None:
        return decorator(f)
    return decorator
