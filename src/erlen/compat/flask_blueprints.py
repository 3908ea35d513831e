"""Extra names of ``flask.blueprints``."""

from __future__ import annotations

from erlen.blueprints import Blueprint as SansioBlueprint
from erlen.cli import AppGroup as AppGroup
from erlen.globals import current_app as current_app

__all__ = ["AppGroup", "SansioBlueprint", "current_app"]
