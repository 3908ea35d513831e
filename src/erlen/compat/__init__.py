"""Compat mode: unchanged Flask apps and extensions run on erlen.

``erlen.compat.install()`` puts a meta-path finder first on ``sys.meta_path``
so ``import flask``, ``flask.*``, ``werkzeug`` and ``werkzeug.*`` (and the
extensions erlen rewrites: Flask-SQLAlchemy, Flask-Migrate, Flask-Login,
Flask-Bcrypt, Flask-CORS) resolve to erlen.  Nothing in erlen imports this
package: compat costs nothing until it is installed.

Switches (environment variables, read by :func:`install`):

``ERLEN_COMPAT_STRICT=1``
    Flask's exact defaults where erlen's safer ones differ (see
    docs/compat.md for the list).
``ERLEN_COMPAT_WERKZEUG=0``
    Leave a real installed Werkzeug alone (only ``flask`` is aliased).
``ERLEN_COMPAT_EXTENSIONS=0``
    Leave installed Flask extensions alone even when erlen has a battery.
"""

from __future__ import annotations

import os
import sys
import typing as t

from ._finder import EXTENSION_ALIASES
from ._finder import FLASK_ALIASES
from ._finder import WERKZEUG_ALIASES
from ._finder import AliasFinder
from ._finder import ExtensionFinder
from ._finder import drop_aliases
from ._finder import extension_aliases
from ._metadata import FLASK_VERSION
from ._metadata import WERKZEUG_VERSION
from ._metadata import AliasDistributionFinder

__all__ = [
    "EXTENSION_ALIASES",
    "FLASK_ALIASES",
    "FLASK_VERSION",
    "WERKZEUG_ALIASES",
    "WERKZEUG_VERSION",
    "install",
    "is_installed",
    "strict",
    "uninstall",
]

_installed: list[t.Any] = []
_strict_state: dict[str, t.Any] = {}


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.lower() not in ("0", "false", "no", "off")


def strict() -> bool:
    """True when ``ERLEN_COMPAT_STRICT`` asks for Flask's exact defaults."""
    return _flag("ERLEN_COMPAT_STRICT", False)


def is_installed() -> bool:
    return bool(_installed)


def install(
    *,
    werkzeug: bool | None = None,
    extensions: bool | None = None,
    strict_mode: bool | None = None,
) -> None:
    """Make ``flask`` (and ``werkzeug``, and mapped extensions) import erlen.

    Call it before anything imports Flask: as the first line of the program,
    or run the program with ``python -m erlen.compat``.  Modules already
    imported from a real Flask are dropped from ``sys.modules`` so later
    imports see erlen.  Calling it twice does nothing.
    """
    if _installed:
        return
    if werkzeug is None:
        werkzeug = _flag("ERLEN_COMPAT_WERKZEUG", True)
    if extensions is None:
        extensions = _flag("ERLEN_COMPAT_EXTENSIONS", True)
    if strict_mode is None:
        strict_mode = strict()
    aliases = dict(FLASK_ALIASES)
    versions = {"Flask": FLASK_VERSION}
    heads = ["flask"]
    if werkzeug:
        aliases.update(WERKZEUG_ALIASES)
        versions["Werkzeug"] = WERKZEUG_VERSION
        heads.append("werkzeug")
    finders: list[t.Any] = [AliasFinder(aliases)]
    if extensions:
        ext = extension_aliases()
        if ext:
            finders.append(ExtensionFinder(ext))
            heads.extend(ext)
    finders.append(AliasDistributionFinder(versions))
    _forget_real(heads)
    sys.meta_path[0:0] = finders
    _installed.extend(finders)
    from ._strict import apply_names
    from ._strict import apply_strict

    _strict_state.update(apply_names())
    from . import _methods

    _strict_state.update(_methods.apply())
    if strict_mode:
        _strict_state.update(apply_strict())


def uninstall() -> None:
    """Undo :func:`install`: remove the finders and the alias modules."""
    if not _installed:
        return
    for finder in _installed:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)
    heads = {"flask", "werkzeug", *EXTENSION_ALIASES}
    drop_aliases(heads)
    _installed.clear()
    if _strict_state:
        from . import _methods
        from ._strict import restore

        _methods.restore(_strict_state)
        restore(_strict_state)
        _strict_state.clear()


def _forget_real(heads: t.Iterable[str]) -> None:
    """Drop real Flask/Werkzeug modules imported before install()."""
    prefixes = tuple(heads)
    for name in list(sys.modules):
        if name.partition(".")[0] in prefixes:
            del sys.modules[name]
