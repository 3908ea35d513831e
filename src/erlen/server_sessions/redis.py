"""A Redis session store (redis-py): one key per session, expiring by TTL."""

from __future__ import annotations

import typing as t

from .base import SessionStore
from .base import SessionStoreError

__all__ = ["RedisStore"]


class RedisStore(SessionStore):
    """Sessions in Redis under ``prefix + key``.

    Pass a ``redis.Redis`` client, or a ``url`` (``redis://127.0.0.1:6379/0``)
    to make one with short timeouts, so a dead server answers 503 quickly
    instead of hanging the worker.
    """

    def __init__(
        self,
        client: t.Any = None,
        *,
        url: str | None = None,
        prefix: str = "session:",
        timeout: float = 2.0,
    ) -> None:
        import redis

        if client is None:
            client = redis.Redis.from_url(
                url or "redis://127.0.0.1:6379/0",
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
            )
        self.client = client
        self.prefix = prefix
        self._errors: tuple[type[BaseException], ...] = (
            redis.exceptions.RedisError,
            OSError,
        )

    def load(self, key: str) -> bytes | None:
        try:
            value = self.client.get(self.prefix + key)
        except self._errors as e:
            raise SessionStoreError(f"redis: {e}") from e
        return t.cast("bytes | None", value)

    def save(self, key: str, data: str, ttl: int) -> None:
        try:
            self.client.set(self.prefix + key, data, ex=max(1, int(ttl)))
        except self._errors as e:
            raise SessionStoreError(f"redis: {e}") from e

    def delete(self, key: str) -> None:
        try:
            self.client.delete(self.prefix + key)
        except self._errors as e:
            raise SessionStoreError(f"redis: {e}") from e
