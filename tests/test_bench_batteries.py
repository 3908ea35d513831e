"""erlen's batteries benchmark app (auth_db, db_row) answers correctly.

Same idea as ``test_bench_apps.py``: the benchmark times only verified
responses, and this runs the verification on erlen's app in the normal
suite (SQLite, no timing).
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.scenarios import BATTERIES  # noqa: E402

SOURCE = ROOT / "bench" / "apps" / "flask_batteries.py"


def test_erlen_batteries_app_is_the_flask_one_with_only_imports_changed() -> None:
    text = (ROOT / "bench" / "apps" / "erlen_batteries.py").read_text()
    namespace: dict[str, Any] = {"__file__": str(SOURCE)}
    exec(text.split("\nexec(", 1)[0], namespace)
    source = SOURCE.read_text()
    changed = [
        line[1:]
        for line in difflib.unified_diff(
            source.splitlines(),
            namespace["rewrite"](source).splitlines(),
            lineterm="",
            n=0,
        )
        if line.startswith("+") and not line.startswith("+++")
    ]
    assert changed == [
        "from erlen import Erlen",
        "from erlen import jsonify",
        "from erlen.auth import LoginManager",
        "from erlen.auth import UserMixin",
        "from erlen.auth import current_user",
        "from erlen.auth import login_required",
        "from erlen.auth import login_user",
        "from erlen.db import SQLAlchemy",
        "    app = Erlen(__name__)",
    ]


@pytest.fixture(scope="module")
def worker() -> Any:
    from bench.worker import Worker

    return Worker("erlen", warmup=5)


@pytest.mark.parametrize("name", [s.name for s in BATTERIES])
def test_batteries_scenario_verifies(worker: Any, name: str) -> None:
    assert worker.verify(name) == []
