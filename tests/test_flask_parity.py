"""Flask behaviours the Flask test suite found missing (scripts/compat-suite).

Each test pins one fix in erlen's core, so it holds without compat mode.
"""

from __future__ import annotations

import io
import logging
import typing as t
import warnings

import click
import pytest

from erlen import Erlen
from erlen import Response
from erlen import abort
from erlen import request
from erlen import session
from erlen import stream_with_context
from erlen import url_for
from erlen.datastructures import Authorization
from erlen.exceptions import Aborter
from erlen.exceptions import HTTPException
from erlen.http import parse_date

# -- live header views -----------------------------------------------------------


def test_response_header_sets_write_back() -> None:
    rv = Response("x")
    assert "cookie" not in rv.vary
    rv.vary.add("Cookie")
    rv.vary.update(("Accept-Encoding", "cookie"))
    assert rv.headers["Vary"] == "Cookie, Accept-Encoding"
    rv.allow = ["GET", "HEAD"]
    assert sorted(rv.allow) == ["GET", "HEAD"]
    rv.allow.discard("GET")
    rv.allow.discard("HEAD")
    assert "Allow" not in rv.headers


def test_response_cache_control_writes_back() -> None:
    rv = Response("x")
    assert rv.cache_control.max_age is None
    rv.cache_control.max_age = 60
    rv.cache_control.public = True
    assert rv.headers["Cache-Control"] == "max-age=60, public"
    assert rv.cache_control.max_age == 60
    rv.cache_control.max_age = None
    rv.cache_control.public = False
    assert "Cache-Control" not in rv.headers


def test_request_cache_control_reads(app: Erlen) -> None:
    with app.test_request_context(headers={"Cache-Control": "no-cache, max-age=5"}):
        assert request.cache_control.no_cache is True
        assert request.cache_control.max_age == 5


def test_automatic_options_lists_allow(app: Erlen, client: t.Any) -> None:
    app.add_url_rule("/", "index", lambda: "", methods=["GET", "POST"])
    rv = client.open("/", method="OPTIONS")
    assert sorted(rv.allow) == ["GET", "HEAD", "OPTIONS", "POST"]


# -- routing -----------------------------------------------------------------


def test_variable_subdomain_matches_and_builds() -> None:
    app = Erlen("t", subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.test"

    @app.route("/", subdomain="<user>")
    def index(user: str) -> str:
        return f"index for {user}"

    client = app.test_client()
    assert client.get("/", "http://alice.example.test/").text == "index for alice"
    with app.test_request_context():
        assert url_for("index", user="bob") == "http://bob.example.test/"


def test_host_pattern_prefers_the_most_literal_one() -> None:
    app = Erlen("t", host_matching=True, static_folder=None)

    @app.route("/", host="<name>", defaults={"name": "default"})
    @app.route("/", host="<name>.example.test")
    def index(name: str) -> str:
        return name

    client = app.test_client()
    assert client.get("/", "http://abc.example.test").text == "abc"
    assert client.get("/", "http://other.test").text == "default"


def test_subdomain_outside_server_name_misses() -> None:
    app = Erlen("t", subdomain_matching=True)
    app.config["SERVER_NAME"] = "dev.local"
    app.add_url_rule("/", "index", lambda: "default")
    assert app.test_client().get("/", "http://foo.localhost").status_code == 404


def test_rule_factory_and_endpoint_expecting(app: Erlen, client: t.Any) -> None:
    from erlen.compat.werkzeug_routing import Submount
    from erlen.routing import Rule

    app.url_map.add(Submount("/foo", [Rule("/<int:id>", endpoint="item")]))
    app.view_functions["item"] = lambda id: str(id)
    assert client.get("/foo/7").text == "7"
    assert app.url_map.is_endpoint_expecting("item", "id")
    assert not app.url_map.is_endpoint_expecting("item", "lang")


def test_url_for_takes_a_value_named_self(app: Erlen) -> None:
    app.add_url_rule("/<self>", "index", lambda self: "")
    with app.test_request_context():
        assert app.url_for("index", self="2") == "/2"


def test_url_for_without_server_name_fails_before_lookup(app: Erlen) -> None:
    with app.app_context(), pytest.raises(RuntimeError, match="SERVER_NAME"):
        url_for("missing")


# -- aborter, logging, instance path ----------------------------------------------


def test_abort_uses_the_apps_aborter() -> None:
    class Teapot(HTTPException):
        code = 900

    class MyAborter(Aborter):
        pass

    class MyApp(Erlen):
        aborter_class = MyAborter

    app = MyApp("t")
    assert isinstance(app.aborter, MyAborter)
    app.aborter.mapping[900] = Teapot
    with app.app_context(), pytest.raises(Teapot):
        abort(900)


def test_logger_writes_to_wsgi_errors(app: Erlen, client: t.Any) -> None:
    from erlen.logs import default_handler

    logger = logging.getLogger(app.name)
    old = logger.handlers[:], logger.propagate
    logger.handlers, logger.propagate = [], False
    try:
        assert app.logger.handlers == [default_handler]

        @app.route("/")
        def index() -> str:
            app.logger.error("boom")
            return ""

        stream = io.StringIO()
        client.get("/", errors_stream=stream)
        assert "ERROR in test_flask_parity: boom" in stream.getvalue()
    finally:
        logger.handlers, logger.propagate = old


def test_instance_folder_sits_next_to_the_package(tmp_path: t.Any) -> None:
    import subprocess
    import sys

    pkg = tmp_path / "parity_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from erlen import Erlen\napp = Erlen(__name__)\n")
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import parity_pkg; print(parity_pkg.app.instance_path)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    assert out == str(tmp_path / "instance")


# -- sessions, cookies, streaming ----------------------------------------------------


def test_untouched_permanent_session_is_refreshed(app: Erlen, client: t.Any) -> None:
    @app.get("/login")
    def login() -> str:
        session["user"] = 1
        session.permanent = True
        return ""

    app.add_url_rule("/ignored", "ignored", lambda: "")
    client.get("/login")
    rv = client.get("/ignored")
    assert "session=" in rv.headers["Set-Cookie"]
    assert rv.headers["Vary"] == "Cookie"


def test_max_cookie_size_follows_the_app(app: Erlen) -> None:
    assert Response().max_cookie_size == 4093
    app.config["MAX_COOKIE_SIZE"] = 100
    with app.app_context():
        assert Response().max_cookie_size == 100
        rv = Response()
        with pytest.warns(UserWarning, match="cookie is too large"):
            rv.set_cookie("foo", "bar" * 100)


def test_parse_date_skips_a_leading_token() -> None:
    value = parse_date("expires=Thu, 01 Jan 2037 08:00:00 GMT")
    assert value is not None and value.year == 2037


def test_stream_with_context_in_an_async_view(app: Erlen, client: t.Any) -> None:
    torn_down: list[bool] = []
    app.teardown_request(lambda exc: torn_down.append(True))

    @app.route("/")
    async def index() -> Response:
        session["test"] = "erlen"

        @stream_with_context
        def gen() -> t.Iterator[str]:
            yield session["test"]

        return Response(gen())

    client.get("/").close()  # closed without reading
    assert client.get("/").text == "erlen"
    assert torn_down == [True, True]


def test_appcontext_pushed_fires_for_requests(app: Erlen, client: t.Any) -> None:
    from erlen import signals

    seen: list[str] = []
    app.add_url_rule("/", "index", lambda: "")

    def pushed(sender: t.Any, **kw: t.Any) -> None:
        seen.append("push")

    def popped(sender: t.Any, **kw: t.Any) -> None:
        seen.append("pop")

    signals.appcontext_pushed.connect(pushed, app)
    signals.appcontext_popped.connect(popped, app)
    try:
        client.get("/")
    finally:
        signals.appcontext_pushed.disconnect(pushed, app)
        signals.appcontext_popped.disconnect(popped, app)
    assert seen == ["push", "pop"]


# -- debug helpers, Authorization, CLI ----------------------------------------------


def test_debug_mode_explains_a_form_without_enctype(app: Erlen, client: t.Any) -> None:
    from erlen.debughelpers import DebugFilesKeyError

    app.debug = True

    @app.post("/")
    def index() -> str:
        return request.files["foo"].filename or ""

    with pytest.raises(DebugFilesKeyError, match="This was submitted: 'a.txt'"):
        client.post("/", data={"foo": "a.txt"})


def test_debug_mode_explains_a_redirected_post(
    app: Erlen, client: t.Any, monkeypatch: t.Any
) -> None:
    from erlen.debughelpers import FormDataRoutingRedirect
    from erlen.routing import RequestRedirect

    app.debug = True
    app.add_url_rule("/user/", "user", lambda: "", methods=["POST"])
    monkeypatch.setattr(RequestRedirect, "code", 301)
    with pytest.raises(FormDataRoutingRedirect, match="http://localhost/user/"):
        client.post("/user", data={"a": "b"})


def test_json_error_detail_only_in_debug(app: Erlen, client: t.Any) -> None:
    @app.post("/")
    def index() -> str:
        request.get_json()
        return ""

    rv = client.post("/", data="{", content_type="application/json")
    assert rv.status_code == 400 and b"Failed to decode" not in rv.data


def test_authorization_parameters_as_attributes() -> None:
    auth = Authorization.from_header('Digest username="john", realm="r", nonce="n"')
    assert auth is not None
    assert (auth.realm, auth.nonce, auth.uri) == ("r", "n", None)
    with pytest.raises(AttributeError):
        auth.__missing__  # noqa: B018 - private names stay errors


def test_run_cert_options_are_checked_when_parsed() -> None:
    from erlen.cli import run_command

    with pytest.raises(click.BadParameter):
        run_command.make_context("run", ["--cert", __file__])
    with pytest.raises(click.BadParameter):
        run_command.make_context("run", ["--key", __file__])
    ctx = run_command.make_context("run", ["--key", __file__, "--cert", __file__])
    assert ctx.params["cert"] == (__file__, __file__)


def test_no_warning_for_a_matching_host() -> None:
    app = Erlen("t", subdomain_matching=True)
    app.config["SERVER_NAME"] = "dev.local"
    app.add_url_rule("/", "index", lambda: "ok")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert app.test_client().get("/", "http://dev.local").text == "ok"
