"""Where an app's package lives, to place its instance folder as Flask does.

The instance folder sits next to the package (not inside it), so a Flask app
that moves to erlen finds its config and SQLite files where they were.  An
installed package gets ``<prefix>/var/<name>-instance`` instead, because its
folder under site-packages is not the place for data.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import PurePath

__all__ = ["find_package", "package_path"]


def package_path(import_name: str) -> str | None:
    """The folder that holds the top-level package or module of
    ``import_name``; ``None`` when it cannot be found."""
    root_name = import_name.partition(".")[0]
    try:
        root_spec = importlib.util.find_spec(root_name)
    except (ImportError, ValueError):
        return None
    if root_spec is None:
        return None
    locations = root_spec.submodule_search_locations
    if not locations:  # a module
        return os.path.dirname(root_spec.origin) if root_spec.origin else None
    if root_spec.origin not in (None, "namespace"):  # a package with __init__
        return os.path.dirname(os.path.dirname(root_spec.origin))
    # A namespace package: the location that holds this very submodule.
    search = list(locations)[0]
    try:
        spec = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        inner = PurePath(os.path.commonpath(list(spec.submodule_search_locations)))
        search = next((loc for loc in locations if inner.is_relative_to(loc)), search)
    return os.path.dirname(search)


def find_package(import_name: str) -> tuple[str | None, str | None]:
    """``(install prefix or None, package folder or None)`` for an import name."""
    path = package_path(import_name)
    if path is None:
        return None, None
    prefix = os.path.abspath(sys.prefix)
    if PurePath(path).is_relative_to(prefix):
        return prefix, path
    site_parent, site_folder = os.path.split(path)
    if site_folder.lower() != "site-packages":
        return None, path
    parent, folder = os.path.split(site_parent)
    if folder.lower() == "lib":  # Windows: prefix/lib/site-packages
        return parent, path
    if os.path.basename(parent).lower() == "lib":  # prefix/lib/pythonX.Y/...
        return os.path.dirname(parent), path
    return site_parent, path
