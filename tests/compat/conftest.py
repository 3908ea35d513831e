"""Compat mode is process-wide: each test installs it and removes it again."""

from __future__ import annotations

import sys
import typing as t

import pytest

import erlen.compat


@pytest.fixture
def compat(monkeypatch: pytest.MonkeyPatch) -> t.Iterator[None]:
    for name in ("ERLEN_COMPAT_STRICT", "ERLEN_COMPAT_WERKZEUG"):
        monkeypatch.delenv(name, raising=False)
    erlen.compat.install()
    try:
        yield
    finally:
        erlen.compat.uninstall()
        for name in [n for n in sys.modules if n.startswith("flaskapp_")]:
            del sys.modules[name]
