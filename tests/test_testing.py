"""The test client, environ builder and CLI runner, used as a test suite would."""

from __future__ import annotations

import io
import time
import typing as t

import click
import pytest

import erlen.testing as testing
from erlen import Erlen
from erlen import Response
from erlen import abort
from erlen import make_response
from erlen import redirect
from erlen import request
from erlen import session
from erlen.datastructures import FileStorage
from erlen.datastructures import Headers
from erlen.datastructures import MultiDict
from erlen.testing import BaseEnvironBuilder
from erlen.testing import Client
from erlen.testing import ClientRedirectError
from erlen.testing import EnvironBuilder
from erlen.testing import create_environ
from erlen.testing import run_wsgi_app


@pytest.fixture
def echo(app: Erlen) -> Erlen:
    """A view that reports what it received."""

    @app.route("/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def echo_view() -> t.Any:
        return {
            "method": request.method,
            "args": request.args.to_dict(flat=False),
            "form": request.form.to_dict(flat=False),
            "files": {
                name: [f.filename, f.read().decode(), f.content_type]
                for name, f in request.files.items(multi=True)
            },
            "json": request.get_json(silent=True),
            "data": request.get_data(as_text=True),
            "content_type": request.content_type,
        }

    return app


# -- query strings, forms, files, JSON --------------------------------------------


def test_query_string_in_path_and_as_dict(echo: Erlen, client: t.Any) -> None:
    assert client.get("/echo?a=1&a=2&b=x%20y").json["args"] == {
        "a": ["1", "2"],
        "b": ["x y"],
    }
    rv = client.get("/echo", query_string={"a": ["1", "2"], "c": "ü", "n": None})
    assert rv.json["args"] == {"a": ["1", "2"], "c": ["ü"]}
    rv = client.get("/echo", query_string=MultiDict([("k", "v"), ("k", "w")]))
    assert rv.json["args"] == {"k": ["v", "w"]}
    assert client.get("/echo", query_string="q=1&r=2").json["args"] == {
        "q": ["1"],
        "r": ["2"],
    }


def test_explicit_query_string_replaces_the_one_in_the_path(
    echo: Erlen, client: t.Any
) -> None:
    assert client.get("/echo?a=1", query_string={"b": "2"}).json["args"] == {"b": ["2"]}


def test_form_post(echo: Erlen, client: t.Any) -> None:
    rv = client.post("/echo", data={"name": "Ada", "tag": ["x", "y & z"]})
    assert rv.json["form"] == {"name": ["Ada"], "tag": ["x", "y & z"]}
    assert rv.json["content_type"] == "application/x-www-form-urlencoded"


def test_multipart_upload_with_file_tuples(echo: Erlen, client: t.Any) -> None:
    rv = client.post(
        "/echo",
        data={
            "title": "report",
            "doc": (io.BytesIO(b"hello"), "notes.txt"),
            "raw": (b"\x00\x01", "blob.bin", "application/x-thing"),
        },
    )
    body = rv.json
    assert body["form"] == {"title": ["report"]}
    assert body["files"]["doc"] == ["notes.txt", "hello", "text/plain"]
    assert body["files"]["raw"] == ["blob.bin", "\x00\x01", "application/x-thing"]
    assert body["content_type"].startswith("multipart/form-data; boundary=")


def test_multipart_file_storage_and_tricky_names(app: Erlen, client: t.Any) -> None:
    @app.post("/up")
    def up() -> t.Any:
        return {
            "files": [
                [f.filename, f.read().decode(), f.mimetype]
                for f in request.files.getlist("up")
            ],
            "form": request.form.to_dict(),
        }

    rv = client.post(
        "/up",
        data={
            "up": [
                (io.BytesIO(b"one"), "é-ü.txt"),
                FileStorage(io.BytesIO(b"two"), "b.csv", content_type="text/csv"),
            ],
            'we"ird': "v",
        },
    )
    assert rv.json["files"] == [
        ["é-ü.txt", "one", "text/plain"],
        ["b.csv", "two", "text/csv"],
    ]
    # Quotes in names are percent-encoded, as browsers do, and decoded back.
    assert rv.json["form"] == {'we"ird': "v"}


def test_multipart_files_are_listed_in_order(app: Erlen, client: t.Any) -> None:
    @app.post("/up")
    def up() -> t.Any:
        return [[f.filename, f.read().decode()] for f in request.files.getlist("f")]

    rv = client.post(
        "/up",
        data={"f": [(io.BytesIO(b"1"), "a.txt"), (io.BytesIO(b"2"), "b.txt")]},
    )
    assert rv.json == [["a.txt", "1"], ["b.txt", "2"]]


def test_open_file_objects_are_uploaded_with_their_name(
    echo: Erlen, client: t.Any, tmp_path: t.Any
) -> None:
    path = tmp_path / "data.json"
    path.write_bytes(b"{}")
    with open(path, "rb") as f:
        rv = client.post("/echo", data={"f": f})
    assert rv.json["files"]["f"] == ["data.json", "{}", "application/json"]


def test_json_body(echo: Erlen, client: t.Any) -> None:
    rv = client.post("/echo", json={"a": [1, 2], "ü": None})
    assert rv.json["json"] == {"a": [1, 2], "ü": None}
    assert rv.json["content_type"] == "application/json"
    with pytest.raises(TypeError, match="both json and data"):
        client.post("/echo", json={}, data="x")


def test_raw_body_with_content_type(echo: Erlen, client: t.Any) -> None:
    rv = client.put("/echo", data="plain ü", content_type="text/plain")
    assert rv.json["data"] == "plain ü"
    assert rv.json["content_type"] == "text/plain"
    rv = client.patch("/echo", data=b"\x01\x02", mimetype="application/octet-stream")
    assert rv.json["content_type"] == "application/octet-stream"
    rv = client.post("/echo", input_stream=io.BytesIO(b"streamed"))
    assert rv.json["data"] == "streamed"


def test_methods_are_sent(echo: Erlen, client: t.Any) -> None:
    for name in ("get", "post", "put", "patch", "delete"):
        assert getattr(client, name)("/echo").json["method"] == name.upper()


# -- headers and auth ---------------------------------------------------------------


def test_headers_as_dict_list_or_headers(app: Erlen, client: t.Any) -> None:
    @app.route("/h")
    def h() -> t.Any:
        return {
            "x": request.headers.get("X-Thing"),
            "accept": request.headers.get("Accept"),
            "ua": request.user_agent.string,
            "remote": request.remote_addr,
        }

    assert client.get("/h", headers={"X-Thing": "1"}).json["x"] == "1"
    rv = client.get("/h", headers=[("Accept", "a/b"), ("Accept", "c/d")])
    assert rv.json["accept"] == "a/b, c/d"
    assert client.get("/h", headers=Headers({"X-Thing": "2"})).json["x"] == "2"
    rv = client.get("/h")
    assert rv.json["ua"].startswith("Erlen/")
    assert rv.json["remote"] == "127.0.0.1"
    assert client.get("/h", headers={"User-Agent": "bot"}).json["ua"] == "bot"


def test_basic_auth(app: Erlen, client: t.Any) -> None:
    @app.route("/who")
    def who() -> t.Any:
        auth = request.authorization
        return [auth.type, auth.username, auth.password] if auth else []

    assert client.get("/who", auth=("ada", "s3cret:ü")).json == [
        "basic",
        "ada",
        "s3cret:ü",
    ]
    assert client.get("/who").json == []


def test_host_header_comes_from_base_url_or_headers(app: Erlen, client: t.Any) -> None:
    @app.route("/host")
    def host() -> t.Any:
        return {"host": request.host, "url": request.url, "secure": request.is_secure}

    assert client.get("/host").json == {
        "host": "localhost",
        "url": "http://localhost/host",
        "secure": False,
    }
    rv = client.get("/host", base_url="https://example.com:8443")
    assert rv.json == {
        "host": "example.com:8443",
        "url": "https://example.com:8443/host",
        "secure": True,
    }
    assert client.get("https://a.test/host").json["url"] == "https://a.test/host"
    # A hostile Host header reaches the app, which refuses it.
    assert client.get("/host", headers={"Host": "evil.test/x"}).status_code == 400


# -- responses ------------------------------------------------------------------------


def test_response_exposes_status_text_json_and_request(
    app: Erlen, client: t.Any
) -> None:
    @app.post("/items")
    def create() -> t.Any:
        return {"id": 1, **request.get_json()}, 201

    rv = client.post("/items", json={"name": "x"})
    assert rv.status_code == 201
    assert rv.status == "201 CREATED"
    assert rv.get_json() == {"id": 1, "name": "x"}
    assert rv.json == {"id": 1, "name": "x"}
    assert rv.text == rv.data.decode()
    assert rv.headers["Content-Type"] == "application/json"
    assert rv.request.method == "POST"
    assert rv.request.path == "/items"
    assert rv.history == ()


def test_head_has_no_body_but_keeps_length(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        return "hello"

    rv = client.head("/")
    assert rv.status_code == 200
    assert rv.data == b""
    assert rv.headers["Content-Length"] == "5"


def test_options_and_trace(app: Erlen, client: t.Any) -> None:
    @app.route("/", methods=["GET", "POST"])
    def index() -> str:
        return "x"

    rv = client.options("/")
    assert set(rv.headers["Allow"].split(", ")) >= {"GET", "POST", "OPTIONS"}
    assert client.trace("/").status_code == 405


def test_unhandled_error_propagates_in_testing(app: Erlen, client: t.Any) -> None:
    @app.route("/boom")
    def boom() -> str:
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        client.get("/boom")


def test_http_error_is_a_response(app: Erlen, client: t.Any) -> None:
    @app.route("/nope")
    def nope() -> str:
        abort(403)

    assert client.get("/nope").status_code == 403
    assert client.get("/missing").status_code == 404


def test_streamed_body_is_read_and_closed() -> None:
    closed = []

    class Body:
        def __iter__(self) -> t.Iterator[bytes]:
            yield b"a"
            yield b"b"

        def close(self) -> None:
            closed.append(True)

    def wsgi(environ: dict[str, t.Any], start_response: t.Any) -> Body:
        start_response("200 OK", [])
        return Body()

    client = Client(wsgi)
    rv = client.get("/")
    assert closed == [True]
    assert rv.data == b"ab"
    # buffered=False streams: the body is read (and closed) when iterated.
    closed.clear()
    rv = client.get("/", buffered=False)
    assert closed == []
    assert b"".join(rv.response) == b"ab"
    assert closed == [True]


def test_generator_view_runs_before_the_response_returns(
    app: Erlen, client: t.Any
) -> None:
    events = []

    @app.route("/gen")
    def gen() -> Response:
        def body() -> t.Iterator[str]:
            events.append("start")
            yield "x"
            events.append("end")

        return Response(body())

    rv = client.get("/gen")
    assert events == ["start", "end"]
    assert rv.data == b"x"
    events.clear()
    rv = client.get("/gen", buffered=False)
    assert events == []
    assert rv.data == b"x"
    assert events == ["start", "end"]


def test_custom_response_wrapper(app: Erlen) -> None:
    class MyResponse(Response):
        marker = "mine"

    app.response_class = MyResponse

    @app.route("/")
    def index() -> str:
        return "x"

    rv = app.test_client().get("/")
    assert isinstance(rv, MyResponse)
    assert rv.marker == "mine"
    assert rv.text == "x"


def test_plain_wsgi_app_client() -> None:
    def wsgi(environ: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        start_response("200 OK", [("X-Path", environ["PATH_INFO"])])
        return [b"raw"]

    rv = Client(wsgi).get("/p")
    assert rv.data == b"raw"
    assert rv.headers["X-Path"] == "/p"
    assert "Content-Type" not in rv.headers


# -- cookies --------------------------------------------------------------------------


@pytest.fixture
def cookie_app(app: Erlen) -> Erlen:
    @app.route("/set")
    def set_cookie() -> Response:
        rv = make_response("set")
        rv.set_cookie(
            "flavour",
            request.args.get("v", "oat"),
            max_age=request.args.get("age", None, type=int),
            httponly=True,
            samesite="Lax",
        )
        return rv

    @app.route("/del")
    def del_cookie() -> Response:
        rv = make_response("deleted")
        rv.delete_cookie("flavour")
        return rv

    @app.route("/read")
    def read() -> t.Any:
        return request.cookies.to_dict()

    return app


def test_cookie_round_trip(cookie_app: Erlen, client: t.Any) -> None:
    assert client.get("/read").json == {}
    client.get("/set?v=choc chip")
    cookie = client.get_cookie("flavour")
    assert cookie is not None
    assert cookie.key == "flavour"
    assert cookie.decoded_value == "choc chip"
    assert cookie.domain == "localhost"
    assert cookie.path == "/"
    assert cookie.http_only is True
    assert cookie.same_site == "Lax"
    assert cookie.secure is False
    assert client.get("/read").json == {"flavour": "choc chip"}


def test_deleted_cookie_is_removed(cookie_app: Erlen, client: t.Any) -> None:
    client.get("/set")
    client.get("/del")
    assert client.get_cookie("flavour") is None
    assert client.get("/read").json == {}


def test_max_age_expiry(
    cookie_app: Erlen, client: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.get("/set?age=60")
    cookie = client.get_cookie("flavour")
    assert cookie is not None and cookie.max_age == 60
    assert cookie.expires is not None
    assert client.get("/read").json == {"flavour": "oat"}
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 61)
    assert client.get("/read").json == {}
    assert client.get_cookie("flavour") is None


def test_expires_in_the_past_deletes(app: Erlen, client: t.Any) -> None:
    @app.route("/old")
    def old() -> Response:
        rv = make_response("x")
        rv.set_cookie("a", "1", expires=0)
        return rv

    client.set_cookie("a", "0")
    client.get("/old")
    assert client.get_cookie("a") is None


def test_explicit_cookie_header_is_kept(cookie_app: Erlen, client: t.Any) -> None:
    assert client.get("/read", headers={"Cookie": "a=1"}).json == {"a": "1"}
    client.set_cookie("b", "2")
    rv = client.get("/read", headers={"Cookie": "a=1"})
    assert rv.json == {"a": "1", "b": "2"}


def test_client_side_cookie_api(cookie_app: Erlen, client: t.Any) -> None:
    client.set_cookie("flavour", "lemon")
    assert client.get_cookie("flavour").value == "lemon"
    assert client.get("/read").json == {"flavour": "lemon"}
    client.set_cookie("other", "x y")
    assert client.get("/read").json == {"flavour": "lemon", "other": "x y"}
    client.delete_cookie("flavour")
    assert client.get("/read").json == {"other": "x y"}


def test_cookie_path_scoping(app: Erlen, client: t.Any) -> None:
    @app.route("/admin/login")
    def login() -> Response:
        rv = make_response("x")
        rv.set_cookie("scoped", "1", path="/admin")
        rv.set_cookie("implicit", "1", path=None)  # default path: /admin
        return rv

    @app.route("/admin/panel")
    @app.route("/administrator")
    @app.route("/")
    def show() -> t.Any:
        return sorted(request.cookies)

    client.get("/admin/login")
    assert client.get_cookie("scoped", path="/admin") is not None
    assert client.get("/admin/panel").json == ["implicit", "scoped"]
    assert client.get("/").json == []
    assert client.get("/administrator").json == []


def test_cookie_domain_scoping(app: Erlen, client: t.Any) -> None:
    @app.route("/set")
    def set_() -> Response:
        rv = make_response("x")
        rv.set_cookie("wide", "1", domain="example.com")
        rv.set_cookie("narrow", "1")
        rv.set_cookie("foreign", "1", domain="other.test")
        return rv

    @app.route("/read")
    def read() -> t.Any:
        return sorted(request.cookies)

    client.get("/set", base_url="http://example.com")
    assert client.get("/read", base_url="http://example.com").json == [
        "narrow",
        "wide",
    ]
    assert client.get("/read", base_url="http://api.example.com").json == ["wide"]
    assert client.get("/read", base_url="http://other.test").json == []
    assert client.get_cookie("foreign", domain="other.test") is None
    assert client.get_cookie("wide", domain="example.com") is not None


def test_secure_cookie_only_over_https(app: Erlen, client: t.Any) -> None:
    @app.route("/read")
    def read() -> t.Any:
        return sorted(request.cookies)

    client.set_cookie("s", "1", secure=True)
    assert client.get("/read").json == []
    assert client.get("/read", base_url="https://localhost").json == ["s"]


def test_cookies_can_be_disabled(cookie_app: Erlen) -> None:
    client = cookie_app.test_client(use_cookies=False)
    client.get("/set")
    assert client.get("/read").json == {}
    with pytest.raises(TypeError, match="Cookies are disabled"):
        client.get_cookie("flavour")


# -- redirects ------------------------------------------------------------------------


@pytest.fixture
def redirect_app(echo: Erlen) -> Erlen:
    @echo.route("/go/<int:code>", methods=["GET", "POST", "HEAD"])
    def go(code: int) -> Response:
        return redirect("/echo?from=go", code)

    @echo.route("/hop/<int:n>")
    def hop(n: int) -> Response:
        return redirect(f"/hop/{n - 1}" if n else "/echo")

    @echo.route("/loop")
    def loop() -> Response:
        return redirect("/loop")

    @echo.route("/away")
    def away() -> Response:
        return redirect("https://elsewhere.test/")

    @echo.route("/sub")
    def sub() -> Response:
        return redirect("http://api.localhost/echo")

    @echo.route("/rel/deep")
    def rel() -> Response:
        return redirect("../echo")

    return echo


def test_follow_redirects_keeps_history(redirect_app: Erlen, client: t.Any) -> None:
    rv = client.get("/hop/2", follow_redirects=True)
    assert rv.status_code == 200
    assert rv.request.path == "/echo"
    assert [r.status_code for r in rv.history] == [302, 302, 302]
    assert [r.request.path for r in rv.history] == ["/hop/2", "/hop/1", "/hop/0"]
    assert rv.history[1].history == (rv.history[0],)
    # Without follow_redirects the redirect itself comes back.
    rv = client.get("/hop/1")
    assert rv.status_code == 302
    assert rv.location == "/hop/0"


@pytest.mark.parametrize("code", [301, 302, 303])
def test_redirect_after_post_becomes_get_without_body(
    redirect_app: Erlen, client: t.Any, code: int
) -> None:
    rv = client.post(f"/go/{code}", data={"a": "1"}, follow_redirects=True)
    assert rv.json["method"] == "GET"
    assert rv.json["form"] == {}
    assert rv.json["data"] == ""
    assert rv.json["args"] == {"from": ["go"]}
    assert rv.request.environ.get("CONTENT_TYPE") is None


@pytest.mark.parametrize("code", [307, 308])
def test_307_and_308_keep_method_and_body(
    redirect_app: Erlen, client: t.Any, code: int
) -> None:
    rv = client.post(f"/go/{code}", data={"a": "1"}, follow_redirects=True)
    assert rv.json["method"] == "POST"
    assert rv.json["form"] == {"a": ["1"]}
    rv = client.post(f"/go/{code}", json={"k": [1]}, follow_redirects=True)
    assert rv.json["json"] == {"k": [1]}


def test_redirect_preserves_head(redirect_app: Erlen, client: t.Any) -> None:
    rv = client.head("/go/302", follow_redirects=True)
    assert rv.status_code == 200
    assert rv.request.method == "HEAD"
    assert rv.data == b""


def test_redirect_loop_is_an_error(redirect_app: Erlen, client: t.Any) -> None:
    with pytest.raises(ClientRedirectError, match="loop"):
        client.get("/loop", follow_redirects=True)


def test_too_many_redirects(
    redirect_app: Erlen, client: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(testing, "MAX_REDIRECTS", 3)
    with pytest.raises(ClientRedirectError):
        client.get("/hop/5", follow_redirects=True)
    assert client.get("/hop/2", follow_redirects=True).status_code == 200


def test_external_and_subdomain_redirects(redirect_app: Erlen) -> None:
    client = redirect_app.test_client()
    with pytest.raises(RuntimeError, match="external redirects"):
        client.get("/away", follow_redirects=True)
    with pytest.raises(RuntimeError, match="subdomain redirects"):
        client.get("/sub", follow_redirects=True)
    client = redirect_app.test_client(allow_subdomain_redirects=True)
    rv = client.get("/sub", follow_redirects=True)
    assert rv.request.host == "api.localhost"
    assert rv.json["method"] == "GET"


def test_relative_redirect(redirect_app: Erlen, client: t.Any) -> None:
    rv = client.get("/rel/deep", follow_redirects=True)
    assert rv.request.path == "/echo"


def test_redirect_carries_cookies(app: Erlen, client: t.Any) -> None:
    @app.route("/login")
    def login() -> Response:
        rv = redirect("/me")
        rv.set_cookie("user", "ada")
        return rv

    @app.route("/me")
    def me() -> str:
        return request.cookies.get("user", "anonymous")

    assert client.get("/login", follow_redirects=True).text == "ada"


# -- preserving the context -----------------------------------------------------------


def test_with_client_keeps_the_last_request_context(app: Erlen, client: t.Any) -> None:
    torn_down = []

    @app.route("/")
    def index() -> str:
        return "x"

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn_down.append(request.args.get("n"))

    with client:
        client.get("/?n=1")
        assert request.args["n"] == "1"
        client.get("/?n=2")
        assert request.args["n"] == "2"
    with pytest.raises(RuntimeError):
        request.args  # noqa: B018 - no context after the block
    # Each request tears down once in the app, once more when the kept
    # context is popped (as in Flask).
    assert torn_down == ["1", "1", "2", "2"]


def test_context_is_not_kept_outside_with(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        return "x"

    client.get("/")
    with pytest.raises(RuntimeError):
        request.path  # noqa: B018


def test_with_client_keeps_the_redirect_target(
    redirect_app: Erlen, client: t.Any
) -> None:
    with client:
        client.get("/hop/1", follow_redirects=True)
        assert request.path == "/echo"


def test_with_client_session_is_readable(app: Erlen, client: t.Any) -> None:
    @app.route("/login")
    def login() -> str:
        session["user"] = "ada"
        return "ok"

    with client:
        client.get("/login")
        assert session["user"] == "ada"


def test_client_cannot_be_nested(client: t.Any) -> None:
    with client:
        with pytest.raises(RuntimeError, match="nest"):
            with client:
                pass


def test_session_transaction(app: Erlen, client: t.Any) -> None:
    pytest.importorskip("erlen.sessions")

    @app.route("/whoami")
    def whoami() -> str:
        return session.get("user", "nobody")

    assert client.get("/whoami").text == "nobody"
    with client.session_transaction() as sess:
        sess["user"] = "grace"
    assert client.get("/whoami").text == "grace"
    with client.session_transaction() as sess:
        assert sess["user"] == "grace"


def test_session_transaction_needs_a_secret_key(app: Erlen, client: t.Any) -> None:
    pytest.importorskip("erlen.sessions")
    app.config["SECRET_KEY"] = None
    with pytest.raises(RuntimeError, match="did not open a session"):
        with client.session_transaction():
            pass


# -- the environ ----------------------------------------------------------------------


def test_environ_basics() -> None:
    env = create_environ("/a/b?x=1", "http://example.org:8080/root")
    assert env["REQUEST_METHOD"] == "GET"
    assert env["SCRIPT_NAME"] == "/root"
    assert env["PATH_INFO"] == "/a/b"
    assert env["QUERY_STRING"] == "x=1"
    assert env["SERVER_NAME"] == "example.org"
    assert env["SERVER_PORT"] == "8080"
    assert env["HTTP_HOST"] == "example.org:8080"
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["wsgi.url_scheme"] == "http"
    assert env["wsgi.input"].read() == b""
    assert env["REQUEST_URI"] == "/root/a/b?x=1"
    assert "CONTENT_LENGTH" not in env
    env = create_environ(base_url="https://secure.test")
    assert env["SERVER_PORT"] == "443"
    assert env["PATH_INFO"] == "/"


def test_environ_body_fields() -> None:
    env = create_environ(method="post", data={"a": "b c"})
    assert env["REQUEST_METHOD"] == "POST"
    assert env["CONTENT_TYPE"] == "application/x-www-form-urlencoded"
    assert env["CONTENT_LENGTH"] == "5"
    assert env["wsgi.input"].read() == b"a=b+c"
    env = create_environ(data=b"xyz", headers={"Content-Type": "a/b"})
    assert env["CONTENT_TYPE"] == "a/b"
    assert "HTTP_CONTENT_TYPE" not in env
    assert env["CONTENT_LENGTH"] == "3"


def test_non_ascii_path_round_trip(app: Erlen, client: t.Any) -> None:
    env = create_environ("/café/ü")
    # PEP 3333: the UTF-8 bytes, each as one latin-1 character.
    assert env["PATH_INFO"] == "/café/ü".encode().decode("latin-1")
    assert create_environ("/caf%C3%A9")["PATH_INFO"] == env["PATH_INFO"][:6]
    assert create_environ("/%FF")["PATH_INFO"] == "/\xff"

    @app.route("/café/<name>")
    def cafe(name: str) -> t.Any:
        return {"name": name, "path": request.path}

    expected = {"name": "ü", "path": "/café/ü"}
    assert client.get("/café/ü").json == expected
    assert client.get("/caf%C3%A9/%C3%BC").json == expected


def test_odd_paths_stay_paths() -> None:
    env = create_environ("//double/slash?x=1#frag")
    assert env["PATH_INFO"] == "//double/slash"
    assert env["HTTP_HOST"] == "localhost"
    assert env["QUERY_STRING"] == "x=1"
    # A literal "%" in a raw path survives a round trip through from_environ.
    env = create_environ("/100%2541")
    assert env["PATH_INFO"] == "/100%41"
    assert BaseEnvironBuilder.from_environ(env).get_environ()["PATH_INFO"] == (
        "/100%41"
    )


def test_cookie_on_a_non_ascii_path(app: Erlen, client: t.Any) -> None:
    @app.route("/café/set")
    def set_() -> Response:
        rv = make_response("x")
        rv.set_cookie("c", "1", path="/café")
        return rv

    @app.route("/café/read")
    @app.route("/read")
    def read() -> t.Any:
        return sorted(request.cookies)

    client.get("/café/set")
    assert client.get("/café/read").json == ["c"]
    assert client.get("/read").json == []


def test_environ_base_and_overrides() -> None:
    env = create_environ(
        environ_base={"REMOTE_ADDR": "10.0.0.1", "PATH_INFO": "/lost"},
        environ_overrides={"wsgi.url_scheme": "https"},
        path="/kept",
    )
    assert env["REMOTE_ADDR"] == "10.0.0.1"
    assert env["PATH_INFO"] == "/kept"
    assert env["wsgi.url_scheme"] == "https"


def test_builder_round_trips_through_from_environ() -> None:
    env = create_environ(
        "/p/ü", "http://h.test/root", query_string="a=1", headers={"X-A": "1"}
    )
    again = BaseEnvironBuilder.from_environ(env).get_environ()
    for key in ("PATH_INFO", "SCRIPT_NAME", "QUERY_STRING", "HTTP_HOST", "HTTP_X_A"):
        assert again[key] == env[key]


def test_builder_get_request_and_close() -> None:
    f = io.BytesIO(b"data")
    builder = BaseEnvironBuilder("/x", method="POST", data={"f": (f, "a.txt")})
    req = builder.get_request()
    assert req.path == "/x"
    assert req.files["f"].read() == b"data"
    req.close()
    builder.close()
    assert f.closed


def test_app_environ_builder_uses_config(app: Erlen) -> None:
    app.config.update(
        SERVER_NAME="example.com:8000",
        APPLICATION_ROOT="/app",
        PREFERRED_URL_SCHEME="https",
    )
    env = EnvironBuilder(app, "/page?x=1").get_environ()
    assert env["HTTP_HOST"] == "example.com:8000"
    assert env["SCRIPT_NAME"] == "/app"
    assert env["PATH_INFO"] == "/page"
    assert env["QUERY_STRING"] == "x=1"
    assert env["wsgi.url_scheme"] == "https"
    env = EnvironBuilder(app, subdomain="api", url_scheme="http").get_environ()
    assert env["HTTP_HOST"] == "api.example.com:8000"
    assert env["wsgi.url_scheme"] == "http"
    with pytest.raises(TypeError, match="subdomain"):
        EnvironBuilder(app, base_url="http://x.test", subdomain="a")


def test_app_environ_builder_uses_app_json(app: Erlen) -> None:
    class Provider(type(app.json)):  # type: ignore[misc]
        def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
            return '["custom"]'

    app.json = Provider(app)
    env = EnvironBuilder(app, json={"b": 1}).get_environ()
    assert env["wsgi.input"].read() == b'["custom"]'
    assert env["CONTENT_TYPE"] == "application/json"


def test_environ_builder_without_app_and_from_values() -> None:
    env = EnvironBuilder("/x", method="PUT").get_environ()
    assert env["PATH_INFO"] == "/x"
    assert env["REQUEST_METHOD"] == "PUT"
    req = erlen_request_from_values()
    assert req.args["q"] == "1"
    assert req.form["f"] == "v"


def erlen_request_from_values() -> t.Any:
    from erlen import Request

    return Request.from_values("/p?q=1", method="POST", data={"f": "v"})


def test_test_request_context(app: Erlen) -> None:
    with app.test_request_context("/a?b=c", method="POST", data={"d": "e"}):
        assert request.path == "/a"
        assert request.args["b"] == "c"
        assert request.form["d"] == "e"


def test_open_accepts_builder_environ_or_request(echo: Erlen, client: t.Any) -> None:
    builder = EnvironBuilder(echo, "/echo", query_string={"a": "1"})
    assert client.open(builder).json["args"] == {"a": ["1"]}
    env = create_environ("/echo?b=2")
    assert client.open(env).json["args"] == {"b": ["2"]}
    req = BaseEnvironBuilder("/echo?c=3").get_request()
    assert client.open(req).json["args"] == {"c": ["3"]}


# -- run_wsgi_app ---------------------------------------------------------------------


def test_run_wsgi_app_handles_write_and_lazy_start() -> None:
    def app(environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
        write = start_response("200 OK", [("X", "1")])
        write(b"first ")
        return [b"second"]

    body, status, headers = run_wsgi_app(app, create_environ())
    assert b"".join(body) == b"first second"
    assert status == "200 OK"
    assert headers["X"] == "1"

    def lazy(environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
        start_response("201 Created", [])
        yield b"x"

    body, status, _ = run_wsgi_app(lazy, create_environ())
    assert status == "201 Created"
    assert list(body) == [b"x"]


def test_run_wsgi_app_exc_info_replaces_status_before_body() -> None:
    def app(environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
        start_response("200 OK", [])
        try:
            raise ValueError("x")
        except ValueError:
            import sys

            start_response("500 Internal Server Error", [], sys.exc_info())
        return [b"err"]

    body, status, _ = run_wsgi_app(app, create_environ(), buffered=True)
    assert status == "500 Internal Server Error"
    assert body == [b"err"]


def test_run_wsgi_app_closes_the_iterable() -> None:
    closed = []

    class Body:
        def __iter__(self) -> t.Iterator[bytes]:
            return iter([b"a"])

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
        start_response("200 OK", [])
        return Body()

    body, _, _ = run_wsgi_app(app, create_environ(), buffered=True)
    assert body == [b"a"]
    assert closed == [True]
    body, _, _ = run_wsgi_app(app, create_environ())
    t.cast(t.Any, body).close()
    assert closed == [True, True]


def test_run_wsgi_app_without_start_response() -> None:
    def bad(environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
        return []

    with pytest.raises(RuntimeError, match="start_response"):
        run_wsgi_app(bad, create_environ())


def test_response_force_type_runs_wsgi_apps(app: Erlen, client: t.Any) -> None:
    def inner(environ: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        start_response("202 Accepted", [("Content-Type", "text/plain")])
        return [b"from ", b"wsgi"]

    @app.route("/")
    def index() -> t.Any:
        return inner

    rv = client.get("/")
    assert rv.status_code == 202
    assert rv.data == b"from wsgi"


# -- the CLI runner -------------------------------------------------------------------


def test_cli_runner_invokes_app_commands(app: Erlen, runner: t.Any) -> None:
    pytest.importorskip("erlen.cli")

    @app.cli.command("hello")
    @click.option("--name", default="World")
    def hello(name: str) -> None:
        click.echo(f"Hello, {name}!")

    result = runner.invoke(args=["hello", "--name", "Ada"])
    assert result.exit_code == 0, result.output
    assert result.output == "Hello, Ada!\n"


def test_cli_runner_with_explicit_command(runner: t.Any) -> None:
    @click.command()
    def plain() -> None:
        click.echo("plain")

    result = runner.invoke(plain, obj=object())
    assert result.output == "plain\n"
