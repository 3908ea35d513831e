"""The meta-path finder that answers ``import flask`` (and friends) with erlen.

Each alias (``flask.app``) names one or more *source* modules.  The loader
builds a fresh module object for the alias and fills it with the sources'
names (later sources override earlier ones); names a source resolves lazily
(a module ``__getattr__``) stay lazy.  No file is copied and no source module
is renamed, so ``erlen.app`` stays ``erlen.app`` for code that imports it.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import typing as t
from collections.abc import Sequence

_C = "erlen.compat."

#: alias -> source modules.  Every public Flask 3.1 module is here.
FLASK_ALIASES: dict[str, tuple[str, ...]] = {
    "flask": (_C + "flask_init",),
    "flask.app": ("erlen.app", _C + "flask_app"),
    "flask.blueprints": ("erlen.blueprints", _C + "flask_blueprints"),
    "flask.cli": ("erlen.cli", _C + "flask_cli"),
    "flask.config": ("erlen.config",),
    "flask.ctx": ("erlen.ctx", _C + "flask_ctx"),
    "flask.debughelpers": (_C + "flask_debughelpers",),
    "flask.globals": ("erlen.globals", _C + "flask_globals"),
    "flask.helpers": ("erlen.helpers", _C + "flask_helpers"),
    "flask.json": ("erlen.json",),
    "flask.json.provider": ("erlen.json",),
    "flask.json.tag": ("erlen.tag",),
    "flask.logging": (_C + "flask_logging",),
    "flask.sansio": (_C + "flask_sansio",),
    "flask.sansio.app": ("erlen.app", _C + "flask_app"),
    "flask.sansio.blueprints": ("erlen.blueprints", _C + "flask_blueprints"),
    "flask.sansio.scaffold": ("erlen.scaffold",),
    "flask.sessions": ("erlen.sessions", _C + "flask_sessions"),
    "flask.signals": ("erlen.signals",),
    "flask.templating": ("erlen.templating",),
    "flask.testing": ("erlen.testing", _C + "flask_testing"),
    "flask.typing": ("erlen.typing", _C + "flask_typing"),
    "flask.views": ("erlen.views",),
    "flask.wrappers": (_C + "flask_wrappers",),
}

_W = _C + "werkzeug_"

#: The Werkzeug facade: public names mapped to erlen's own classes.
WERKZEUG_ALIASES: dict[str, tuple[str, ...]] = {
    "werkzeug": (_W + "init",),
    "werkzeug.datastructures": ("erlen.datastructures", _W + "datastructures"),
    "werkzeug.exceptions": ("erlen.exceptions",),
    "werkzeug.formparser": ("erlen.formparser", _W + "formparser"),
    "werkzeug.http": ("erlen.http", _W + "http"),
    "werkzeug.local": (_W + "local",),
    "werkzeug.middleware": (_W + "middleware",),
    "werkzeug.middleware.proxy_fix": (_W + "middleware",),
    "werkzeug.middleware.dispatcher": (_W + "middleware",),
    "werkzeug.routing": ("erlen.routing", _W + "routing"),
    "werkzeug.routing.converters": ("erlen.routing", _W + "routing"),
    "werkzeug.routing.exceptions": ("erlen.routing", _W + "routing"),
    "werkzeug.routing.map": ("erlen.routing", _W + "routing"),
    "werkzeug.routing.rules": ("erlen.routing", _W + "routing"),
    "werkzeug.security": (_W + "security",),
    "werkzeug.serving": (_W + "serving",),
    "werkzeug.test": ("erlen.testing", _W + "test"),
    "werkzeug.urls": (_W + "urls",),
    "werkzeug.utils": (_W + "utils",),
    "werkzeug.wrappers": (_W + "wrappers",),
    "werkzeug.wrappers.request": (_W + "wrappers",),
    "werkzeug.wrappers.response": (_W + "wrappers",),
    "werkzeug.wsgi": (_W + "wsgi",),
    "werkzeug.sansio": (_W + "wrappers",),
    "werkzeug.sansio.request": (_W + "wrappers",),
    "werkzeug.sansio.response": (_W + "wrappers",),
}

#: Flask extensions erlen rewrites: extension package -> erlen battery.
#: A submodule ``flask_x.y`` maps to ``battery.y`` when that exists, else to
#: the battery itself.  Add a line here when a new battery lands.
EXTENSION_ALIASES: dict[str, str] = {
    "flask_sqlalchemy": "erlen.db",
    "flask_migrate": "erlen.db.migrate",
    "flask_login": "erlen.auth",
    "flask_bcrypt": "erlen.auth.hashing",
    "flask_cors": "erlen.cors",
}


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _public_items(module: types.ModuleType) -> t.Iterator[tuple[str, t.Any]]:
    """The names a facade passes on: everything but dunders and submodules.

    Submodules are left out so that ``flask.json`` is the alias package,
    never ``erlen.json`` found as an attribute of a source.
    """
    for name, value in vars(module).items():
        if name[:2] == "__" or name == "annotations":
            continue
        if isinstance(value, types.ModuleType):
            continue
        yield name, value


def _home_of(name: str, old: t.Any) -> types.ModuleType | None:
    """The erlen module that defines ``old`` under ``name``, if any."""
    home = sys.modules.get(getattr(old, "__module__", None) or "")
    if (
        home is not None
        and home.__name__.startswith("erlen.")
        and not home.__name__.startswith(_C)
        and home.__dict__.get(name) is old
    ):
        return home
    return None


class AliasModule(types.ModuleType):
    """An alias module; assigning a name also assigns it where erlen defines it.

    So ``monkeypatch.setattr(werkzeug.serving, "run_simple", fake)`` reaches
    ``erlen.serving.run_simple``, which erlen's own code calls.  Only names
    erlen defines (functions and classes with ``__module__``) are forwarded.
    """

    def __setattr__(self, name: str, value: t.Any) -> None:
        homes = self.__dict__.get("__erlen_homes__")
        if homes is not None and name[:2] != "__":
            if name not in homes:
                homes[name] = _home_of(name, self.__dict__.get(name))
            home = homes[name]
            if home is not None:
                setattr(home, name, value)
        super().__setattr__(name, value)


class _LazyNames:
    """A module ``__getattr__`` that asks the sources for names made on demand."""

    __slots__ = ("alias", "sources")

    def __init__(self, alias: str, sources: Sequence[types.ModuleType]) -> None:
        self.alias = alias
        self.sources = sources

    def __call__(self, name: str) -> t.Any:
        for source in reversed(self.sources):
            getter = source.__dict__.get("__getattr__")
            if getter is None:
                continue
            try:
                return getter(name)
            except AttributeError:
                continue
        raise AttributeError(f"module {self.alias!r} has no attribute {name!r}")


class AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds and builds the alias modules; first on ``sys.meta_path``."""

    def __init__(self, aliases: dict[str, tuple[str, ...]]) -> None:
        self.aliases = aliases
        self.packages = {name.rpartition(".")[0] for name in aliases if "." in name}
        # "x.y.z" makes both "x" and "x.y" packages.
        for name in list(self.packages):
            while "." in name:
                name = name.rpartition(".")[0]
                self.packages.add(name)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.aliases:
            return None
        return importlib.util.spec_from_loader(
            fullname, self, is_package=fullname in self.packages
        )

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        sources = [importlib.import_module(name) for name in self.aliases[spec.name]]
        module = AliasModule(spec.name, sources[-1].__doc__)
        namespace = module.__dict__
        namespace["__erlen_homes__"] = {}
        for source in sources:
            namespace.update(_public_items(source))
            exported = source.__dict__.get("__all__")
            if exported is not None:
                namespace["__all__"] = list(exported)
        namespace["__file__"] = getattr(sources[-1], "__file__", None)
        namespace["__erlen_sources__"] = tuple(s.__name__ for s in sources)
        if any("__getattr__" in s.__dict__ for s in sources):
            namespace["__getattr__"] = _LazyNames(spec.name, sources)
        if spec.name in self.packages:
            namespace["__path__"] = []
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # Everything happened in create_module; re-executing is a no-op.
        return None


def extension_aliases(
    names: dict[str, str] | None = None,
) -> dict[str, tuple[str, ...]]:
    """Alias entries for the mapped extensions whose batteries exist.

    Submodules (``flask_login.utils``) are mapped on demand by
    :class:`ExtensionFinder`.
    """
    out: dict[str, tuple[str, ...]] = {}
    for ext, battery in (names or EXTENSION_ALIASES).items():
        if _module_exists(battery):
            out[ext] = (battery,)
    return out


class ExtensionFinder(AliasFinder):
    """Maps ``flask_login.utils`` and the like to the battery on demand."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.aliases:
            head = fullname.partition(".")[0]
            if head == fullname or head not in self.aliases:
                return None
            battery = self.aliases[head][0]
            sub = f"{battery}.{fullname.partition('.')[2]}"
            self.aliases[fullname] = (sub if _module_exists(sub) else battery,)
        return super().find_spec(fullname, path, target)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = super().create_module(spec)
        if "." not in spec.name:
            module.__dict__["__path__"] = []
        return module


def drop_aliases(prefixes: t.Iterable[str]) -> None:
    """Forget alias modules already imported (for ``uninstall``)."""
    heads = tuple(prefixes)
    for name in list(sys.modules):
        head = name.partition(".")[0]
        if head in heads and "__erlen_sources__" in vars(sys.modules[name]):
            del sys.modules[name]
