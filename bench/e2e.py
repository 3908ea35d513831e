"""End to end: each framework behind a real server on loopback, under wrk.

Servers: gunicorn with 2 ``sync`` workers, gunicorn with 2 ``gthread`` workers
× 4 threads, and granian (HTTP in Rust, ``--interface wsgi``) with 2 workers ×
1 blocking thread — the settings ``erlen serve`` uses.  Every framework runs the
same app (``bench/e2e_target.py``), started by the server's own command line.

For one server, all frameworks' servers run at once and each round loads each
of them in turn (rotating the order), so load from other work on the machine
lands on every framework alike; a cell is the median over the rounds.  The
``raw`` app's number is that server's ceiling.  On a 2-core machine wrk, the
workers and the framework share the cores, so wrk's own CPU squeezes the
fastest servers hardest (at 30,000 req/s it needs a good part of a core).  The
``granian pinned`` row pins wrk to the last core and the server
(one worker per remaining core) to the others, as a load generator on another
machine would leave it: its ratios follow the server's CPU cost per request.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from bench.timed import LOGS
from bench.timed import ROOT
from bench.worker import BATTERY_APPS

#: The frameworks the end-to-end runs compare (Bottle is left out to bound time).
E2E_FRAMEWORKS = ("erlen", "flask", "falcon", "raw")
WORKERS = 2


def _gunicorn(kind: str, *extra: str) -> Any:
    def cmd(port: int, workers: int) -> list[str]:
        return [
            sys.executable, "-m", "gunicorn", "-k", kind, "-w", str(workers), *extra,
            "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
            "--no-control-socket", "bench.e2e_target:create()",
        ]  # fmt: skip

    return cmd


def _granian(port: int, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "granian", "--interface", "wsgi", "--no-ws",
        "--workers", str(workers), "--blocking-threads", "1",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
        "--factory", "bench.e2e_target:create",
    ]  # fmt: skip


@dataclass(frozen=True)
class ServerKind:
    """How to start one server, and whether wrk gets a core of its own."""

    command: Any  # (port, workers) -> argv
    pinned: bool = False


#: server label -> how to start it
SERVERS: dict[str, ServerKind] = {
    "gunicorn sync": ServerKind(_gunicorn("sync")),
    "gunicorn gthread": ServerKind(_gunicorn("gthread", "--threads", "4")),
    "granian": ServerKind(_granian),
    "granian pinned": ServerKind(_granian, pinned=True),
}


def cpu_split() -> tuple[set[int], set[int]] | None:
    """(server cores, load-generator cores) for a pinned run: wrk takes the
    last core this process may use.  None with fewer than two cores or where
    affinity can't be set (not Linux)."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return None
    return set(cores[:-1]), {cores[-1]}


def _pin(cores: set[int] | None) -> Any:
    """A ``preexec_fn`` that confines the child (and its children) to cores."""
    if cores is None:
        return None
    return lambda: os.sched_setaffinity(0, cores)


@dataclass(frozen=True)
class Cell:
    """One scenario: its path, the app variant, and how its cookie is obtained."""

    path: str
    kind: str = "plain"
    prime: str | None = None  # a cookie set by the first request (the session)
    login: str | None = None  # POST here first to get ``prime`` (auth_db)


#: scenario -> request; ``auth_db`` runs on the batteries app (SQLite).
PATHS = {
    "plaintext": Cell("/plaintext"),
    "json": Cell("/json"),
    "session": Cell("/session", prime="session"),
    "auth_db": Cell("/me", kind="db:sqlite", prime="session", login="/login/1"),
}
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its descendants.

    Throughput on a busy machine says as much about the neighbours as about
    the server; CPU time per request barely depends on them.  Linux only (0.0
    elsewhere, and the CPU column stays empty).
    """
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return 0.0
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
        except OSError:
            continue
        parents[int(name)] = int(fields[1])
        ticks[int(name)] = int(fields[11]) + int(fields[12])
    tree, todo = set(), [pid]
    while todo:
        current = todo.pop()
        tree.add(current)
        todo += [p for p, parent in parents.items() if parent == current]
    return sum(ticks.get(p, 0) for p in tree) / _TICK


def _request(
    port: int, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPResponse, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp, resp.read()
    finally:
        conn.close()


class Server:
    """One framework's app variant on one server, in a subprocess."""

    def __init__(
        self,
        label: str,
        framework: str,
        kind: str,
        cores: set[int] | None = None,
    ) -> None:
        self.port = _free_port()
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        name = f"e2e-{slug}-{framework}-{kind.replace(':', '-')}"
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log = open(LOGS / f"{name}.log", "w")
        env = dict(os.environ, BENCH_E2E_FRAMEWORK=framework, BENCH_E2E_KIND=kind)
        workers = len(cores) if cores else WORKERS
        self.proc = subprocess.Popen(
            SERVERS[label].command(self.port, workers),
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=_pin(cores),
        )

    def wait_ready(self, path: str, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                _request(self.port, path)
                return True
            except OSError:
                time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()


def _cookie(resp: http.client.HTTPResponse, name: str) -> str | None:
    for value in resp.headers.get_all("Set-Cookie") or ():
        pair = value.split(";", 1)[0].strip()
        if pair.startswith(f"{name}="):
            return pair
    return None


def prepare(port: int, cell: Cell) -> dict[str, str]:
    """The request headers for ``cell``, after checking it answers 200.

    Several fresh connections, so both workers answer with the cookie.
    """
    headers: dict[str, str] = {}
    if cell.prime:
        method, path = ("POST", cell.login) if cell.login else ("GET", cell.path)
        status, resp, _ = _request(port, path, method)
        pair = _cookie(resp, cell.prime)
        if status >= 400 or pair is None:
            raise RuntimeError(f"{method} {path}: {status}, no {cell.prime} cookie")
        headers["Cookie"] = pair
    for _ in range(20):
        status, _, body = _request(port, cell.path, headers=headers)
        if status != 200:
            raise RuntimeError(f"GET {cell.path}: {status} {body[:80]!r}")
    return headers


def _wrk(
    url: str,
    seconds: float,
    connections: int,
    headers: dict[str, str],
    cores: set[int] | None = None,
) -> dict[str, float]:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*cmd, url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        preexec_fn=_pin(cores),
    ).stdout
    rps = re.search(r"Requests/sec:\s*([\d.]+)", out)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    errors = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    count = re.search(r"(\d+) requests in", out)
    if rps is None or p99 is None or count is None:
        raise RuntimeError(f"cannot read wrk output: {out[-300:]!r}")
    return {
        "requests": int(count.group(1)),
        "rps": float(rps.group(1)),
        "p99_ms": float(p99.group(1)) * _UNITS[p99.group(2)],
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def _pyload(
    port: int, path: str, seconds: float, connections: int, headers: dict[str, str]
) -> dict[str, float]:
    """A bounded keep-alive load generator for machines without wrk."""
    latencies: list[float] = []
    failures = [0]
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        mine: list[float] = []
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    failures[0] += 1
                if resp.will_close:
                    conn.close()
            except OSError:
                failures[0] += 1
                conn.close()
            mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)] if latencies else 0.0
    return {
        "requests": len(latencies),
        "rps": len(latencies) / seconds,
        "p99_ms": p99 * 1e3,
        "non_2xx": failures[0],
    }


def _median_cell(runs: list[dict[str, float]]) -> dict[str, Any]:
    cell: dict[str, Any] = {
        "rps": statistics.median(r["rps"] for r in runs),
        "p99_ms": statistics.median(r["p99_ms"] for r in runs),
        "non_2xx": sum(int(r["non_2xx"]) for r in runs),
        "rounds": [round(r["rps"]) for r in runs],
    }
    cpu = [r["cpu_us"] for r in runs if r.get("cpu_us")]
    if cpu:
        cell["cpu_us"] = statistics.median(cpu)
    return cell


def _prepare_all(
    servers: dict[tuple[str, str], Server],
    frameworks: list[str],
    scenarios: list[str],
    table: dict[str, dict[str, Any]],
) -> dict[tuple[str, str], dict[str, str]]:
    """Wait for every server and check every cell; failures go in ``table``."""
    ready: dict[tuple[str, str], dict[str, str]] = {}
    for sc in scenarios:
        cell = PATHS[sc]
        for fw in frameworks:
            server = servers.get((fw, cell.kind))
            if server is None:
                continue
            if not server.wait_ready(cell.path):
                table[sc][fw] = {"error": f"did not start; see {server.log.name}"}
                continue
            try:
                ready[(sc, fw)] = prepare(server.port, cell)
            except (OSError, RuntimeError) as exc:
                table[sc][fw] = {"error": str(exc)}
    return ready


def _load(
    server: Server,
    sc: str,
    headers: dict[str, str],
    seconds: float,
    conns: int,
    tool: str,
    load_cores: set[int] | None = None,
) -> dict[str, float]:
    """One load run, plus the server's CPU µs per request during it."""
    before = tree_cpu(server.proc.pid)
    if tool == "wrk":
        url = f"http://127.0.0.1:{server.port}{PATHS[sc].path}"
        got = _wrk(url, seconds, conns, headers, load_cores)
    else:
        got = _pyload(server.port, PATHS[sc].path, seconds, conns, headers)
    used = tree_cpu(server.proc.pid) - before
    if used > 0 and got["requests"]:
        got["cpu_us"] = used * 1e6 / got["requests"]
    return got


def _add_ratios(table: dict[str, dict[str, Any]]) -> None:
    for row in table.values():
        flask = row.get("flask", {}).get("rps")
        raw = row.get("raw", {}).get("rps")
        for cell in row.values():
            if "rps" in cell and flask:
                cell["vs_flask"] = cell["rps"] / flask
            if "rps" in cell and raw:
                cell["vs_raw"] = cell["rps"] / raw
        flask_cpu = row.get("flask", {}).get("cpu_us")
        raw_cpu = row.get("raw", {}).get("cpu_us")
        for cell in row.values():
            if cell.get("cpu_us") and flask_cpu:
                cell["cpu_vs_flask"] = flask_cpu / cell["cpu_us"]
            if cell.get("cpu_us") and raw_cpu:
                cell["cpu_vs_raw"] = raw_cpu / cell["cpu_us"]


def _run_server(
    label: str,
    frameworks: list[str],
    scenarios: list[str],
    seconds: float,
    connections: int,
    rounds: int,
    tool: str,
    say: Any,
) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {sc: {} for sc in scenarios}
    wanted = {
        (fw, PATHS[sc].kind)
        for sc in scenarios
        for fw in frameworks
        if PATHS[sc].kind == "plain" or fw in BATTERY_APPS
    }
    split = cpu_split() if SERVERS[label].pinned else None
    server_cores, load_cores = split or (None, None)
    servers = {key: Server(label, *key, server_cores) for key in sorted(wanted)}
    try:
        ready = _prepare_all(servers, frameworks, scenarios, table)
        runs: dict[tuple[str, str], list[dict[str, float]]] = {k: [] for k in ready}
        for rnd in range(rounds):
            for sc in scenarios:
                fws = [fw for fw in frameworks if (sc, fw) in ready]
                shift = rnd % len(fws) if fws else 0
                for fw in fws[shift:] + fws[:shift]:
                    server = servers[(fw, PATHS[sc].kind)]
                    try:
                        got = _load(
                            server,
                            sc,
                            ready[(sc, fw)],
                            seconds,
                            connections,
                            tool,
                            load_cores,
                        )
                    except (RuntimeError, subprocess.TimeoutExpired) as exc:
                        table[sc][fw] = {"error": str(exc)}
                        ready.pop((sc, fw))
                        continue
                    runs[(sc, fw)].append(got)
            say(f"  e2e: {label} round {rnd + 1}/{rounds} done")
        for (sc, fw), got in runs.items():
            if (sc, fw) in ready and got:
                table[sc][fw] = _median_cell(got)
    finally:
        for server in servers.values():
            server.stop()
    _add_ratios(table)
    return table


def run_e2e(
    frameworks: list[str],
    scenarios: list[str],
    seconds: float,
    connections: int,
    say: Any,
    rounds: int = 1,
    servers: list[str] | None = None,
) -> dict[str, Any]:
    """``{"servers": {label: {scenario: {framework: cell}}}}`` plus settings."""
    tool = "wrk" if shutil.which("wrk") else "python"
    if tool != "wrk":
        say(
            "  e2e: wrk not found (apt-get install -y wrk): a Python load generator"
            " stands in, and needs more CPU than the fastest servers"
        )
    fws = [fw for fw in frameworks if fw in E2E_FRAMEWORKS]
    results: dict[str, Any] = {
        "tool": tool,
        "seconds": seconds,
        "connections": connections,
        "rounds": rounds,
        "workers": WORKERS,
        "servers": {},
    }
    split = cpu_split()
    for label in servers or list(SERVERS):
        if SERVERS[label].pinned:
            if split is None:
                say(f"  e2e: {label}: skipped (needs two cores and CPU affinity)")
                continue
            results["pinned"] = {
                "server_cores": len(split[0]),
                "load_cores": len(split[1]),
            }
        say(f"  e2e: {label}: {', '.join(fws)} × {', '.join(scenarios)}")
        results["servers"][label] = _run_server(
            label, fws, scenarios, seconds, connections, rounds, tool, say
        )
    return results
