"""The WSGI app a server loads in the end-to-end runs (``bench/e2e.py``).

Servers import an app by name and call a factory without arguments (granian's
``--factory``) or with literals (gunicorn); the framework and the app variant
come from the environment so one target serves every cell:
``BENCH_E2E_FRAMEWORK`` (``erlen``, ``flask``, …) and ``BENCH_E2E_KIND``
(``plain``, or ``db:sqlite`` / ``db:postgresql`` for the batteries app).
"""

from __future__ import annotations

import importlib
import os
from typing import Any


def create() -> Any:
    from bench.worker import FRAMEWORKS
    from bench.worker import battery_app

    framework = os.environ["BENCH_E2E_FRAMEWORK"]
    kind = os.environ.get("BENCH_E2E_KIND", "plain")
    if kind.startswith("db:"):
        return battery_app(framework, kind[3:])
    return importlib.import_module(FRAMEWORKS[framework]).create_app()
