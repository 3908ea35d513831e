"""Restart the development server when the code changes.

The process that runs ``erlen run --reload`` only watches files; the server
runs in a child process started again after each change.  Because the
watcher never imports the app, a syntax error only kills the child: the
error is shown and the watcher waits for the fix.  watchfiles is used when it
is installed, stat polling otherwise.
"""

from __future__ import annotations

import fnmatch
import os
import signal
import subprocess
import sys
import sysconfig
import threading
import time
import typing as t

import click

RUN_MAIN_ENV = "ERLEN_RUN_MAIN"
SERVER_FD_ENV = "ERLEN_SERVER_FD"
#: A child exiting with this code asks to be restarted (Werkzeug's convention).
RESTART_CODE = 3

_IGNORED_DIRS = frozenset(
    {
        "__pycache__",
        ".git",
        ".hg",
        ".svn",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        ".eggs",
        "node_modules",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        "site-packages",
        "dist-packages",
    }
)
_TEMPLATE_DIR = "templates"


def is_running_from_reloader() -> bool:
    """True in the child process the reloader runs the server in."""
    return os.environ.get(RUN_MAIN_ENV) == "true"


def watch_parent(interval: float = 1.0) -> None:
    """Stop this child (as if by SIGTERM) when the watching parent dies."""
    parent = os.getppid()

    def loop() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=loop, name="erlen-parent-watch", daemon=True).start()


def _installed_prefixes() -> tuple[str, ...]:
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        value = sysconfig.get_paths().get(name)
        if value:
            paths.add(value)
    return tuple(os.path.join(os.path.realpath(p), "") for p in paths)


# Computed once: sysconfig may import modules that a changed sys.path hides.
_INSTALLED = _installed_prefixes()


def watch_roots(extra_files: t.Iterable[str] = ()) -> list[str]:
    """The folders to watch: the cwd, the app's ``sys.path`` entries, extra files'.

    Installed code (the stdlib, site-packages, the venv) is left out.
    """
    installed = _INSTALLED
    candidates = [os.getcwd()]
    candidates += [p or os.getcwd() for p in sys.path]
    candidates += [os.path.dirname(os.path.abspath(f)) for f in extra_files]
    roots: list[str] = []
    for path in candidates:
        path = os.path.realpath(path)
        if not os.path.isdir(path) or os.path.join(path, "").startswith(installed):
            continue
        roots.append(path)
    # Keep the outermost folders only: watchers recurse.
    roots.sort(key=len)
    kept: list[str] = []
    for path in roots:
        if not any(
            os.path.join(path, "").startswith(os.path.join(k, "")) for k in kept
        ):
            kept.append(path)
    return kept


class _Matcher:
    """Which paths count as a change: .py files, templates, extra files."""

    def __init__(
        self,
        roots: list[str],
        extra_files: t.Iterable[str],
        exclude_patterns: t.Iterable[str],
    ) -> None:
        self.roots = roots
        self.extra = {os.path.realpath(f) for f in extra_files}
        self.exclude = list(exclude_patterns)

    def __call__(self, path: str) -> bool:
        if path in self.extra:
            return True
        if any(fnmatch.fnmatch(path, p) for p in self.exclude):
            return False
        parts = self._relative_parts(path)
        if any(part in _IGNORED_DIRS for part in parts[:-1]):
            return False
        return path.endswith(".py") or _TEMPLATE_DIR in parts[:-1]

    def _relative_parts(self, path: str) -> list[str]:
        for root in self.roots:
            prefix = os.path.join(root, "")
            if path.startswith(prefix):
                return path[len(prefix) :].split(os.sep)
        return path.split(os.sep)

    def prune(self, dirnames: list[str]) -> None:
        dirnames[:] = [d for d in dirnames if d not in _IGNORED_DIRS]


class Reloader:
    """Waits for changes; ``wait`` returns the changed paths (empty on timeout)."""

    name = "base"

    def __init__(
        self,
        extra_files: t.Iterable[str] = (),
        exclude_patterns: t.Iterable[str] = (),
        interval: float = 1.0,
    ) -> None:
        extra = [os.path.realpath(f) for f in extra_files]
        self.roots = watch_roots(extra)
        self.extra_files = extra
        self.matcher = _Matcher(self.roots, extra, exclude_patterns)
        self.interval = interval

    def wait(self, timeout: float) -> set[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        pass


class StatReloader(Reloader):
    """Polls modification times: works everywhere, costs a walk per interval."""

    name = "stat"

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.mtimes = self._snapshot()

    def _snapshot(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for root in self.roots:
            for dirpath, dirnames, filenames in os.walk(root):
                self.matcher.prune(dirnames)
                for name in filenames:
                    path = os.path.join(dirpath, name)
                    if self.matcher(path):
                        try:
                            found[path] = os.stat(path).st_mtime_ns
                        except OSError:
                            pass
        for path in self.extra_files:
            try:
                found[path] = os.stat(path).st_mtime_ns
            except OSError:
                pass
        return found

    def wait(self, timeout: float) -> set[str]:
        deadline = time.monotonic() + timeout
        while True:
            time.sleep(max(0.0, min(self.interval, deadline - time.monotonic())))
            current = self._snapshot()
            old = self.mtimes
            changed = {
                p for p in current.keys() | old.keys() if current.get(p) != old.get(p)
            }
            self.mtimes = current
            if changed or time.monotonic() >= deadline:
                return changed


class WatchfilesReloader(Reloader):
    """Uses the OS's file events through watchfiles: instant and cheap."""

    name = "watchfiles"

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        import watchfiles

        super().__init__(*args, **kwargs)
        self._stop = threading.Event()
        matcher = self.matcher
        self._events = watchfiles.watch(
            *self.roots,
            watch_filter=lambda change, path: matcher(path),
            stop_event=self._stop,
            rust_timeout=500,
            yield_on_timeout=True,
            debounce=400,
            step=50,
        )

    def wait(self, timeout: float) -> set[str]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                changes = next(self._events)
            except StopIteration:
                return set()
            if changes or time.monotonic() >= deadline:
                return {path for _change, path in changes}

    def close(self) -> None:
        self._stop.set()


def make_reloader(
    reloader_type: str = "auto",
    extra_files: t.Iterable[str] | None = None,
    exclude_patterns: t.Iterable[str] | None = None,
    interval: float = 1.0,
) -> Reloader:
    """``auto``: watchfiles when installed; ``stat`` or ``watchfiles`` force one."""
    cls: type[Reloader] = StatReloader
    if reloader_type in ("auto", "watchfiles"):
        try:
            import watchfiles  # noqa: F401

            cls = WatchfilesReloader
        except ImportError:
            if reloader_type == "watchfiles":
                raise
    return cls(extra_files or (), exclude_patterns or (), interval)


def _child_args() -> list[str]:
    """The command line that started this process, to start the child with."""
    orig = getattr(sys, "orig_argv", None)
    if orig:
        return [sys.executable, *orig[1:]]
    return [sys.executable, *sys.argv]  # pragma: no cover - Python < 3.10


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(5)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _describe(changes: set[str]) -> str:
    path = sorted(changes)[0]
    try:
        path = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        pass
    more = f" (+{len(changes) - 1} more)" if len(changes) > 1 else ""
    return f"'{path}'{more}"


def _wait_for_child(
    child: subprocess.Popen[bytes], reloader: Reloader
) -> set[str] | int:
    """The changes that came first, or the child's exit code if it ended first."""
    while True:
        changes = reloader.wait(0.5)
        if changes:
            return changes
        code = child.poll()
        if code is not None:
            return code


def run_with_reloader(
    extra_files: t.Iterable[str] | None = None,
    exclude_patterns: t.Iterable[str] | None = None,
    interval: float = 1.0,
    reloader_type: str = "auto",
    pass_fds: t.Sequence[int] = (),
) -> int:
    """Run this program again as a child, restarting it on change; return the exit code.

    The first child failing ends the watcher (a wrong ``--app`` should not
    hang); a later failure, such as a syntax error just saved, waits for the
    next change.
    """
    reloader = make_reloader(reloader_type, extra_files, exclude_patterns, interval)
    click.echo(f" * Restarting with {reloader.name}")

    def on_term(signum: int, frame: t.Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_term)
    env = {**os.environ, RUN_MAIN_ENV: "true"}
    args = _child_args()
    child: subprocess.Popen[bytes] | None = None
    first = True
    try:
        while True:
            child = subprocess.Popen(args, env=env, pass_fds=tuple(pass_fds))
            outcome = _wait_for_child(child, reloader)
            if isinstance(outcome, set):
                click.echo(f" * Detected change in {_describe(outcome)}, reloading")
                _stop(child)
                first = False
                continue
            if outcome == RESTART_CODE:
                continue
            if outcome in (0, -signal.SIGINT, -signal.SIGTERM):
                return 0
            if first:
                return outcome
            click.secho(
                f" * The app exited with code {outcome}; fix the error above,"
                " the server restarts on the next change.",
                fg="yellow",
            )
            while not (changes := reloader.wait(1.0)):
                pass
            click.echo(f" * Detected change in {_describe(changes)}, reloading")
    except KeyboardInterrupt:
        return 0
    finally:
        if child is not None:
            _stop(child)
        reloader.close()
