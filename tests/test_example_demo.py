"""The demo in examples/demo, driven through the test client."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from erlen import Erlen

DEMO = Path(__file__).parent.parent / "examples" / "demo" / "app.py"


@pytest.fixture
def app() -> Iterator[Erlen]:
    spec = importlib.util.spec_from_file_location("erlen_demo_app", DEMO)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # Erlen(__name__) finds its folder here
    try:
        spec.loader.exec_module(module)
        module.app.testing = True
        yield module.app
    finally:
        del sys.modules[spec.name]


def login(client, name: str = "ada", password: str = "lovelace", **kw):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"username": name, "password": password}, **kw)


def test_home_page_is_a_template_with_the_stylesheet(app: Erlen) -> None:
    client = app.test_client()
    page = client.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<h1>Hello, stranger!</h1>" in html
    assert 'href="/static/style.css"' in html
    css = client.get("/static/style.css")
    assert css.status_code == 200
    assert css.mimetype == "text/css"
    assert b".flash" in css.get_data()


def test_login_sets_the_session_and_flashes_a_welcome(app: Erlen) -> None:
    client = app.test_client()
    response = login(client, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert '<p class="flash success">Welcome back, ada!</p>' in html
    assert "<h1>Hello, ada!</h1>" in html
    # The flash is shown once; the login stays.
    again = client.get("/").get_data(as_text=True)
    assert "Welcome back" not in again and "Hello, ada!" in again


def test_session_cookie_is_http_only_and_lax(app: Erlen) -> None:
    response = login(app.test_client())
    cookie = next(
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires" not in cookie  # "remember me" was not ticked


def test_remember_me_makes_the_session_permanent(app: Erlen) -> None:
    client = app.test_client()
    response = client.post(
        "/login", data={"username": "ada", "password": "lovelace", "remember": "1"}
    )
    cookie = next(
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")
    )
    assert "Expires=" in cookie


def test_wrong_password_is_401_with_an_error_flash(app: Erlen) -> None:
    client = app.test_client()
    response = login(client, password="nope")
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert '<p class="flash error">Unknown user or wrong password.</p>' in html
    assert 'value="ada"' in html
    assert "Hello, stranger!" in client.get("/").get_data(as_text=True)


def test_user_input_is_escaped(app: Erlen) -> None:
    response = login(app.test_client(), name='"><script>x</script>', password="x")
    html = response.get_data(as_text=True)
    assert "<script>x</script>" not in html
    assert "&#34;&gt;&lt;script&gt;" in html


def test_members_page_needs_login_and_returns_there(app: Erlen) -> None:
    client = app.test_client()
    response = client.get("/secret")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fsecret"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Please log in first." in page
    response = client.post(
        "/login?next=/secret", data={"username": "ada", "password": "lovelace"}
    )
    assert response.headers["Location"] == "/secret"
    assert "Members only" in client.get("/secret").get_data(as_text=True)


def test_login_never_redirects_off_site(app: Erlen) -> None:
    client = app.test_client()
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = client.post(
            "/login",
            query_string={"next": target},
            data={"username": "ada", "password": "lovelace"},
        )
        assert response.headers["Location"] == "/"


def test_logout_clears_the_session(app: Erlen) -> None:
    client = app.test_client()
    login(client)
    response = client.post("/logout", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "You are logged out." in html
    assert "Hello, stranger!" in html
    assert client.get("/secret").status_code == 302


def test_forged_session_cookie_does_not_log_in(app: Erlen) -> None:
    other = Erlen("forger")
    other.secret_key = "guessed"
    serializer = app.session_interface.get_signing_serializer(other)  # type: ignore[attr-defined]
    forged = serializer.dumps({"user": "ada"})
    client = app.test_client(use_cookies=False)
    response = client.get("/secret", headers={"Cookie": f"session={forged}"})
    assert response.status_code == 302
