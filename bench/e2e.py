"""End to end: gunicorn on loopback under wrk (or a small Python load generator).

These numbers are bounded by the server and the client, not the framework:
gunicorn's sync worker parses HTTP in Python and closes the connection after
every response, and on a 2-core machine wrk, gunicorn's two workers and the
framework share the same cores.  Read them as "what a deployment sees", and
the in-process tables as "what the framework costs".
"""

from __future__ import annotations

import http.client
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from typing import Any

from bench.timed import LOGS
from bench.timed import ROOT
from bench.worker import FRAMEWORKS

WORKER_CLASSES = {
    "sync": ["-k", "sync", "-w", "2"],
    "gthread": ["-k", "gthread", "-w", "2", "--threads", "4"],
}
PATHS = {"plaintext": "/plaintext", "json": "/json", "template": "/template"}
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_ready(
    port: int, proc: subprocess.Popen[bytes], timeout: float = 15.0
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/plaintext")
            ok = conn.getresponse().status == 200
            conn.close()
            if ok:
                return True
        except OSError:
            time.sleep(0.1)
    return False


def _warm(port: int, path: str, requests: int = 20) -> None:
    """A few requests first, so both workers have served (and compiled) the path."""
    for _ in range(requests):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", path)
            conn.getresponse().read()
        except OSError:
            pass
        finally:
            conn.close()


def _wrk(url: str, seconds: float, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    ).stdout
    rps = re.search(r"Requests/sec:\s*([\d.]+)", out)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    errors = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    if rps is None or p99 is None:
        raise RuntimeError(f"cannot read wrk output: {out[-300:]!r}")
    return {
        "rps": float(rps.group(1)),
        "p99_ms": float(p99.group(1)) * _UNITS[p99.group(2)],
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def _pyload(port: int, path: str, seconds: float, connections: int) -> dict[str, float]:
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
                conn.request("GET", path)
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
        "rps": len(latencies) / seconds,
        "p99_ms": p99 * 1e3,
        "non_2xx": failures[0],
    }


def run_e2e(
    frameworks: list[str],
    scenarios: list[str],
    seconds: float,
    connections: int,
    say: Any,
) -> dict[str, Any]:
    """``{worker_class: {scenario: {framework: cell}}}`` plus the load tool used."""
    tool = "wrk" if shutil.which("wrk") else "python"
    results: dict[str, Any] = {
        "tool": tool,
        "seconds": seconds,
        "connections": connections,
    }
    for wclass, args in WORKER_CLASSES.items():
        table: dict[str, dict[str, Any]] = {sc: {} for sc in scenarios}
        for fw in frameworks:
            port = _free_port()
            log = open(LOGS / f"gunicorn-{fw}-{wclass}.log", "w")
            cmd = [
                sys.executable, "-m", "gunicorn", *args,
                "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
                f"{FRAMEWORKS[fw]}:create_app()",
            ]  # fmt: skip
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=log)
            try:
                if not _wait_ready(port, proc):
                    for sc in scenarios:
                        table[sc][fw] = {
                            "error": f"server did not start; see {log.name}"
                        }
                    continue
                for sc in scenarios:
                    _warm(port, PATHS[sc])
                    url = f"http://127.0.0.1:{port}{PATHS[sc]}"
                    try:
                        if tool == "wrk":
                            table[sc][fw] = _wrk(url, seconds, connections)
                        else:
                            table[sc][fw] = _pyload(
                                port, PATHS[sc], seconds, connections
                            )
                    except (RuntimeError, subprocess.TimeoutExpired) as exc:
                        table[sc][fw] = {"error": str(exc)}
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                log.close()
            say(f"  e2e: {fw} {wclass} done")
        for sc in scenarios:
            base = table[sc].get("flask", {}).get("rps")
            for cell in table[sc].values():
                if base and "rps" in cell:
                    cell["vs_flask"] = cell["rps"] / base
        results[wclass] = table
    return results
