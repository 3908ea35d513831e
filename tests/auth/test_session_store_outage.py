"""A session store that fails mid-run: 503 where the session is needed, the
view's own answer where it is not, one log line per request, never a 500."""

from __future__ import annotations

import logging
import typing as t

import pytest

from erlen import Erlen
from erlen import session
from erlen.server_sessions import MemoryStore
from erlen.server_sessions import ServerSideSessionInterface
from erlen.server_sessions import SessionStoreError


class FlakyStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.loads = 0

    def load(self, key: str) -> t.Any:
        self.loads += 1
        if self.down:
            raise SessionStoreError("store is down")
        return super().load(key)

    def save(self, key: str, data: str, ttl: int) -> None:
        if self.down:
            raise SessionStoreError("store is down")
        super().save(key, data, ttl)


@pytest.fixture
def flaky() -> FlakyStore:
    return FlakyStore()


@pytest.fixture
def sapp(app: Erlen, flaky: FlakyStore) -> Erlen:
    app.session_interface = ServerSideSessionInterface(flaky)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production

    @app.route("/set")
    def set_value() -> str:
        session["user"] = "ada"
        return "set"

    @app.route("/get")
    def get_value() -> str:
        return str(session.get("user"))

    @app.route("/plain")
    def plain() -> str:
        return "plain"

    return app


def test_store_down_mid_run(
    sapp: Erlen, flaky: FlakyStore, caplog: pytest.LogCaptureFixture
) -> None:
    client = sapp.test_client()
    assert client.get("/set").text == "set"
    flaky.down = True
    flaky.loads = 0
    with caplog.at_level(logging.ERROR):
        rv = client.get("/get")
        assert rv.status_code == 503
        assert rv.headers["Retry-After"] == "5"
        # The store was asked once, and the failure logged once.
        assert flaky.loads == 1
        assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1
        # A view that never reads the session still answers, cookie kept.
        rv = client.get("/plain")
        assert (rv.status_code, rv.text) == (200, "plain")
        assert "Set-Cookie" not in rv.headers
    flaky.down = False
    assert client.get("/get").text == "ada"
