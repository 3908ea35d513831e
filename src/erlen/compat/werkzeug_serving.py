"""``werkzeug.serving``: erlen's development server."""

from __future__ import annotations

from erlen.reloader import is_running_from_reloader as is_running_from_reloader
from erlen.serving import run_simple as run_simple

__all__ = ["is_running_from_reloader", "run_simple"]
