"""``import erlen`` must never pull in Werkzeug or Flask.

The machine running the tests may have both installed (the benchmark compares
against them), so the check runs in a fresh interpreter and reads sys.modules.
"""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("werkzeug", "flask")


def _modules_after(code: str) -> list[str]:
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def _forbidden(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in FORBIDDEN]


def test_import_erlen_loads_no_werkzeug_or_flask() -> None:
    modules = _modules_after("import erlen")
    assert "erlen" in modules
    assert _forbidden(modules) == []


def test_a_full_request_loads_no_werkzeug_or_flask() -> None:
    code = """
from erlen import Erlen, request, jsonify, session
app = Erlen("iso", root_path=".")
app.secret_key = "k"

@app.post("/items")
def create():
    session["n"] = 1
    return jsonify(request.get_json())

c = app.test_client()
assert c.post("/items", json={"a": 1}).get_json() == {"a": 1}
assert c.get("/missing").status_code == 404
"""
    assert _forbidden(_modules_after(code)) == []


def test_the_forbidden_check_would_notice() -> None:
    # Guards the test itself: a module named like werkzeug is caught.
    assert _forbidden(["werkzeug.routing", "flask", "erlen", "flask_sqlalchemy"]) == [
        "werkzeug.routing",
        "flask",
    ]
