"""Server-side sessions: id-only cookies, stores, timeouts, rotation, outages."""

from __future__ import annotations

import logging
import typing as t

import pytest

from erlen import Erlen
from erlen import session
from erlen.server_sessions import MemoryStore
from erlen.server_sessions import ServerSideSessionInterface
from erlen.server_sessions import SessionStore
from erlen.server_sessions import SessionStoreError


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(
    params=["memory", "sql", pytest.param("redis", marks=pytest.mark.redis)]
)
def store(request: pytest.FixtureRequest, tmp_path: t.Any) -> SessionStore:
    if request.param == "memory":
        return MemoryStore()
    if request.param == "sql":
        from erlen.server_sessions.sql import SQLStore

        return SQLStore(f"sqlite:///{tmp_path}/sessions.db")
    return t.cast(SessionStore, request.getfixturevalue("redis_store"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sapp(app: Erlen, store: SessionStore, clock: Clock) -> Erlen:
    app.session_interface = ServerSideSessionInterface(store, clock=clock)

    @app.route("/set/<value>")
    def set_value(value: str) -> str:
        session["value"] = value
        return "ok"

    @app.route("/get")
    def get_value() -> str:
        return str(session.get("value"))

    @app.route("/regenerate")
    def regenerate() -> str:
        session.regenerate()  # type: ignore[attr-defined]
        return "ok"

    @app.route("/destroy")
    def destroy() -> str:
        session.destroy()  # type: ignore[attr-defined]
        return "ok"

    @app.route("/plain")
    def plain() -> str:
        return "plain"

    return app


def sid_cookie(client: t.Any) -> str | None:
    cookie = client.get_cookie("session")
    return None if cookie is None else cookie.value


def test_data_lives_in_the_store(sapp: Erlen, store: SessionStore) -> None:
    client = sapp.test_client()
    rv = client.get("/set/secret-value")
    header = rv.headers["Set-Cookie"]
    assert "secret-value" not in header and "HttpOnly" in header
    assert client.get("/get").text == "secret-value"
    value = sid_cookie(client)
    assert value is not None
    sid = value.rsplit(".", 1)[0]
    assert len(sid) >= 43  # 256 random bits, base64
    # The store is keyed by a hash of the id, not the id itself.
    assert store.load(sid) is None
    assert store.load(ServerSideSessionInterface._store_key(sid)) is not None


def test_untouched_and_empty_sessions_cost_nothing(sapp: Erlen) -> None:
    client = sapp.test_client()
    rv = client.get("/plain")
    assert "Set-Cookie" not in rv.headers and "Vary" not in rv.headers
    rv = client.get("/get")  # read, but empty: no record, no cookie
    assert rv.text == "None" and "Set-Cookie" not in rv.headers
    assert rv.headers["Vary"] == "Cookie"


def test_tampered_or_unknown_id_is_a_new_session(sapp: Erlen) -> None:
    client = sapp.test_client()
    client.get("/set/x")
    value = sid_cookie(client)
    assert value
    other = sapp.test_client()
    other.set_cookie("session", "A" + value[1:])
    assert other.get("/get").text == "None"
    other.set_cookie("session", "garbage")
    assert other.get("/get").text == "None"
    other.set_cookie("session", "x" * 1000)
    assert other.get("/get").text == "None"


def test_regenerate_moves_data_to_a_new_id(sapp: Erlen) -> None:
    client = sapp.test_client()
    client.get("/set/kept")
    old = sid_cookie(client)
    client.get("/regenerate")
    new = sid_cookie(client)
    assert new and new != old
    assert client.get("/get").text == "kept"
    stale = sapp.test_client()
    stale.set_cookie("session", old or "")
    assert stale.get("/get").text == "None"


def test_destroy(sapp: Erlen) -> None:
    client = sapp.test_client()
    client.get("/set/gone")
    old = sid_cookie(client)
    rv = client.get("/destroy")
    assert "Max-Age=0" in rv.headers["Set-Cookie"]
    assert sid_cookie(client) is None
    stale = sapp.test_client()
    stale.set_cookie("session", old or "")
    assert stale.get("/get").text == "None"


def test_idle_timeout(sapp: Erlen, clock: Clock) -> None:
    sapp.config["SESSION_IDLE_TIMEOUT"] = 600
    client = sapp.test_client()
    client.get("/set/v")
    for _ in range(3):  # activity keeps it alive past one idle period
        clock.now += 400
        assert client.get("/get").text == "v"
    clock.now += 601
    assert client.get("/get").text == "None"


def test_absolute_timeout(sapp: Erlen, clock: Clock) -> None:
    from datetime import timedelta

    sapp.config["SESSION_ABSOLUTE_TIMEOUT"] = timedelta(hours=1)
    client = sapp.test_client()
    client.get("/set/v")
    clock.now += 1800
    assert client.get("/set/w").text == "ok"
    clock.now += 1700
    assert client.get("/get").text == "w"
    clock.now += 200  # 3700 s after creation, despite the activity
    assert client.get("/get").text == "None"


def test_session_transaction(sapp: Erlen) -> None:
    client = sapp.test_client()
    with client.session_transaction() as sess:
        sess["value"] = "from the test"
    assert client.get("/get").text == "from the test"


def test_login_regenerates_the_id(
    app_factory: t.Any, store: SessionStore, log_in: t.Any
) -> None:
    app = app_factory(ServerSideSessionInterface(store))
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["cart"] = "apples"
    before = sid_cookie(client)
    log_in(client)
    after = sid_cookie(client)
    assert before and after and before != after
    fixed = app.test_client()
    fixed.set_cookie("session", before)
    assert fixed.get("/whoami").text == "anonymous"


def test_logout_kills_the_server_session(
    app_factory: t.Any, store: SessionStore, log_in: t.Any
) -> None:
    app = app_factory(ServerSideSessionInterface(store))
    app.config["LOGIN_REVOKE_ON_LOGOUT"] = False  # per-login revocation only
    client = app.test_client()
    log_in(client)
    stolen = sid_cookie(client)
    other_device = app.test_client()
    log_in(other_device)
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", stolen or "")
    assert thief.get("/whoami").text == "anonymous"
    # Without the per-user revocation the other login lives on.
    assert other_device.get("/whoami").text == "ada"


# -- the store is down -------------------------------------------------------


class BrokenStore(SessionStore):
    def __init__(self, fail_load: bool = True) -> None:
        self.fail_load = fail_load

    def load(self, key: str) -> str | None:
        if self.fail_load:
            raise SessionStoreError("connection refused")
        return None

    def save(self, key: str, data: str, ttl: int) -> None:
        raise SessionStoreError("connection refused")

    def delete(self, key: str) -> None:
        raise SessionStoreError("connection refused")


def _outage_app(app: Erlen, store: SessionStore) -> Erlen:
    app.session_interface = ServerSideSessionInterface(store)

    @app.route("/set")
    def set_value() -> str:
        session["value"] = "x"
        return "ok"

    @app.route("/get")
    def get_value() -> str:
        return str(session.get("value"))

    return app


def _check_503(rv: t.Any, caplog: pytest.LogCaptureFixture) -> None:
    assert rv.status_code == 503
    assert rv.headers["Retry-After"] == "5"
    assert "session store is unavailable" in rv.text
    assert "Set-Cookie" not in rv.headers
    assert any("Session store unavailable" in r.message for r in caplog.records)


def test_store_down_when_reading(app: Erlen, caplog: pytest.LogCaptureFixture) -> None:
    _outage_app(app, BrokenStore())
    client = app.test_client()
    client.set_cookie("session", _signed_id(app))
    with caplog.at_level(logging.ERROR):
        rv = client.get("/get")
    _check_503(rv, caplog)


def test_store_down_when_saving(app: Erlen, caplog: pytest.LogCaptureFixture) -> None:
    _outage_app(app, BrokenStore(fail_load=False))
    with caplog.at_level(logging.ERROR):
        rv = app.test_client().get("/set")
    _check_503(rv, caplog)


def test_login_with_store_down_is_not_silent(
    app_factory: t.Any, log_in: t.Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_factory(ServerSideSessionInterface(BrokenStore(fail_load=False)))
    with caplog.at_level(logging.ERROR):
        rv = log_in(app.test_client())
    _check_503(rv, caplog)
    assert "Location" not in rv.headers


def test_redis_down_is_a_503(app: Erlen, caplog: pytest.LogCaptureFixture) -> None:
    from erlen.server_sessions.redis import RedisStore

    _outage_app(app, RedisStore(url="redis://127.0.0.1:1/0", timeout=0.5))
    client = app.test_client()
    client.set_cookie("session", _signed_id(app))
    with caplog.at_level(logging.ERROR):
        rv = client.get("/get")
    _check_503(rv, caplog)


def test_sql_down_is_a_503(
    app: Erlen, tmp_path: t.Any, caplog: pytest.LogCaptureFixture
) -> None:
    from erlen.server_sessions.sql import SQLStore

    store = SQLStore(f"sqlite:///{tmp_path}/missing/dir/s.db", create_table=False)
    _outage_app(app, store)
    client = app.test_client()
    client.set_cookie("session", _signed_id(app))
    with caplog.at_level(logging.ERROR):
        rv = client.get("/get")
    _check_503(rv, caplog)
    store.engine.dispose()


def _signed_id(app: Erlen) -> str:
    interface = t.cast(ServerSideSessionInterface, app.session_interface)
    signer = interface._signer(app)
    assert signer is not None
    return signer.sign("a" * 43).decode()


# -- store specifics ------------------------------------------------------------


def test_memory_store_expiry_and_bound() -> None:
    clock = Clock()
    store = MemoryStore(max_entries=2, clock=clock)
    store.save("a", "1", ttl=10)
    store.save("b", "2", ttl=100)
    clock.now += 11
    assert store.load("a") is None and store.load("b") == "2"
    store.save("c", "3", ttl=10)
    store.save("d", "4", ttl=10)
    assert len(store) == 2


def test_sql_store_purge(tmp_path: t.Any) -> None:
    from erlen.server_sessions.sql import SQLStore

    clock = Clock()
    store = SQLStore(f"sqlite:///{tmp_path}/s.db", clock=clock)
    store.save("a", "1", ttl=10)
    store.save("a", "2", ttl=10)  # replace
    store.save("b", "3", ttl=100)
    assert store.load("a") == "2"
    clock.now += 11
    assert store.load("a") is None
    assert store.purge_expired() == 1
    store.delete("b")
    assert store.load("b") is None
    store.engine.dispose()


@pytest.mark.redis
def test_redis_store_sets_a_ttl(app: Erlen, redis_store: t.Any) -> None:
    app.session_interface = ServerSideSessionInterface(redis_store)
    app.config["SESSION_IDLE_TIMEOUT"] = 300

    @app.route("/set")
    def set_value() -> str:
        session["value"] = "v"
        return "ok"

    app.test_client().get("/set")
    client = redis_store.client
    keys = list(client.scan_iter(match=redis_store.prefix + "*"))
    assert len(keys) == 1
    assert 0 < client.ttl(keys[0]) <= 301
