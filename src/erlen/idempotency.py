"""``Idempotency-Key``: a retried POST replays its first answer, once-only.

A client that timed out cannot know whether its POST was applied; with
``@idempotent`` it sends the same ``Idempotency-Key`` again and gets the
stored response (``Idempotent-Replayed: true``) instead of a second insert.
Semantics follow the IETF httpapi draft: the key is claimed before the view
runs; a retry while the first is running gets 409 with ``Retry-After``; the
same key with another request body gets 422; answers below 500 are kept for
``ttl`` seconds, a 500 or an exception frees the key for a retry.

A claim lasts ``lease`` seconds: a claim whose request never finished (the
worker died) is taken over after that, so keep it above your longest request.
With erlen.db the default store is :class:`erlen.db.idempotency.SQLIdempotencyStore`,
which claims the key in the view's own transaction: the rows a view commits
and its key commit together, so even a crash cannot apply a request twice.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import threading
import time
import typing as t

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


def idempotent(
    f: F | None = None,
    *,
    store: IdempotencyStore | None = None,
    required: bool = False,
    ttl: float = 24 * 3600,
    lease: float = 60,
    scope: t.Callable[[], t.Any] | None = None,
    header: str = "Idempotency-Key",
) -> t.Any:
    """Make a view replay its answer for a repeated ``Idempotency-Key``.

    :param store: where keys live (default: the app's ``extensions
        ["idempotency"]``, else the database with erlen.db, else memory).
    :param required: answer 400 when the header is missing.
    :param scope: a function naming whose key it is (say, the user id), so
        two clients' keys never meet.
    """

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            ctx = _cv_context.get()
            app, request = ctx.app, ctx.request
            if request is None:
                raise RuntimeError("@idempotent views need a request.")
            key = request.headers.get(header)
            if key is None:
                if required:
                    json_abort(400, f"The {header} header is required.")
                return view(*args, **kwargs)
            if (
                not key
                or len(key) > _MAX_KEY
                or not key.isprintable()
                or not key.isascii()
            ):
                json_abort(
                    400, f"The {header} header must be 1-{_MAX_KEY} ASCII characters."
                )
            owner = str(scope()) if scope is not None else ""
            where = f"{request.method} {request.path}"
            store_key = hashlib.sha256(
                "\0".join((owner, where, key)).encode()
            ).hexdigest()
            fingerprint = hashlib.sha256(
                request.query_string + b"\0" + request.get_data(cache=True)
            ).hexdigest()
            the_store = store or _default_store(app)
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
            try:
                response = app.make_response(view(*args, **kwargs))
            except BaseException:
                the_store.release(store_key)
                raise
            if response.status_code >= 500 or response.is_streamed:
                the_store.release(store_key)
                return response
            record = {
                "fp": fingerprint,
                "done": True,
                "at": time.time(),
                "response": _snapshot(response),
            }
            the_store.finish(store_key, record, ttl)
            return response

        return t.cast(F, wrapper)

    if f is not None:
        return decorator(f)
    return decorator
