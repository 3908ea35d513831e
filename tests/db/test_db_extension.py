"""SQLAlchemy(app): models, the session, queries, raw SQL, engines and binds."""

from __future__ import annotations

import typing as t

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from erlen import Erlen
from erlen import jsonify
from erlen.db import Model
from erlen.db import SQLAlchemy
from erlen.db.model import camel_to_snake_case


def test_issue_example(app: Erlen, db: SQLAlchemy, user_model: t.Any) -> None:
    User = user_model

    @app.post("/users/<name>")
    def create(name: str) -> t.Any:
        db.session.add(User(username=name))
        db.session.commit()
        return {"id": User.query.filter_by(username=name).first().id}, 201

    @app.get("/users/<int:id>")
    def show(id: int) -> t.Any:
        user = User.query.get_or_404(id)
        return {"username": user.username}

    @app.get("/count")
    def count() -> t.Any:
        table = db.engine.dialect.identifier_preparer.quote("user")
        n = db.session.execute(db.text(f"SELECT count(*) FROM {table}")).scalar()
        return {"count": n}

    client = app.test_client()
    assert client.post("/users/ada").json == {"id": 1}
    assert client.post("/users/bob").json == {"id": 2}
    assert client.get("/users/1").json == {"username": "ada"}
    assert client.get("/users/99").status_code == 404
    assert client.get("/count").json == {"count": 2}
    with app.app_context():
        assert User.query.get(2).username == "bob"
        assert [u.username for u in User.query.order_by(User.id).all()] == [
            "ada",
            "bob",
        ]
        assert User.query.get(3) is None


def test_typed_and_classic_models_together(app: Erlen, db: SQLAlchemy) -> None:
    class Author(db.Model):
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(db.String(50))
        nickname: Mapped[t.Optional[str]] = mapped_column(db.String(30))  # noqa: UP045
        books: Mapped[list[Book]] = db.relationship(back_populates="author")

    class Book(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(80), nullable=False)
        author_id = db.Column(db.ForeignKey("author.id"), nullable=False)
        author = db.relationship("Author", back_populates="books")

    with app.app_context():
        db.create_all()
        ada = Author(name="Ada")
        db.session.add_all([ada, Book(title="Notes", author=ada)])
        db.session.commit()
        book = db.session.execute(db.select(Book)).scalar_one()
        assert book.author.name == "Ada"
        assert Author.query.one().books == [book]
        assert Author.__table__.c.nickname.nullable
        assert not Author.__table__.c.name.nullable
        assert repr(book) == "<Book 1>"
        assert repr(Book(title="x")).startswith("<Book (transient ")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("User", "user"),
        ("UserProfile", "user_profile"),
        ("HTTPLog", "http_log"),
        ("User2Address", "user2_address"),
        ("ABC", "abc"),
    ],
)
def test_camel_to_snake_case(name: str, expected: str) -> None:
    assert camel_to_snake_case(name) == expected


def test_tablename_rules(db: SQLAlchemy) -> None:
    class BlogPost(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        kind = db.Column(db.String(10))
        __mapper_args__: t.ClassVar[dict[str, t.Any]] = {
            "polymorphic_on": "kind",
            "polymorphic_identity": "post",
        }

    class Named(db.Model):
        __tablename__ = "custom_name"
        id = db.Column(db.Integer, primary_key=True)

    class Stub(BlogPost):  # single-table inheritance: no table of its own
        __mapper_args__: t.ClassVar[dict[str, t.Any]] = {"polymorphic_identity": "stub"}

    class LongPost(BlogPost):  # joined-table inheritance: its own key
        id = db.Column(db.ForeignKey("blog_post.id"), primary_key=True)
        __mapper_args__: t.ClassVar[dict[str, t.Any]] = {"polymorphic_identity": "long"}

    class Timestamped(db.Model):
        __abstract__ = True
        id = db.Column(db.Integer, primary_key=True)

    class Event(Timestamped):
        pass

    assert BlogPost.__table__.name == "blog_post"
    assert Named.__table__.name == "custom_name"
    assert Stub.__table__ is BlogPost.__table__
    assert LongPost.__table__.name == "long_post"
    assert Event.__table__.name == "event"
    assert not hasattr(Timestamped, "__table__")
    assert set(db.metadata.tables) == {"blog_post", "custom_name", "long_post", "event"}


def test_declarative_base_model_class(app: Erlen) -> None:
    class Base(DeclarativeBase):
        type_annotation_map: t.ClassVar[dict[t.Any, t.Any]] = {str: sa.String(40)}

        def describe(self) -> str:
            return f"a {type(self).__name__}"

    db = SQLAlchemy(app, model_class=Base)

    class Tag(db.Model):
        id: Mapped[int] = mapped_column(primary_key=True)
        label: Mapped[str]

    assert db.metadata is Base.metadata
    assert Tag.__table__.c.label.type.length == 40
    with app.app_context():
        db.create_all()
        db.session.add(Tag(label="x"))
        db.session.commit()
        tag = Tag.query.first()
        assert tag.describe() == "a Tag"
        db.drop_all()
        db.engine.dispose()


def test_custom_model_mixin(app: Erlen) -> None:
    class Serializable(Model):
        def to_dict(self) -> dict[str, t.Any]:
            return {
                c.key: getattr(self, c.key) for c in sa.inspect(self).mapper.columns
            }

    db = SQLAlchemy(app, model_class=Serializable)

    class Item(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(20))

    @app.get("/items/<int:id>")
    def item(id: int) -> t.Any:
        return jsonify(db.get_or_404(Item, id).to_dict())

    with app.app_context():
        db.create_all()
        db.session.add(Item(name="pen"))
        db.session.commit()
    client = app.test_client()
    assert client.get("/items/1").json == {"id": 1, "name": "pen"}
    assert client.get("/items/2").status_code == 404
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def test_or_404_helpers(app: Erlen, db: SQLAlchemy, user_model: t.Any) -> None:
    User = user_model

    @app.get("/first/<name>")
    def first(name: str) -> t.Any:
        user = db.first_or_404(db.select(User).filter_by(username=name))
        return user.username

    @app.get("/one/<prefix>")
    def one(prefix: str) -> t.Any:
        stmt = db.select(User).where(User.username.startswith(prefix))
        return db.one_or_404(stmt, description="No single match.").username

    @app.get("/query/<name>")
    def query(name: str) -> t.Any:
        q = User.query.filter_by(username=name)
        return q.first_or_404().username + q.one_or_404().username

    with app.app_context():
        db.session.add_all([User(username="ada"), User(username="adam")])
        db.session.commit()
    client = app.test_client()
    assert client.get("/first/ada").text == "ada"
    assert client.get("/first/zoe").status_code == 404
    assert client.get("/one/adam").text == "adam"
    several = client.get("/one/ad")
    assert several.status_code == 404
    assert "No single match." in several.text
    assert client.get("/query/ada").text == "adaada"
    assert client.get("/query/zoe").status_code == 404


def test_raw_sql_bound_parameters(
    app: Erlen, db: SQLAlchemy, user_model: t.Any
) -> None:
    User = user_model
    table = User.__table__.name

    @app.get("/search")
    def search() -> t.Any:
        from erlen import request

        quoted = db.engine.dialect.identifier_preparer.quote(table)
        rows = db.session.execute(
            db.text(f"SELECT username FROM {quoted} WHERE username = :name"),
            {"name": request.args.get("q", "")},
        ).all()
        return {"found": [r.username for r in rows]}

    with app.app_context():
        db.session.execute(
            User.__table__.insert(), [{"username": "ada"}, {"username": "bob"}]
        )
        db.session.commit()
    client = app.test_client()
    assert client.get("/search?q=ada").json == {"found": ["ada"]}
    # An injection attempt is just a value that matches nothing.
    assert client.get("/search", query_string={"q": "x' OR '1'='1"}).json == {
        "found": []
    }
    with app.app_context():
        # The DB-API connection of the driver, for code written against it.
        quoted = db.engine.dialect.identifier_preparer.quote(table)
        mark = "?" if db.engine.dialect.paramstyle == "qmark" else "%s"
        with db.raw_connection() as raw:
            cursor = raw.cursor()
            cursor.execute(f"SELECT count(*) FROM {quoted}")
            assert cursor.fetchone()[0] == 2
            cursor.execute(f"INSERT INTO {quoted} (username) VALUES ({mark})", ("cy",))
            raw.commit()
            cursor.execute(f"INSERT INTO {quoted} (username) VALUES ({mark})", ("dan",))
            cursor.close()  # not committed: rolled back on the way out
        assert db.engine.pool.checkedout() == 0
        names = db.session.execute(db.select(User.username)).scalars().all()
        assert sorted(names) == ["ada", "bob", "cy"]


def test_session_needs_a_context(db: SQLAlchemy, user_model: t.Any) -> None:
    with pytest.raises(RuntimeError, match="outside of application context"):
        db.session.get(user_model, 1)
    with pytest.raises(RuntimeError, match="outside of application context"):
        user_model.query.all()


def test_init_app_twice_and_unregistered_app(app: Erlen, db: SQLAlchemy) -> None:
    with pytest.raises(RuntimeError, match="already registered"):
        db.init_app(app)
    other = Erlen("other")
    with other.app_context(), pytest.raises(RuntimeError, match="init_app"):
        db.engine  # noqa: B018


def test_factory_pattern_two_apps(tmp_path: t.Any) -> None:
    db = SQLAlchemy()

    class Note(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        text = db.Column(db.String(20))

    def create_app(name: str) -> Erlen:
        app = Erlen(name, instance_path=str(tmp_path / name))
        db.init_app(app)
        return app

    one, two = create_app("one"), create_app("two")
    for app, text in ((one, "first"), (two, "second")):
        with app.app_context():
            db.create_all()
            db.session.add(Note(text=text))
            db.session.commit()
    for app, text in ((one, "first"), (two, "second")):
        with app.app_context():
            assert [n.text for n in Note.query.all()] == [text]
            assert db.engine.url.database == str(tmp_path / app.name / "app.db")
            db.engine.dispose()


def test_default_uri_is_sqlite_in_instance_folder(tmp_path: t.Any) -> None:
    instance = tmp_path / "inst"
    app = Erlen("default_uri", instance_path=str(instance))
    db = SQLAlchemy(app)
    assert instance.is_dir()
    with app.app_context():
        assert db.engine.url.database == str(instance / "app.db")
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        db.engine.dispose()


def test_relative_sqlite_path_and_memory(tmp_path: t.Any) -> None:
    app = Erlen("rel", instance_path=str(tmp_path / "i"))
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///data.db"
    app.config["SQLALCHEMY_BINDS"] = {"mem": "sqlite://"}
    db = SQLAlchemy(app)
    with app.app_context():
        assert db.engine.url.database == str(tmp_path / "i" / "data.db")
        mem = db.engines["mem"]
        assert isinstance(mem.pool, sa.pool.StaticPool)
        with mem.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        for engine in db.engines.values():
            engine.dispose()


def test_sqlite_foreign_keys_enforced(app: Erlen, db: SQLAlchemy, backend: str) -> None:
    class Parent(db.Model):
        id = db.Column(db.Integer, primary_key=True)

    class Child(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        parent_id = db.Column(db.ForeignKey("parent.id"), nullable=False)

    with app.app_context():
        db.create_all()
        db.session.add(Child(parent_id=42))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert Child.query.count() == 0


def test_server_driver_defaults(tmp_path: t.Any) -> None:
    app = Erlen("drivers", instance_path=str(tmp_path))
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql://u@127.0.0.1:1/x"
    app.config["SQLALCHEMY_BINDS"] = {
        "maria": "mysql://u@127.0.0.1:1/x",
        "own": {"url": "mysql+pymysql://u@h/x?charset=latin1", "pool_recycle": 60},
    }
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 3}
    db = SQLAlchemy(app)
    with app.app_context():
        pg, maria, own = db.engine, db.engines["maria"], db.engines["own"]
        assert pg.url.drivername == "postgresql+psycopg"
        assert pg.pool._pre_ping and pg.pool.size() == 3
        assert maria.url.drivername in ("mysql+pymysql", "mysql+mysqldb")
        assert maria.url.query["charset"] == "utf8mb4"
        assert maria.pool._pre_ping and maria.pool._recycle == 3600
        assert own.url.query["charset"] == "latin1"
        assert own.pool._recycle == 60


def test_echo_config(tmp_path: t.Any) -> None:
    app = Erlen("echo", instance_path=str(tmp_path))
    app.config["SQLALCHEMY_ECHO"] = True
    db = SQLAlchemy(app)
    with app.app_context():
        assert db.engine.echo
        db.engine.dispose()


def test_binds(app: Erlen, tmp_path: t.Any, db_url: str) -> None:
    app.config["SQLALCHEMY_BINDS"] = {"audit": f"sqlite:///{tmp_path / 'audit.db'}"}
    db = SQLAlchemy(app)

    class Account(db.Model):
        id = db.Column(db.Integer, primary_key=True)

    class AuditLog(db.Model):
        __bind_key__ = "audit"
        id = db.Column(db.Integer, primary_key=True)
        message = db.Column(db.String(50))

    log_table = db.Table(
        "log_tag", db.Column("id", db.Integer, primary_key=True), bind_key="audit"
    )
    assert AuditLog.metadata is db.metadatas["audit"]
    assert log_table.metadata is db.metadatas["audit"]
    assert "audit_log" not in db.metadata.tables

    @app.post("/log")
    def log() -> t.Any:
        db.session.add_all([Account(), AuditLog(message="hello")])
        db.session.commit()
        return "ok"

    with app.app_context():
        db.create_all()
        assert app.test_client().post("/log").text == "ok"
        audit = db.engines["audit"]
        assert sa.inspect(audit).get_table_names() == ["audit_log", "log_tag"]
        assert "audit_log" not in sa.inspect(db.engine).get_table_names()
        assert AuditLog.query.one().message == "hello"
        assert db.session.execute(db.select(Account)).scalar_one().id == 1
        # Core statements route by table too.
        count = db.session.execute(db.select(db.func.count()).select_from(log_table))
        assert count.scalar() == 0
        with pytest.raises(sa.exc.UnboundExecutionError, match="nope"):
            db.create_all(bind_key="nope")
        db.drop_all(bind_key="audit")
        assert sa.inspect(audit).get_table_names() == []
        db.drop_all()
        for engine in db.engines.values():
            engine.dispose()


def test_reflect(app: Erlen, db: SQLAlchemy) -> None:
    with app.app_context():
        with db.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE legacy_thing (id INTEGER PRIMARY KEY)")
        db.reflect()
        assert "legacy_thing" in db.metadata.tables
        db.metadata.tables["legacy_thing"].drop(db.engine)


def test_shell_context(app: Erlen, db: SQLAlchemy, user_model: t.Any) -> None:
    with app.app_context():
        names = app.make_shell_context()
    assert names["db"] is db
    assert names["User"] is user_model


def test_repr_and_sqlalchemy_names(db: SQLAlchemy) -> None:
    assert db.Column is sa.Column and db.relationship is sa.orm.relationship
    assert db.select is sa.select and db.text is sa.text
    with pytest.raises(AttributeError):
        db.no_such_name  # noqa: B018
    assert "bind" in repr(db)
