"""Package metadata for the aliased projects.

Extensions check ``importlib.metadata.version("flask")`` (and sometimes
Werkzeug's) before they agree to load; with compat installed those answer
the Flask and Werkzeug versions whose API erlen keeps.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import re
import typing as t
from pathlib import Path

FLASK_VERSION = "3.1.3"
WERKZEUG_VERSION = "3.1.6"

_METADATA = """\
Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: {name} API served by erlen (compat mode)
Requires-Python: >=3.10
"""


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


class AliasDistribution(md.Distribution):
    """A distribution with only a METADATA file, made in memory."""

    def __init__(self, name: str, version: str) -> None:
        self._name = name
        self._version = version

    def read_text(self, filename: str) -> str | None:
        if filename in ("METADATA", "PKG-INFO"):
            return _METADATA.format(name=self._name, version=self._version)
        if filename == "top_level.txt":
            return self._name.lower() + "\n"
        return None

    def locate_file(self, path: str | os.PathLike[str]) -> Path:
        return Path(os.path.dirname(__file__)) / path


class AliasDistributionFinder:
    """A meta-path entry that only answers distribution look-ups."""

    def __init__(self, versions: dict[str, str]) -> None:
        self.dists = {
            _normalize(name): AliasDistribution(name, version)
            for name, version in versions.items()
        }

    def find_spec(self, *args: t.Any, **kwargs: t.Any) -> None:
        return None

    def find_distributions(
        self, context: md.DistributionFinder.Context | None = None
    ) -> t.Iterator[md.Distribution]:
        name = getattr(context, "name", None)
        if name is None:
            yield from self.dists.values()
            return
        dist = self.dists.get(_normalize(name))
        if dist is not None:
            yield dist
