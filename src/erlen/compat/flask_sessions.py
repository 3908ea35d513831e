"""Extra names of ``flask.sessions``."""

from __future__ import annotations

from itsdangerous import BadSignature as BadSignature

__all__ = ["BadSignature"]
