from __future__ import annotations

from erlen import Erlen


def make_app() -> Erlen:
    return Erlen("made")
