from __future__ import annotations

from erlen import Erlen

application = Erlen("helloworld")
