"""Extra names of ``flask.ctx``."""

from __future__ import annotations

from erlen.ctx import _AppCtxGlobals as _AppCtxGlobals
from erlen.exceptions import HTTPException as HTTPException

__all__ = ["HTTPException", "_AppCtxGlobals"]
