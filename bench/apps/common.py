"""Data shared by every benchmark app, so each one does exactly the same work."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"

SECRET_KEY = "bench-secret-key-not-for-production"
TITLE = "Ten items"
ITEMS = [
    {"name": f"item {i}" if i != 3 else "<b>bold</b> & co", "price": i * 3 + 1}
    for i in range(10)
]
FORM_FIELDS = 10
#: How long a signed session cookie stays valid (Flask's default lifetime).
SESSION_MAX_AGE = 31 * 24 * 3600

#: The one user and the one row of the batteries scenarios (auth_db, db_row).
USER_JSON = {"id": 1, "username": "alice", "email": "alice@example.com"}
ITEM_JSON = {"id": 1, "name": "Widget", "price": 250}
PASSWORD_HASH = "pbkdf2:sha256:not-a-real-hash"
