"""One framework's worker process: verifies scenarios and runs timed slices.

The orchestrator (``bench/run.py``) starts one worker per framework and talks to
it with JSON lines over stdin and a private copy of stdout, so whatever the
framework prints cannot corrupt the protocol.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import sys
import time
import traceback
import tracemalloc
from typing import Any

from bench import wsgi
from bench.scenarios import BY_NAME
from bench.scenarios import SKIP
from bench.scenarios import Scenario

FRAMEWORKS = {
    "erlen": "bench.apps.erlen_app",
    "flask": "bench.apps.flask_app",
    "bottle": "bench.apps.bottle_app",
    "falcon": "bench.apps.falcon_app",
    "raw": "bench.apps.raw_app",
}
#: The batteries app of each framework (``auth_db``, ``db_row``; issue 12).
#: Django takes part in these scenarios only.
BATTERY_APPS = {
    "erlen": "bench.apps.erlen_batteries",
    "flask": "bench.apps.flask_batteries",
    "django": "bench.apps.django_batteries",
    "raw": "bench.apps.raw_batteries",
}
#: The ``validated_json`` apps (issue 14); FastAPI takes part only here.
VALIDATED_APPS = {
    "erlen": "bench.apps.erlen_validated",
    "flask": "bench.apps.flask_validated",
    "fastapi": "bench.apps.fastapi_validated",
}
#: The distribution whose version is reported for each framework.
DISTRIBUTIONS = {
    "erlen": ["erlen", "sqlalchemy", "pydantic"],
    "flask": [
        "flask",
        "werkzeug",
        "flask-login",
        "flask-sqlalchemy",
        "flask-pydantic",
        "sqlalchemy",
    ],
    "bottle": ["bottle"],
    "falcon": ["falcon"],
    "django": ["django"],
    "fastapi": ["fastapi", "starlette", "pydantic"],
    "raw": [],
}
WARMUP = 200


def versions(framework: str) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version

    out = {}
    for dist in DISTRIBUTIONS[framework] + ["jinja2", "itsdangerous"]:
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "missing"
    return out


def battery_app(framework: str, backend: str) -> Any:
    """``framework``'s batteries app on a fresh database of ``backend``."""
    from bench.apps import dbsetup

    module = importlib.import_module(BATTERY_APPS[framework])
    database = dbsetup.fresh(framework, backend)
    if framework in ("erlen", "flask"):  # the same source: it takes a URI
        return module.create_app(database.sqlalchemy_uri)
    return module.create_app(database)


class Worker:
    """Holds one framework's apps and the prepared environ of each scenario."""

    def __init__(self, framework: str, warmup: int = WARMUP) -> None:
        self.framework = framework
        self.warmup = warmup
        name = FRAMEWORKS.get(framework)
        if (
            name is None
            and framework not in BATTERY_APPS
            and framework not in VALIDATED_APPS
        ):
            raise ValueError(f"unknown framework {framework!r}")
        self.module = importlib.import_module(name) if name else None
        self.apps: dict[tuple[int, str], Any] = {}
        self.ready: dict[str, tuple[Any, dict[str, Any], bytes]] = {}

    def app_for(self, sc: Scenario) -> Any:
        key = (sc.routes, sc.kind)
        if key not in self.apps:
            if sc.kind.startswith("db:"):
                self.apps[key] = battery_app(self.framework, sc.kind[3:])
            elif sc.kind.startswith("validated:"):
                module = importlib.import_module(VALIDATED_APPS[self.framework])
                self.apps[key] = module.create_app(sc.kind[10:])
            else:
                assert self.module is not None
                self.apps[key] = self.module.create_app(sc.routes, sc.kind)
        return self.apps[key]

    def verify(self, name: str) -> list[str]:
        """Check every response of the scenario; on success, prepare and warm it."""
        sc = BY_NAME[name]
        if (self.framework, name) in SKIP:
            return [f"SKIPPED: {SKIP[self.framework, name]}"]
        app = self.app_for(sc)
        errors: list[str] = []
        cookie = None
        try:
            if sc.prime:
                first = wsgi.call(app, sc.login or sc.request)
                cookie = wsgi.cookie_pair(first, sc.prime)
                if cookie is None:
                    return [f"priming request set no {sc.prime!r} cookie"]
            resp = wsgi.call(app, sc.request, cookie)
            errors += wsgi.check(resp, sc.expect)
            if sc.prime and sc.login is None and not errors:
                again = wsgi.cookie_pair(resp, sc.prime)
                body = sc.expect.body or b""
                # The rewritten cookie must carry the update: one more request sees it.
                nxt = body[:-1] + str(int(body[-1:]) + 1).encode()
                third = wsgi.call(app, sc.request, again)
                if third.body != nxt:
                    errors.append(
                        f"round trip of the new cookie gave {third.body!r}, "
                        f"expected {nxt!r}"
                    )
            for req, expect in sc.also:
                errors += [
                    f"{req.method} {req.path}: {e}"
                    for e in wsgi.check(wsgi.call(app, req), expect)
                ]
        except Exception:
            return [traceback.format_exc(limit=-6)]
        if errors:
            return errors
        env = wsgi.build_environ(sc.request, cookie)
        self.ready[name] = (app, env, sc.request.body)
        wsgi.run(app, env, sc.request.body, self.warmup)
        return []

    def slice(self, name: str, n: int) -> int:
        """Serve ``n`` requests; return the nanoseconds they took."""
        app, env, body = self.ready[name]
        # An ASGI app (bench/asgi.py) serves its n requests in one loop run.
        run_many = getattr(app, "run_many", None)
        gc.collect()
        t0 = time.perf_counter_ns()
        if run_many is not None:
            run_many(env, body, n)
        else:
            wsgi.run(app, env, body, n)
        return time.perf_counter_ns() - t0

    def calibrate(self, name: str, target: float) -> int:
        """How many requests fill about ``target`` seconds."""
        n = 1
        while True:
            ns = self.slice(name, n)
            if ns >= target * 0.25e9 or n >= 1 << 22:
                return max(1, int(n * target * 1e9 / max(ns, 1)))
            n *= 4

    def register(self, routes: int, repeat: int) -> list[float]:
        """Seconds to build an app with ``routes`` dynamic rules and serve one."""
        sc = BY_NAME["plaintext"]
        wsgi.call(self.module.create_app(routes, "dynamic"), sc.request)
        out = []
        for _ in range(repeat):
            gc.collect()
            t0 = time.perf_counter()
            app = self.module.create_app(routes, "dynamic")
            wsgi.call(app, sc.request)
            out.append(time.perf_counter() - t0)
        return out

    def memory(self, routes: int) -> int:
        """Bytes still allocated for an app with ``routes`` rules after one request."""
        sc = BY_NAME["plaintext"]
        wsgi.call(self.module.create_app(routes, "dynamic"), sc.request)
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        app = self.module.create_app(routes, "dynamic")
        wsgi.call(app, sc.request)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del app
        return after - before


def handle(worker: Worker, msg: dict[str, Any]) -> dict[str, Any]:
    cmd = msg["cmd"]
    if cmd == "verify":
        return {"errors": worker.verify(msg["scenario"])}
    if cmd == "calibrate":
        return {"n": worker.calibrate(msg["scenario"], msg["target"])}
    if cmd == "slice":
        return {"ns": worker.slice(msg["scenario"], msg["n"])}
    if cmd == "register":
        return {"seconds": worker.register(msg["routes"], msg["repeat"])}
    if cmd == "memory":
        return {"bytes": worker.memory(msg["routes"])}
    raise ValueError(f"unknown command {cmd!r}")


def main() -> None:
    framework = sys.argv[1]
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # framework output goes to stderr, never into the protocol
    sys.stdout = sys.stderr
    try:
        worker = Worker(framework)
        hello: dict[str, Any] = {"ok": True, "versions": versions(framework)}
    except Exception:
        hello = {"ok": False, "error": traceback.format_exc(limit=-4)}
    proto.write(json.dumps(hello) + "\n")
    if not hello["ok"]:
        return
    for line in sys.stdin:
        msg = json.loads(line)
        if msg["cmd"] == "quit":
            break
        try:
            reply = handle(worker, msg)
        except Exception:
            reply = {"error": traceback.format_exc(limit=-6)}
        proto.write(json.dumps(reply) + "\n")


if __name__ == "__main__":
    main()
