from __future__ import annotations

from erlen import Erlen

first = Erlen("first")
second = Erlen("second")
