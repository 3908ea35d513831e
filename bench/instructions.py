"""CPU instructions per request, counted by valgrind's callgrind.

One valgrind process per framework runs every scenario in sequence.  For each
scenario the child verifies and warms up, then serves zero requests and then N
requests, calling ``os.getsid`` (which no framework calls) between the phases;
callgrind's ``--dump-before=getsid`` writes one counter dump per phase, so

    per request = (instructions of the N-request phase - of the zero phase) / N

Unlike wall-clock time on a shared machine, these counts repeat to well under
1% from run to run, so they are what the regression check compares.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_TOTALS = re.compile(rb"^(?:totals|summary):\s*(\d+)", re.M)


def _marker() -> None:
    os.getsid(0)


def child(framework: str, n: int, scenarios: list[str]) -> None:
    """Runs under valgrind: the phases for every scenario, then a JSON report."""
    from bench import wsgi
    from bench.worker import Worker

    worker = Worker(framework, warmup=20)
    report: dict[str, Any] = {}
    for name in scenarios:
        errors = worker.verify(name)
        report[name] = {"errors": errors}
        _marker()
        if not errors:
            app, env, body = worker.ready[name]
            wsgi.run(app, env, body, 0)
            _marker()
            wsgi.run(app, env, body, n)
        else:
            _marker()
        _marker()
    print(json.dumps(report), flush=True)


def _dump_total(path: Path) -> int:
    match = _TOTALS.search(path.read_bytes())
    if match is None:
        raise RuntimeError(f"no totals in {path}")
    return int(match.group(1))


def count(framework: str, scenarios: list[str], n: int) -> dict[str, dict[str, Any]]:
    """Instructions per request for each scenario, for one framework."""
    valgrind = shutil.which("valgrind") or "/usr/bin/valgrind"
    with tempfile.TemporaryDirectory(prefix="erlen-cg-") as tmp:
        out = Path(tmp) / "cg.out"
        cmd = [
            valgrind,
            "--tool=callgrind",
            "-q",
            "--dump-before=getsid",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-m",
            "bench.instructions",
            "--child",
            framework,
            str(n),
            *scenarios,
        ]
        env = dict(os.environ, PYTHONHASHSEED="0")
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        if proc.returncode != 0 or not proc.stdout.strip():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            return {
                sc: {"ok": False, "errors": [f"valgrind run failed: {tail}"]}
                for sc in scenarios
            }
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        result: dict[str, dict[str, Any]] = {}
        for i, sc in enumerate(scenarios):
            errors = report[sc]["errors"]
            if errors:
                result[sc] = {"ok": False, "errors": errors}
                continue
            zero = _dump_total(Path(f"{out}.{3 * i + 2}"))
            full = _dump_total(Path(f"{out}.{3 * i + 3}"))
            result[sc] = {"ok": True, "per_request": round((full - zero) / n), "n": n}
        return result


def count_all(
    frameworks: list[str], scenarios: list[str], n: int, jobs: int, say: Any
) -> dict[str, dict[str, Any]]:
    """``{scenario: {framework: cell}}``; ``jobs`` valgrind processes at once."""
    cells: dict[str, dict[str, Any]] = {sc: {} for sc in scenarios}

    def one(fw: str) -> tuple[str, dict[str, dict[str, Any]]]:
        return fw, count(fw, scenarios, n)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for fw, result in pool.map(one, frameworks):
            for sc, cell in result.items():
                cells[sc][fw] = cell
            say(f"  instructions: {fw} done")
    return cells


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    else:
        sys.exit("usage: python -m bench.instructions --child FRAMEWORK N SCENARIO...")
