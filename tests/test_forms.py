"""erlen.forms: WTForms forms with erlen's CSRF token, files and Jinja helpers."""

from __future__ import annotations

import io
import re
import typing as t

import pytest

from erlen import Erlen
from erlen import render_template_string

wtforms = pytest.importorskip("wtforms")

from wtforms import IntegerField  # noqa: E402
from wtforms import StringField  # noqa: E402
from wtforms.validators import DataRequired  # noqa: E402
from wtforms.validators import NumberRange  # noqa: E402

from erlen import forms  # noqa: E402
from erlen.forms import FileAllowed  # noqa: E402
from erlen.forms import FileField  # noqa: E402
from erlen.forms import FileRequired  # noqa: E402
from erlen.forms import FileSize  # noqa: E402
from erlen.forms import FileType  # noqa: E402
from erlen.forms import Form  # noqa: E402
from erlen.forms import MultipleFileField  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


class SignupForm(Form):
    name = StringField("Name", validators=[DataRequired()])
    age = IntegerField("Age", validators=[NumberRange(min=0, max=150)])


class UploadForm(Form):
    photo = FileField(
        validators=[
            FileRequired(),
            FileAllowed(["png", "jpg"]),
            FileSize(max_size=100),
            FileType(["image/png", "image/jpeg"]),
        ]
    )
    extra = MultipleFileField()


PAGE = """{{ render_errors(form.csrf_token) }}
<form method="post">{{ form.hidden_tag() }}
{{ render_field(form.name, class="wide") }}{{ render_field(form.age) }}</form>"""


@pytest.fixture
def signup_app(app: Erlen) -> Erlen:
    forms.init_app(app)

    @app.route("/signup", methods=["GET", "POST"])
    def signup() -> t.Any:
        form = SignupForm()
        if form.validate_on_submit():
            return {"name": form.name.data, "age": form.age.data}
        return render_template_string(PAGE, form=form), 200 if not form.errors else 400

    return app


def token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def test_get_renders_fields_and_a_token(signup_app: Erlen) -> None:
    client = signup_app.test_client()
    html = client.get("/signup").text
    assert 'id="csrf_token"' in html
    assert '<label for="name">Name</label>' in html
    assert 'class="wide"' in html
    assert "errors" not in html


def test_post_with_token_validates(signup_app: Erlen) -> None:
    client = signup_app.test_client()
    token = token_from(client.get("/signup").text)
    rv = client.post("/signup", data={"csrf_token": token, "name": "Ada", "age": "36"})
    assert rv.get_json() == {"name": "Ada", "age": 36}


def test_post_without_or_with_a_forged_token_fails(signup_app: Erlen) -> None:
    client = signup_app.test_client()
    client.get("/signup")
    rv = client.post("/signup", data={"name": "Ada", "age": "36"})
    assert rv.status_code == 400
    assert "CSRF token missing" in rv.text
    rv = client.post(
        "/signup", data={"csrf_token": "forged", "name": "Ada", "age": "1"}
    )
    assert "CSRF token invalid" in rv.text
    # A token from another session is refused too.
    other = signup_app.test_client()
    token = token_from(other.get("/signup").text)
    fresh = signup_app.test_client()
    rv = fresh.post("/signup", data={"csrf_token": token, "name": "Ada", "age": "1"})
    assert rv.status_code == 400


def test_field_errors_render_with_aria(signup_app: Erlen) -> None:
    client = signup_app.test_client()
    token = token_from(client.get("/signup").text)
    rv = client.post("/signup", data={"csrf_token": token, "name": "", "age": "-3"})
    assert rv.status_code == 400
    html = rv.text
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="name-errors"' in html
    assert (
        '<ul class="errors" id="name-errors"><li>This field is required.</li>' in html
    )
    assert "Number must be between 0 and 150." in html


def test_csrf_can_be_off(app: Erlen) -> None:
    app.config["CSRF_ENABLED"] = False

    @app.post("/no-csrf")
    def no_csrf() -> t.Any:
        form = SignupForm()
        assert "csrf_token" not in form._fields
        return {"ok": form.validate_on_submit()}

    @app.post("/meta")
    def meta() -> t.Any:
        form = SignupForm(meta={"csrf": False})
        return {"ok": form.validate_on_submit()}

    client = app.test_client()
    assert client.post("/no-csrf", data={"name": "a", "age": "1"}).get_json() == {
        "ok": True
    }
    app2 = Erlen("forms2")
    app2.config.update(SECRET_KEY="k")
    app2.add_url_rule("/meta", view_func=meta, methods=["POST"])
    rv = app2.test_client().post("/meta", data={"name": "a", "age": "1"})
    assert rv.get_json() == {"ok": True}


def test_works_alongside_csrfprotect(app: Erlen) -> None:
    from erlen.csrf import CSRFProtect

    CSRFProtect(app)

    @app.route("/both", methods=["GET", "POST"])
    def both() -> t.Any:
        form = SignupForm()
        if form.validate_on_submit():
            return "ok"
        return str(form.hidden_tag())

    client = app.test_client()
    token = token_from(client.get("/both").text)
    assert client.post("/both", data={"name": "a", "age": "1"}).status_code == 400
    rv = client.post("/both", data={"csrf_token": token, "name": "a", "age": "1"})
    assert rv.text == "ok"


def test_not_submitted_on_get(app: Erlen) -> None:
    with app.test_request_context("/?name=x"):
        form = SignupForm()
        assert not form.is_submitted()
        assert not form.validate_on_submit()
        assert form.name.data is None  # GET args are not form data


@pytest.fixture
def upload_app(app: Erlen) -> Erlen:
    app.config["CSRF_ENABLED"] = False

    @app.post("/upload")
    def upload() -> t.Any:
        form = UploadForm()
        if form.validate_on_submit():
            return {
                "name": form.photo.data.filename,
                "extra": [f.filename for f in form.extra.data],
            }
        return {"errors": form.errors}, 400

    return app


def post_file(app: Erlen, name: str, content: bytes, mimetype: str) -> t.Any:
    data = {"photo": (io.BytesIO(content), name, mimetype)}
    return app.test_client().post("/upload", data=data)


def test_file_upload_checks(upload_app: Erlen) -> None:
    rv = post_file(upload_app, "a.png", PNG, "image/png")
    assert rv.get_json() == {"name": "a.png", "extra": []}
    errors = post_file(upload_app, "a.exe", PNG, "image/png").get_json()["errors"]
    assert errors["photo"] == ["File type not allowed; expected jpg, png."]
    errors = post_file(upload_app, "a.png", PNG * 10, "image/png").get_json()["errors"]
    assert errors["photo"] == ["File size must be between 0 and 100 bytes."]
    # A script named like a PNG is refused by its content, not its name.
    rv = post_file(upload_app, "a.png", b"<?php echo 1; ?>", "image/png")
    assert rv.status_code == 400
    rv = upload_app.test_client().post("/upload", data={"other": "x"})
    assert rv.get_json()["errors"]["photo"] == ["A file is required."]


def test_multiple_files(upload_app: Erlen) -> None:
    data = {
        "photo": (io.BytesIO(PNG), "a.png", "image/png"),
        "extra": [(io.BytesIO(b"1"), "x.txt"), (io.BytesIO(b"2"), "y.txt")],
    }
    rv = upload_app.test_client().post("/upload", data=data)
    assert rv.get_json() == {"name": "a.png", "extra": ["x.txt", "y.txt"]}


def test_render_errors_of_a_form(app: Erlen) -> None:
    with app.test_request_context("/", method="POST", data={"age": "x"}):
        app.config["CSRF_ENABLED"] = False
        form = SignupForm()
        form.validate()
        html = str(forms.render_errors(form))
        assert html.startswith('<ul class="errors">')
        assert html.count("<li>") == 3  # name required; age not an int, out of range
        assert str(forms.render_errors(form.name)).count("<li>") == 1
