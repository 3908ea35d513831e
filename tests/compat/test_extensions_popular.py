"""Popular Flask extensions, unchanged, each in a small real app on erlen.

One test per row marked "tested" in docs/extensions.md.  scripts/test
installs the extensions with ``--no-deps`` (Flask must stay unimportable).
"""

from __future__ import annotations

import base64
import gzip
import importlib.util
import os
import typing as t

import pytest

pytestmark = pytest.mark.usefixtures("compat")


def need(*modules: str) -> None:
    for module in modules:
        if importlib.util.find_spec(module) is None:
            message = f"{module} is not installed (scripts/test installs it)"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)


def flask_app() -> t.Any:
    from flask import Flask

    app = Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY="extension tests")
    return app


def test_jwt_extended() -> None:
    need("flask_jwt_extended", "jwt")
    from flask_jwt_extended import JWTManager
    from flask_jwt_extended import create_access_token
    from flask_jwt_extended import get_jwt_identity
    from flask_jwt_extended import jwt_required

    app = flask_app()
    app.config["JWT_SECRET_KEY"] = "k" * 32
    JWTManager(app)

    @app.post("/token")
    def token() -> dict[str, str]:
        return {"token": create_access_token(identity="ann")}

    @app.get("/me")
    @jwt_required()
    def me() -> dict[str, str]:
        return {"me": get_jwt_identity()}

    client = app.test_client()
    jwt = client.post("/token").get_json()["token"]
    assert client.get("/me").status_code == 401
    ok = client.get("/me", headers={"Authorization": f"Bearer {jwt}"})
    assert ok.get_json() == {"me": "ann"}
    forged = jwt[:-4] + ("AAAA" if not jwt.endswith("AAAA") else "BBBB")
    bad = client.get("/me", headers={"Authorization": f"Bearer {forged}"})
    assert bad.status_code == 422


def test_talisman() -> None:
    need("flask_talisman")
    from flask_talisman import Talisman

    app = flask_app()
    Talisman(app, force_https=True)

    @app.get("/")
    def index() -> str:
        return "hi"

    client = app.test_client()
    plain = client.get("/")
    assert plain.status_code == 302
    assert plain.headers["Location"] == "https://localhost/"
    secure = client.get("/", base_url="https://localhost")
    assert secure.status_code == 200
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "default-src 'self'" in secure.headers["Content-Security-Policy"]
    assert secure.headers["X-Content-Type-Options"] == "nosniff"


def test_limiter() -> None:
    need("flask_limiter", "limits")
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    app = flask_app()
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://")

    @app.get("/search")
    @limiter.limit("2 per minute")
    def search() -> str:
        return "ok"

    client = app.test_client()
    codes = [client.get("/search").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    other = app.test_client()
    other_env = {"REMOTE_ADDR": "10.0.0.2"}
    assert other.get("/search", environ_base=other_env).status_code == 200


def test_babel() -> None:
    need("flask_babel", "babel")
    from flask import request
    from flask_babel import Babel
    from flask_babel import format_decimal

    app = flask_app()

    def locale() -> str | None:
        return request.accept_languages.best_match(["en", "de"])

    Babel(app, locale_selector=locale)

    @app.get("/n")
    def number() -> str:
        return format_decimal(1234.5)

    client = app.test_client()
    assert client.get("/n", headers={"Accept-Language": "de-AT"}).data == b"1.234,5"
    assert client.get("/n", headers={"Accept-Language": "fr"}).data == b"1,234.5"
    assert client.get("/n").data == b"1,234.5"


def test_marshmallow_with_erlen_db() -> None:
    need("flask_marshmallow", "marshmallow", "marshmallow_sqlalchemy")
    from flask import request
    from flask_marshmallow import Marshmallow
    from flask_sqlalchemy import SQLAlchemy  # erlen.db in compat mode
    from marshmallow import ValidationError

    app = flask_app()
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db = SQLAlchemy(app)
    ma = Marshmallow(app)

    class Author(db.Model):  # type: ignore[name-defined,misc]
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(40), nullable=False)

    class AuthorSchema(ma.SQLAlchemyAutoSchema):  # type: ignore[name-defined,misc]
        class Meta:
            model = Author
            load_instance = True

        url = ma.URLFor("show", values={"author_id": "<id>"})

    @app.post("/authors")
    def create() -> t.Any:
        try:
            author = AuthorSchema().load(request.get_json())
        except ValidationError as e:
            return e.messages, 422
        db.session.add(author)
        db.session.commit()
        return AuthorSchema().dump(author), 201

    @app.get("/authors/<int:author_id>")
    def show(author_id: int) -> t.Any:
        return AuthorSchema().dump(db.get_or_404(Author, author_id))

    with app.app_context():
        db.create_all()
    client = app.test_client()
    made = client.post("/authors", json={"name": "Ann"})
    assert made.status_code == 201
    assert made.get_json() == {"id": 1, "name": "Ann", "url": "/authors/1"}
    assert client.get("/authors/1").get_json()["name"] == "Ann"
    assert client.post("/authors", json={"name": 5}).status_code == 422


def test_compress_and_conditional_requests() -> None:
    need("flask_compress", "brotli")
    from flask_compress import Compress

    app = flask_app()
    Compress(app)
    body = "erlen " * 500

    @app.get("/big")
    def big() -> t.Any:
        from flask import make_response

        response = make_response(body)
        response.set_etag("v1")
        return response

    client = app.test_client()
    zipped = client.get("/big", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data).decode() == body
    etag = zipped.headers["ETag"]
    assert etag == '"v1:gzip"'
    again = client.get(
        "/big", headers={"Accept-Encoding": "gzip", "If-None-Match": etag}
    )
    assert again.status_code == 304 and again.data == b""
    assert (
        client.get("/big", headers={"Accept-Encoding": "br"}).headers[
            "Content-Encoding"
        ]
        == "br"
    )


def test_session_cachelib() -> None:
    need("flask_session", "cachelib")
    from cachelib import SimpleCache
    from flask import session
    from flask_session import Session

    app = flask_app()
    store = SimpleCache()
    app.config.update(SESSION_TYPE="cachelib", SESSION_CACHELIB=store)
    Session(app)

    @app.get("/count")
    def count() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    client = app.test_client()
    assert client.get("/count").data == b"1"
    first = client.get_cookie("session")
    assert [client.get("/count").data for _ in range(2)] == [b"2", b"3"]
    later = client.get_cookie("session")
    # The data lives on the server: the cookie keeps the same id while it changes.
    assert first is not None and later is not None
    assert first.value == later.value
    assert app.test_client().get("/count").data == b"1"


def test_httpauth() -> None:
    need("flask_httpauth")
    from flask_httpauth import HTTPBasicAuth

    app = flask_app()
    auth = HTTPBasicAuth()

    @auth.verify_password
    def verify(username: str, password: str) -> str | None:
        return username if (username, password) == ("ann", "pw") else None

    @app.get("/private")
    @auth.login_required
    def private() -> str:
        return f"hello {auth.current_user()}"

    client = app.test_client()
    denied = client.get("/private")
    assert denied.status_code == 401
    assert denied.headers["WWW-Authenticate"].startswith("Basic")
    good = base64.b64encode(b"ann:pw").decode()
    ok = client.get("/private", headers={"Authorization": f"Basic {good}"})
    assert ok.data == b"hello ann"


def test_caching() -> None:
    need("flask_caching", "cachelib")
    from flask_caching import Cache

    app = flask_app()
    cache = Cache(app, config={"CACHE_TYPE": "SimpleCache"})
    calls: list[int] = []

    @app.get("/slow")
    @cache.cached(timeout=60, query_string=True)
    def slow() -> str:
        calls.append(1)
        return str(len(calls))

    client = app.test_client()
    assert client.get("/slow").data == b"1"
    assert client.get("/slow").data == b"1"  # from the cache
    assert client.get("/slow?page=2").data == b"2"
    assert len(calls) == 2


def test_flask_mail_over_smtp() -> None:
    """Flask-Mail itself (erlen.mail is the native one) to a loopback server."""
    need("flask_mail", "aiosmtpd")
    import socket

    from aiosmtpd.controller import Controller
    from flask_mail import BadHeaderError
    from flask_mail import Mail
    from flask_mail import Message

    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server: t.Any, session: t.Any, env: t.Any) -> str:
            received.append(env.content)
            return "250 OK"

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))

    class OnSocket(Controller):  # type: ignore[misc]
        def _create_server(self) -> t.Any:
            return self.loop.create_server(self._factory_invoker, sock=sock)

    port = sock.getsockname()[1]
    server = OnSocket(Handler(), hostname="127.0.0.1", port=port, ready_timeout=5)
    server.start()
    try:
        app = flask_app()
        app.config.update(
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=port,
            MAIL_SUPPRESS_SEND=False,
            MAIL_DEFAULT_SENDER="noreply@example.com",
        )
        mail = Mail(app)
        with app.app_context():
            with mail.record_messages() as outbox:
                mail.send(Message("Hi", recipients=["a@example.com"], body="x"))
            assert [m.subject for m in outbox] == ["Hi"]
            evil = Message("Hi\r\nBcc: v@example.com", recipients=["a@example.com"])
            with pytest.raises(BadHeaderError):
                mail.send(evil)
        assert len(received) == 1 and b"Subject: Hi" in received[0]
    finally:
        server.stop()
