"""The floor of the batteries scenarios: the standard library's sqlite3 (or
psycopg on PostgreSQL) and an HMAC-signed cookie, no framework, no ORM.

One connection per process, opened at start (what a pool hands out); the
cookie is the session of ``raw_app`` (signed, timestamped JSON) holding the
user id.
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from bench.apps.common import ITEM_JSON
from bench.apps.common import PASSWORD_HASH
from bench.apps.common import USER_JSON
from bench.apps.dbsetup import Database
from bench.apps.raw_app import _cookies
from bench.apps.raw_app import _not_found
from bench.apps.raw_app import _reply
from bench.apps.raw_app import _sign
from bench.apps.raw_app import _unsign

_ITEM = re.compile(r"/items/([0-9]+)\Z")
_LOGIN = re.compile(r"/login/([0-9]+)\Z")
JSON = "application/json"
SCHEMA = [
    "CREATE TABLE users (id INTEGER PRIMARY KEY, username VARCHAR(80) NOT NULL"
    " UNIQUE, email VARCHAR(120) NOT NULL, password_hash VARCHAR(200) NOT NULL)",
    "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(80) NOT NULL,"
    " price INTEGER NOT NULL)",
]


class RawBatteries:
    """Route by hand, query with the driver, sign with hmac."""

    def __init__(self, database: Database) -> None:
        if database.backend == "sqlite":
            self.conn: Any = sqlite3.connect(database.path)
            self.mark = "?"
        else:
            self.conn = database.pg_connect(autocommit=True)
            self.mark = "%s"
        m = self.mark
        for sql in SCHEMA:
            self.conn.execute(sql)
        self.conn.execute(
            f"INSERT INTO users VALUES ({m}, {m}, {m}, {m})",
            (*USER_JSON.values(), PASSWORD_HASH),
        )
        self.conn.execute(
            f"INSERT INTO items VALUES ({m}, {m}, {m})", tuple(ITEM_JSON.values())
        )
        self.conn.commit()
        self.user_sql = f"SELECT id, username, email FROM users WHERE id = {m}"
        self.item_sql = f"SELECT id, name, price FROM items WHERE id = {m}"

    def _me(self, environ: dict[str, Any], sr: Any) -> list[bytes]:
        raw = _cookies(environ).get("session")
        uid = _unsign(raw).get("uid") if raw else None
        row = None
        if isinstance(uid, int):
            row = self.conn.execute(self.user_sql, (uid,)).fetchone()
        if row is None:
            return _reply(sr, "Unauthorized", status="401 Unauthorized")
        body = json.dumps({"id": row[0], "username": row[1], "email": row[2]})
        return _reply(sr, body, JSON, extra=[("Vary", "Cookie")])

    def _item(self, sr: Any, ident: int) -> list[bytes]:
        row = self.conn.execute(self.item_sql, (ident,)).fetchone()
        if row is None:
            return _reply(sr, "<h1>Not Found</h1>", status="404 Not Found")
        body = json.dumps({"id": row[0], "name": row[1], "price": row[2]})
        return _reply(sr, body, JSON)

    def _login(self, sr: Any, ident: int) -> list[bytes]:
        row = self.conn.execute(self.user_sql, (ident,)).fetchone()
        if row is None:
            return _reply(sr, "<h1>Not Found</h1>", status="404 Not Found")
        cookie = f"session={_sign(json.dumps({'uid': row[0]}).encode())}"
        extra = [("Set-Cookie", f"{cookie}; HttpOnly; Path=/"), ("Vary", "Cookie")]
        return _reply(sr, "ok", extra=extra)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "/")
        method = environ["REQUEST_METHOD"]
        if method == "GET":
            if path == "/me":
                return self._me(environ, start_response)
            m = _ITEM.match(path)
            if m:
                return self._item(start_response, int(m.group(1)))
        elif method == "POST":
            m = _LOGIN.match(path)
            if m:
                return self._login(start_response, int(m.group(1)))
        return _not_found(environ, start_response)


def create_app(database: Database) -> Any:
    """The floor on ``database`` (empty), with its one user and one item."""
    return RawBatteries(database)
