"""Command line of the benchmark suite (``scripts/bench`` runs ``python -m bench.run``).

With no part selected it runs everything: interleaved timing, instruction counts,
route scaling and end to end.  Results go to ``bench/results/`` as JSON and
Markdown, timestamped, plus ``latest.json``/``latest.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench import e2e
from bench import instructions
from bench import report
from bench import scaling
from bench import timed
from bench.apps.dbsetup import pg_reachable
from bench.scenarios import BATTERIES
from bench.scenarios import BATTERIES_PG
from bench.scenarios import BATTERY_FRAMEWORKS
from bench.scenarios import CHECKED
from bench.scenarios import COMMON
from bench.scenarios import SCALING
from bench.scenarios import SCENARIOS
from bench.scenarios import VALIDATED
from bench.scenarios import VALIDATED_FRAMEWORKS
from bench.worker import FRAMEWORKS

RESULTS = timed.ROOT / "bench" / "results"
BASELINE = timed.ROOT / "bench" / "baseline.json"
TOLERANCE = 0.05

FULL = {
    "repeats": 7,
    "slice_s": 0.2,
    "instr_n": 300,
    "scale_repeats": 5,
    "e2e_s": 2.0,
    "e2e_rounds": 3,
}
QUICK = {
    "repeats": 3,
    "slice_s": 0.04,
    "instr_n": 100,
    "scale_repeats": 3,
    "e2e_s": 1.0,
    "e2e_rounds": 1,
}


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "load_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    p.add_argument(
        "--quick", action="store_true", help="short settings (under a minute)"
    )
    p.add_argument("--timed", action="store_true", help="interleaved wall-clock timing")
    p.add_argument("--instructions", action="store_true", help="callgrind counts")
    p.add_argument("--scaling", action="store_true", help="route count, import, memory")
    p.add_argument("--e2e", action="store_true", help="gunicorn and granian under wrk")
    p.add_argument(
        "--servers",
        default="",
        help=f"end-to-end servers, comma-separated (default: {', '.join(e2e.SERVERS)})",
    )
    p.add_argument(
        "--batteries",
        action="store_true",
        help="auth_db and db_row: erlen, Flask + extensions, Django, raw (SQLite)",
    )
    p.add_argument(
        "--pg",
        action="store_true",
        help="with --batteries: also on PostgreSQL 127.0.0.1:5432 (skipped if down)",
    )
    p.add_argument(
        "--validated",
        action="store_true",
        help="validated_json: erlen, Flask + flask-pydantic, FastAPI (in-process ASGI)",
    )
    p.add_argument("--check", action="store_true", help="erlen vs bench/baseline.json")
    p.add_argument(
        "--update-baseline", action="store_true", help="rewrite the baseline"
    )
    p.add_argument("--frameworks", default=",".join(FRAMEWORKS), help="comma-separated")
    p.add_argument("--scenarios", default="", help="comma-separated (default: all)")
    p.add_argument("--repeats", type=int, help="timed rounds")
    p.add_argument("--slice", type=float, help="seconds per timed slice")
    p.add_argument("-n", "--requests", type=int, help="requests per callgrind phase")
    p.add_argument("--jobs", type=int, default=2, help="valgrind processes at once")
    return p.parse_args(argv)


def write_results(data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    text = json.dumps(data, indent=1, sort_keys=False) + "\n"
    md = report.render(data)
    base = RESULTS / f"{stamp}-{data['mode']}"
    for path, content in [
        (base.with_suffix(".json"), text),
        (base.with_suffix(".md"), md),
        (RESULTS / "latest.json", text),
        (RESULTS / "latest.md", md),
    ]:
        path.write_text(content)
    return base.with_suffix(".md")


def check(args: argparse.Namespace, update: bool) -> int:
    """Count ``CHECKED`` for erlen; compare with (or rewrite) the baseline."""
    if shutil.which("valgrind") is None:
        say("valgrind not found (apt-get install -y valgrind)")
        return 2
    baseline: dict[str, Any] = (
        json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    )
    n = int(args.requests or baseline.get("n") or FULL["instr_n"])
    fws = list(FRAMEWORKS) + ["django"] if update else ["erlen"]
    # --scenarios narrows the check, or the update (merged into the baseline).
    checked = [s for s in args.scenarios.split(",") if s] or CHECKED
    say(f"counting instructions ({n} requests per phase): {', '.join(fws)}")
    cells = instructions.count_all(fws, checked, n, args.jobs, say)
    got = {
        sc: {fw: c.get("per_request") for fw, c in row.items()}
        for sc, row in cells.items()
    }
    failed = [
        (sc, fw, c)
        for sc, row in cells.items()
        for fw, c in row.items()
        if not c.get("ok") and not str((c.get("errors") or [""])[0]).startswith("SKIP")
    ]
    for sc, fw, c in failed:
        say(f"FAIL {fw} {sc}: {(c.get('errors') or ['?'])[0].strip().splitlines()[-1]}")
    if update:
        if any(fw == "erlen" for _, fw, _ in failed):
            say("not writing a baseline: erlen failed verification")
            return 1
        if checked != CHECKED:  # a partial update keeps the other rows
            got = {**baseline.get("instructions", {}), **got}
        got = {sc: {fw: c for fw, c in row.items() if c} for sc, row in got.items()}
        data = {
            "note": "instructions per request (callgrind); "
            "scripts/bench --check fails on a rise > 5%",
            "python": platform.python_version(),
            "n": n,
            "instructions": got,
        }
        BASELINE.write_text(json.dumps(data, indent=1) + "\n")
        say(f"wrote {BASELINE}")
        print(report.render_check(got, {}))
        return 0
    if failed:
        return 1
    old = baseline.get("instructions", {})
    print(report.render_check(got, old))
    worse = []
    for sc in checked:
        before = old.get(sc, {}).get("erlen")
        now = got[sc]["erlen"]
        if before is None:
            worse.append(f"{sc}: no baseline (run scripts/bench --update-baseline)")
        elif now > before * (1 + TOLERANCE):
            worse.append(
                f"{sc}: {now:,} vs {before:,} (+{(now / before - 1) * 100:.1f}%)"
            )
    if baseline.get("python") and baseline["python"] != platform.python_version():
        say(
            f"note: baseline made on Python {baseline['python']}, "
            f"this is {platform.python_version()}"
        )
    for line in worse:
        say(f"REGRESSION {line}")
    say("check: " + ("FAILED" if worse else "ok (within 5% of the baseline)"))
    return 1 if worse else 0


def _part(data: dict[str, Any], name: str, fn: Any, *args: Any) -> None:
    """Run one part; a crash is recorded in the results, and the rest still runs."""
    try:
        result = fn(*args)
    except Exception:
        say(f"{name}: crashed\n{traceback.format_exc()}")
        data.setdefault("crashed", {})[name] = traceback.format_exc(limit=-4)
        return
    if isinstance(result, dict) and set(result) >= {"_parts"}:
        data.update(result["_parts"])
    else:
        data[name] = result


def _timed(
    workers: dict[str, timed.WorkerProc], scenarios: list[str], cfg: dict[str, float]
) -> dict[str, Any]:
    say(
        f"timed: {len(scenarios)} scenarios × {len(workers)} frameworks "
        f"× {cfg['repeats']} rounds"
    )
    cells = timed.run_timed(
        workers, scenarios, int(cfg["repeats"]), cfg["slice_s"], say
    )
    common = [s for s in COMMON if s in scenarios]
    geomean = timed.geomean_vs_flask(cells, common) if common == COMMON else {}
    return {"_parts": {"timed": cells, "geomean": geomean}}


def _batteries(
    frameworks: list[str], pg: bool, cfg: dict[str, float]
) -> dict[str, Any]:
    """auth_db and db_row in workers of their own (Django joins only here)."""
    fws = [fw for fw in BATTERY_FRAMEWORKS if fw in frameworks or fw == "django"]
    out: dict[str, Any] = {}
    tables = [("batteries", [s.name for s in BATTERIES])]
    if pg and pg_reachable():
        tables.append(("batteries_pg", [s.name for s in BATTERIES_PG]))
    elif pg:
        say("batteries: PostgreSQL unreachable on 127.0.0.1:5432, table skipped")
        out["batteries_pg_skipped"] = "PostgreSQL unreachable on 127.0.0.1:5432"
    for key, scenarios in tables:
        say(f"{key}: starting workers: {', '.join(fws)}")
        workers, _status = timed.start_workers(fws, say)
        try:
            out[key] = timed.run_timed(
                workers, scenarios, int(cfg["repeats"]), cfg["slice_s"], say
            )
        finally:
            for w in workers.values():
                w.close()
    return {"_parts": out}


def _validated(frameworks: list[str], cfg: dict[str, float]) -> dict[str, Any]:
    """validated_json(_dc) in workers of their own (FastAPI joins only here)."""
    fws = [f for f in VALIDATED_FRAMEWORKS if f in frameworks or f == "fastapi"]
    say(f"validated: starting workers: {', '.join(fws)}")
    workers, status = timed.start_workers(fws, say)
    versions: dict[str, str] = {}
    for st in status.values():
        versions.update(st.get("versions", {}))
    try:
        cells = timed.run_timed(
            workers,
            [s.name for s in VALIDATED],
            int(cfg["repeats"]),
            cfg["slice_s"],
            say,
        )
    finally:
        for w in workers.values():
            w.close()
    return {"_parts": {"validated": cells, "validated_versions": versions}}


def _peer_parts(
    data: dict[str, Any],
    parts: set[str],
    frameworks: list[str],
    pg: bool,
    cfg: dict[str, float],
) -> None:
    """The parts with peers of their own: batteries (Django), validated (FastAPI)."""
    if "batteries" in parts:
        _part(data, "batteries", _batteries, frameworks, pg, cfg)
    if "validated" in parts:
        _part(data, "validated", _validated, frameworks, cfg)


def _scaling(
    workers: dict[str, timed.WorkerProc], cfg: dict[str, float]
) -> dict[str, Any]:
    say("scaling: route counts")
    cells = timed.run_timed(
        workers,
        [s.name for s in SCALING],
        int(cfg["scale_repeats"]),
        cfg["slice_s"] / 2,
        say,
    )
    return {
        "_parts": {"scaling_timed": cells, "scaling": scaling.measure(workers, say)}
    }


def _e2e(
    args: argparse.Namespace, frameworks: list[str], cfg: dict[str, float]
) -> dict[str, Any]:
    say("end to end: gunicorn and granian")
    wanted = [s for s in args.scenarios.split(",") if s]
    return e2e.run_e2e(
        frameworks,
        [s for s in e2e.PATHS if not wanted or s in wanted],
        cfg["e2e_s"],
        16,
        say,
        int(cfg["e2e_rounds"]),
        [s for s in args.servers.split(",") if s] or None,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.check or args.update_baseline:
        return check(args, args.update_baseline)
    every = ("timed", "instructions", "scaling", "e2e", "batteries", "validated")
    parts = {p for p in every if getattr(args, p)}
    if not parts:
        parts = {"timed", "batteries", "validated"} if args.quick else set(every)
    cfg = dict(QUICK if args.quick else FULL)
    if args.repeats:
        cfg["repeats"] = args.repeats
    if args.slice:
        cfg["slice_s"] = args.slice
    if args.requests:
        cfg["instr_n"] = args.requests
    frameworks = [fw for fw in args.frameworks.split(",") if fw]
    names = [s.name for s in SCENARIOS]
    scenarios = [s for s in args.scenarios.split(",") if s] or names
    mode = ("quick-" if args.quick else "") + "+".join(sorted(parts))
    data: dict[str, Any] = {
        "created": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "mode": mode,
        "machine": machine(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "settings": cfg,
        "versions": {},
    }
    started = time.monotonic()
    core_parts = parts & {"timed", "scaling", "instructions", "e2e"}
    say(f"starting workers: {', '.join(frameworks)}")
    workers, status = timed.start_workers(frameworks if core_parts else [], say)
    data["frameworks"] = status
    for st in status.values():
        data["versions"].update(st.get("versions", {}))
    live = list(workers)
    try:
        if "timed" in parts:
            _part(data, "timed", _timed, workers, scenarios, cfg)
        if "scaling" in parts:
            _part(data, "scaling", _scaling, workers, cfg)
    finally:
        for w in workers.values():
            w.close()
    _peer_parts(data, parts, frameworks, args.pg, cfg)
    if "instructions" in parts and shutil.which("valgrind") is None:
        say("instructions: skipped, valgrind not found (apt-get install -y valgrind)")
    elif "instructions" in parts:
        if not args.scenarios:  # upload/static under valgrind only when asked for
            scenarios = [s for s in scenarios if s in COMMON]
        say(
            f"instructions: {len(scenarios)} scenarios × {len(live)} frameworks, "
            f"n={cfg['instr_n']}"
        )
        _part(
            data,
            "instructions",
            instructions.count_all,
            live,
            scenarios,
            int(cfg["instr_n"]),
            args.jobs,
            say,
        )
    if "e2e" in parts:
        _part(data, "e2e", _e2e, args, live, cfg)
    data["machine"]["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    data["elapsed_s"] = round(time.monotonic() - started, 1)
    path = write_results(data)
    print(report.render(data))
    say(f"wrote {path} and {RESULTS / 'latest.json'} in {data['elapsed_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
