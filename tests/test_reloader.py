"""The reloader: which files count, both watchers, and a real reload over HTTP."""

from __future__ import annotations

import importlib.util
import os
import sys
import typing as t
from pathlib import Path

import pytest

from erlen import reloader
from erlen.reloader import StatReloader
from erlen.reloader import WatchfilesReloader
from erlen.reloader import make_reloader
from erlen.reloader import watch_roots

_spec = importlib.util.spec_from_file_location(
    "erlen_live_server", Path(__file__).parent / "apps" / "erlen_live_server.py"
)
assert _spec is not None and _spec.loader is not None
live = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(live)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder as the cwd, and the only folder the reloader watches."""
    root = tmp_path / "project"
    (root / "pkg" / "templates").mkdir(parents=True)
    (root / "pkg" / "static").mkdir()
    (root / "pkg" / "__pycache__").mkdir()
    (root / ".venv" / "lib").mkdir(parents=True)
    (root / "pkg" / "views.py").write_text("x = 1\n")
    (root / "pkg" / "templates" / "index.html").write_text("<p>hi</p>\n")
    (root / "pkg" / "static" / "app.css").write_text("p {}\n")
    monkeypatch.chdir(root)
    installed = [p for p in sys.path if p.startswith((sys.prefix, sys.base_prefix))]
    monkeypatch.setattr(sys, "path", [str(root), *installed])
    return root.resolve()


def test_watch_roots_leave_out_installed_code(project: Path) -> None:
    assert watch_roots() == [str(project)]


def test_watch_roots_add_extra_files_folders(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "conf"
    elsewhere.mkdir()
    roots = watch_roots([str(elsewhere / "settings.toml")])
    assert sorted(roots) == sorted([str(project), str(elsewhere.resolve())])


def test_watch_roots_skip_the_standard_library(monkeypatch: pytest.MonkeyPatch) -> None:
    stdlib = os.path.dirname(os.__file__)
    monkeypatch.setattr(sys, "path", [stdlib])
    assert stdlib not in watch_roots()


@pytest.mark.parametrize(
    ("relative", "relevant"),
    [
        ("pkg/views.py", True),
        ("pkg/templates/index.html", True),
        ("pkg/templates/mail/welcome.txt", True),
        ("pkg/static/app.css", False),
        ("pkg/__pycache__/views.cpython-311.pyc", False),
        ("pkg/__pycache__/x.py", False),
        (".venv/lib/site.py", False),
        ("notes.txt", False),
        ("settings.toml", True),  # an extra file
        ("pkg/generated_skip.py", False),  # an exclude pattern
    ],
)
def test_which_changes_count(project: Path, relative: str, relevant: bool) -> None:
    watcher = make_reloader(
        "stat",
        extra_files=[str(project / "settings.toml")],
        exclude_patterns=["*_skip.py"],
    )
    assert watcher.matcher(str(project / relative)) is relevant


def _exercise(watcher: reloader.Reloader, project: Path) -> None:
    try:
        assert watcher.wait(0.3) == set()
        views = project / "pkg" / "views.py"
        views.write_text("x = 2  # changed\n")
        changes = watcher.wait(5)
        assert str(views) in changes
        (project / "pkg" / "static" / "app.css").write_text("p { color: red }\n")
        assert watcher.wait(0.5) == set()
        (project / "pkg" / "templates" / "new.html").write_text("new\n")
        assert str(project / "pkg" / "templates" / "new.html") in watcher.wait(5)
    finally:
        watcher.close()


def test_stat_reloader(project: Path) -> None:
    watcher = make_reloader("stat", interval=0.05)
    assert isinstance(watcher, StatReloader)
    _exercise(watcher, project)


@pytest.mark.slow
def test_watchfiles_reloader(project: Path) -> None:
    pytest.importorskip("watchfiles")
    watcher = make_reloader("auto")
    assert isinstance(watcher, WatchfilesReloader)
    _exercise(watcher, project)


def test_is_running_from_reloader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(reloader.RUN_MAIN_ENV, raising=False)
    assert reloader.is_running_from_reloader() is False
    monkeypatch.setenv(reloader.RUN_MAIN_ENV, "true")
    assert reloader.is_running_from_reloader() is True


def test_child_runs_the_same_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "orig_argv", ["python3", "-m", "erlen", "run"])
    assert reloader._child_args() == [sys.executable, "-m", "erlen", "run"]


# -- a real reload -----------------------------------------------------------------

APP = """\
from erlen import Erlen

import views

app = Erlen(__name__)
app.add_url_rule("/", view_func=views.index)
"""


def _write_view(folder: Path, body: str) -> None:
    (folder / "views.py").write_text(body)


def _responds(server: t.Any, expected: str) -> bool:
    status, body = server.get("/", timeout=3)
    return status == 200 and body == expected


@pytest.mark.slow
def test_reload_on_change_survives_a_syntax_error(tmp_path: Path) -> None:
    (tmp_path / "liveapp.py").write_text(APP)
    _write_view(tmp_path, "def index():\n    return 'version one'\n")
    server = live.LiveServer(
        ["-m", "erlen", "--app", "liveapp", "run", "--port", "0", "--reload"],
        cwd=tmp_path,
    )
    try:
        server.wait_started()
        live.poll(lambda: _responds(server, "version one"))
        port = server.port

        _write_view(tmp_path, "def index():\n    return 'the second version'\n")
        server.wait_for(r"Detected change in 'views\.py'")
        live.poll(lambda: _responds(server, "the second version"))

        _write_view(tmp_path, "def index(:\n    return 'broken'\n")
        server.wait_for("SyntaxError")
        server.wait_for("exited with code 1")
        assert server.proc.poll() is None  # the watcher keeps waiting

        _write_view(tmp_path, "def index():\n    return 'fixed again'\n")
        live.poll(lambda: _responds(server, "fixed again"))
        assert server.port == port  # the same socket across restarts

        assert server.interrupt() == 0
        assert "KeyboardInterrupt" not in server.output
    finally:
        server.stop()


@pytest.mark.slow
def test_reload_on_an_extra_file(tmp_path: Path) -> None:
    (tmp_path / "liveapp.py").write_text(
        APP.replace("import views\n", "import pathlib\nimport views\n")
        + "\nTEXT = pathlib.Path('message.cfg').read_text()\n"
        "app.add_url_rule('/msg', 'msg', lambda: TEXT)\n"
    )
    _write_view(tmp_path, "def index():\n    return 'x'\n")
    (tmp_path / "message.cfg").write_text("first")
    server = live.LiveServer(
        [
            "-m",
            "erlen",
            "--app",
            "liveapp",
            "run",
            "--port",
            "0",
            "--reload",
            "--extra-files",
            "message.cfg",
        ],
        cwd=tmp_path,
    )
    try:
        server.wait_started()
        live.poll(lambda: server.get("/msg", timeout=3) == (200, "first"))
        (tmp_path / "message.cfg").write_text("second!")
        live.poll(lambda: server.get("/msg", timeout=3) == (200, "second!"))
    finally:
        server.stop()


@pytest.mark.slow
def test_a_wrong_app_with_reload_fails_at_once(tmp_path: Path) -> None:
    server = live.LiveServer(
        ["-m", "erlen", "--app", "nothere", "run", "--port", "0", "--reload"],
        cwd=tmp_path,
    )
    try:
        assert server.proc.wait(20) == 2
        server.wait_for("Could not import 'nothere'")
    finally:
        server.stop()
