"""erlen's benchmark app answers every scenario correctly (fast; no timing).

The benchmark refuses to time a framework whose responses are wrong; this test
runs the same checks on erlen's app through its WSGI callable, so a regression
shows up in the normal test run and not only in ``scripts/bench``.
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

from bench import wsgi  # noqa: E402
from bench.scenarios import SCALING  # noqa: E402
from bench.scenarios import SCENARIOS  # noqa: E402
from bench.scenarios import Request  # noqa: E402

FLASK_SOURCE = ROOT / "bench" / "apps" / "flask_app.py"


def _load_rewrite() -> Any:
    # erlen_app runs the rewritten source on import; read its rewrite() alone.
    text = (ROOT / "bench" / "apps" / "erlen_app.py").read_text()
    namespace: dict[str, Any] = {
        "__file__": str(ROOT / "bench" / "apps" / "erlen_app.py")
    }
    exec(text.split("\nexec(", 1)[0], namespace)
    return namespace["rewrite"]


def test_erlen_app_is_flask_app_with_only_the_imports_changed() -> None:
    source = FLASK_SOURCE.read_text()
    rewritten = _load_rewrite()(source)
    changed = [
        line[1:]
        for line in difflib.unified_diff(
            source.splitlines(), rewritten.splitlines(), lineterm="", n=0
        )
        if line.startswith("+") and not line.startswith("+++")
    ]
    assert changed == [
        "from erlen import Erlen",
        "from erlen import jsonify",
        "from erlen import make_response",
        "from erlen import render_template",
        "from erlen import request",
        "from erlen import session",
        "    app = Erlen(__name__)",
    ]


@pytest.fixture(scope="module")
def worker() -> Any:
    try:
        import erlen

        erlen.Erlen  # noqa: B018
        from bench.worker import Worker

        return Worker("erlen", warmup=0)
    except Exception as exc:  # the core is still being written
        pytest.skip(f"erlen's core cannot run the benchmark app yet: {exc!r}")


@pytest.mark.parametrize("name", [s.name for s in SCENARIOS if s.common])
def test_common_scenario_verifies(worker: Any, name: str) -> None:
    assert worker.verify(name) == []


@pytest.mark.parametrize("name", [s.name for s in SCENARIOS if not s.common])
def test_feature_scenario_verifies(worker: Any, name: str) -> None:
    errors = worker.verify(name)
    if errors:
        pytest.xfail(
            f"erlen does not pass {name!r} yet: {errors[0].strip().splitlines()[-1]}"
        )


@pytest.mark.parametrize("name", [s.name for s in SCALING if s.routes <= 100])
def test_route_scaling_variant_verifies(worker: Any, name: str) -> None:
    assert worker.verify(name) == []


def test_check_rejects_a_wrong_response(worker: Any) -> None:
    # The harness must catch a framework that does less: ask for the wrong page.
    sc = next(s for s in SCENARIOS if s.name == "json")
    app = worker.app_for(sc)
    resp = wsgi.call(app, Request(path="/plaintext"))
    errors = wsgi.check(resp, sc.expect)
    assert any("media type" in e for e in errors)
    assert any("JSON" in e for e in errors)
