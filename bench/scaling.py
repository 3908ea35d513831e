"""How cost grows with the app: route count, registration, import, memory.

Per-request cost with 10 … 10,000 rules reuses the interleaved timing (and,
with ``--instructions``, callgrind); the rest is measured here.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from typing import Any

from bench.timed import ROOT
from bench.timed import WorkerProc

#: The module each framework's import time is measured on.
IMPORTS: dict[str, str | None] = {
    "erlen": "erlen",
    "flask": "flask",
    "bottle": "bottle",
    "falcon": "falcon",
    "raw": None,
}


def import_time_ms(module: str, repeat: int = 5) -> float | None:
    """Median cumulative import time of ``module`` (``python -X importtime``), ms."""
    times = []
    for _ in range(repeat):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {module}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            return None
        for line in proc.stderr.splitlines():
            parts = line.split("|")
            if (
                len(parts) == 3
                and parts[2].strip() == module
                and parts[2].startswith(f" {module}")
            ):
                times.append(int(parts[1]) / 1000)
    return statistics.median(times) if times else None


def measure(workers: dict[str, WorkerProc], say: Any) -> dict[str, dict[str, Any]]:
    """Registration time and memory for 1,000 rules, and import time, per framework."""
    out: dict[str, dict[str, Any]] = {}
    for fw, w in workers.items():
        try:
            seconds = w.ask(cmd="register", routes=1000, repeat=5)["seconds"]
            memory = w.ask(cmd="memory", routes=1000)["bytes"]
            out[fw] = {
                "register_1000_ms": statistics.median(seconds) * 1000,
                "memory_1000_kib": memory / 1024,
            }
        except RuntimeError as exc:
            out[fw] = {"error": str(exc)}
        module = IMPORTS[fw]
        out[fw]["import_ms"] = import_time_ms(module) if module else None
        say(f"  scaling: {fw} done")
    return out
