"""schemathesis fuzzes the typed API in-process (WSGI) from its OpenAPI document.

A bounded number of examples per operation keeps it to a few seconds; every
check schemathesis has must pass: no 5xx, responses as documented (status,
content type, schema), and invalid input refused with a 4xx.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
hypothesis = pytest.importorskip("hypothesis")

_PATH = Path(__file__).parent.parent / "apps" / "typed_api.py"
_spec = importlib.util.spec_from_file_location("typed_api_fuzzed", _PATH)
assert _spec is not None and _spec.loader is not None
_module = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _module
_spec.loader.exec_module(_module)

schema = schemathesis.openapi.from_wsgi("/openapi.json", _module.create_app())


@schema.parametrize()
@hypothesis.settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_api_conforms_to_its_document(case: schemathesis.Case) -> None:
    case.call_and_validate()
