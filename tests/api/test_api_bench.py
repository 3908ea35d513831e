"""erlen's ``validated_json`` bench apps answer their scenarios (no timing)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("pydantic")
ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.scenarios import VALIDATED  # noqa: E402
from bench.worker import Worker  # noqa: E402


@pytest.mark.parametrize("name", [s.name for s in VALIDATED])
def test_validated_scenario_verifies(name: str) -> None:
    assert Worker("erlen", warmup=0).verify(name) == []
