"""erlen.auth login: usage, and the security properties of issue 8.

Tests taking ``auth_app`` run on every session backend (cookie, memory, SQL,
Redis); ``cookie_app`` ones are about the signed-cookie session only.
"""

from __future__ import annotations

import typing as t
from datetime import timedelta

import pytest

from erlen import Blueprint
from erlen import Erlen
from erlen import render_template_string
from erlen import request
from erlen import session
from erlen.auth import AnonymousUserMixin
from erlen.auth import LoginManager
from erlen.auth import UserMixin
from erlen.auth import confirm_login
from erlen.auth import current_user
from erlen.auth import login_fresh
from erlen.auth import login_required
from erlen.auth import login_url
from erlen.auth import login_user
from erlen.auth import user_logged_in
from erlen.auth import user_logged_out

COOKIE = "session"
REMEMBER = "remember_token"


def cookie_value(client: t.Any, name: str = COOKIE) -> str | None:
    cookie = client.get_cookie(name)
    return None if cookie is None else cookie.value


def fresh_client_with(app: Erlen, **cookies: str) -> t.Any:
    """A new browser holding only the given (copied) cookies."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


# -- the basic flow -----------------------------------------------------------


def test_login_then_protected_view(auth_app: Erlen, log_in: t.Any) -> None:
    client = auth_app.test_client()
    assert client.get("/whoami").text == "anonymous"
    rv = log_in(client)
    assert rv.status_code == 302 and rv.location == "/"
    assert client.get("/me").json == {"id": "1", "name": "ada"}
    assert client.get("/whoami").text == "ada"


def test_wrong_password_and_unknown_user(auth_app: Erlen, log_in: t.Any) -> None:
    client = auth_app.test_client()
    assert log_in(client, password="wrong").status_code == 401
    assert (
        client.post("/login", data={"name": "nobody", "password": "x"}).status_code
        == 401
    )
    assert client.get("/whoami").text == "anonymous"


def test_anonymous_is_redirected_with_next(auth_app: Erlen) -> None:
    client = auth_app.test_client()
    rv = client.get("/me?tab=2")
    assert rv.status_code == 302
    assert rv.location == "/login?next=%2Fme%3Ftab%3D2"


def test_login_follows_safe_next(auth_app: Erlen, log_in: t.Any) -> None:
    client = auth_app.test_client()
    rv = client.post(
        "/login?next=%2Fme%3Ftab%3D2",
        data={"name": "ada", "password": "correct horse battery staple"},
    )
    assert rv.location == "/me?tab=2"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "http://evil.example/me",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        " //evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/me\r\nSet-Cookie: x=1",
        "//evil.example/%2F..",
        "/\u200b/evil.example",
    ],
)
def test_unsafe_next_lands_on_default(
    cookie_app: Erlen, target: str, log_in: t.Any
) -> None:
    client = cookie_app.test_client()
    rv = client.post(
        "/login",
        query_string={"next": target},
        data={"name": "ada", "password": "correct horse battery staple"},
    )
    assert rv.status_code == 302
    assert rv.location == "/"


def test_inactive_user_cannot_log_in(auth_app: Erlen, log_in: t.Any) -> None:
    client = auth_app.test_client()
    assert log_in(client, "eve").status_code == 403
    assert client.get("/whoami").text == "anonymous"


def test_force_logs_in_an_inactive_user(app: Erlen, users: dict[str, t.Any]) -> None:
    LoginManager(app).user_loader(users.get)

    @app.route("/force")
    def force() -> str:
        assert login_user(users["3"]) is False
        assert login_user(users["3"], force=True) is True
        return current_user.name

    assert app.test_client().get("/force").text == "eve"


def test_logout(auth_app: Erlen, log_in: t.Any) -> None:
    client = auth_app.test_client()
    log_in(client)
    client.post("/logout")
    assert client.get("/whoami").text == "anonymous"
    assert client.get("/me").status_code == 302


# -- fixation and theft -------------------------------------------------------


def test_session_identity_changes_at_login(auth_app: Erlen, log_in: t.Any) -> None:
    @auth_app.route("/cart")
    def cart() -> str:
        session["cart"] = "apples"
        return "ok"

    @auth_app.route("/show-cart")
    def show_cart() -> str:
        return str(session.get("cart"))

    client = auth_app.test_client()
    client.get("/cart")
    before = cookie_value(client)
    assert before
    log_in(client)
    after = cookie_value(client)
    assert after and after != before
    # The user's own data survives the rotation.
    assert client.get("/show-cart").text == "apples"
    # Whoever held the old cookie (a fixed session) is not logged in.
    attacker = fresh_client_with(auth_app, session=before)
    assert attacker.get("/whoami").text == "anonymous"


def test_login_over_another_users_session_starts_empty(
    cookie_app: Erlen, log_in: t.Any
) -> None:
    @cookie_app.route("/note")
    def note() -> str:
        session["note"] = "ada's"
        return "ok"

    @cookie_app.route("/show-note")
    def show_note() -> str:
        return str(session.get("note"))

    client = cookie_app.test_client()
    log_in(client, "ada")
    client.get("/note")
    log_in(client, "bob")
    assert client.get("/whoami").text == "bob"
    assert client.get("/show-note").text == "None"


def test_copied_session_cookie_dies_at_logout(auth_app: Erlen, log_in: t.Any) -> None:
    client = auth_app.test_client()
    log_in(client)
    stolen = cookie_value(client)
    assert fresh_client_with(auth_app, session=stolen).get("/whoami").text == "ada"
    client.post("/logout")
    thief = fresh_client_with(auth_app, session=stolen)
    assert thief.get("/whoami").text == "anonymous"
    assert thief.get("/me").status_code == 302


def test_copied_session_cookie_dies_after_password_change(
    auth_app: Erlen, log_in: t.Any
) -> None:
    client = auth_app.test_client()
    log_in(client)
    stolen = cookie_value(client)
    assert client.post("/password", data={"password": "new passphrase"}).text == (
        "changed"
    )
    assert fresh_client_with(auth_app, session=stolen).get("/whoami").text == (
        "anonymous"
    )
    # Logging in again with the new password works.
    client = auth_app.test_client()
    assert (
        client.post(
            "/login", data={"name": "ada", "password": "new passphrase"}
        ).status_code
        == 302
    )
    assert client.get("/whoami").text == "ada"


def test_tampered_session_cookie_is_anonymous(auth_app: Erlen, log_in: t.Any) -> None:
    client = auth_app.test_client()
    log_in(client)
    value = cookie_value(client)
    assert value
    flipped = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    assert fresh_client_with(auth_app, session=flipped).get("/whoami").text == (
        "anonymous"
    )


def test_forged_login_without_proof_is_anonymous(cookie_app: Erlen) -> None:
    """A session saying ``_user_id`` (a Flask-Login session, or one signed with
    a leaked key) is not enough: the per-user proof is missing."""
    client = cookie_app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = "1"
        sess["_fresh"] = True
    assert client.get("/whoami").text == "anonymous"


def test_strong_protection_logs_out_another_client(
    cookie_app: Erlen, log_in: t.Any
) -> None:
    cookie_app.config["SESSION_PROTECTION"] = "strong"
    client = cookie_app.test_client()
    client.post(
        "/login",
        data={"name": "ada", "password": "correct horse battery staple"},
        headers={"User-Agent": "browser-a"},
    )
    assert client.get("/whoami", headers={"User-Agent": "browser-a"}).text == "ada"
    assert client.get("/whoami", headers={"User-Agent": "curl"}).text == "anonymous"


def test_basic_protection_marks_login_not_fresh(
    cookie_app: Erlen, log_in: t.Any
) -> None:
    client = cookie_app.test_client()
    client.post(
        "/login",
        data={"name": "ada", "password": "correct horse battery staple"},
        headers={"User-Agent": "browser-a"},
    )
    assert client.get("/fresh", headers={"User-Agent": "browser-a"}).text == "fresh"
    rv = client.get("/fresh", headers={"User-Agent": "other"})
    assert rv.status_code == 401  # no refresh_view: a plain 401
    assert client.get("/whoami", headers={"User-Agent": "other"}).text == "ada"


# -- remember me ----------------------------------------------------------------


def test_remember_cookie_logs_in_a_new_browser(auth_app: Erlen, log_in: t.Any) -> None:
    client = auth_app.test_client()
    rv = log_in(client, remember="1")
    header = [h for h in rv.headers.getlist("Set-Cookie") if h.startswith(REMEMBER)]
    assert header
    attrs = header[0].lower()
    assert "httponly" in attrs and "samesite=lax" in attrs and "max-age=" in attrs
    token = cookie_value(client, REMEMBER)
    later = fresh_client_with(auth_app, remember_token=token)
    assert later.get("/me").json == {"id": "1", "name": "ada"}
    # Restored from a cookie: logged in, but not fresh.
    assert later.get("/fresh").status_code == 401
    assert later.get("/whoami").text == "ada"


def test_remember_cookie_stops_working_after_logout(
    auth_app: Erlen, log_in: t.Any
) -> None:
    client = auth_app.test_client()
    log_in(client, remember="1")
    token = cookie_value(client, REMEMBER)
    rv = client.post("/logout")
    cleared = [h for h in rv.headers.getlist("Set-Cookie") if h.startswith(REMEMBER)]
    assert cleared and "max-age=0" in cleared[0].lower()
    assert client.get_cookie(REMEMBER) is None
    copied = fresh_client_with(auth_app, remember_token=token)
    assert copied.get("/whoami").text == "anonymous"


def test_remember_cookie_stops_working_after_password_change(
    auth_app: Erlen, log_in: t.Any
) -> None:
    client = auth_app.test_client()
    log_in(client, remember="1")
    token = cookie_value(client, REMEMBER)
    client.post("/password", data={"password": "brand new passphrase"})
    copied = fresh_client_with(auth_app, remember_token=token)
    assert copied.get("/whoami").text == "anonymous"
    # The refused cookie is deleted from the browser.
    assert copied.get_cookie(REMEMBER) is None


def test_tampered_remember_cookie_is_anonymous(
    cookie_app: Erlen, log_in: t.Any
) -> None:
    client = cookie_app.test_client()
    log_in(client, remember="1")
    token = cookie_value(client, REMEMBER)
    assert token
    for bad in (token[:-3] + "xyz", "1|" + "0" * 128, "garbage", "x" * 4000):
        copied = fresh_client_with(cookie_app, remember_token=bad)
        assert copied.get("/whoami").text == "anonymous"


def test_expired_remember_cookie_is_anonymous(
    cookie_app: Erlen, monkeypatch: pytest.MonkeyPatch
) -> None:
    import itsdangerous.timed

    from erlen.auth.remember import encode_remember_cookie

    real_time = itsdangerous.timed.time.time
    user = {"id": "1"}
    with cookie_app.app_context():
        monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() - 7200)
        token = encode_remember_cookie(cookie_app, user["id"], None, timedelta(hours=1))
        monkeypatch.setattr(itsdangerous.timed.time, "time", real_time)
    # Signed for the right user (the proof would match a token-less user),
    # but two hours old with a one-hour life.
    copied = fresh_client_with(cookie_app, remember_token=token)
    assert copied.get("/whoami").text == "anonymous"


def test_remember_duration_per_login(app: Erlen, users: dict[str, t.Any]) -> None:
    LoginManager(app).user_loader(users.get)

    @app.route("/in")
    def log_in_view() -> str:
        login_user(users["1"], remember=True, duration=timedelta(days=2))
        return "ok"

    rv = app.test_client().get("/in")
    header = [h for h in rv.headers.getlist("Set-Cookie") if h.startswith(REMEMBER)]
    assert "Max-Age=172800" in header[0]


def test_remember_cookie_settings(app: Erlen, users: dict[str, t.Any]) -> None:
    app.config.update(
        REMEMBER_COOKIE_NAME="keep",
        REMEMBER_COOKIE_DURATION=60,
        REMEMBER_COOKIE_SAMESITE="Strict",
        REMEMBER_COOKIE_PATH="/app",
    )
    LoginManager(app).user_loader(users.get)

    @app.route("/in")
    def log_in_view() -> str:
        login_user(users["1"], remember=True)
        return "ok"

    rv = app.test_client().get("/in", base_url="https://localhost")
    header = [h for h in rv.headers.getlist("Set-Cookie") if h.startswith("keep=")]
    assert header
    for part in ("Max-Age=60", "Path=/app", "SameSite=Strict", "Secure", "HttpOnly"):
        assert part in header[0]


def test_duration_must_be_a_timedelta(app: Erlen, users: dict[str, t.Any]) -> None:
    LoginManager(app).user_loader(users.get)
    with app.test_request_context():
        with pytest.raises(TypeError):
            login_user(users["1"], remember=True, duration=60)  # type: ignore[arg-type]


# -- refusing: JSON, views, handlers -------------------------------------------


def test_json_requests_get_a_json_401(auth_app: Erlen) -> None:
    client = auth_app.test_client()
    rv = client.get("/me", headers={"Accept": "application/json"})
    assert rv.status_code == 401
    assert rv.json == {
        "error": "unauthorized",
        "message": "Please log in to access this page.",
    }
    rv = client.post("/password", json={"password": "x"})
    assert rv.status_code == 401 and rv.is_json
    # A browser still gets the redirect.
    rv = client.get("/me", headers={"Accept": "text/html,*/*;q=0.8"})
    assert rv.status_code == 302


def test_no_login_view_is_a_plain_401(app: Erlen, users: dict[str, t.Any]) -> None:
    LoginManager(app).user_loader(users.get)

    @app.route("/secret")
    @login_required
    def secret() -> str:
        return "secret"

    assert app.test_client().get("/secret").status_code == 401


def test_login_message_is_flashed(auth_app: Erlen) -> None:
    from erlen import get_flashed_messages

    @auth_app.route("/messages")
    def messages() -> t.Any:
        return {"m": get_flashed_messages(with_categories=True)}

    client = auth_app.test_client()
    client.get("/me")
    assert client.get("/messages").json == {
        "m": [["message", "Please log in to access this page."]]
    }


def test_blueprint_login_view(app: Erlen, users: dict[str, t.Any]) -> None:
    manager = LoginManager(app)
    manager.user_loader(users.get)
    manager.login_view = "site_login"
    manager.blueprint_login_views = {"admin": "admin.login"}
    admin = Blueprint("admin", __name__, url_prefix="/admin")

    @admin.route("/login")
    def login() -> str:
        return "admin login"

    @admin.route("/panel")
    @login_required
    def panel() -> str:
        return "panel"

    @app.route("/login")
    def site_login() -> str:
        return "login"

    @app.route("/page")
    @login_required
    def page() -> str:
        return "page"

    app.register_blueprint(admin)
    client = app.test_client()
    assert client.get("/admin/panel").location == "/admin/login?next=%2Fadmin%2Fpanel"
    assert client.get("/page").location == "/login?next=%2Fpage"


def test_unauthorized_and_refresh_handlers(app: Erlen, users: dict[str, t.Any]) -> None:
    from erlen.auth import fresh_login_required

    manager = LoginManager(app)
    manager.user_loader(users.get)

    @manager.unauthorized_handler
    def unauthorized() -> t.Any:
        return "go away", 403

    @manager.needs_refresh_handler
    def refresh() -> t.Any:
        return "re-enter your password", 403

    @app.route("/in")
    def log_in_view() -> str:
        login_user(users["1"], fresh=False)
        return "ok"

    @app.route("/fresh")
    @fresh_login_required
    def fresh() -> str:
        return "fresh"

    client = app.test_client()
    assert client.get("/fresh").text == "go away"
    client.get("/in")
    assert client.get("/fresh").text == "re-enter your password"


def test_refresh_view_and_confirm_login(app: Erlen, users: dict[str, t.Any]) -> None:
    from erlen.auth import fresh_login_required

    manager = LoginManager(app)
    manager.user_loader(users.get)
    manager.refresh_view = "reauth"

    @app.route("/in")
    def log_in_view() -> str:
        login_user(users["1"], fresh=False)
        return str(login_fresh())

    @app.route("/reauth")
    def reauth() -> str:
        confirm_login()
        return str(login_fresh())

    @app.route("/fresh")
    @fresh_login_required
    def fresh() -> str:
        return "fresh"

    client = app.test_client()
    assert client.get("/in").text == "False"
    assert client.get("/fresh").location == "/reauth?next=%2Ffresh"
    assert client.get("/reauth").text == "True"
    assert client.get("/fresh").text == "fresh"


def test_login_disabled(auth_app: Erlen) -> None:
    auth_app.config["LOGIN_DISABLED"] = True
    assert auth_app.test_client().get("/fresh").text == "fresh"


def test_use_session_for_next(cookie_app: Erlen) -> None:
    cookie_app.config["USE_SESSION_FOR_NEXT"] = True
    client = cookie_app.test_client()
    rv = client.get("/me")
    assert rv.location == "/login"
    rv = client.post(
        "/login", data={"name": "ada", "password": "correct horse battery staple"}
    )
    assert rv.location == "/me"
    # Used once: the next login lands on the default page.
    client.post("/logout")
    rv = client.post(
        "/login", data={"name": "ada", "password": "correct horse battery staple"}
    )
    assert rv.location == "/"


# -- loaders, users, signals -------------------------------------------------


def test_request_loader_for_api_tokens(app: Erlen, users: dict[str, t.Any]) -> None:
    manager = LoginManager(app)
    manager.user_loader(users.get)
    tokens = {"secret-api-token": users["2"]}

    @manager.request_loader
    def from_header(req: t.Any) -> t.Any:
        value = req.headers.get("Authorization", "")
        return tokens.get(value.removeprefix("Bearer "))

    @app.route("/api/me")
    @login_required
    def api_me() -> dict[str, str]:
        return {"name": current_user.name}

    client = app.test_client()
    rv = client.get("/api/me", headers={"Authorization": "Bearer secret-api-token"})
    assert rv.json == {"name": "bob"}
    # A token login writes no session cookie.
    assert "Set-Cookie" not in rv.headers
    rv = client.get("/api/me", headers={"Authorization": "Bearer nope"})
    assert rv.status_code == 401


def test_missing_loader_is_a_clear_error(app: Erlen) -> None:
    LoginManager(app)
    with app.test_request_context():
        with pytest.raises(Exception, match="Missing user_loader"):
            _ = current_user.is_authenticated


def test_custom_anonymous_user(app: Erlen, users: dict[str, t.Any]) -> None:
    class Guest(AnonymousUserMixin):
        name = "guest"

    manager = LoginManager(app)
    manager.user_loader(users.get)
    manager.anonymous_user = Guest
    with app.test_request_context():
        assert current_user.name == "guest"
        assert isinstance(current_user._get_current_object(), Guest)


def test_user_mixin_defaults() -> None:
    class Plain(UserMixin):
        def __init__(self, id: int) -> None:
            self.id = id

    a, b = Plain(1), Plain(1)
    assert a.is_authenticated and a.is_active and not a.is_anonymous
    assert a.get_id() == "1" and a == b and not (a != b)
    assert a.get_session_token() is None
    a.revoke_session_token()
    assert a.get_session_token() and a.get_session_token() != b.get_session_token()
    anon = AnonymousUserMixin()
    assert not anon.is_authenticated and anon.is_anonymous and anon.get_id() is None


def test_signals(auth_app: Erlen, log_in: t.Any) -> None:
    seen: list[tuple[str, str]] = []

    def on_in(sender: t.Any, user: t.Any) -> None:
        seen.append(("in", user.name))

    def on_out(sender: t.Any, user: t.Any) -> None:
        seen.append(("out", user.name))

    with user_logged_in.connected_to(on_in), user_logged_out.connected_to(on_out):
        client = auth_app.test_client()
        log_in(client)
        client.post("/logout")
    assert seen == [("in", "ada"), ("out", "ada")]


def test_current_user_in_templates(auth_app: Erlen, log_in: t.Any) -> None:
    @auth_app.route("/hello")
    def hello() -> str:
        return render_template_string(
            "{% if current_user.is_authenticated %}hi {{ current_user.name }}"
            "{% else %}hi stranger{% endif %}"
        )

    client = auth_app.test_client()
    assert client.get("/hello").text == "hi stranger"
    log_in(client)
    assert client.get("/hello").text == "hi ada"


def test_login_url_helper(app: Erlen) -> None:
    @app.route("/login")
    def login() -> str:
        return ""

    with app.test_request_context():
        assert login_url("login") == "/login"
        assert login_url("login", next_url="/a?b=1") == "/login?next=%2Fa%3Fb%3D1"
        assert login_url("https://sso.example/in?x=1", "/a") == (
            "https://sso.example/in?x=1&next=%2Fa"
        )


def test_requests_not_using_auth_pay_nothing(auth_app: Erlen, log_in: t.Any) -> None:
    """No hooks, no session, no cookie for a view that never reads the user."""
    assert not auth_app.before_request_funcs and not auth_app.after_request_funcs
    client = auth_app.test_client()
    log_in(client)
    rv = client.get("/")
    assert rv.text == "index"
    assert "Set-Cookie" not in rv.headers and "Vary" not in rv.headers


def test_current_user_is_loaded_once_per_request(
    app: Erlen, users: dict[str, t.Any]
) -> None:
    manager = LoginManager(app)
    calls: list[str] = []

    @manager.user_loader
    def load(user_id: str) -> t.Any:
        calls.append(user_id)
        return users.get(user_id)

    @app.route("/in")
    def log_in_view() -> str:
        login_user(users["1"])
        return "ok"

    @app.route("/twice")
    def twice() -> str:
        return f"{current_user.name} {current_user.name} {request.path}"

    client = app.test_client()
    client.get("/in")
    assert client.get("/twice").text == "ada ada /twice"
    assert calls == ["1"]


def test_logins_survive_secret_key_rotation(auth_app: Erlen, log_in: t.Any) -> None:
    client = auth_app.test_client()
    log_in(client, remember="1")
    remember = cookie_value(client, REMEMBER)
    auth_app.config.update(
        SECRET_KEY="a new key", SECRET_KEY_FALLBACKS=["auth test key"]
    )
    assert client.get("/whoami").text == "ada"
    assert (
        fresh_client_with(auth_app, remember_token=remember).get("/whoami").text
        == "ada"
    )
    auth_app.config["SECRET_KEY_FALLBACKS"] = []
    assert (
        fresh_client_with(auth_app, remember_token=remember).get("/whoami").text
        == "anonymous"
    )


def test_logout_empties_the_session(cookie_app: Erlen, log_in: t.Any) -> None:
    @cookie_app.route("/keep")
    def keep() -> str:
        session["private"] = "notes"
        return "ok"

    client = cookie_app.test_client()
    log_in(client)
    client.get("/keep")
    rv = client.post("/logout")
    assert cookie_value(client) is None
    headers = rv.headers.getlist("Set-Cookie")
    assert any(h.startswith("session=") and "Max-Age=0" in h for h in headers)


def test_remember_refresh_each_request_and_cookie_signal(
    cookie_app: Erlen, log_in: t.Any
) -> None:
    from erlen.auth import user_loaded_from_cookie

    cookie_app.config["REMEMBER_COOKIE_REFRESH_EACH_REQUEST"] = True
    client = cookie_app.test_client()
    log_in(client, remember="1")
    rv = client.get("/whoami")
    assert any(h.startswith(REMEMBER) for h in rv.headers.getlist("Set-Cookie"))
    # Views that never read current_user still leave the cookie alone.
    rv = client.get("/")
    assert "Set-Cookie" not in rv.headers

    loaded: list[str] = []

    def on_cookie(sender: t.Any, user: t.Any) -> None:
        loaded.append(user.name)

    token = cookie_value(client, REMEMBER)
    with user_loaded_from_cookie.connected_to(on_cookie):
        fresh_client_with(cookie_app, remember_token=token).get("/whoami")
    assert loaded == ["ada"]
