"""An in-process session store, for development and tests.

Data lives in one process: with several workers each has its own sessions.
"""

from __future__ import annotations

import threading
import time
import typing as t

from .base import SessionStore

__all__ = ["MemoryStore"]


class MemoryStore(SessionStore):
    """A dict of ``key -> (expires_at, record)``, purged as it is used."""

    def __init__(
        self, max_entries: int = 100_000, clock: t.Callable[[], float] = time.time
    ) -> None:
        self.max_entries = max_entries
        self.clock = clock
        self._data: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def load(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[0] <= self.clock():
            self.delete(key)
            return None
        return item[1]

    def save(self, key: str, data: str, ttl: int) -> None:
        now = self.clock()
        with self._lock:
            if len(self._data) >= self.max_entries and key not in self._data:
                self._purge(now)
                if len(self._data) >= self.max_entries:
                    # Drop the oldest insertion rather than grow without bound.
                    self._data.pop(next(iter(self._data)))
            self._data[key] = (now + ttl, data)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def _purge(self, now: float) -> None:
        for key in [k for k, (exp, _) in self._data.items() if exp <= now]:
            del self._data[key]

    def __len__(self) -> int:
        return len(self._data)
