"""Helpers for the peoplebook tests: paths, service checks, a browser's steps.

A module of its own (not conftest.py) so test files import it by a name no
other test folder uses.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sys
import typing as t
from pathlib import Path

import jinja2
import pytest

from erlen import Erlen

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
APP_DIR = EXAMPLES / "peoplebook"
ARTIFACTS = ROOT / "tests" / "artifacts"
REDIS_URL = os.environ.get("ERLEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

import peoplebook as peoplebook  # noqa: E402 - the app, for the tests

# A WTForms hidden field or a hand-written one: name first, value later.
_CSRF = re.compile(r'name="csrf_token"[^>]*? value="([^"]+)"')


def missing(reason: str) -> t.NoReturn:
    """Skip, or fail when CI promised everything is installed."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI requires it")
    pytest.skip(reason)


def require_service(name: str, host: str, port: int) -> None:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            pass
    except OSError as e:
        missing(f"{name} is not reachable at {host}:{port} ({e})")


def require_program(name: str, *candidates: str) -> str:
    for candidate in (name, *candidates):
        found = shutil.which(candidate) or (
            candidate
            if os.path.isabs(candidate) and os.access(candidate, os.X_OK)
            else None
        )
        if found:
            return found
    missing(f"{name} is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def upgrade(app: Erlen) -> None:
    """Create the schema the way a deployment does: the committed migrations."""
    from erlen.db import migrate

    with app.app_context():
        migrate.upgrade()


class _MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compile each template once per run, not once per test's app."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = _MemoryBytecodeCache()


def dispose(app: Erlen) -> None:
    with app.app_context():
        for engine in peoplebook.extensions.db.engines.values():
            engine.dispose()


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def register(
    client: t.Any,
    name: str = "Ada Lovelace",
    email: str = "ada@example.com",
    password: str = "analytical engine",
) -> t.Any:
    token = csrf_from(client.get("/register").text)
    return client.post(
        "/register",
        data={
            "name": name,
            "email": email,
            "password": password,
            "confirm": password,
            "csrf_token": token,
        },
    )


def login(
    client: t.Any,
    email: str = "ada@example.com",
    password: str = "analytical engine",
    remember: bool = False,
) -> t.Any:
    token = csrf_from(client.get("/login").text)
    data = {"email": email, "password": password, "csrf_token": token}
    if remember:
        data["remember"] = "1"
    return client.post("/login", data=data)
