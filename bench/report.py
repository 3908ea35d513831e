"""Render a results dict (as saved in ``bench/results/*.json``) as Markdown."""

from __future__ import annotations

from typing import Any

ORDER = ["erlen", "flask", "bottle", "falcon", "django", "raw"]


def _frameworks(table: dict[str, dict[str, Any]]) -> list[str]:
    seen = {fw for row in table.values() for fw in row}
    return [fw for fw in ORDER if fw in seen] + sorted(seen - set(ORDER))


def _bad(cell: dict[str, Any] | None) -> str:
    """How a cell without a result shows: empty, ``skip`` (by design) or ``FAIL``."""
    if not cell:
        return ""
    errors = cell.get("errors") or [""]
    return "skip" if str(errors[0]).startswith("SKIPPED") else "FAIL"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def ratio_table(
    timed: dict[str, dict[str, Any]], geomean: dict[str, float]
) -> list[str]:
    """Speed-up over Flask per scenario (higher is faster), with µs/request."""
    fws = _frameworks(timed)
    lines = [_row(["scenario", *fws]), _row(["---"] + ["---:"] * len(fws))]
    for sc, row in timed.items():
        cells = []
        for fw in fws:
            cell = row.get(fw)
            if cell is None:
                cells.append("")
            elif not cell.get("ok"):
                cells.append(_bad(cell))
            else:
                ratio = cell.get("vs_flask")
                r = f"{ratio:.2f}×" if ratio else "—"
                cells.append(f"{r} ({cell['median_us']:.1f} µs)")
        lines.append(_row([sc, *cells]))
    if geomean:
        lines.append(
            _row(
                [
                    "**geomean (10 common)**",
                    *[f"**{geomean[fw]:.2f}×**" if fw in geomean else "" for fw in fws],
                ]
            )
        )
    return lines


def timed_section(data: dict[str, Any]) -> list[str]:
    timed = data["timed"]
    fws = _frameworks(timed)
    lines = [
        "## In-process, wall clock",
        "",
        "Speed-up over Flask (higher is faster) and median µs per request:",
        "",
        *ratio_table(timed, data.get("geomean", {})),
        "",
        "Detail: median / min µs per request, requests/s on one core:",
        "",
        _row(["scenario", *fws]),
        _row(["---"] + ["---:"] * len(fws)),
    ]
    for sc, row in timed.items():
        cells = []
        for fw in fws:
            cell = row.get(fw, {})
            if cell.get("ok"):
                cells.append(
                    f"{cell['median_us']:.1f} / {cell['min_us']:.1f} µs, "
                    f"{cell['rps']:,.0f}/s"
                )
            else:
                cells.append(_bad(cell))
        lines.append(_row([sc, *cells]))
    return lines


BATTERY_TABLES = [
    ("batteries", "SQLite file"),
    ("batteries_pg", "PostgreSQL on 127.0.0.1"),
]


def batteries_section(data: dict[str, Any]) -> list[str]:
    """auth_db and db_row: erlen (erlen.auth + erlen.db) vs Flask + Flask-Login +
    Flask-SQLAlchemy, Django (contrib.auth + ORM) and a stdlib floor."""
    lines = ["## Batteries: logged-in user and one row (issue 12)", ""]
    for key, label in BATTERY_TABLES:
        if data.get(key):
            lines += [f"{label} — speed-up over Flask + extensions (median µs):", ""]
            lines += ratio_table(data[key], {}) + [""]
    if data.get("batteries_pg_skipped"):
        lines += [f"PostgreSQL table skipped: {data['batteries_pg_skipped']}", ""]
    return lines


def validated_section(data: dict[str, Any]) -> list[str]:
    """validated_json: a typed JSON endpoint, erlen vs Flask + flask-pydantic and
    FastAPI (called in-process over ASGI, one event-loop run per slice)."""
    return [
        "## Validated JSON endpoint (issue 14)",
        "",
        "POST an order (nested lines) validated against a model, answer a receipt"
        " model. Speed-up over Flask + flask-pydantic (median µs). FastAPI is ASGI:"
        " it is called in-process through bench/asgi.py, not through WSGI.",
        "",
        *ratio_table(data["validated"], {}),
        "",
        "Versions: "
        + ", ".join(
            f"{k} {v}" for k, v in sorted(data.get("validated_versions", {}).items())
        ),
        "",
    ]


def instructions_section(instr: dict[str, dict[str, Any]]) -> list[str]:
    fws = _frameworks(instr)
    lines = [
        "## Instructions per request (callgrind)",
        "",
        _row(["scenario", *fws]),
        _row(["---"] + ["---:"] * len(fws)),
    ]
    for sc, row in instr.items():
        cells = []
        for fw in fws:
            cell = row.get(fw, {})
            cells.append(f"{cell['per_request']:,}" if cell.get("ok") else _bad(cell))
        lines.append(_row([sc, *cells]))
    return lines


def scaling_section(data: dict[str, Any]) -> list[str]:
    scaling = data["scaling"]
    fws = [fw for fw in ORDER if fw in scaling]
    lines = [
        "## Scaling",
        "",
        _row(["measure", *fws]),
        _row(["---"] + ["---:"] * len(fws)),
    ]
    for key, label, fmt in [
        ("register_1000_ms", "register 1,000 rules + first request", "{:.1f} ms"),
        ("memory_1000_kib", "memory of an app with 1,000 rules", "{:,.0f} KiB"),
        ("import_ms", "import time (-X importtime)", "{:.1f} ms"),
    ]:
        cells = []
        for fw in fws:
            value = scaling[fw].get(key)
            cells.append(fmt.format(value) if value is not None else "—")
        lines.append(_row([label, *cells]))
    routes = data.get("scaling_timed")
    if routes:
        lines += ["", "µs per request for the last of N rules (median):", ""]
        rfws = _frameworks(routes)
        lines += [_row(["rules", *rfws]), _row(["---"] + ["---:"] * len(rfws))]
        for sc, row in routes.items():
            cells = [
                f"{row[fw]['median_us']:.1f}"
                if row.get(fw, {}).get("ok")
                else _bad(row.get(fw))
                for fw in rfws
            ]
            lines.append(_row([sc.replace("scale_", ""), *cells]))
    return lines


def _e2e_cell(cell: dict[str, Any]) -> str:
    if "rps" not in cell:
        return "FAIL"
    bad = f", {cell['non_2xx']} non-2xx" if cell.get("non_2xx") else ""
    return f"{cell['rps']:,.0f} ({cell['p99_ms']:.1f}){bad}"


def _e2e_frameworks(servers: dict[str, Any]) -> list[str]:
    """The frameworks that ran on any server, in the report's column order."""
    return [
        fw
        for fw in ("erlen", "flask", "falcon", "bottle", "raw")
        if any(fw in row for table in servers.values() for row in table.values())
    ]


def e2e_table(e2e: dict[str, Any]) -> list[str]:
    """One row per server and scenario: req/s (p99 ms), then erlen's ratios."""
    servers = e2e.get("servers") or {
        f"gunicorn {k}": e2e[k] for k in ("sync", "gthread") if e2e.get(k)
    }
    fws = _e2e_frameworks(servers)
    head = ["server", "scenario", *fws, "erlen ÷ flask", "erlen ÷ raw"]
    lines = [_row(head), _row(["---", "---"] + ["---:"] * (len(head) - 2))]
    for label, table in servers.items():
        for sc, row in table.items():
            erlen = row.get("erlen", {})
            ratios = [
                f"{erlen[key]:.2f}×" if key in erlen else "–"
                for key in ("vs_flask", "vs_raw")
            ]
            cells = [_e2e_cell(row[fw]) if fw in row else "–" for fw in fws]
            lines.append(_row([label, sc, *cells, *ratios]))
    return lines


def e2e_cpu_table(e2e: dict[str, Any]) -> list[str]:
    """Server CPU µs per request (all its processes), then erlen's speed-ups."""
    servers = e2e.get("servers") or {}
    fws = _e2e_frameworks(servers)
    head = ["server", "scenario", *fws, "flask ÷ erlen", "raw ÷ erlen"]
    lines = [_row(head), _row(["---", "---"] + ["---:"] * (len(head) - 2))]
    for label, table in servers.items():
        for sc, row in table.items():
            erlen = row.get("erlen", {})
            ratios = [
                f"{erlen[key]:.2f}×" if key in erlen else "–"
                for key in ("cpu_vs_flask", "cpu_vs_raw")
            ]
            cells = [
                f"{row[fw]['cpu_us']:.0f}" if row.get(fw, {}).get("cpu_us") else "–"
                for fw in fws
            ]
            lines.append(_row([label, sc, *cells, *ratios]))
    return lines


def e2e_load_text(e2e: dict[str, Any]) -> str:
    """How the end-to-end load was generated, for the tables' caption."""
    rounds = e2e.get("rounds", 1)
    text = (
        f"Load: {e2e['tool']} -t1 -c{e2e['connections']}, {e2e['seconds']:g} s per "
        f"cell, median of {rounds} interleaved round(s); "
        f"{e2e.get('workers', 2)} workers per server. Requests/s (p99 latency in "
        "ms); `raw` is the server's ceiling. wrk and the workers share the "
        "machine's cores"
    )
    pinned = e2e.get("pinned")
    if pinned:
        text += (
            f", except in the `granian pinned` rows: wrk on a core of its own, "
            f"the server on the other {pinned['server_cores']} with one worker "
            "per core, as with the load generator on another machine"
        )
    return text + "."


def e2e_section(e2e: dict[str, Any]) -> list[str]:
    return [
        "## End to end (loopback, wrk)",
        "",
        e2e_load_text(e2e),
        "",
        *e2e_table(e2e),
        "",
        "Server CPU time per request (µs, user + system of all the server's "
        "processes during the load, median over rounds): what the req/s would "
        "be proportional to on an idle machine with the load generator elsewhere.",
        "",
        *e2e_cpu_table(e2e),
        "",
    ]


def failures_section(data: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    skipped: set[str] = set()
    for part in (
        "timed",
        "instructions",
        "scaling_timed",
        "batteries",
        "batteries_pg",
        "validated",
    ):
        for sc, row in (data.get(part) or {}).items():
            for fw, cell in row.items():
                if isinstance(cell, dict) and cell.get("ok") is False:
                    first = (cell.get("errors") or ["?"])[0].strip().splitlines()
                    if _bad(cell) == "skip":
                        skipped.add(f"- {fw} · {sc}: {first[-1][9:]}")
                        continue
                    lines.append(
                        f"- {part} · {fw} · {sc}: {first[-1] if first else '?'}"
                    )
    for fw, st in (data.get("frameworks") or {}).items():
        if not st.get("ok"):
            last = st.get("error", "").strip().splitlines()[-1:] or ["?"]
            lines.append(f"- {fw} could not be loaded: {last[0]}")
    for part, trace in (data.get("crashed") or {}).items():
        last = trace.strip().splitlines()[-1:] or ["?"]
        lines.append(f"- the {part} part crashed: {last[0]}")
    out = ["## Failed verification (not timed)", "", *lines, ""] if lines else []
    if skipped:
        out += ["## Skipped by design", "", *sorted(skipped)]
    return out


def render(data: dict[str, Any]) -> str:
    """The whole results file as Markdown."""
    m = data["machine"]
    lines = [
        f"# erlen benchmark — {data['created']} ({data['mode']})",
        "",
        f"Machine: {m['cpu']} × {m['cores']} cores, {m['platform']}; "
        "load average at start "
        f"{m['load_start']}, at end {m.get('load_end', '?')}.",
        f"Python {data['python']}. Versions: "
        + ", ".join(f"{k} {v}" for k, v in sorted(data.get("versions", {}).items())),
        "",
    ]
    settings = data.get("settings", {})
    if settings:
        lines += ["Settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()), ""]
    if data.get("timed"):
        lines += timed_section(data) + [""]
    if data.get("batteries"):
        lines += batteries_section(data)
    if data.get("validated"):
        lines += validated_section(data)
    if data.get("instructions"):
        lines += instructions_section(data["instructions"]) + [""]
    if data.get("scaling"):
        lines += scaling_section(data) + [""]
    if data.get("e2e"):
        lines += e2e_section(data["e2e"]) + [""]
    lines += failures_section(data)
    return "\n".join(lines).rstrip() + "\n"


def render_check(got: dict[str, dict[str, Any]], old: dict[str, dict[str, Any]]) -> str:
    """The regression check's table: counts now, and the baseline's for erlen."""
    fws = [fw for fw in ORDER if any(fw in row for row in got.values())]
    head = ["scenario", *fws] + (["erlen baseline", "change"] if old else [])
    lines = [_row(head), _row(["---"] + ["---:"] * (len(head) - 1))]
    for sc, row in got.items():
        cells = [
            f"{row[fw]:,}" if row.get(fw) else ("FAIL" if fw in row else "—")
            for fw in fws
        ]
        if old:
            before = old.get(sc, {}).get("erlen")
            now = row.get("erlen")
            cells.append(f"{before:,}" if before else "—")
            cells.append(f"{(now / before - 1) * 100:+.1f}%" if before and now else "—")
        lines.append(_row([sc, *cells]))
    return "\n".join(lines)
