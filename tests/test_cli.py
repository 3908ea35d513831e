"""The ``erlen`` command line: discovery, built-in commands, app and plugin commands."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import types
import typing as t
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from erlen import Blueprint
from erlen import Erlen
from erlen import cli as cli_module
from erlen.cli import AppGroup
from erlen.cli import ErlenGroup
from erlen.cli import NoAppException
from erlen.cli import ScriptInfo
from erlen.cli import find_best_app
from erlen.cli import locate_app
from erlen.cli import prepare_import
from erlen.cli import with_appcontext

APPS = Path(__file__).parent / "apps"
PYTHON = sys.executable


@pytest.fixture(autouse=True)
def isolated_imports(monkeypatch: pytest.MonkeyPatch) -> t.Iterator[None]:
    """Each test imports the test apps afresh and leaves sys.path as it was."""
    monkeypatch.setattr(sys, "path", [str(APPS), *sys.path])
    for key in (
        "ERLEN_APP",
        "ERLEN_DEBUG",
        "FLASK_DEBUG",
        "PORT",
        "ERLEN_RUN_FROM_CLI",
    ):
        monkeypatch.delenv(key, raising=False)
    before = set(sys.modules)
    yield
    # Forget the test apps only: dropping erlen's own modules would leave the
    # package attribute (erlen.serving) and sys.modules out of step.
    temp = tempfile.gettempdir()
    for name in set(sys.modules) - before:
        path = getattr(sys.modules[name], "__file__", None) or ""
        if path.startswith((str(APPS), temp)):
            del sys.modules[name]
    # ErlenGroup.make_context sets it, as `erlen` does; do not leak it.
    os.environ.pop("ERLEN_RUN_FROM_CLI", None)
    os.environ.pop("ERLEN_DEBUG", None)


@pytest.fixture
def cli_runner() -> CliRunner:
    return CliRunner()


def erlen_cli() -> ErlenGroup:
    return ErlenGroup(name="erlen")


# -- discovery --------------------------------------------------------------------


def test_prepare_import_walks_up_packages() -> None:
    name = prepare_import(str(APPS / "cliapp" / "factory.py"))
    assert name == "cliapp.factory"
    assert sys.path[0] == str(APPS)


def test_prepare_import_of_a_plain_module(tmp_path: Path) -> None:
    (tmp_path / "solo.py").write_text("x = 1\n")
    assert prepare_import(str(tmp_path / "solo.py")) == "solo"
    assert sys.path[0] == str(tmp_path)


@pytest.mark.parametrize(
    ("module", "name", "expected"),
    [
        ("cliapp.app", None, "cliapp.app"),
        ("cliapp.app", "app", "cliapp.app"),
        ("cliapp.factory", None, "factory-hi"),
        ("cliapp.factory", "create_app", "factory-hi"),
        ("cliapp.factory", "create_app()", "factory-hi"),
        ("cliapp.factory", "create_app('hey')", "factory-hey"),
        ("cliapp.factory", 'create_app("yo", loud=True)', "factory-yo"),
        ("cliapp.multiapp", "second", "second"),
        ("cliapp.only_factory", None, "made"),
        ("helloworld.wsgi", None, "helloworld"),
    ],
)
def test_locate_app(module: str, name: str | None, expected: str) -> None:
    assert locate_app(module, name).name == expected


def test_factory_receives_literal_keyword_arguments() -> None:
    app = locate_app("cliapp.factory", "create_app('yo', loud=True)")
    assert app.config["GREETING"] == "YO"


@pytest.mark.parametrize(
    ("module", "name", "message"),
    [
        ("cliapp.nothere", None, "Could not import 'cliapp.nothere'"),
        ("cliapp.importerror", None, "erlen_missing_dependency"),
        ("cliapp.multiapp", None, "several apps"),
        ("cliapp.noapp", None, "Failed to find an Erlen app"),
        ("cliapp.app", "missing", "Failed to find attribute 'missing'"),
        ("cliapp.factory", "no_app", "is not an Erlen app"),
        ("cliapp.factory", "create_app(1, 2, 3)", "could not be called"),
        ("cliapp.factory", "create_app(os.getcwd())", "literal values"),
        ("cliapp.factory", "create_app(", "Failed to parse"),
        ("cliapp.app", "app()", "not callable"),
    ],
)
def test_locate_app_errors_name_what_was_tried(
    module: str, name: str | None, message: str
) -> None:
    with pytest.raises(NoAppException, match=message.replace("(", r"\(")):
        locate_app(module, name)


def test_locate_app_not_found_can_return_none() -> None:
    assert locate_app("cliapp.nothere", None, raise_if_not_found=False) is None


def test_a_type_error_inside_the_factory_is_not_hidden() -> None:
    with pytest.raises(TypeError, match="real bug"):
        locate_app("cliapp.factory", "broken_factory")


def test_find_best_app_prefers_app_attribute() -> None:
    module = types.ModuleType("m")
    module.app = Erlen("a")  # type: ignore[attr-defined]
    module.other = Erlen("b")  # type: ignore[attr-defined]
    assert find_best_app(module) is module.app  # type: ignore[attr-defined]


def test_script_info_finds_wsgi_py_in_the_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(APPS / "helloworld")
    assert ScriptInfo().load_app().name == "helloworld"


def test_script_info_finds_app_py_in_the_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(APPS / "cwdapp")
    assert ScriptInfo().load_app().name == "cwdapp"


def test_script_info_without_an_app_says_how_to_name_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NoAppException, match="ERLEN_APP"):
        ScriptInfo().load_app()


def test_script_info_loads_once_and_applies_debug_flag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ERLEN_DEBUG", "1")
    calls = []

    def create() -> Erlen:
        calls.append(1)
        return Erlen("x")

    info = ScriptInfo(create_app=create)
    assert info.load_app() is info.load_app()
    assert calls == [1]
    assert info.load_app().debug is True


def test_script_info_accepts_a_file_path_with_an_app_name() -> None:
    info = ScriptInfo(
        app_import_path=f"{APPS / 'cliapp' / 'factory.py'}:create_app('z')"
    )
    assert info.load_app().name == "factory-z"


# -- the erlen group ---------------------------------------------------------------


def test_help_works_without_an_app(
    cli_runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli_runner.invoke(erlen_cli(), ["--help"])
    assert result.exit_code == 0
    for command in ("run", "routes", "shell", "new"):
        assert command in result.output
    assert "Could not locate an Erlen app" in result.output  # said once, no traceback
    assert "Traceback" not in result.output


def test_no_arguments_shows_help_with_the_apps_commands(
    cli_runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERLEN_APP", "cliapp.app")
    result = cli_runner.invoke(erlen_cli(), [])
    assert "hello" in result.output
    assert "Usage:" in result.output


def test_app_option_runs_an_app_command(cli_runner: CliRunner) -> None:
    result = cli_runner.invoke(erlen_cli(), ["--app", "cliapp.app", "hello"])
    assert result.exit_code == 0, result.output
    assert result.output == "hello from cliapp.app\n"


def test_erlen_app_environment_variable(
    cli_runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERLEN_APP", "cliapp.app")
    result = cli_runner.invoke(erlen_cli(), ["hello"])
    assert result.output == "hello from cliapp.app\n"


def test_a_wrong_app_is_a_one_line_error(cli_runner: CliRunner) -> None:
    result = cli_runner.invoke(erlen_cli(), ["--app", "cliapp.nothere", "routes"])
    assert result.exit_code == 2
    assert "Error: Could not import 'cliapp.nothere'." in result.output
    assert "Traceback" not in result.output


def test_unknown_command_mentions_the_app_problem(cli_runner: CliRunner) -> None:
    result = cli_runner.invoke(erlen_cli(), ["--app", "cliapp.importerror", "hello"])
    assert result.exit_code == 2
    assert "erlen_missing_dependency" in result.output
    assert "No such command 'hello'" in result.output


def test_debug_option_sets_the_app_debug_flag(cli_runner: CliRunner) -> None:
    group = erlen_cli()

    @group.command("show-debug")
    def show_debug() -> None:
        from erlen import current_app

        click.echo(f"debug={current_app.debug}")

    result = cli_runner.invoke(group, ["--app", "cliapp.app", "--debug", "show-debug"])
    assert result.output == "debug=True\n"
    result = cli_runner.invoke(
        group, ["--app", "cliapp.app", "--no-debug", "show-debug"]
    )
    assert result.output == "debug=False\n"


def test_version_option(cli_runner: CliRunner) -> None:
    result = cli_runner.invoke(erlen_cli(), ["--version"])
    assert result.exit_code == 0
    assert "erlen 0." in result.output
    assert "Python 3." in result.output


def test_env_file_is_loaded(
    cli_runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("dotenv")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ERLEN_TEST_FROM_ENV", raising=False)
    monkeypatch.delenv("ERLEN_TEST_FROM_DOTENV", raising=False)
    (tmp_path / ".env").write_text("ERLEN_TEST_FROM_DOTENV=dot\nERLEN_APP=cliapp.app\n")
    (tmp_path / "custom.env").write_text("ERLEN_TEST_FROM_ENV=custom\n")
    group = erlen_cli()

    @group.command("show-env")
    def show_env() -> None:
        click.echo(os.environ.get("ERLEN_TEST_FROM_DOTENV"))
        click.echo(os.environ.get("ERLEN_TEST_FROM_ENV"))

    try:
        result = cli_runner.invoke(group, ["-e", "custom.env", "show-env"])
        assert result.output == "dot\ncustom\n", result.output
    finally:
        for key in ("ERLEN_TEST_FROM_DOTENV", "ERLEN_TEST_FROM_ENV", "ERLEN_APP"):
            os.environ.pop(key, None)


def test_dotenv_does_not_override_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("dotenv")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ERLEN_TEST_SET", "from-shell")
    (tmp_path / ".erlenenv").write_text("ERLEN_TEST_SET=from-file\n")
    assert cli_module.load_dotenv() is True
    assert os.environ["ERLEN_TEST_SET"] == "from-shell"


def test_skip_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERLEN_SKIP_DOTENV", "1")
    assert ScriptInfo().load_dotenv_defaults is False


# -- app, blueprint and plugin commands ----------------------------------------------


def test_app_group_commands_run_in_the_app_context(app: Erlen) -> None:
    @app.cli.command()
    def where() -> None:
        from erlen import current_app

        click.echo(current_app.name)

    @app.cli.command(with_appcontext=False)
    def plain() -> None:
        from erlen import has_app_context

        click.echo(f"context={has_app_context()}")

    runner = app.test_cli_runner()
    assert runner.invoke(args=["where"]).output == "test_app\n"
    assert runner.invoke(args=["plain"]).output == "context=False\n"


def test_app_group_subgroups_are_app_groups(app: Erlen) -> None:
    @app.cli.group()
    def users() -> None:
        """Manage users."""

    assert isinstance(users, AppGroup)

    @users.command()
    @click.argument("name")
    def create(name: str) -> None:
        from erlen import current_app

        click.echo(f"created {name} in {current_app.name}")

    result = app.test_cli_runner().invoke(args=["users", "create", "ann"])
    assert result.output == "created ann in test_app\n"


def test_add_command_and_blueprint_groups(app: Erlen) -> None:
    @click.command("ping")
    @with_appcontext
    def ping() -> None:
        click.echo("pong")

    app.cli.add_command(ping)
    merged = Blueprint("merged", __name__, cli_group=None)
    renamed = Blueprint("renamed", __name__, cli_group="other")

    @merged.cli.command("b")
    def b() -> None:
        click.echo("merged b")

    @renamed.cli.command("c")
    def c() -> None:
        click.echo("renamed c")

    app.register_blueprint(merged)
    app.register_blueprint(renamed)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["ping"]).output == "pong\n"
    assert runner.invoke(args=["b"]).output == "merged b\n"
    assert runner.invoke(args=["other", "c"]).output == "renamed c\n"


def test_blueprint_commands_default_to_a_group_named_after_it(app: Erlen) -> None:
    grouped = Blueprint("grouped", __name__)

    @grouped.cli.command("a")
    def a() -> None:
        click.echo("grouped a")

    app.register_blueprint(grouped)
    assert app.test_cli_runner().invoke(args=["grouped", "a"]).output == "grouped a\n"


def test_app_commands_appear_in_the_erlen_group(
    app: Erlen, cli_runner: CliRunner
) -> None:
    @app.cli.command("seed")
    def seed() -> None:
        """Fill the database."""
        click.echo("seeded")

    group = ErlenGroup(name="erlen", create_app=lambda: app)
    assert "Fill the database." in cli_runner.invoke(group, ["--help"]).output
    assert cli_runner.invoke(group, ["seed"]).output == "seeded\n"


def test_plugin_commands_from_entry_points(
    cli_runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    @click.command()
    def plugged() -> None:
        click.echo("from a plugin")

    class FakeEntryPoint:
        name = "plugged"
        value = "fake:plugged"

        def load(self) -> click.Command:
            return plugged

    class BrokenEntryPoint:
        name = "broken"
        value = "fake:broken"

        def load(self) -> click.Command:
            raise ImportError("no such plugin module")

    def entry_points(group: str) -> list[t.Any]:
        assert group == "erlen.commands"
        return [FakeEntryPoint(), BrokenEntryPoint()]

    monkeypatch.setattr(cli_module.importlib.metadata, "entry_points", entry_points)
    monkeypatch.chdir(tmp_path)
    result = cli_runner.invoke(erlen_cli(), ["plugged"])
    assert result.exit_code == 0
    assert "from a plugin" in result.output
    assert "could not load the command 'broken'" in result.output


def test_extension_adds_a_command_group_in_init_app(app: Erlen) -> None:
    class Extension:
        def init_app(self, app: Erlen) -> None:
            @app.cli.group("ext")
            def ext() -> None:
                """The extension's commands."""

            @ext.command("status")
            def status() -> None:
                click.echo("extension ready")

    Extension().init_app(app)
    assert app.test_cli_runner().invoke(args=["ext", "status"]).output == (
        "extension ready\n"
    )


# -- routes --------------------------------------------------------------------------


@pytest.fixture
def routed_app(app: Erlen) -> Erlen:
    @app.route("/zeta", methods=["POST", "DELETE"])
    def alpha() -> str:
        return ""

    @app.get("/alpha/<int:id>")
    def zeta(id: int) -> str:
        return ""

    return app


def _routes(app: Erlen, *args: str) -> list[list[str]]:
    result = app.test_cli_runner().invoke(cli_module.routes_command, list(args))
    assert result.exit_code == 0, result.output
    return [line.split() for line in result.output.splitlines()]


def test_routes_lists_endpoint_methods_rule(routed_app: Erlen) -> None:
    rows = _routes(routed_app)
    assert rows[0] == ["Endpoint", "Methods", "Rule"]
    assert set("".join(rows[1])) == {"-"}
    assert rows[2:] == [
        ["alpha", "DELETE,", "POST", "/zeta"],
        ["static", "GET", "/static/<path:filename>"],
        ["zeta", "GET", "/alpha/<int:id>"],
    ]


def test_routes_sorted_by_rule_and_methods(routed_app: Erlen) -> None:
    by_rule = [row[0] for row in _routes(routed_app, "--sort", "rule")[2:]]
    assert by_rule == ["zeta", "static", "alpha"]
    by_methods = [row[0] for row in _routes(routed_app, "-s", "methods")[2:]]
    assert by_methods == ["alpha", "static", "zeta"]
    by_match = [row[0] for row in _routes(routed_app, "-s", "match")[2:]]
    assert by_match == ["static", "alpha", "zeta"]


def test_routes_all_methods(routed_app: Erlen) -> None:
    rows = _routes(routed_app, "--all-methods")
    zeta = next(row for row in rows if row[0] == "zeta")
    assert zeta[1:-1] == ["GET,", "HEAD,", "OPTIONS"]


def test_routes_with_no_routes(cli_runner: CliRunner) -> None:
    bare = Erlen("bare", static_folder=None)
    result = cli_runner.invoke(
        cli_module.routes_command, obj=ScriptInfo(create_app=lambda: bare)
    )
    assert result.output == "No routes were registered.\n"


def test_routes_through_the_erlen_command(cli_runner: CliRunner) -> None:
    result = cli_runner.invoke(erlen_cli(), ["--app", "cliapp.app", "routes"])
    assert result.exit_code == 0
    assert "index" in result.output and "/" in result.output


# -- shell ---------------------------------------------------------------------------


def test_shell_has_app_g_and_shell_context(app: Erlen) -> None:
    @app.shell_context_processor
    def extra() -> dict[str, t.Any]:
        return {"answer": 42}

    result = app.test_cli_runner().invoke(
        cli_module.shell_command,
        ["--no-ipython"],
        input="print(app.name, answer)\ng.x = 1\nprint(g.x)\n",
    )
    assert result.exit_code == 0, result.output
    assert "test_app 42" in result.output
    assert ">>> 1\n" in result.output
    assert "App: test_app" in result.output


def test_shell_runs_pythonstartup(
    app: Erlen, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    startup = tmp_path / "startup.py"
    startup.write_text("from_startup = 'yes'\n")
    monkeypatch.setenv("PYTHONSTARTUP", str(startup))
    result = app.test_cli_runner().invoke(
        cli_module.shell_command, input="print(from_startup)\n"
    )
    assert "yes" in result.output


# -- run (the server itself is tested in test_serving.py) ---------------------------


@pytest.fixture
def run_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, t.Any]]:
    calls: list[dict[str, t.Any]] = []

    def fake_run_simple(host: str, port: int, app: t.Any, **kwargs: t.Any) -> None:
        calls.append({"host": host, "port": port, "app": app, **kwargs})

    monkeypatch.setattr("erlen.serving.run_simple", fake_run_simple)
    monkeypatch.delenv("ERLEN_RUN_MAIN", raising=False)
    return calls


def test_run_defaults(cli_runner: CliRunner, run_calls: list[dict[str, t.Any]]) -> None:
    result = cli_runner.invoke(erlen_cli(), ["--app", "cliapp.app", "run"])
    assert result.exit_code == 0, result.output
    (call,) = run_calls
    assert (call["host"], call["port"]) == ("127.0.0.1", 5000)
    assert call["app"].name == "cliapp.app"
    assert call["use_reloader"] is False
    assert call["use_debugger"] is False
    assert call["threaded"] is True
    assert "Serving Erlen app 'cliapp.app'" in result.output
    assert "Debug mode: off" in result.output


def test_run_options(
    cli_runner: CliRunner,
    run_calls: list[dict[str, t.Any]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("PORT", "8123")
    extra = tmp_path / "settings.toml"
    extra.write_text("")
    result = cli_runner.invoke(
        erlen_cli(),
        [
            "--app",
            "cliapp.app",
            "run",
            "--host",
            "0.0.0.0",
            "--no-threads",
            "--no-reload",
            "--extra-files",
            str(extra),
        ],
    )
    assert result.exit_code == 0, result.output
    (call,) = run_calls
    assert (call["host"], call["port"]) == ("0.0.0.0", 8123)
    assert call["threaded"] is False
    assert call["extra_files"] == [str(extra)]


def test_run_debug_turns_on_the_reloader_without_importing_the_app(
    cli_runner: CliRunner, run_calls: list[dict[str, t.Any]]
) -> None:
    result = cli_runner.invoke(erlen_cli(), ["--app", "cliapp.app", "run", "--debug"])
    assert result.exit_code == 0, result.output
    (call,) = run_calls
    assert call["use_reloader"] is True
    assert call["use_debugger"] is True
    # The watching parent leaves the import to the child it starts.
    assert call["app"] is None
    assert "cliapp.app" not in sys.modules
    assert "Debug mode: on" in result.output


def test_run_port_option_and_bad_port(
    cli_runner: CliRunner, run_calls: list[dict[str, t.Any]]
) -> None:
    cli_runner.invoke(erlen_cli(), ["--app", "cliapp.app", "run", "-p", "9000"])
    assert run_calls[0]["port"] == 9000
    result = cli_runner.invoke(erlen_cli(), ["--app", "cliapp.app", "run", "-p", "x"])
    assert result.exit_code == 2
    assert "is not a valid integer" in result.output


def test_run_cert_needs_key(
    cli_runner: CliRunner, run_calls: list[dict[str, t.Any]], tmp_path: Path
) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("")
    result = cli_runner.invoke(
        erlen_cli(), ["--app", "cliapp.app", "run", "--cert", str(cert)]
    )
    assert result.exit_code == 2
    assert "--cert and --key go together" in result.output
    assert run_calls == []


def test_app_run_inside_the_cli_is_ignored(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ERLEN_RUN_FROM_CLI", "true")
    monkeypatch.delenv("ERLEN_RUN_MAIN", raising=False)
    Erlen("x").run()
    assert "Ignoring a call to 'app.run()'" in capsys.readouterr().out


def test_app_run_passes_options_to_run_simple(
    monkeypatch: pytest.MonkeyPatch, run_calls: list[dict[str, t.Any]]
) -> None:
    app = Erlen("x")
    app.config["SERVER_NAME"] = "localhost:7000"
    app.run(debug=True, load_dotenv=False, use_reloader=False)
    (call,) = run_calls
    assert (call["host"], call["port"]) == ("localhost", 7000)
    assert call["use_reloader"] is False
    assert call["use_debugger"] is True
    assert app.debug is True


# -- new -------------------------------------------------------------------------------


def test_new_creates_the_project(cli_runner: CliRunner, tmp_path: Path) -> None:
    result = cli_runner.invoke(
        erlen_cli(), ["new", "my-blog", "--path", str(tmp_path), "--no-db"]
    )
    assert result.exit_code == 0, result.output
    root = tmp_path / "my-blog"
    files = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert files == {
        ".gitignore",
        "README.md",
        "pyproject.toml",
        "my_blog/__init__.py",
        "my_blog/__main__.py",
        "my_blog/controllers/__init__.py",
        "my_blog/controllers/home.py",
        "my_blog/templates/base.html",
        "my_blog/templates/index.html",
        "my_blog/static/style.css",
        "tests/conftest.py",
        "tests/test_home.py",
    }
    init = (root / "my_blog" / "__init__.py").read_text()
    assert 'app.autodiscover(f"{__name__}.controllers")' in init
    assert "db" not in init and "%%" not in init
    readme = (root / "README.md").read_text()
    assert "python -m my_blog" in readme and "python -m pytest" in readme
    pyproject = (root / "pyproject.toml").read_text()
    assert 'name = "my-blog"' in pyproject
    assert "[tool.ruff" in pyproject and "[tool.pytest.ini_options]" in pyproject
    assert "python -m my_blog" in result.output


def test_new_with_db_adds_models(cli_runner: CliRunner, tmp_path: Path) -> None:
    result = cli_runner.invoke(
        erlen_cli(), ["new", "shop", "--path", str(tmp_path), "--db"]
    )
    assert result.exit_code == 0, result.output
    root = tmp_path / "shop"
    assert "db = SQLAlchemy()" in (root / "shop" / "models.py").read_text()
    init = (root / "shop" / "__init__.py").read_text()
    assert "db.init_app(app)" in init and "# db-only" not in init
    assert '"erlen[db]"' in (root / "pyproject.toml").read_text()


@pytest.mark.parametrize(
    ("name", "message"),
    [("1abc", "not a usable name"), ("class", "not a usable name"), ("json", "shadow")],
)
def test_new_rejects_bad_names(
    cli_runner: CliRunner, tmp_path: Path, name: str, message: str
) -> None:
    result = cli_runner.invoke(erlen_cli(), ["new", name, "--path", str(tmp_path)])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / name).exists()


def test_new_refuses_a_non_empty_folder(cli_runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    result = cli_runner.invoke(erlen_cli(), ["new", "taken", "--path", str(tmp_path)])
    assert result.exit_code == 1
    assert "exists and is not empty" in result.output
    assert (tmp_path / "taken" / "keep.txt").read_text() == "mine"


@pytest.mark.slow
@pytest.mark.parametrize("db", ["--no-db", "--db"])
def test_new_project_passes_its_own_tests_and_ruff(
    cli_runner: CliRunner, tmp_path: Path, db: str
) -> None:
    if db == "--db":
        pytest.importorskip("sqlalchemy")
        pytest.importorskip("erlen.db")
    result = cli_runner.invoke(
        erlen_cli(), ["new", "starter", "--path", str(tmp_path), db]
    )
    assert result.exit_code == 0, result.output
    root = tmp_path / "starter"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ERLEN_", "PYTEST_"))
    }
    proc = subprocess.run(
        [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout
    ruff = Path(PYTHON).parent / "ruff"
    if ruff.exists():
        proc = subprocess.run(
            [str(ruff), "check", "--no-cache", "."],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


# -- the two spellings ---------------------------------------------------------------


@pytest.mark.slow
def test_console_script_and_python_m_run_the_same_cli(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(APPS), "ERLEN_APP": "cliapp.app"}
    script = Path(PYTHON).parent / "erlen"
    outputs = []
    for argv in ([PYTHON, "-m", "erlen", "hello"], [str(script), "hello"]):
        proc = subprocess.run(
            argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30
        )
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
    assert outputs == ["hello from cliapp.app\n"] * 2
    proc = subprocess.run(
        [PYTHON, "-m", "erlen", "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "Usage: python -m erlen" in proc.stdout
