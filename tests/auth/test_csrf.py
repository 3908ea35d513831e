"""CSRFProtect: tokens in forms and headers, exemptions, clear 400 reasons."""

from __future__ import annotations

import re
import typing as t

import pytest

from erlen import Blueprint
from erlen import Erlen
from erlen import render_template_string
from erlen import request
from erlen.auth import LoginManager
from erlen.auth import login_user
from erlen.csrf import CSRFProtect
from erlen.csrf import generate_csrf

FORM = '<form method=post><input name=csrf_token value="{{ csrf_token() }}"></form>'


@pytest.fixture
def csrf(app: Erlen) -> CSRFProtect:
    protect = CSRFProtect(app)

    @app.route("/form", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def form() -> str:
        if request.method == "GET":
            return render_template_string(FORM)
        return "accepted"

    @app.route("/token")
    def token() -> str:
        return generate_csrf()

    return protect


def get_token(client: t.Any) -> str:
    page = client.get("/form").text
    match = re.search(r'value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def test_form_post_with_token(client: t.Any, csrf: CSRFProtect) -> None:
    token = get_token(client)
    rv = client.post("/form", data={"csrf_token": token})
    assert rv.status_code == 200 and rv.text == "accepted"
    # The same token works again within its lifetime.
    assert client.post("/form", data={"csrf_token": token}).status_code == 200


def test_token_is_stable_within_a_request(app: Erlen, csrf: CSRFProtect) -> None:
    with app.test_request_context():
        assert generate_csrf() == generate_csrf()


def test_missing_token(client: t.Any, csrf: CSRFProtect) -> None:
    get_token(client)
    rv = client.post("/form", data={"other": "x"})
    assert rv.status_code == 400
    assert "CSRF token missing" in rv.text


def test_wrong_token(client: t.Any, csrf: CSRFProtect) -> None:
    get_token(client)
    for bad in ("garbage", "a.b.c", "x" * 600):
        rv = client.post("/form", data={"csrf_token": bad})
        assert rv.status_code == 400
        assert "CSRF token invalid" in rv.text


def test_other_sessions_token(app: Erlen, csrf: CSRFProtect) -> None:
    alice, mallory = app.test_client(), app.test_client()
    alice_token = get_token(alice)
    get_token(mallory)
    rv = mallory.post("/form", data={"csrf_token": alice_token})
    assert rv.status_code == 400 and "CSRF token invalid" in rv.text
    # A browser with no session at all.
    rv = app.test_client().post("/form", data={"csrf_token": alice_token})
    assert rv.status_code == 400 and "CSRF session token missing" in rv.text


def test_expired_token(
    client: t.Any, csrf: CSRFProtect, app: Erlen, monkeypatch: pytest.MonkeyPatch
) -> None:
    import itsdangerous.timed

    app.config["CSRF_TIME_LIMIT"] = 60
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() - 3600)
    token = get_token(client)
    monkeypatch.setattr(itsdangerous.timed.time, "time", real_time)
    rv = client.post("/form", data={"csrf_token": token})
    assert rv.status_code == 400 and "CSRF token expired" in rv.text


@pytest.mark.parametrize("header", ["X-CSRFToken", "X-CSRF-Token"])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_header_token_for_scripts(
    client: t.Any, csrf: CSRFProtect, header: str, method: str
) -> None:
    token = client.get("/token").text
    send = getattr(client, method)
    assert send("/form", json={"a": 1}, headers={header: token}).text == "accepted"
    assert send("/form", json={"a": 1}).status_code == 400


def test_safe_methods_are_not_checked(client: t.Any, csrf: CSRFProtect) -> None:
    assert client.get("/form").status_code == 200
    assert client.head("/form").status_code == 200
    assert client.options("/form").status_code == 200


def test_unknown_url_is_still_404(client: t.Any, csrf: CSRFProtect) -> None:
    assert client.post("/nowhere").status_code == 404


def test_exempt_view_and_blueprint(
    app: Erlen, client: t.Any, csrf: CSRFProtect
) -> None:
    @app.route("/webhook", methods=["POST"])
    @csrf.exempt
    def webhook() -> str:
        return "hooked"

    api = Blueprint("api", __name__, url_prefix="/api")

    @api.route("/items", methods=["POST"])
    def items() -> str:
        return "created"

    csrf.exempt(api)
    app.register_blueprint(api)
    assert client.post("/webhook").text == "hooked"
    assert client.post("/api/items").text == "created"
    assert client.post("/form").status_code == 400


def test_disabled(app: Erlen, client: t.Any, csrf: CSRFProtect) -> None:
    app.config["CSRF_ENABLED"] = False
    assert client.post("/form").text == "accepted"
    del app.config["CSRF_ENABLED"]
    app.config["WTF_CSRF_ENABLED"] = False  # Flask-WTF's name is read too
    assert client.post("/form").text == "accepted"
    app.config["CSRF_ENABLED"] = True  # erlen's name wins
    assert client.post("/form").status_code == 400


def test_opt_in_checking(app: Erlen, client: t.Any, csrf: CSRFProtect) -> None:
    app.config["CSRF_CHECK_DEFAULT"] = False

    @app.route("/guarded", methods=["POST"])
    def guarded() -> str:
        csrf.protect()
        return "ok"

    assert client.post("/form").text == "accepted"
    rv = client.post("/guarded")
    assert rv.status_code == 400 and "CSRF token missing" in rv.text


def test_https_requires_same_origin_referrer(client: t.Any, csrf: CSRFProtect) -> None:
    base = "https://localhost"
    token = client.get("/token", base_url=base).text
    data = {"csrf_token": token}
    rv = client.post("/form", base_url=base, data=data)
    assert rv.status_code == 400 and "referrer header is missing" in rv.text
    rv = client.post(
        "/form", base_url=base, data=data, headers={"Referer": "https://evil.example/"}
    )
    assert rv.status_code == 400 and "does not match" in rv.text
    rv = client.post(
        "/form", base_url=base, data=data, headers={"Referer": "https://localhost/form"}
    )
    assert rv.text == "accepted"


def test_login_replaces_the_token(app: Erlen, client: t.Any, csrf: CSRFProtect) -> None:
    """A token an attacker planted (or read) before login is useless after."""
    from erlen.auth import UserMixin

    class User(UserMixin):
        id = 1
        session_token = "t"

    manager = LoginManager(app)
    manager.user_loader(lambda user_id: User())

    @app.route("/login", methods=["POST"])
    @csrf.exempt
    def login() -> str:
        login_user(User())
        return generate_csrf()

    before = get_token(client)
    after = client.post("/login").text
    assert after != before
    rv = client.post("/form", data={"csrf_token": before})
    assert rv.status_code == 400 and "CSRF token invalid" in rv.text
    assert client.post("/form", data={"csrf_token": after}).text == "accepted"
