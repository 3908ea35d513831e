"""Redis sessions through an outage: 503 + Retry-After, nobody logged out.

A :class:`faultproxy.FaultProxy` sits between the app and the real Redis,
so the outage is real sockets being reset (``down``) or going silent
(``stall``), and recovery is the same client reconnecting.
"""

from __future__ import annotations

import logging
import time
import typing as t

import pytest

from erlen.server_sessions import ServerSideSessionInterface
from faultproxy import FaultProxy

pytestmark = pytest.mark.redis


@pytest.fixture
def proxied(
    app_factory: t.Any, redis_store: t.Any
) -> t.Iterator[tuple[t.Any, FaultProxy]]:
    """The auth app on Redis sessions through a proxy (``redis_store`` skips
    when Redis is down, fails under CI, and deletes the keys afterwards)."""
    from erlen.server_sessions.redis import RedisStore

    kwargs = redis_store.client.connection_pool.connection_kwargs
    upstream = (kwargs.get("host", "127.0.0.1"), int(kwargs.get("port", 6379)))
    db = kwargs.get("db", 0)
    with FaultProxy(upstream) as proxy:
        store = RedisStore(
            url=proxy.url(path=f"/{db}"), prefix=redis_store.prefix, timeout=0.5
        )
        app = app_factory(ServerSideSessionInterface(store))
        yield app, proxy
        store.client.close()


def _outage_answer(rv: t.Any) -> None:
    assert rv.status_code == 503
    assert rv.headers["Retry-After"] == "5"
    assert "Set-Cookie" not in rv.headers  # the login cookie is not touched
    assert "Location" not in rv.headers


@pytest.mark.parametrize("fault", ["down", "stall"])
def test_outage_and_recovery(
    proxied: tuple[t.Any, FaultProxy],
    log_in: t.Any,
    fault: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, proxy = proxied
    ada, bob = app.test_client(), app.test_client()
    assert log_in(ada, "ada").status_code == 302
    assert log_in(bob, "bob").status_code == 302
    assert ada.get("/me").json["name"] == "ada"

    getattr(proxy, fault)()
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        for client in (ada, bob):
            _outage_answer(client.get("/me"))
            _outage_answer(client.get("/whoami"))
        # a login during the outage is refused, not silently dropped
        _outage_answer(log_in(app.test_client(), "bob"))
    assert time.monotonic() - started < 30
    assert all(r.exc_info is None for r in caplog.records)
    assert (
        sum("Session store unavailable" in r.getMessage() for r in caplog.records) >= 5
    )
    # A request that never touches the session is served throughout.
    assert ada.get("/").status_code == 200

    proxy.up()
    # Everyone is still who they were: not logged out, not swapped.
    assert ada.get("/me").json["name"] == "ada"
    assert bob.get("/me").json["name"] == "bob"
    assert ada.get("/whoami").text == "ada"
    assert log_in(app.test_client(), "bob").status_code == 302


def test_outage_during_logout_keeps_the_session(
    proxied: tuple[t.Any, FaultProxy], log_in: t.Any
) -> None:
    """A logout that could not reach the store says so (503) instead of
    pretending: the user knows to try again."""
    app, proxy = proxied
    ada = app.test_client()
    log_in(ada, "ada")
    proxy.down()
    _outage_answer(ada.post("/logout"))
    proxy.up()
    assert ada.get("/me").json["name"] == "ada"
    assert ada.post("/logout").status_code == 302
    assert ada.get("/me").status_code == 302  # to the login page
