"""Small helpers with no better home: safe file names, a fast cached_property."""

from __future__ import annotations

import importlib
import re
import typing as t
import unicodedata

T = t.TypeVar("T")

_filename_unsafe_re = re.compile(r"[^A-Za-z0-9_.-]")
# Names Windows maps to devices whatever the extension ("nul.txt" too).
_windows_device_names = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"COM{i}" for i in range(10)]
    + [f"LPT{i}" for i in range(10)]
)
_MAX_FILENAME = 255


def secure_filename(filename: str) -> str:
    """Return a file name that is safe to join to a directory on any OS.

    The result is ASCII letters, digits, ``_``, ``.`` and ``-`` only: no path
    separators, no leading dots (no ``..``, no hidden files), no Windows device
    names, at most 255 characters. It may be empty (``"../.."``); the caller must
    then pick a name of its own.

    >>> secure_filename("../../etc/passwd")
    'etc_passwd'
    >>> secure_filename("My cool movie.mov")
    'My_cool_movie.mov'
    """
    filename = unicodedata.normalize("NFKD", filename)
    filename = filename.encode("ascii", "ignore").decode("ascii")
    for sep in ("/", "\\"):
        filename = filename.replace(sep, " ")
    filename = "_".join(filename.split())
    filename = _filename_unsafe_re.sub("", filename).strip("._")
    if filename.split(".")[0].upper() in _windows_device_names:
        filename = f"_{filename}"
    if len(filename) > _MAX_FILENAME:
        stem, dot, ext = filename.rpartition(".")
        if dot and 0 < len(ext) < 16:
            filename = stem[: _MAX_FILENAME - len(ext) - 1] + "." + ext
        else:
            filename = filename[:_MAX_FILENAME]
    return filename


class cached_property(t.Generic[T]):
    """A property computed once per instance, then read from ``__dict__``.

    A non-data descriptor: after the first access the instance attribute shadows
    it, so later reads cost a plain attribute lookup. Unlike
    ``functools.cached_property`` on Python 3.11 it takes no lock (a request is
    used by one thread), and assigning or deleting the attribute works as usual.
    """

    def __init__(self, func: t.Callable[[t.Any], T]) -> None:
        self.func = func
        self.attrname = func.__name__
        self.__doc__ = func.__doc__
        self.__module__ = func.__module__

    def __set_name__(self, owner: type, name: str) -> None:
        self.attrname = name

    @t.overload
    def __get__(
        self, instance: None, owner: type | None = None
    ) -> cached_property[T]: ...
    @t.overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> t.Any:
        if instance is None:
            return self
        value = self.func(instance)
        try:
            instance.__dict__[self.attrname] = value
        except AttributeError:
            raise TypeError(
                f"cached_property {self.attrname!r} needs an instance __dict__;"
                f" {type(instance).__name__} defines __slots__ without it"
            ) from None
        return value


def import_string(import_name: str, silent: bool = False) -> t.Any:
    """Import an object from ``"package.module:name"`` or ``"package.module.name"``.

    With ``silent=True`` a failed import returns None instead of raising. An
    ImportError raised *inside* the imported module (a missing dependency) is
    never mistaken for "try a shorter name".
    """
    try:
        return _import_string(import_name.strip())
    except ImportError:
        if silent:
            return None
        raise


def _import_module(name: str) -> t.Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as ex:
        if ex.name is not None and (name == ex.name or name.startswith(ex.name + ".")):
            return None  # the name itself is not a module
        raise


def _import_string(import_name: str) -> t.Any:
    if ":" in import_name:
        module_name, _, attr = import_name.partition(":")
        module = _import_module(module_name)
        if module is None:
            raise ImportError(f"No module named {module_name!r}")
        parts = attr.split(".") if attr else []
    else:
        names = import_name.split(".")
        for i in range(len(names), 0, -1):
            module_name = ".".join(names[:i])
            module = _import_module(module_name)
            if module is not None:
                break
        else:
            raise ImportError(f"No module named {import_name!r}")
        parts = names[i:]
    obj = module
    for part in parts:
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ImportError(
                f"cannot import {'.'.join(parts)!r} from {module_name!r}"
            ) from None
    return obj
