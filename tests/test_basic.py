"""The app object: construction, folders, configuration, logger, flags."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
import typing as t
from datetime import timedelta

import pytest

import erlen
from erlen import Config
from erlen import Erlen

PYTHON = sys.executable


# -- the object ------------------------------------------------------------------


def test_app_is_a_wsgi_callable(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        return "Hello"

    rv = client.get("/")
    assert rv.status_code == 200
    assert rv.data == b"Hello"
    assert app.name == "test_app"
    assert app.import_name == "test_app"


def test_wsgi_app_can_be_wrapped_by_middleware(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        return "inner"

    inner = app.wsgi_app
    seen: list[str] = []

    def middleware(environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
        seen.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    app.wsgi_app = middleware  # type: ignore[method-assign]
    rv = client.get("/")
    assert rv.data == b"inner"
    assert seen == ["/"]


def test_setup_after_first_request_is_an_error(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        return ""

    client.get("/")
    assert app.got_first_request
    with pytest.raises(AssertionError, match="first request"):
        app.add_url_rule("/late", "late", lambda: "")


def test_instance_path_default_and_must_be_absolute(tmp_path: t.Any) -> None:
    app = Erlen("x", root_path=str(tmp_path))
    assert app.instance_path == os.path.join(str(tmp_path), "instance")
    with pytest.raises(ValueError, match="absolute"):
        Erlen("x", root_path=str(tmp_path), instance_path="relative/dir")
    app = Erlen("x", root_path=str(tmp_path), instance_path=str(tmp_path / "inst"))
    assert app.instance_path == str(tmp_path / "inst")


def test_instance_relative_config(tmp_path: t.Any) -> None:
    inst = tmp_path / "inst"
    inst.mkdir()
    (inst / "settings.py").write_text("FROM_INSTANCE = 1\n")
    app = Erlen(
        "x",
        root_path=str(tmp_path),
        instance_path=str(inst),
        instance_relative_config=True,
    )
    app.config.from_pyfile("settings.py")
    assert app.config["FROM_INSTANCE"] == 1


def test_static_folder_is_served(tmp_path: t.Any) -> None:
    static = tmp_path / "static"
    static.mkdir()
    app = Erlen("x", root_path=str(tmp_path))
    assert app.static_folder == str(static)
    assert app.static_url_path == "/static"
    assert any(r.endpoint == "static" for r in app.url_map.iter_rules())


# -- root_path discovery -------------------------------------------------------


def _run(code: str, cwd: t.Any, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    out = subprocess.run(
        [PYTHON, *args] if args else [PYTHON, "-c", code],
        cwd=str(cwd),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_root_path_of_a_module(tmp_path: t.Any) -> None:
    mod_dir = tmp_path / "lib"
    mod_dir.mkdir()
    (mod_dir / "mymodule.py").write_text(
        "from erlen import Erlen\napp = Erlen(__name__)\n"
    )
    code = (
        "import sys; sys.path.insert(0, 'lib'); import mymodule;"
        " print(mymodule.app.root_path)"
    )
    assert _run(code, tmp_path) == str(mod_dir)


def test_root_path_of_a_package(tmp_path: t.Any) -> None:
    pkg = tmp_path / "mypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from erlen import Erlen\napp = Erlen(__name__)\n")
    code = "import mypkg; print(mypkg.app.root_path, mypkg.app.instance_path)"
    root, instance = _run(code, tmp_path).split()
    assert root == str(pkg)
    # Next to the package, as in Flask: a moved Flask app keeps its instance.
    assert instance == str(tmp_path / "instance")


def test_root_path_of_a_submodule_is_its_folder(tmp_path: t.Any) -> None:
    pkg = tmp_path / "pkg2"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "views.py").write_text("from erlen import Erlen\napp = Erlen(__name__)\n")
    code = "from pkg2 import views; print(views.app.root_path)"
    assert _run(code, tmp_path) == str(pkg)


def test_root_path_of_main_script(tmp_path: t.Any) -> None:
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "serve.py").write_text(
        "from erlen import Erlen\n"
        "app = Erlen(__name__)\n"
        "print(app.root_path, app.name)\n"
    )
    root, name = _run("", tmp_path, str(scripts / "serve.py")).split()
    assert root == str(scripts)
    assert name == "serve"


def test_root_path_of_an_unimported_module_name(tmp_path: t.Any) -> None:
    (tmp_path / "notyet.py").write_text("")
    code = "from erlen import Erlen; print(Erlen('notyet').root_path)"
    assert _run(code, tmp_path) == str(tmp_path)


def test_explicit_root_path_wins(tmp_path: t.Any) -> None:
    app = Erlen("anything.at.all", root_path=str(tmp_path))
    assert app.root_path == str(tmp_path)
    assert app.config.root_path == str(tmp_path)


# -- configuration -----------------------------------------------------------


def test_config_is_a_dict_with_safe_defaults(app: Erlen) -> None:
    assert isinstance(app.config, Config)
    assert isinstance(app.config, dict)
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["TRUSTED_PROXY_HOPS"] == 0
    assert app.config["MAX_FORM_PARTS"] == 1000
    assert app.config["MAX_QUERY_FIELDS"] == 1000
    assert app.config["MAX_FORM_FIELDS"] == 1000
    assert app.config["MAX_JSON_DEPTH"] > 0
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(days=31)


class _Settings:
    SECRET_KEY = "from object"
    DEBUG_TOOLBAR = True
    lower_case = "ignored"


CONFIG_CONST = "module attribute"
OTHER = 1


def test_config_from_object(app: Erlen) -> None:
    app.config.from_object(_Settings)
    assert app.secret_key == "from object"
    assert app.config["DEBUG_TOOLBAR"] is True
    assert "lower_case" not in app.config


def test_config_from_object_import_string(app: Erlen) -> None:
    app.config.from_object("test_basic")
    assert app.config["CONFIG_CONST"] == "module attribute"
    assert app.config["OTHER"] == 1
    assert "PYTHON" in app.config


def test_config_from_mapping(app: Erlen) -> None:
    app.config.from_mapping({"SECRET_KEY": "mapped", "lower": 1}, EXTRA=2)
    assert app.config["SECRET_KEY"] == "mapped"
    assert app.config["EXTRA"] == 2
    assert "lower" not in app.config


def test_config_from_pyfile(tmp_path: t.Any) -> None:
    (tmp_path / "settings.cfg").write_text(
        "SECRET_KEY = 'from file'\nTIMEOUT = 2 * 30\n_private = 1\nlower = 2\n"
    )
    app = Erlen("x", root_path=str(tmp_path))
    assert app.config.from_pyfile("settings.cfg") is True
    assert app.config["SECRET_KEY"] == "from file"
    assert app.config["TIMEOUT"] == 60
    assert "lower" not in app.config
    assert app.config.from_pyfile("missing.cfg", silent=True) is False
    with pytest.raises(OSError, match="Unable to load configuration file"):
        app.config.from_pyfile("missing.cfg")


def test_config_from_file_json_and_toml(tmp_path: t.Any) -> None:
    (tmp_path / "c.json").write_text(json.dumps({"SECRET_KEY": "j", "low": 1}))
    (tmp_path / "c.toml").write_text('SECRET_KEY = "t"\nPORT = 8000\n')
    app = Erlen("x", root_path=str(tmp_path))
    assert app.config.from_file("c.json", load=json.load)
    assert app.config["SECRET_KEY"] == "j"
    assert "low" not in app.config
    if sys.version_info >= (3, 11):
        import tomllib

        assert app.config.from_file("c.toml", load=tomllib.load, text=False)
        assert app.config["SECRET_KEY"] == "t"
        assert app.config["PORT"] == 8000
    assert app.config.from_file("nope.json", load=json.load, silent=True) is False
    with pytest.raises(OSError):
        app.config.from_file("nope.json", load=json.load)


def test_config_from_envvar(tmp_path: t.Any, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "env.cfg"
    cfg.write_text("FROM_ENVVAR = True\n")
    app = Erlen("x", root_path=str(tmp_path))
    monkeypatch.delenv("ERLEN_TEST_SETTINGS", raising=False)
    assert app.config.from_envvar("ERLEN_TEST_SETTINGS", silent=True) is False
    with pytest.raises(RuntimeError, match="ERLEN_TEST_SETTINGS"):
        app.config.from_envvar("ERLEN_TEST_SETTINGS")
    monkeypatch.setenv("ERLEN_TEST_SETTINGS", str(cfg))
    assert app.config.from_envvar("ERLEN_TEST_SETTINGS")
    assert app.config["FROM_ENVVAR"] is True


def test_config_from_prefixed_env(app: Erlen, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERLEN_SECRET_KEY", "env secret")
    monkeypatch.setenv("ERLEN_PORT", "8080")
    monkeypatch.setenv("ERLEN_ENABLED", "true")
    monkeypatch.setenv("ERLEN_RATIO", "0.5")
    monkeypatch.setenv("ERLEN_NAMES", '["a", "b"]')
    monkeypatch.setenv("ERLEN_DB__HOST", "db.local")
    monkeypatch.setenv("ERLEN_DB__PORT", "5432")
    monkeypatch.setenv("OTHER_THING", "x")
    assert app.config.from_prefixed_env() is True
    assert app.config["SECRET_KEY"] == "env secret"
    assert app.config["PORT"] == 8080
    assert app.config["ENABLED"] is True
    assert app.config["RATIO"] == 0.5
    assert app.config["NAMES"] == ["a", "b"]
    assert app.config["DB"] == {"HOST": "db.local", "PORT": 5432}
    assert "THING" not in app.config


def test_config_from_prefixed_env_custom_prefix_and_loads(
    app: Erlen, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MYAPP_COUNT", "3")
    app.config.from_prefixed_env("MYAPP", loads=str.upper)
    assert app.config["COUNT"] == "3"


def test_config_from_prefixed_env_nested_into_existing_dict(
    app: Erlen, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["CACHE"] = {"TYPE": "simple", "TIMEOUT": 1}
    monkeypatch.setenv("ERLEN_CACHE__TIMEOUT", "30")
    app.config.from_prefixed_env()
    assert app.config["CACHE"] == {"TYPE": "simple", "TIMEOUT": 30}


def test_config_get_namespace(app: Erlen) -> None:
    app.config.from_mapping(IMAGE_STORE_TYPE="fs", IMAGE_STORE_PATH="/x", OTHER=1)
    assert app.config.get_namespace("IMAGE_STORE_") == {"type": "fs", "path": "/x"}
    assert app.config.get_namespace("IMAGE_STORE_", lowercase=False) == {
        "TYPE": "fs",
        "PATH": "/x",
    }
    ns = app.config.get_namespace("IMAGE_STORE_", trim_namespace=False)
    assert ns == {"image_store_type": "fs", "image_store_path": "/x"}


def test_config_attributes(app: Erlen) -> None:
    app.secret_key = "k"
    assert app.config["SECRET_KEY"] == "k"
    app.testing = False
    assert app.config["TESTING"] is False
    app.debug = True
    assert app.config["DEBUG"] is True
    assert app.debug is True
    app.permanent_session_lifetime = 60  # type: ignore[assignment]
    assert app.permanent_session_lifetime == timedelta(seconds=60)


def test_config_repr_names_the_class(app: Erlen) -> None:
    assert repr(app.config).startswith("<Config {")


# -- debug and testing -------------------------------------------------------


def test_debug_flag_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERLEN_DEBUG", "1")
    assert Erlen("x", root_path=os.getcwd()).debug is True
    monkeypatch.setenv("ERLEN_DEBUG", "0")
    assert Erlen("x", root_path=os.getcwd()).debug is False
    monkeypatch.delenv("ERLEN_DEBUG")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    assert Erlen("x", root_path=os.getcwd()).debug is False


def test_testing_propagates_exceptions(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        client.get("/")


# -- logger ------------------------------------------------------------------


def test_logger_is_named_after_the_app(app: Erlen) -> None:
    assert isinstance(app.logger, logging.Logger)
    assert app.logger.name == "test_app"
    assert app.logger is app.logger


def test_logger_debug_level_in_debug_mode(tmp_path: t.Any) -> None:
    app = Erlen("erlen_debug_logger_test", root_path=str(tmp_path))
    app.debug = True
    try:
        assert app.logger.getEffectiveLevel() == logging.DEBUG
    finally:
        app.logger.setLevel(logging.NOTSET)
        app.logger.handlers.clear()


def test_logger_records_through_caplog(app: Erlen, caplog: t.Any) -> None:
    with caplog.at_level(logging.INFO, logger="test_app"):
        app.logger.info("hello from the app")
    assert "hello from the app" in caplog.text


def test_public_names_are_exported() -> None:
    for name in (
        "Erlen",
        "Blueprint",
        "request",
        "session",
        "g",
        "current_app",
        "jsonify",
        "abort",
        "redirect",
        "url_for",
        "make_response",
        "stream_with_context",
        "after_this_request",
        "copy_current_request_context",
        "has_app_context",
        "has_request_context",
        "Request",
        "Response",
        "Config",
    ):
        assert hasattr(erlen, name), name


def test_readme_example_runs(tmp_path: t.Any) -> None:
    code = textwrap.dedent(
        """
        from erlen import Erlen, request

        app = Erlen(__name__)

        @app.route("/user/<name>")
        def profile(name):
            return f"hi {name}"

        @app.post("/items")
        def create():
            data = request.get_json()
            return {"id": 1, **data}, 201

        c = app.test_client()
        print(c.get("/user/ann").text)
        rv = c.post("/items", json={"name": "x"})
        print(rv.status_code, rv.get_json()["name"])
        """
    )
    assert _run(code, tmp_path).splitlines() == ["hi ann", "201 x"]


def test_cli_runner_fixture_invokes_app_commands(app: Erlen, runner: t.Any) -> None:
    @app.cli.command("hello")
    def hello() -> None:
        import click

        click.echo(f"hello from {erlen.current_app.name}")

    result = runner.invoke(args=["hello"])
    assert result.exit_code == 0, result.output
    assert "hello from test_app" in result.output
