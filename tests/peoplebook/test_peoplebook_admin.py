"""/admin: Flask-Admin, unchanged, in compat mode, for admin users only.

Flask-Admin is optional (scripts/test and scripts/example install it with
``--no-deps``); compat mode is switched on in this process by the app and
off again after each test, as tests/compat does.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import typing as t
from pathlib import Path

import pytest
from pb_helpers import TEMPLATES
from pb_helpers import csrf_from
from pb_helpers import dispose
from pb_helpers import login
from pb_helpers import missing
from pb_helpers import peoplebook
from pb_helpers import register

import erlen.compat
from erlen import Erlen


@pytest.fixture
def admin_app(template_db: Path, tmp_path: Path) -> t.Iterator[Erlen]:
    if importlib.util.find_spec("flask_admin") is None:
        missing("flask_admin is not installed (scripts/test installs it --no-deps)")
    path = tmp_path / "peoplebook.db"
    shutil.copyfile(template_db, path)
    try:
        app = peoplebook.create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "admin key",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                "ADMIN": True,
            }
        )
        app.jinja_env.bytecode_cache = TEMPLATES
        client = app.test_client()
        register(client)
        register(client, name="Root", email="root@example.com")
        with app.app_context():
            peoplebook.commands.make_admin("root@example.com")
        yield app
        dispose(app)
    finally:
        erlen.compat.uninstall()
        sys.modules.pop("peoplebook._admin_views", None)


def test_without_flask_admin_there_is_no_admin(pb_app: Erlen) -> None:
    assert pb_app.config["ADMIN"] is False
    assert pb_app.test_client().get("/admin/").status_code == 404
    assert not erlen.compat.is_installed()


def test_admin_is_for_admins_only(admin_app: Erlen) -> None:
    client = admin_app.test_client()
    anonymous = client.get("/admin/person/")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login?next=%2Fadmin%2F")
    login(client)  # Ada is a user, not an admin
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/user/").status_code == 403
    token = csrf_from(client.get("/dashboard").text)
    forged = client.post("/admin/user/edit/?id=1", data={"csrf_token": token})
    assert forged.status_code == 403


def test_admin_lists_and_edits_people(admin_app: Erlen) -> None:
    ada = admin_app.test_client()
    login(ada)
    token = csrf_from(ada.get("/people").text)
    ada.post(
        "/people",
        data={
            "name": "Grace Hopper",
            "email": "grace@example.com",
            "csrf_token": token,
        },
    )

    root = admin_app.test_client()
    login(root, email="root@example.com")
    home = root.get("/admin/")
    assert home.status_code == 200
    assert "peoplebook admin" in home.text
    users = root.get("/admin/user/")
    assert "ada@example.com" in users.text and "root@example.com" in users.text
    assert "password_hash" not in users.text
    people = root.get("/admin/person/")
    assert people.status_code == 200 and "Grace Hopper" in people.text

    with admin_app.app_context():
        db = peoplebook.extensions.db
        person_id = db.session.execute(
            db.select(peoplebook.models.Person.id)
        ).scalar_one()
    form = root.get(f"/admin/person/edit/?id={person_id}")
    assert form.status_code == 200
    token = csrf_from(form.text)
    fields = {"name": "Grace B. Hopper", "email": "grace@example.com", "age": "85"}
    # The admin's forms are protected like every other form.
    refused = root.post(f"/admin/person/edit/?id={person_id}", data=fields)
    assert refused.status_code == 400
    saved = root.post(
        f"/admin/person/edit/?id={person_id}", data={**fields, "csrf_token": token}
    )
    assert saved.status_code == 302, saved.text
    with admin_app.app_context():
        person = db.session.get(peoplebook.models.Person, person_id)
        assert (person.name, person.age) == ("Grace B. Hopper", 85)
    assert "Grace B. Hopper" in ada.get("/people").text

    listing = root.get("/admin/person/")
    deleted = root.post(
        "/admin/person/delete/",
        data={"id": str(person_id), "csrf_token": csrf_from(listing.text)},
    )
    assert deleted.status_code == 302
    assert "Nobody yet" in ada.get("/people").text
