"""Migrate(app, db) and `erlen db ...`, end to end on every backend."""

from __future__ import annotations

import os
import typing as t

import pytest
import sqlalchemy as sa

from erlen import Erlen
from erlen.db import Migrate
from erlen.db import SQLAlchemy
from erlen.db import migrate as migrate_api


@pytest.fixture
def migrations(tmp_path: t.Any) -> str:
    return str(tmp_path / "migrations")


@pytest.fixture
def runner(app: Erlen, db: SQLAlchemy, migrations: str) -> t.Any:
    Migrate(app, db, directory=migrations)
    return (
        app.test_cli_runner(mix_stderr=False)
        if _has_mix_stderr()
        else app.test_cli_runner()
    )


def _has_mix_stderr() -> bool:
    import inspect

    import click.testing

    return (
        "mix_stderr" in inspect.signature(click.testing.CliRunner.__init__).parameters
    )


def _ok(runner: t.Any, *args: str) -> t.Any:
    result = runner.invoke(args=["db", *args])
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result


def _tables(app: Erlen, db: SQLAlchemy) -> set[str]:
    with app.app_context():
        with db.engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names())


def _versions(migrations: str) -> list[str]:
    folder = os.path.join(migrations, "versions")
    return sorted(f for f in os.listdir(folder) if f.endswith(".py"))


def test_init_migrate_upgrade_downgrade(
    app: Erlen, db: SQLAlchemy, runner: t.Any, migrations: str
) -> None:
    class Person(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(50), nullable=False)

    result = _ok(runner, "init")
    assert "Created the migrations folder" in result.output
    assert sorted(os.listdir(migrations)) == [
        "README",
        "alembic.ini",
        "env.py",
        "script.py.mako",
        "versions",
    ]

    _ok(runner, "migrate", "-m", "Add Person table")
    (first,) = _versions(migrations)
    assert first.endswith("_add_person_table.py")
    with open(os.path.join(migrations, "versions", first)) as f:
        source = f.read()
    assert "op.create_table('person'" in source

    assert "person" not in _tables(app, db)
    _ok(runner, "upgrade")
    assert {"person", "alembic_version"} <= _tables(app, db)
    with app.app_context():
        db.session.add(Person(name="Ada"))
        db.session.commit()

    # A second change: a new nullable column; the data stays.
    Person.__table__.append_column(sa.Column("email", sa.String(120)))
    _ok(runner, "migrate", "-m", "Add email")
    assert len(_versions(migrations)) == 2
    _ok(runner, "upgrade")
    with app.app_context(), db.engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("person")}
        assert "email" in columns
        assert conn.execute(sa.text("SELECT name FROM person")).scalar() == "Ada"

    current = _ok(runner, "current").output
    heads = _ok(runner, "heads").output
    history = _ok(runner, "history").output
    show = _ok(runner, "show").output
    head_rev = heads.split()[0]
    assert head_rev in current and head_rev in history and head_rev in show
    assert "Add email" in show

    _ok(runner, "downgrade")
    with app.app_context(), db.engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("person")}
        assert "email" not in columns
        assert conn.execute(sa.text("SELECT name FROM person")).scalar() == "Ada"
    _ok(runner, "downgrade", "base")
    assert "person" not in _tables(app, db)

    _ok(runner, "stamp", "head")
    assert head_rev in _ok(runner, "current").output
    _ok(runner, "revision", "-m", "hand written")
    (manual,) = [v for v in _versions(migrations) if "hand_written" in v]
    with open(os.path.join(migrations, "versions", manual)) as f:
        assert f"down_revision = '{head_rev}'" in f.read()


def test_init_twice_is_a_clear_error(runner: t.Any, migrations: str) -> None:
    _ok(runner, "init")
    result = runner.invoke(args=["db", "init"])
    assert result.exit_code == 1
    assert "already exists and is not empty" in (result.output + _stderr(result))
    assert "Traceback" not in result.output


def _stderr(result: t.Any) -> str:
    try:
        return str(result.stderr)
    except ValueError:
        return ""


def test_migrate_without_changes_writes_nothing(
    app: Erlen, db: SQLAlchemy, runner: t.Any, migrations: str
) -> None:
    class Thing(db.Model):
        id = db.Column(db.Integer, primary_key=True)

    _ok(runner, "init")
    _ok(runner, "migrate", "-m", "first")
    _ok(runner, "upgrade")
    result = _ok(runner, "migrate", "-m", "nothing new")
    assert "No changes in schema detected" in result.output
    assert len(_versions(migrations)) == 1
    _ok(runner, "check")


def test_type_change_is_detected(
    app: Erlen, db: SQLAlchemy, runner: t.Any, migrations: str
) -> None:
    class Note(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        text = db.Column(db.String(20))

    _ok(runner, "init")
    _ok(runner, "migrate", "-m", "notes")
    _ok(runner, "upgrade")
    Note.__table__.c.text.type = sa.String(200)
    _ok(runner, "migrate", "-m", "longer text")
    newest = [v for v in _versions(migrations) if "longer_text" in v][0]
    with open(os.path.join(migrations, "versions", newest)) as f:
        source = f.read()
    assert "alter_column(" in source and "String(length=200)" in source
    _ok(runner, "upgrade")
    with app.app_context(), db.engine.connect() as conn:
        (column,) = [
            c for c in sa.inspect(conn).get_columns("note") if c["name"] == "text"
        ]
        assert column["type"].length == 200


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_batch_mode_changes_a_column(
    app: Erlen, db: SQLAlchemy, runner: t.Any, migrations: str
) -> None:
    class Parent(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(20), nullable=True)

    class Kid(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        parent_id = db.Column(db.ForeignKey("parent.id", ondelete="CASCADE"))

    _ok(runner, "init")
    _ok(runner, "migrate", "-m", "tables")
    _ok(runner, "upgrade")
    with app.app_context():
        db.session.add(Parent(id=1, title="p"))
        db.session.flush()  # no relationship(): order the inserts by hand
        db.session.add(Kid(id=1, parent_id=1))
        db.session.commit()
    # NOT NULL on an existing column: plain SQLite cannot ALTER this.
    Parent.__table__.c.title.nullable = False
    _ok(runner, "migrate", "-m", "title required")
    newest = [v for v in _versions(migrations) if "title_required" in v][0]
    with open(os.path.join(migrations, "versions", newest)) as f:
        assert "batch_alter_table('parent'" in f.read()
    _ok(runner, "upgrade")
    with app.app_context(), db.engine.connect() as conn:
        (column,) = [
            c for c in sa.inspect(conn).get_columns("parent") if c["name"] == "title"
        ]
        assert column["nullable"] is False
        # Copying the parent table did not cascade to its children.
        assert conn.execute(sa.text("SELECT count(*) FROM kid")).scalar() == 1
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_offline_sql(app: Erlen, db: SQLAlchemy, runner: t.Any) -> None:
    class Offline(db.Model):
        id = db.Column(db.Integer, primary_key=True)

    _ok(runner, "init")
    _ok(runner, "migrate", "-m", "offline")
    result = _ok(runner, "upgrade", "--sql")
    assert "CREATE TABLE offline" in result.output
    assert "offline" not in _tables(app, db)


def test_commands_need_init(runner: t.Any) -> None:
    result = runner.invoke(args=["db", "migrate"])
    assert result.exit_code == 1
    assert "erlen db init" in result.output + _stderr(result)
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_python_api_and_configure_hook(
    app: Erlen, db: SQLAlchemy, migrations: str
) -> None:
    migrate = Migrate(app, db, directory=migrations, command="schema")
    seen: list[object] = []

    @migrate.configure
    def note(config: t.Any) -> t.Any:
        seen.append(config)
        return config

    class Gadget(db.Model):
        id = db.Column(db.Integer, primary_key=True)

    assert "schema" in app.cli.commands
    with app.app_context():
        migrate_api.init()
        with pytest.raises(migrate_api.MigrationError, match="already exists"):
            migrate_api.init()
        script = migrate_api.migrate(message="gadgets")
        assert script is not None and script.doc == "gadgets"
        migrate_api.upgrade()
        assert migrate_api.migrate(message="again") is None
    assert seen
    assert "gadget" in _tables(app, db)


def test_migrate_needs_db(app: Erlen) -> None:
    with pytest.raises(TypeError, match="Migrate"):
        Migrate().init_app(app)
    with app.app_context(), pytest.raises(migrate_api.MigrationError, match="Migrate"):
        migrate_api.upgrade()


def test_through_the_erlen_command(
    app: Erlen, db: SQLAlchemy, runner: t.Any, migrations: str
) -> None:
    """`erlen db ...` finds the group the app registered."""
    from erlen.cli import ErlenGroup

    class Widget(db.Model):
        id = db.Column(db.Integer, primary_key=True)

    cli = ErlenGroup(create_app=lambda: app)
    for args in (["db", "init"], ["db", "migrate", "-m", "widgets"], ["db", "upgrade"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, (args, result.output, result.exception)
    assert "Running upgrade" in _stderr(result) + result.output
    assert "widget" in _tables(app, db)
    help_text = runner.invoke(cli, ["db", "--help"]).output
    for name in ("init", "migrate", "upgrade", "downgrade", "history", "stamp"):
        assert name in help_text
