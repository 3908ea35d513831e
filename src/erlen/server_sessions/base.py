"""The store protocol server-side sessions use, and its one error type."""

from __future__ import annotations

__all__ = ["SessionStore", "SessionStoreError"]


class SessionStoreError(Exception):
    """The store could not be reached or failed; the request becomes a 503."""


class SessionStore:
    """Keeps serialized session records by key, each with a time to live.

    Implementations wrap their backend's errors in :class:`SessionStoreError`
    so the session interface can answer 503 instead of crashing.
    """

    def load(self, key: str) -> str | bytes | None:
        """The record, or None when missing or expired."""
        raise NotImplementedError

    def save(self, key: str, data: str, ttl: int) -> None:
        """Create or replace the record; it expires after ``ttl`` seconds."""
        raise NotImplementedError

    def delete(self, key: str) -> None:
        """Remove the record (no error when missing)."""
        raise NotImplementedError
