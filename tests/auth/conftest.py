"""Fixtures for erlen.auth, erlen.csrf and erlen.server_sessions.

``auth_app`` is a small app a user would write: a user table in a dict,
``/login``, ``/logout``, ``/me`` (login required), ``/fresh`` (fresh login
required) and ``/password`` (change password).  ``session_backend`` runs it
on each session store: signed cookies, memory, SQL (SQLite) and Redis.
Redis tests skip when 127.0.0.1:6379 is unreachable, and fail when ``CI`` is
set; each uses its own key prefix and deletes its keys afterwards.
"""

from __future__ import annotations

import os
import typing as t
import uuid

import pytest

from erlen import Erlen
from erlen import redirect
from erlen import request
from erlen import url_for
from erlen.auth import Bcrypt
from erlen.auth import LoginManager
from erlen.auth import UserMixin
from erlen.auth import configure_argon2
from erlen.auth import current_user
from erlen.auth import fresh_login_required
from erlen.auth import get_next_url
from erlen.auth import hash_password
from erlen.auth import login_required
from erlen.auth import login_user
from erlen.auth import logout_user
from erlen.auth import verify_password

REDIS_URL = os.environ.get("ERLEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(autouse=True, scope="session")
def cheap_argon2() -> t.Iterator[None]:
    """Test-speed argon2 (the defaults cost ~50 ms a hash)."""
    configure_argon2(time_cost=1, memory_cost=8, parallelism=1)
    yield
    configure_argon2()


class User(UserMixin):
    def __init__(self, id: int, name: str, password: str, active: bool = True):
        self.id = id
        self.name = name
        self.password_hash = hash_password(password)
        self.session_token = "initial"
        self.active = active

    @property
    def is_active(self) -> bool:
        return self.active


def redis_client() -> t.Any:
    """A client for the test server, or skip (fail under CI) when it is down."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except (redis.exceptions.RedisError, OSError) as e:
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {REDIS_URL} is required under CI: {e}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {e}")
    return client


@pytest.fixture
def redis_store() -> t.Iterator[t.Any]:
    from erlen.server_sessions.redis import RedisStore

    client = redis_client()
    prefix = f"erlen-test:{uuid.uuid4().hex}:"
    yield RedisStore(client, prefix=prefix)
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(
    params=["cookie", "memory", "sql", pytest.param("redis", marks=pytest.mark.redis)]
)
def session_backend(request: pytest.FixtureRequest, tmp_path: t.Any) -> t.Any:
    """A session interface per backend (None = the default signed cookie)."""
    from erlen.server_sessions import MemoryStore
    from erlen.server_sessions import ServerSideSessionInterface

    if request.param == "cookie":
        return None
    if request.param == "memory":
        return ServerSideSessionInterface(MemoryStore())
    if request.param == "sql":
        from erlen.server_sessions.sql import SQLStore

        return ServerSideSessionInterface(SQLStore(f"sqlite:///{tmp_path}/s.db"))
    return ServerSideSessionInterface(request.getfixturevalue("redis_store"))


@pytest.fixture
def users() -> dict[str, User]:
    return {
        "1": User(1, "ada", "correct horse battery staple"),
        "2": User(2, "bob", "hunter2hunter2"),
        "3": User(3, "eve", "inactive password", active=False),
    }


def make_auth_app(users: dict[str, User], interface: t.Any = None) -> Erlen:
    app = Erlen("auth_test_app")
    app.config.update(TESTING=True, SECRET_KEY="auth test key", BCRYPT_LOG_ROUNDS=4)
    if interface is not None:
        app.session_interface = interface
    login_manager = LoginManager(app)
    login_manager.login_view = "login"
    app.extensions["test_bcrypt"] = Bcrypt(app)
    by_name = {u.name: u for u in users.values()}

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return users.get(user_id)

    @app.route("/login", methods=["GET", "POST"])
    def login() -> t.Any:
        if request.method == "GET":
            return "login page"
        user = by_name.get(request.form.get("name", ""))
        stored = user.password_hash if user is not None else None
        if not verify_password(stored, request.form.get("password", "")):
            return "bad credentials", 401
        assert user is not None
        remember = request.form.get("remember") == "1"
        if not login_user(user, remember=remember):
            return "inactive", 403
        return redirect(get_next_url(url_for("index")))

    @app.route("/")
    def index() -> str:
        return "index"

    @app.route("/logout", methods=["POST"])
    def logout() -> t.Any:
        logout_user()
        return redirect(url_for("index"))

    @app.route("/me")
    @login_required
    def me() -> dict[str, t.Any]:
        return {"id": current_user.get_id(), "name": current_user.name}

    @app.route("/fresh")
    @fresh_login_required
    def fresh() -> str:
        return "fresh"

    @app.route("/whoami")
    def whoami() -> str:
        return "anonymous" if current_user.is_anonymous else current_user.name

    @app.route("/password", methods=["POST"])
    @login_required
    def change_password() -> str:
        user = current_user._get_current_object()
        user.password_hash = hash_password(request.form["password"])
        return "changed"

    return app


@pytest.fixture
def auth_app(users: dict[str, User], session_backend: t.Any) -> Erlen:
    return make_auth_app(users, session_backend)


@pytest.fixture
def cookie_app(users: dict[str, User]) -> Erlen:
    """The same app on signed-cookie sessions only."""
    return make_auth_app(users)


def _log_in(
    client: t.Any, name: str = "ada", password: str | None = None, **extra: str
) -> t.Any:
    passwords = {
        "ada": "correct horse battery staple",
        "bob": "hunter2hunter2",
        "eve": "inactive password",
    }
    data = {"name": name, "password": password or passwords[name], **extra}
    return client.post("/login", data=data)


@pytest.fixture
def log_in() -> t.Callable[..., t.Any]:
    """``log_in(client, name="ada", remember="1")`` posts the login form."""
    return _log_in


@pytest.fixture
def app_factory(users: dict[str, User]) -> t.Callable[..., Erlen]:
    """``app_factory(interface=None)``: another app on the same users."""
    return lambda interface=None: make_auth_app(users, interface)
