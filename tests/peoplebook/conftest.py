"""Fixtures for the example app in examples/peoplebook.

``pb_app`` is the app on a SQLite file whose schema came from the committed
migrations (made once per session, then copied per test); ``user_client`` is
a test client logged in as Ada.  Helpers live in ``pb_helpers.py``.
"""

from __future__ import annotations

import shutil
import typing as t
from pathlib import Path

import pytest
from pb_helpers import TEMPLATES
from pb_helpers import dispose
from pb_helpers import login
from pb_helpers import peoplebook
from pb_helpers import register
from pb_helpers import upgrade

from erlen import Erlen
from erlen.auth import configure_argon2


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("peoplebook-template")
    path = folder / "template.db"
    app = peoplebook.create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SECRET_KEY": "template",
            "ADMIN": False,  # session-scoped: made before no_admin_by_default
        }
    )
    upgrade(app)
    dispose(app)
    return path


@pytest.fixture(autouse=True)
def no_admin_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Flask-Admin needs compat mode, which changes this whole process: only
    test_peoplebook_admin.py turns it on (and off again)."""
    monkeypatch.setenv("PEOPLEBOOK_ADMIN", "false")


@pytest.fixture(autouse=True, scope="session")
def cheap_argon2() -> t.Iterator[None]:
    """Test-speed argon2 in this process (the default costs ~50 ms a hash)."""
    configure_argon2(time_cost=1, memory_cost=8, parallelism=1)
    yield
    configure_argon2()


@pytest.fixture
def pb_app(template_db: Path, tmp_path: Path) -> t.Iterator[Erlen]:
    path = tmp_path / "peoplebook.db"
    shutil.copyfile(template_db, path)
    app = peoplebook.create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test key",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "API_ORIGINS": ["https://front.example"],
        }
    )
    app.jinja_env.bytecode_cache = TEMPLATES
    yield app
    dispose(app)


@pytest.fixture
def user_client(pb_app: Erlen) -> t.Any:
    """A client logged in as Ada."""
    client = pb_app.test_client()
    assert register(client).status_code == 302
    assert login(client).status_code == 302
    return client
