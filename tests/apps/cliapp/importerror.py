from __future__ import annotations

import erlen_missing_dependency  # noqa: F401

from erlen import Erlen

app = Erlen("never")
