"""Flash messages: stored in the session, shown once, on the next request."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from erlen import Erlen
from erlen import flash
from erlen import get_flashed_messages
from erlen import redirect
from erlen import render_template_string
from erlen import session
from erlen import url_for


@pytest.fixture
def app() -> Erlen:
    app = Erlen(__name__)
    app.testing = True
    app.secret_key = "flash key"

    @app.post("/save")
    def save() -> object:
        flash("Saved.")
        flash("Disk almost full.", "warning")
        flash("Could not email you.", "error")
        return redirect(url_for("show"))

    @app.get("/show")
    def show() -> str:
        return render_template_string(
            "{% for c, m in get_flashed_messages(with_categories=true) %}"
            "[{{ c }}] {{ m }}\n{% endfor %}"
        )

    @app.get("/nothing")
    def nothing() -> str:
        return "no flashes read"

    return app


def test_message_survives_the_redirect_and_is_shown_once(app: Erlen) -> None:
    client = app.test_client()
    response = client.post("/save", follow_redirects=True)
    assert response.get_data(as_text=True) == (
        "[message] Saved.\n[warning] Disk almost full.\n[error] Could not email you.\n"
    )
    assert client.get("/show").get_data(as_text=True) == ""


def test_messages_wait_until_someone_reads_them(app: Erlen) -> None:
    client = app.test_client()
    client.post("/save")
    client.get("/nothing")
    assert "Saved." in client.get("/show").get_data(as_text=True)


def test_reading_empties_the_session_and_deletes_the_cookie(app: Erlen) -> None:
    client = app.test_client()
    client.post("/save")
    response = client.get("/show")
    deleting = [h for h in response.headers.getlist("Set-Cookie") if "Max-Age=0" in h]
    assert deleting and deleting[0].startswith("session=;")


def test_category_filter_and_plain_list(app: Erlen) -> None:
    @app.get("/filtered")
    def filtered() -> object:
        everything = get_flashed_messages()
        problems = get_flashed_messages(category_filter=["warning", "error"])
        with_cats = get_flashed_messages(
            with_categories=True, category_filter=["error"]
        )
        return {"all": everything, "problems": problems, "cats": with_cats}

    client = app.test_client()
    client.post("/save")
    data = client.get("/filtered").get_json()
    assert data == {
        "all": ["Saved.", "Disk almost full.", "Could not email you."],
        "problems": ["Disk almost full.", "Could not email you."],
        "cats": [["error", "Could not email you."]],
    }


def test_same_request_sees_the_same_messages_twice(app: Erlen) -> None:
    @app.get("/twice")
    def twice() -> str:
        first = get_flashed_messages()
        second = get_flashed_messages()
        assert first == second
        return str(len(second))

    client = app.test_client()
    client.post("/save")
    assert client.get("/twice").get_data(as_text=True) == "3"
    assert client.get("/twice").get_data(as_text=True) == "0"


def test_flash_and_read_in_the_same_request(app: Erlen) -> None:
    @app.get("/both")
    def both() -> str:
        flash("now")
        return ",".join(get_flashed_messages())  # type: ignore[arg-type]

    assert app.test_client().get("/both").get_data(as_text=True) == "now"


def test_markup_message_keeps_its_html_and_text_is_escaped(app: Erlen) -> None:
    @app.get("/rich")
    def rich() -> object:
        flash(Markup("<b>Welcome</b>"))
        flash("<script>alert(1)</script>")
        return redirect("/render")

    @app.get("/render")
    def render() -> str:
        return render_template_string(
            "{% for m in get_flashed_messages() %}{{ m }}|{% endfor %}"
        )

    body = app.test_client().get("/rich", follow_redirects=True).get_data(as_text=True)
    assert body == "<b>Welcome</b>|&lt;script&gt;alert(1)&lt;/script&gt;|"


def test_flashes_are_tuples_in_the_session(app: Erlen) -> None:
    @app.get("/peek")
    def peek() -> str:
        flash("hi", "info")
        return repr(session["_flashes"])

    assert app.test_client().get("/peek").get_data(as_text=True) == "[('info', 'hi')]"


def test_flash_without_secret_key_is_a_clear_error() -> None:
    app = Erlen(__name__)
    app.testing = True

    @app.get("/")
    def index() -> str:
        flash("x")
        return "unreachable"

    with pytest.raises(RuntimeError, match="no secret key was set"):
        app.test_client().get("/")


def test_message_flashed_signal() -> None:
    pytest.importorskip("blinker")
    from erlen.signals import message_flashed

    app = Erlen(__name__)
    app.secret_key = "k"
    recorded: list[tuple[str, str]] = []

    def record(sender: Erlen, message: str, category: str, **extra: object) -> None:
        recorded.append((message, category))

    @app.get("/")
    def index() -> str:
        flash("hello", "info")
        return "ok"

    with message_flashed.connected_to(record, app):
        app.test_client().get("/")
    assert recorded == [("hello", "info")]
