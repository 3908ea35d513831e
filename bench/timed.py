"""Interleaved wall-clock timing: every framework runs one slice per scenario per round.

Only one worker runs at a time, and the order of frameworks rotates from one
slice to the next, so noise from other work on a shared machine is spread over
all frameworks alike.  Numbers are µs per request (median and min of slices).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "bench" / "results" / "tmp"


class WorkerProc:
    """A framework's worker process, spoken to in JSON lines."""

    def __init__(self, framework: str) -> None:
        self.framework = framework
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log = open(LOGS / f"worker-{framework}.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.worker", framework],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.hello = self._read()

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            return {"ok": False, "error": f"worker exited; see {self.log.name}"}
        reply: dict[str, Any] = json.loads(line)
        return reply

    def ask(self, **msg: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        reply = self._read()
        if "error" in reply:
            raise RuntimeError(f"{self.framework}: {reply['error']}")
        return reply

    def close(self) -> None:
        if self.proc.poll() is None and self.proc.stdin is not None:
            try:
                self.proc.stdin.write('{"cmd": "quit"}\n')
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def start_workers(
    frameworks: list[str], say: Any
) -> tuple[dict[str, WorkerProc], dict[str, Any]]:
    """Start the workers; return the live ones and each framework's status."""
    workers: dict[str, WorkerProc] = {}
    status: dict[str, Any] = {}
    for fw in frameworks:
        w = WorkerProc(fw)
        if w.hello.get("ok"):
            workers[fw] = w
            status[fw] = {"ok": True, "versions": w.hello["versions"]}
        else:
            last = w.hello.get("error", "").strip().splitlines()[-1:]
            say(f"  {fw}: unavailable: {last}")
            status[fw] = {"ok": False, "error": w.hello.get("error", "")}
            w.close()
    return workers, status


def run_timed(
    workers: dict[str, WorkerProc],
    scenarios: list[str],
    repeats: int,
    target: float,
    say: Any,
) -> dict[str, dict[str, Any]]:
    """Verify every cell, then time the verified ones in rotating order."""
    cells: dict[str, dict[str, Any]] = {sc: {} for sc in scenarios}
    order = list(workers)
    for sc in scenarios:
        for fw in order:
            errors = workers[fw].ask(cmd="verify", scenario=sc)["errors"]
            cells[sc][fw] = {"ok": not errors, "errors": errors, "slices_us": []}
            if errors:
                if not errors[0].startswith("SKIPPED"):
                    say(f"  FAIL {fw} {sc}: {errors[0].strip().splitlines()[-1]}")
            else:
                n = workers[fw].ask(cmd="calibrate", scenario=sc, target=target)["n"]
                cells[sc][fw]["n"] = n
    for r in range(repeats):
        for si, sc in enumerate(scenarios):
            shift = (r + si) % len(order)
            for fw in order[shift:] + order[:shift]:
                cell = cells[sc][fw]
                if cell["ok"]:
                    ns = workers[fw].ask(cmd="slice", scenario=sc, n=cell["n"])["ns"]
                    cell["slices_us"].append(ns / 1e3 / cell["n"])
        say(f"  round {r + 1}/{repeats} done")
    for sc in scenarios:
        base = cells[sc].get("flask", {})
        base_median = statistics.median(base["slices_us"]) if base.get("ok") else None
        for cell in cells[sc].values():
            if not cell["ok"]:
                continue
            med = statistics.median(cell["slices_us"])
            cell["median_us"] = med
            cell["min_us"] = min(cell["slices_us"])
            cell["rps"] = 1e6 / med
            cell["vs_flask"] = base_median / med if base_median else None
    return cells


def geomean_vs_flask(
    cells: dict[str, dict[str, Any]], scenarios: list[str]
) -> dict[str, float]:
    """Geometric mean of the speed-ups over ``scenarios`` (only complete rows)."""
    out: dict[str, float] = {}
    frameworks = {fw for sc in scenarios for fw in cells.get(sc, {})}
    for fw in sorted(frameworks):
        ratios = [
            cells[sc][fw].get("vs_flask")
            for sc in scenarios
            if sc in cells and fw in cells[sc]
        ]
        if ratios and len(ratios) == len(scenarios) and all(ratios):
            out[fw] = statistics.geometric_mean([r for r in ratios if r])
    return out
