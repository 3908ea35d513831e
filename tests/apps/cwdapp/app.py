from __future__ import annotations

from erlen import Erlen

app = Erlen("cwdapp")
