"""A development server in a subprocess, for tests over real HTTP on loopback.

Used by test_serving.py and test_reloader.py.  Every wait is bounded and the
whole process group is killed in ``stop()``.
"""

from __future__ import annotations

import http.client
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import typing as t
from pathlib import Path

URL_LINE = re.compile(r"Running on (http://127\.0\.0\.1:(\d+))")


class LiveServer:
    def __init__(self, args: list[str], cwd: Path, env: dict[str, str] | None = None):
        full_env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ERLEN_", "PYTEST_"))
        }
        full_env.update(env or {})
        full_env["PYTHONUNBUFFERED"] = "1"
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=cwd,
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()
        self.url = ""
        self.port = 0

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 15) -> re.Match[str]:
        """Wait for a line matching ``pattern`` (lines already seen count)."""
        regex = re.compile(pattern)
        for line in list(self.lines):
            match = regex.search(line)
            if match:
                return match
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {pattern!r} in output:\n{self.output}")
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"exited before {pattern!r}:\n{self.output}")
            match = regex.search(line)
            if match:
                return match

    def wait_started(self, timeout: float = 15) -> str:
        match = self.wait_for(URL_LINE.pattern, timeout)
        self.url, self.port = match[1], int(match[2])
        return self.url

    def get(
        self, path: str = "/", timeout: float = 5, **headers: str
    ) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            return response.status, response.read().decode()
        finally:
            conn.close()

    def interrupt(self, timeout: float = 10) -> int:
        """Ctrl-C, as a terminal sends it: SIGINT to the whole process group."""
        os.killpg(self.proc.pid, signal.SIGINT)
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(5)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait(5)
        self._pump_thread.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def poll(
    fn: t.Callable[[], t.Any], timeout: float = 10, interval: float = 0.1
) -> t.Any:
    """Call ``fn`` until it returns a true value or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    last: t.Any = None
    while time.monotonic() < deadline:
        try:
            last = fn()
        except OSError as e:
            last = e
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"condition not met in {timeout}s; last result: {last!r}")
