"""Compat mode: Flask's and Werkzeug's import names answer with erlen."""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import subprocess
import sys
import textwrap
import typing as t

import pytest

import erlen
import erlen.compat
import erlen.exceptions
from erlen.compat._finder import AliasFinder
from erlen.compat._finder import ExtensionFinder

HERE = os.path.dirname(os.path.abspath(__file__))

pytestmark = pytest.mark.usefixtures("compat")

# The public names of Flask 3.1's modules that erlen provides.
FLASK_NAMES = {
    "flask": (
        "Blueprint Config Flask Request Response abort after_this_request"
        " appcontext_popped appcontext_pushed appcontext_tearing_down"
        " before_render_template copy_current_request_context current_app flash g"
        " get_flashed_messages get_template_attribute got_request_exception"
        " has_app_context has_request_context jsonify make_response"
        " message_flashed redirect render_template render_template_string request"
        " request_finished request_started request_tearing_down send_file"
        " send_from_directory session stream_template stream_template_string"
        " stream_with_context template_rendered url_for"
    ),
    "flask.app": (
        "App AppContext BadRequestKeyError BuildError Flask HTTPException Headers"
        " ImmutableDict InternalServerError Request RequestContext"
        " RequestRedirect Response RoutingException Rule"
        " SecureCookieSessionInterface SessionInterface current_app g"
        " get_debug_flag get_flashed_messages get_load_dotenv request"
        " request_ctx session"
    ),
    "flask.blueprints": "AppGroup Blueprint BlueprintSetupState",
    "flask.cli": (
        "AppGroup FlaskGroup NoAppException ScriptInfo cli find_app_by_string"
        " find_best_app get_version load_dotenv locate_app main pass_script_info"
        " prepare_import routes_command run_command shell_command with_appcontext"
    ),
    "flask.config": "Config ConfigAttribute",
    "flask.ctx": (
        "AppContext RequestContext after_this_request copy_current_request_context"
        " has_app_context has_request_context _AppCtxGlobals"
    ),
    "flask.globals": "app_ctx current_app g request request_ctx session _cv_app",
    "flask.helpers": (
        "abort flash get_debug_flag get_flashed_messages get_load_dotenv"
        " get_root_path get_template_attribute make_response redirect"
        " send_file send_from_directory stream_with_context url_for"
    ),
    "flask.json": "dump dumps jsonify load loads",
    "flask.json.provider": "DefaultJSONProvider JSONProvider",
    "flask.json.tag": (
        "JSONTag PassDict PassList TagBytes TagDateTime TagDict TagMarkup TagTuple"
        " TagUUID TaggedJSONSerializer"
    ),
    "flask.logging": (
        "create_logger default_handler has_level_handler wsgi_errors_stream"
    ),
    "flask.sessions": (
        "BadSignature NullSession SecureCookieSession SecureCookieSessionInterface"
        " SessionInterface SessionMixin TaggedJSONSerializer session_json_serializer"
    ),
    "flask.signals": (
        "Namespace appcontext_popped appcontext_pushed appcontext_tearing_down"
        " before_render_template got_request_exception message_flashed"
        " request_finished request_started request_tearing_down template_rendered"
    ),
    "flask.templating": (
        "DispatchingJinjaLoader Environment render_template render_template_string"
        " stream_template stream_template_string"
    ),
    "flask.testing": "EnvironBuilder FlaskCliRunner FlaskClient",
    "flask.typing": (
        "AfterRequestCallable AppOrBlueprintKey BeforeRequestCallable"
        " ErrorHandlerCallable HeaderValue HeadersValue ResponseClass"
        " ResponseReturnValue ResponseValue RouteCallable"
        " ShellContextProcessorCallable TeardownCallable"
        " TemplateContextProcessorCallable TemplateFilterCallable"
        " TemplateGlobalCallable TemplateTestCallable URLDefaultCallable"
        " URLValuePreprocessorCallable"
    ),
    "flask.views": "MethodView View http_method_funcs",
    "flask.wrappers": "Request Response",
    "flask.debughelpers": "DebugFilesKeyError FormDataRoutingRedirect",
    "flask.sansio.app": "App",
    "flask.sansio.blueprints": "Blueprint BlueprintSetupState",
    "flask.sansio.scaffold": "Scaffold",
}

WERKZEUG_NAMES = {
    "werkzeug": "Client Request Response run_simple",
    "werkzeug.exceptions": (
        "Aborter BadRequest BadRequestKeyError Forbidden HTTPException"
        " InternalServerError MethodNotAllowed NotFound TooManyRequests"
        " Unauthorized abort default_exceptions"
    ),
    "werkzeug.routing": (
        "BaseConverter BuildError Map RequestRedirect Rule ValidationError Submount"
    ),
    "werkzeug.datastructures": (
        "Authorization CallbackDict CharsetAccept CombinedMultiDict EnvironHeaders"
        " FileStorage Headers ImmutableMultiDict LanguageAccept MIMEAccept"
        " MultiDict WWWAuthenticate"
    ),
    "werkzeug.wrappers": "Request Response",
    "werkzeug.utils": (
        "cached_property import_string redirect secure_filename send_file"
    ),
    "werkzeug.security": "check_password_hash generate_password_hash",
    "werkzeug.http": (
        "dump_cookie http_date parse_cookie parse_date parse_options_header"
        " quote_etag unquote_etag parse_set_header parse_cache_control_header"
    ),
    "werkzeug.test": "Client EnvironBuilder create_environ",
    "werkzeug.local": "LocalProxy",
    "werkzeug.middleware.proxy_fix": "ProxyFix",
    "werkzeug.serving": "run_simple",
}


@pytest.mark.parametrize(
    ("module", "names"), [*FLASK_NAMES.items(), *WERKZEUG_NAMES.items()]
)
def test_public_names_resolve(module: str, names: str) -> None:
    mod = importlib.import_module(module)
    missing = [n for n in names.split() if not hasattr(mod, n)]
    assert missing == []
    assert mod.__name__ == module


def test_aliases_are_built_modules_of_erlen_objects() -> None:
    import flask
    import flask.app

    assert flask.Flask is erlen.Erlen
    assert flask.request is erlen.request
    assert flask.app.Flask is erlen.Erlen
    assert isinstance(flask.__spec__.loader, AliasFinder)
    # erlen's own modules keep their names; nothing was renamed or copied.
    assert erlen.app.__name__ == "erlen.app"
    assert sys.modules["flask.app"] is not sys.modules["erlen.app"]


def test_from_import_of_submodule_gives_alias_package() -> None:
    from flask import json

    assert json.__name__ == "flask.json"
    assert json.dumps({"a": 1}) == '{"a": 1}'
    from flask.json.tag import TaggedJSONSerializer

    assert TaggedJSONSerializer is erlen.tag.TaggedJSONSerializer


def test_versions_answer_flask_3_1() -> None:
    import flask

    assert flask.__version__.startswith("3.1.")
    assert importlib.metadata.version("flask").startswith("3.1.")
    assert importlib.metadata.version("Flask") == flask.__version__
    assert importlib.metadata.version("werkzeug").startswith("3.1.")


def test_uninstall_removes_aliases_and_metadata() -> None:
    import flask  # noqa: F401

    erlen.compat.uninstall()
    assert "flask" not in sys.modules
    assert not erlen.compat.is_installed()
    if importlib.util.find_spec("flask") is None:  # .venv has no real Flask
        with pytest.raises(importlib.metadata.PackageNotFoundError):
            importlib.metadata.version("flask")
    erlen.compat.install()
    erlen.compat.install()  # twice is harmless
    assert sum(type(f) is AliasFinder for f in sys.meta_path) == 1


def test_exceptions_cross_both_worlds() -> None:
    import flask
    import werkzeug.exceptions

    with pytest.raises(erlen.exceptions.NotFound):
        raise werkzeug.exceptions.NotFound()
    with pytest.raises(werkzeug.exceptions.HTTPException) as info:
        flask.abort(418)
    assert info.value.code == 418
    assert isinstance(erlen.exceptions.Forbidden(), werkzeug.exceptions.Forbidden)


def test_wrappers_and_proxies_are_erlen_classes() -> None:
    import flask
    import werkzeug
    import werkzeug.local
    import werkzeug.wrappers

    assert werkzeug.wrappers.Response is flask.Response is erlen.Response
    assert werkzeug.Request is flask.Request
    app = flask.Flask(__name__)
    with app.test_request_context("/?q=1"):
        assert isinstance(flask.request, werkzeug.wrappers.Request)
        assert isinstance(flask.request._get_current_object(), werkzeug.Request)
    assert isinstance(flask.request, werkzeug.local.LocalProxy)


def test_request_ctx_and_app_ctx_proxies() -> None:
    import flask
    from flask.globals import app_ctx
    from flask.globals import request_ctx

    app = flask.Flask(__name__)
    assert not request_ctx
    with app.app_context():
        assert app_ctx.app is app
        assert not request_ctx
    with app.test_request_context("/x"):
        assert request_ctx.request.path == "/x"
    assert not request_ctx


def test_werkzeug_local_proxy_forms() -> None:
    from contextvars import ContextVar

    from werkzeug.local import Local
    from werkzeug.local import LocalProxy

    var: ContextVar[list[int]] = ContextVar("v")
    proxy = LocalProxy(var, unbound_message="nothing here")
    with pytest.raises(RuntimeError, match="nothing here"):
        proxy.append(1)
    var.set([1, 2])
    assert len(proxy) == 2
    assert LocalProxy(lambda: {"a": 1})["a"] == 1
    loc = Local()
    loc.user = "ada"
    assert LocalProxy(loc, "user").upper() == "ADA"


# Hashes made by real Werkzeug 3.1 (salt "saltsalt" and random salts).
WERKZEUG_HASHES = [
    (
        "scrypt:1024:8:1$fCtphuerOLAUSIoO$2ef447ee3905f86419a7336b05d05d2c57fd71b538"
        "f4e5100e585fb41b1822e63e6967c8abbbfbc74ff47b1ff5d05e4784b5a49aca6b36e6b5dd"
        "d4700344df62",
        "secret",
    ),
    (
        "pbkdf2:sha256:1000$jyfLCIdYq9tStPYh$f357e8bb0be58ed9c3b8d688507bf6bc6230ce"
        "50acd0f33ccf35b3a79dc89f05",
        "secret",
    ),
]


@pytest.mark.parametrize(("stored", "password"), WERKZEUG_HASHES)
def test_security_reads_werkzeug_hashes(stored: str, password: str) -> None:
    from werkzeug.security import check_password_hash

    assert check_password_hash(stored, password)
    assert not check_password_hash(stored, password + "!")


@pytest.mark.parametrize("method", ["scrypt:1024:8:1", "pbkdf2:sha256:1000"])
def test_security_writes_werkzeug_format(method: str) -> None:
    from werkzeug.security import _derive
    from werkzeug.security import check_password_hash
    from werkzeug.security import generate_password_hash

    stored = generate_password_hash("pw", method=method, salt_length=12)
    full, salt, digest = stored.split("$")
    assert full == method and len(salt) == 12
    assert check_password_hash(stored, "pw")
    assert _derive(method, "saltsalt", "correct horse")[0][:16] in (
        "646792c2ba294af1",  # Werkzeug's scrypt digest
        "a900cf4996b73ab9",  # Werkzeug's pbkdf2 digest
    )
    assert not check_password_hash("not a hash", "pw")


def test_security_default_method_is_scrypt() -> None:
    from werkzeug.security import generate_password_hash

    assert generate_password_hash("pw").startswith("scrypt:32768:8:1$")


def test_unchanged_flask_app_runs() -> None:
    sys.path.insert(0, HERE)
    try:
        from flaskapp_blog import create_app  # type: ignore[import-not-found]
    finally:
        sys.path.remove(HERE)
    app = create_app()
    client = app.test_client()
    assert client.get("/posts/1").data == b"<h1>Hello</h1>"
    missing = client.get("/posts/99")
    assert missing.status_code == 404
    assert missing.get_json() == {"error": "Not Found", "code": 404}
    assert (
        client.post("/login", data={"name": "ada", "password": "no"}).status_code == 403
    )
    rv = client.post("/login", data={"name": "ada", "password": "lovelace"})
    assert rv.status_code == 302 and rv.headers["Location"] == "/posts/1"
    assert b"<p>welcome ada" in client.get("/posts/1").data
    assert client.get("/me").get_json() == {"user": "ada", "flashes": []}
    assert client.post("/posts/api", json={"title": "Two"}).status_code == 201
    assert client.get("/posts/api").get_json() == ["Hello", "Two"]
    assert client.get("/upload-name/../../etc/passwd").data == b"etc_passwd"


def test_signals_fire_for_flask_receivers() -> None:
    import flask

    app = flask.Flask(__name__)

    @app.route("/")
    def index() -> str:
        return flask.render_template_string("hi {{ name }}", name="ada")

    seen: list[t.Any] = []

    def record(sender: t.Any, template: t.Any, context: dict[str, t.Any]) -> None:
        seen.append(context["name"])

    with flask.template_rendered.connected_to(record, app):
        assert app.test_client().get("/").data == b"hi ada"
    assert seen == ["ada"]


def test_monkeypatch_reaches_erlen(monkeypatch: pytest.MonkeyPatch) -> None:
    import flask
    import werkzeug.serving

    import erlen.serving

    calls: list[tuple[t.Any, ...]] = []
    monkeypatch.setattr(werkzeug.serving, "run_simple", lambda *a, **k: calls.append(a))
    flask.Flask(__name__).run(port=5123)
    assert calls[0][:2] == ("127.0.0.1", 5123)
    monkeypatch.undo()
    assert werkzeug.serving.run_simple is erlen.serving.run_simple


def test_proxy_fix_trusts_only_configured_hops() -> None:
    import flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    app = flask.Flask(__name__)

    @app.route("/")
    def index() -> dict[str, str]:
        return {"addr": flask.request.remote_addr, "url": flask.request.url}

    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    rv = app.test_client().get(
        "/",
        headers={
            "X-Forwarded-For": "6.6.6.6, 1.2.3.4",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "example.org",
        },
    )
    assert rv.get_json() == {"addr": "1.2.3.4", "url": "https://example.org/"}


def test_strict_mode_uses_flask_defaults() -> None:
    import flask

    assert flask.Flask(__name__).config["SESSION_COOKIE_SAMESITE"] == "Lax"
    erlen.compat.uninstall()
    erlen.compat.install(strict_mode=True)
    config = flask.Flask(__name__).config
    assert config["SESSION_COOKIE_SAMESITE"] is None
    assert config["MAX_CONTENT_LENGTH"] is None
    erlen.compat.uninstall()
    assert erlen.Erlen(__name__).config["SESSION_COOKIE_SAMESITE"] == "Lax"
    erlen.compat.install()


def test_werkzeug_can_be_left_alone() -> None:
    erlen.compat.uninstall()
    erlen.compat.install(werkzeug=False)
    import flask  # noqa: F401

    assert "werkzeug" not in sys.modules or not hasattr(
        sys.modules["werkzeug"], "__erlen_sources__"
    )
    assert importlib.metadata.version("flask").startswith("3.1.")


def test_extension_finder_maps_submodules() -> None:
    finder = ExtensionFinder({"flask_fakeext": ("erlen.json",)})
    sys.meta_path.insert(0, finder)
    try:
        import flask_fakeext  # type: ignore[import-not-found]
        import flask_fakeext.nothing_here  # type: ignore[import-not-found]

        assert flask_fakeext.jsonify is erlen.jsonify
        assert flask_fakeext.nothing_here.dumps is erlen.json.dumps
    finally:
        sys.meta_path.remove(finder)
        for name in [n for n in sys.modules if n.startswith("flask_fakeext")]:
            del sys.modules[name]


def test_flask_cli_group_and_env_mapping(
    tmp_path: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner
    from flask.cli import FlaskGroup
    from flask.cli import map_environ

    (tmp_path / "hello.py").write_text(
        textwrap.dedent(
            """
            from flask import Flask
            app = Flask(__name__)

            @app.route("/hi")
            def hi():
                return "hi"
            """
        )
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    env = {"FLASK_APP": "hello", "FLASK_DEBUG": "1"}
    map_environ(env)
    assert env["ERLEN_APP"] == "hello" and env["ERLEN_DEBUG"] == "1"
    result = CliRunner().invoke(FlaskGroup(name="flask"), ["--app", "hello", "routes"])
    assert result.exit_code == 0, result.output
    assert "/hi" in result.output
    sys.modules.pop("hello", None)


def test_python_m_erlen_compat_runs_script(tmp_path: t.Any) -> None:
    script = tmp_path / "app.py"
    script.write_text(
        "import sys, flask, werkzeug.exceptions\n"
        "app = flask.Flask(__name__)\n"
        "app.get('/')(lambda: flask.request.args['x'])\n"
        "print(app.test_client().get('/?x=' + sys.argv[1]).data.decode())\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "erlen.compat", str(script), "ok"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "ok"


def test_prefixed_env_reads_flask_names(monkeypatch: pytest.MonkeyPatch) -> None:
    import flask

    monkeypatch.setenv("FLASK_ANSWER", "42")
    app = flask.Flask(__name__)
    app.config.from_prefixed_env()
    assert app.config["ANSWER"] == 42
    erlen.compat.uninstall()
    assert erlen.config.Config.from_prefixed_env.__defaults__ == ("ERLEN",)
    erlen.compat.install()


def test_core_never_imports_compat() -> None:
    code = (
        "import sys, erlen, erlen.cli, erlen.testing, erlen.templating, erlen.files;"
        "app = erlen.Erlen('x'); app.get('/')(lambda: 'ok');"
        "assert app.test_client().get('/').data == b'ok';"
        "heads = ('erlen.compat', 'flask');"
        "print(sorted(n for n in sys.modules if n.startswith(heads)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
