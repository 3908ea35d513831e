"""The example app's pages, used through the test client as a browser would."""

from __future__ import annotations

import re
import typing as t

import pytest
from pb_helpers import csrf_from
from pb_helpers import login
from pb_helpers import register

from erlen import Erlen


def test_home_register_login_dashboard_logout(pb_app: Erlen) -> None:
    client = pb_app.test_client()
    home = client.get("/")
    assert "Create an account" in home.text
    assert 'href="/static/style.css"' in home.text

    registered = register(client)
    assert registered.status_code == 302
    assert registered.headers["Location"].startswith("/login")
    assert "Your account is ready" in client.get("/login").text

    logged_in = login(client)
    assert logged_in.status_code == 302
    assert logged_in.headers["Location"] == "/dashboard"
    dashboard = client.get("/dashboard")
    assert "Welcome Ada Lovelace!" in dashboard.text
    assert "Hello again, Ada Lovelace." in dashboard.text  # the flash message

    token = csrf_from(dashboard.text)
    out = client.post("/logout", data={"csrf_token": token})
    assert out.status_code == 302
    assert "You are logged out." in client.get("/login").text
    again = client.get("/dashboard")
    assert again.status_code == 302
    assert again.headers["Location"] == "/login?next=%2Fdashboard"


def test_dashboard_needs_a_login_and_returns_there(pb_app: Erlen) -> None:
    client = pb_app.test_client()
    register(client)
    first = client.get("/people?page=2")
    assert first.status_code == 302
    login_page = client.get(first.headers["Location"])
    assert "Please log in to see this page." in login_page.text
    token = csrf_from(login_page.text)
    response = client.post(
        first.headers["Location"],
        data={
            "email": "ada@example.com",
            "password": "analytical engine",
            "csrf_token": token,
        },
    )
    assert response.headers["Location"] == "/people?page=2"


def test_wrong_password_and_unknown_user_get_the_same_answer(pb_app: Erlen) -> None:
    client = pb_app.test_client()
    register(client)
    wrong = login(client, password="difference engine")
    unknown = login(client, email="nobody@example.com")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong email or password." in wrong.text
    assert "Wrong email or password." in unknown.text
    assert client.get("/dashboard").status_code == 302


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "Name is required."),
        ({"email": "not an email"}, "Email must be an email address."),
        ({"password": "short", "confirm": "short"}, "at least 8 characters"),
        ({"confirm": "something else"}, "does not match the password"),
    ],
)
def test_registration_errors_are_shown_next_to_the_fields(
    pb_app: Erlen, fields: dict[str, str], message: str
) -> None:
    client = pb_app.test_client()
    data = {
        "name": "Ada",
        "email": "ada@example.com",
        "password": "analytical engine",
        "confirm": "analytical engine",
        "csrf_token": csrf_from(client.get("/register").text),
        **fields,
    }
    response = client.post("/register", data=data)
    assert response.status_code == 422
    assert message in response.text


def test_an_email_registers_once(pb_app: Erlen) -> None:
    client = pb_app.test_client()
    assert register(client).status_code == 302
    again = register(client, name="Someone Else", email="ADA@example.com")
    assert again.status_code == 422
    assert "Email is already registered." in again.text


def test_every_form_needs_its_csrf_token(pb_app: Erlen, user_client: t.Any) -> None:
    for path, data in [
        ("/people", {"name": "Grace", "email": "grace@example.com"}),
        ("/preferences", {"theme": "dark"}),
        ("/logout", {}),
    ]:
        response = user_client.post(path, data=data)
        assert response.status_code == 400, path
        assert "CSRF token missing" in response.text
    anonymous = pb_app.test_client()
    assert anonymous.post("/login", data={"email": "a@b.c"}).status_code == 400
    assert anonymous.post("/register", data={"name": "x"}).status_code == 400


def test_remember_me_keeps_the_login_after_the_session_ends(
    pb_app: Erlen,
) -> None:
    client = pb_app.test_client()
    register(client)
    response = login(client, remember=True)
    assert "remember_token=" in ",".join(response.headers.getlist("Set-Cookie"))
    # The browser is closed: the session cookie goes, the remember cookie stays.
    client.delete_cookie("peoplebook_session")
    assert "Welcome Ada Lovelace!" in client.get("/dashboard").text

    forgetful = pb_app.test_client()
    login(forgetful)
    assert forgetful.get_cookie("remember_token") is None
    forgetful.delete_cookie("peoplebook_session")
    assert forgetful.get("/dashboard").status_code == 302


def _add(client: t.Any, **fields: str) -> t.Any:
    token = csrf_from(client.get("/people").text)
    return client.post("/people", data={"csrf_token": token, **fields})


def test_people_are_added_listed_and_paginated(user_client: t.Any) -> None:
    empty = user_client.get("/people")
    assert "Nobody yet" in empty.text
    response = _add(
        user_client, name="Grace Hopper", email="grace@example.com", age="85"
    )
    assert response.status_code == 302
    page = user_client.get("/people")
    assert "Added Grace Hopper." in page.text
    assert "<td>Grace Hopper</td><td>grace@example.com</td><td>85</td>" in page.text
    for i in range(11):
        _add(user_client, name=f"Person {i:02d}", email=f"p{i}@example.com")
    first = user_client.get("/people")
    assert first.text.count("<tr><td>") == 10
    assert 'href="/people?page=2"' in first.text
    second = user_client.get("/people?page=2")
    assert second.text.count("<tr><td>") == 2
    # Bad page numbers show the nearest page instead of failing.
    assert user_client.get("/people?page=abc").status_code == 200
    assert user_client.get("/people?page=99").text.count("<tr><td>") == 2
    assert "Your book has 12 people." in user_client.get("/dashboard").text


def test_adding_a_person_checks_the_fields(user_client: t.Any) -> None:
    bad = _add(user_client, name="", email="nope", age="-3")
    assert bad.status_code == 422
    assert "Name is required." in bad.text
    assert "Email must be an email address." in bad.text
    assert "Age must be a whole number from 0 to 150." in bad.text
    assert 'aria-invalid="true"' in bad.text  # erlen.forms' render_field
    assert 'value="nope"' in bad.text  # what was typed is kept
    _add(user_client, name="Grace", email="grace@example.com")
    dup = _add(user_client, name="Grace again", email="grace@example.com")
    assert dup.status_code == 422
    assert "Email is already in your book." in dup.text


def test_each_user_sees_only_their_own_book(pb_app: Erlen, user_client: t.Any) -> None:
    _add(user_client, name="Grace Hopper", email="grace@example.com")
    other = pb_app.test_client()
    register(other, name="Alan", email="alan@example.com")
    login(other, email="alan@example.com")
    assert "Grace Hopper" not in other.get("/people").text
    # The same email may appear in another user's book.
    assert _add(other, name="Grace", email="grace@example.com").status_code == 302


def test_theme_is_a_plain_cookie_applied_to_every_page(pb_app: Erlen) -> None:
    client = pb_app.test_client()
    assert '<body class="theme-light">' in client.get("/").text
    token = csrf_from(client.get("/preferences").text)
    response = client.post("/preferences", data={"theme": "dark", "csrf_token": token})
    assert response.status_code == 302
    cookie = [
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("theme=")
    ]
    assert cookie and "HttpOnly" in cookie[0] and "SameSite=Lax" in cookie[0]
    assert cookie[0].startswith("theme=dark;")  # plain, not signed
    assert '<body class="theme-dark">' in client.get("/").text
    checked = re.search(r"<input checked[^>]*>", client.get("/preferences").text)
    assert checked and 'value="dark"' in checked.group(0)
    # Logging in and out keeps it: it is not in the session.
    register(client)
    login(client)
    assert '<body class="theme-dark">' in client.get("/dashboard").text


def test_unknown_themes_are_refused_and_ignored(pb_app: Erlen) -> None:
    client = pb_app.test_client()
    token = csrf_from(client.get("/preferences").text)
    bad = client.post(
        "/preferences", data={"theme": 'x"><script>', "csrf_token": token}
    )
    assert bad.status_code == 422
    client.set_cookie("theme", "evil")
    assert '<body class="theme-light">' in client.get("/").text


def test_static_stylesheet(pb_app: Erlen) -> None:
    response = pb_app.test_client().get("/static/style.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert "theme-dark" in response.text


def test_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: t.Any
) -> None:
    import peoplebook

    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/book")
    monkeypatch.setenv("SECRET_KEY", "from the environment")
    monkeypatch.setenv("API_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("PEOPLEBOOK_PEOPLE_PER_PAGE", "25")
    app = peoplebook.create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql://u@db.example/book"
    assert app.secret_key == "from the environment"
    assert app.config["API_ORIGINS"] == ["https://a.example", "https://b.example"]
    assert app.config["PEOPLE_PER_PAGE"] == 25


def test_without_a_secret_key_one_is_kept_in_the_instance_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: t.Any
) -> None:
    from peoplebook import config

    for name in ("SECRET_KEY", "ERLEN_SECRET_KEY", "PEOPLEBOOK_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    first = config.development_secret_key(str(tmp_path / "instance"))
    assert len(first) == 64
    assert config.development_secret_key(str(tmp_path / "instance")) == first
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


def test_redis_sessions_by_setting(tmp_path: t.Any) -> None:
    import peoplebook
    from erlen.server_sessions import ServerSideSessionInterface

    base = {"SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"}
    app = peoplebook.create_app({**base, "SESSION_REDIS_URL": "redis://127.0.0.1:1/0"})
    assert isinstance(app.session_interface, ServerSideSessionInterface)
    assert not isinstance(
        peoplebook.create_app(base).session_interface, ServerSideSessionInterface
    )


def test_main_module_parses_its_arguments(
    monkeypatch: pytest.MonkeyPatch, tmp_path: t.Any
) -> None:
    from erlen import Erlen as _Erlen
    from peoplebook import __main__ as main_module

    seen: dict[str, t.Any] = {}

    def fake_run(self: _Erlen, **kwargs: t.Any) -> None:
        seen.update(kwargs)

    monkeypatch.setattr(_Erlen, "run", fake_run)
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'main.db'}")
    main_module.main(["--port", "5123"])
    assert seen == {"host": "127.0.0.1", "port": 5123, "debug": False}


def test_behind_a_trusted_https_proxy_forms_pass_the_referer_check(
    pb_app: Erlen,
) -> None:
    """nginx terminates TLS: the app must know, or CSRF's Referer rule fails."""
    pb_app.config["TRUSTED_PROXIES"] = ["127.0.0.1"]
    proxy = {
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "book.example",
    }
    client = pb_app.test_client()
    page = client.get("/preferences", headers=proxy)
    token = csrf_from(page.text)
    data = {"theme": "dark", "csrf_token": token}
    # The cookie is Secure now; the browser sends it back over https to nginx.
    session_cookie = page.headers["Set-Cookie"]
    assert "; Secure" in session_cookie
    proxy["Cookie"] = session_cookie.split(";", 1)[0]
    good = client.post(
        "/preferences",
        data=data,
        headers={**proxy, "Referer": "https://book.example/preferences"},
    )
    assert good.status_code == 302
    assert "Secure" in good.headers["Set-Cookie"]  # request.is_secure is True
    evil = client.post(
        "/preferences",
        data=data,
        headers={**proxy, "Referer": "https://evil.example/"},
    )
    assert evil.status_code == 400
    assert "referrer does not match" in evil.text
