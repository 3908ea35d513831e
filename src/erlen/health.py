"""``/healthz`` and ``/readyz`` for load balancers and orchestrators.

``register_health(app)`` adds both.  ``/healthz`` answers 200 while the
process can serve (liveness: restart me when it fails); ``/readyz`` checks
the database, Redis and any checks you pass, and answers 503 with
``Retry-After`` when one fails (readiness: send me no traffic).  Each check
runs with a time bound, so a stalled dependency makes the probe fail fast
instead of hanging it.  Neither endpoint touches the session or a cookie.
"""

from __future__ import annotations

import concurrent.futures
import time
import typing as t

from .globals import _cv_context

if t.TYPE_CHECKING:
    from .app import Erlen
    from .response import Response

__all__ = ["register_health"]

Check = t.Callable[[], t.Any]
_executor: concurrent.futures.ThreadPoolExecutor | None = None


def _pool() -> concurrent.futures.ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=4, thread_name_prefix="erlen-health"
        )
    return _executor


def database_check(db: t.Any) -> Check:
    """``SELECT 1`` on every engine of an erlen.db ``SQLAlchemy``."""

    def check() -> None:
        for engine in list(db.engines.values()):
            with engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")

    return check


def redis_check(client: t.Any) -> Check:
    """``PING`` a redis-py client (or anything holding one as ``.client``)."""
    client = getattr(client, "client", client)

    def check() -> None:
        if not client.ping():
            raise ConnectionError("PING was not answered")

    return check


def _session_redis(app: Erlen) -> t.Any:
    """The Redis client of the app's server-side sessions, if it has one."""
    store = getattr(app.session_interface, "store", None)
    client = getattr(store, "client", None)
    return client if client is not None and hasattr(client, "ping") else None


def register_health(
    app: Erlen,
    *,
    db: t.Any = None,
    redis: t.Any = None,
    checks: t.Mapping[str, Check] | None = None,
    healthz: str = "/healthz",
    readyz: str = "/readyz",
    timeout: float = 2.0,
    retry_after: int = 5,
) -> None:
    """Add the liveness and readiness endpoints to ``app``.

    :param db: an erlen.db ``SQLAlchemy`` (default: the app's, if any).
    :param redis: a redis-py client (default: the one the server-side
        session store uses, if any).
    :param checks: more checks by name; a check fails by raising or
        returning False.
    :param timeout: seconds each check may take.
    """
    all_checks: dict[str, Check] = {}
    if db is None:
        db = app.extensions.get("sqlalchemy")
    if db is not None:
        all_checks["database"] = database_check(db)
    if redis is None:
        redis = _session_redis(app)
    if redis is not None:
        all_checks["redis"] = redis_check(redis)
    all_checks.update(checks or {})

    def _json(payload: dict[str, t.Any], status: int) -> Response:
        response = app.json.response(payload)
        response.status_code = status
        response.headers["Cache-Control"] = "no-store"
        return response

    def healthz_view() -> Response:
        return _json({"status": "ok"}, 200)

    def readyz_view() -> Response:
        ctx = _cv_context.get()
        results: dict[str, str] = {}
        started = time.monotonic()
        futures = {
            name: _pool().submit(_run_in_context, ctx, check)
            for name, check in all_checks.items()
        }
        for name, future in futures.items():
            left = max(0.0, timeout - (time.monotonic() - started))
            try:
                ok = future.result(timeout=left)
                results[name] = "ok" if ok is not False else "failed"
            except concurrent.futures.TimeoutError:
                results[name] = f"timed out after {timeout:g}s"
            except Exception as e:
                first = (str(e).splitlines() or [""])[0][:200]
                results[name] = f"{type(e).__name__}: {first}"
        ready = all(value == "ok" for value in results.values())
        response = _json(
            {"status": "ok" if ready else "unavailable", "checks": results},
            200 if ready else 503,
        )
        if not ready:
            response.headers["Retry-After"] = str(retry_after)
            app.logger.warning("Not ready: %s", results)
        return response

    app.add_url_rule(healthz, "erlen_healthz", healthz_view, methods=["GET", "HEAD"])
    app.add_url_rule(readyz, "erlen_readyz", readyz_view, methods=["GET", "HEAD"])


def _run_in_context(ctx: t.Any, check: Check) -> t.Any:
    """Run ``check`` in a worker thread inside the request's app context."""
    with ctx.app.app_context():
        return check()
