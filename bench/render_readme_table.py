"""Print the README's performance section from a results file.

    python bench/render_readme_table.py [RESULTS.json ...]

Without arguments it takes the newest results file with timings and the newest
with instruction counts from ``bench/results/`` (one full run has both; a full
run outranks a newer ``--quick`` one).

The table is the speed-up over Flask per scenario (from the interleaved
wall-clock run) and, when the file has them, instructions per request.  The
output is Markdown to paste between the README's performance markers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from bench import report  # noqa: E402


def render(data: dict[str, Any]) -> str:
    m = data["machine"]
    versions = data.get("versions", {})
    peers = ", ".join(
        f"{name} {versions[name]}"
        for name in ("flask", "werkzeug", "bottle", "falcon")
        if name in versions
    )
    lines = [
        "### Performance",
        "",
        f"Measured {data['created']} on {m['cpu']} ({m['cores']} cores), "
        f"{data['python']}; {peers}. Same app in every framework, called in-process "
        "through WSGI, responses verified before timing; slices interleaved across "
        "frameworks. Speed-up over Flask (higher is faster), median µs per request "
        "in brackets; `raw` is a bare stdlib WSGI app.",
        "",
    ]
    if data.get("timed"):
        lines += report.ratio_table(data["timed"], data.get("geomean", {}))
        lines.append("")
    for key, label in report.BATTERY_TABLES:
        if data.get(key):
            lines += [
                f"With the batteries ({label}): `auth_db` (logged-in user loaded "
                "by id) and `db_row` (one row by primary key) — erlen.auth + "
                "erlen.db vs Flask + Flask-Login + Flask-SQLAlchemy, Django, and "
                "a stdlib sqlite3/psycopg floor:",
                "",
                *report.ratio_table(data[key], {}),
                "",
            ]
    if data.get("e2e", {}).get("servers"):
        e2e = data["e2e"]
        lines += [
            "End to end on loopback. gunicorn parses HTTP in Python and caps "
            "every framework; granian (Rust) leaves the framework's cost "
            "visible. " + report.e2e_load_text(e2e),
            "",
            *report.e2e_table(e2e),
            "",
            "Server CPU µs per request in the same run (robust to a busy "
            "machine; throughput on an idle one is proportional to its inverse):",
            "",
            *report.e2e_cpu_table(e2e),
            "",
        ]
    if data.get("instructions"):
        lines += ["Instructions per request (callgrind, stable from run to run):", ""]
        lines += report.instructions_section(data["instructions"])[2:]
        lines.append("")
    lines.append(
        "Reproduce: `scripts/bench` (full) or `scripts/bench --quick`; "
        "see bench/README.md."
    )
    return "\n".join(lines) + "\n"


def newest(paths: list[Path]) -> dict[str, Any]:
    """Merge the newest timed part and the newest instructions part of ``paths``."""
    merged: dict[str, Any] = {}
    loaded = [(path, json.loads(path.read_text())) for path in paths]
    # A full run outranks a newer --quick one; among equals, the newest wins.
    loaded.sort(key=lambda pd: (not pd[1]["mode"].startswith("quick"), pd[0].name))
    for _path, data in loaded:
        for key in ("timed", "instructions", "batteries", "batteries_pg", "e2e"):
            if data.get(key):
                merged[key] = data[key]
                if key == "timed":
                    merged["geomean"] = data.get("geomean", {})
                for meta in ("created", "machine", "python", "versions"):
                    merged[meta] = data[meta]
    return merged


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv[1:]]
    if not paths:
        paths = [
            p for p in (HERE / "results").glob("*.json") if p.name != "latest.json"
        ]
    if not paths:
        sys.exit("no results yet: run scripts/bench first")
    sys.stdout.write(render(newest(paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
