"""``register_health``: /healthz is liveness, /readyz checks dependencies."""

from __future__ import annotations

import socket
import time
import typing as t

import pytest

from erlen import Erlen
from erlen.health import register_health


def test_healthz_and_readyz_without_dependencies(app: Erlen, client: t.Any) -> None:
    register_health(app)
    rv = client.get("/healthz")
    assert (rv.status_code, rv.json) == (200, {"status": "ok"})
    assert rv.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in rv.headers
    rv = client.get("/readyz")
    assert (rv.status_code, rv.json) == (200, {"status": "ok", "checks": {}})


def test_failing_and_slow_checks_make_it_unready(app: Erlen, client: t.Any) -> None:
    state = {"up": False}

    def flaky() -> bool:
        return state["up"]

    def broken() -> None:
        raise ConnectionError("refused\nmore")

    def slow() -> None:
        time.sleep(1)

    register_health(
        app, checks={"flaky": flaky, "broken": broken, "slow": slow}, timeout=0.2
    )
    started = time.monotonic()
    rv = client.get("/readyz")
    assert time.monotonic() - started < 0.9
    assert rv.status_code == 503
    assert rv.headers["Retry-After"] == "5"
    assert rv.json == {
        "status": "unavailable",
        "checks": {
            "flaky": "failed",
            "broken": "ConnectionError: refused",
            "slow": "timed out after 0.2s",
        },
    }
    assert client.get("/healthz").status_code == 200


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_database_check(app: Erlen, tmp_path: t.Any) -> None:
    from erlen.db import SQLAlchemy

    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path}/ok.db"
    db = SQLAlchemy(app)
    register_health(app)
    client = app.test_client()
    assert client.get("/readyz").json["checks"] == {"database": "ok"}
    with app.app_context():
        db.engine.dispose()

    other = Erlen("down", instance_path=str(tmp_path))
    other.config["SQLALCHEMY_DATABASE_URI"] = (
        f"postgresql://postgres@127.0.0.1:{_closed_port()}/x?connect_timeout=1"
    )
    register_health(other, db=SQLAlchemy(other))
    rv = other.test_client().get("/readyz")
    assert rv.status_code == 503
    assert rv.json["checks"]["database"].startswith("OperationalError")


def test_redis_check_follows_the_session_store(app: Erlen) -> None:
    pytest.importorskip("redis")
    from erlen.server_sessions import ServerSideSessionInterface
    from erlen.server_sessions.redis import RedisStore

    store = RedisStore(url=f"redis://127.0.0.1:{_closed_port()}/0", timeout=0.5)
    app.session_interface = ServerSideSessionInterface(store)
    register_health(app)
    rv = app.test_client().get("/readyz")
    assert rv.status_code == 503
    assert "redis" in rv.json["checks"]
    assert rv.json["checks"]["redis"] != "ok"
