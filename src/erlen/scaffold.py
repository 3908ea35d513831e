"""What an app and a blueprint share: routes, hooks, error handlers, folders.

Every registration goes into a dict keyed by scope: ``None`` for the app, the
blueprint's dotted name for a blueprint.  The app reads those dicts while
serving; a blueprint records into its own and copies them over (with the
right scope) when it is registered.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import typing as t
from collections import defaultdict

from .exceptions import HTTPException
from .exceptions import default_exceptions
from .utils import cached_property

if t.TYPE_CHECKING:
    from .response import Response

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
_sentinel: t.Any = object()

#: A view function's return value, as Flask's typing names it.
ResponseReturnValue = t.Any


def setupmethod(f: F) -> F:
    """Mark a registration method: calling it after the first request is an error."""
    name = f.__name__

    def wrapper(self: Scaffold, *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._check_setup_finished(name)
        return f(self, *args, **kwargs)

    wrapper.__name__ = name
    wrapper.__doc__ = f.__doc__
    wrapper.__qualname__ = f.__qualname__
    wrapper.__wrapped__ = f  # type: ignore[attr-defined]
    return t.cast(F, wrapper)


def get_root_path(import_name: str) -> str:
    """The folder of the module or package ``import_name`` (as Flask finds it)."""
    mod = sys.modules.get(import_name)
    mod_file: str | None = getattr(mod, "__file__", None) if mod else None
    if mod_file:
        return os.path.dirname(os.path.abspath(mod_file))
    try:
        spec = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or import_name == "__main__":
        return os.getcwd()
    if spec.submodule_search_locations:
        locations = list(spec.submodule_search_locations)
        if spec.origin in (None, "namespace") or not spec.origin:
            return os.path.dirname(locations[0]) if not locations else locations[0]
        return os.path.dirname(spec.origin)
    if spec.origin and spec.origin not in ("built-in", "frozen"):
        return os.path.dirname(os.path.abspath(spec.origin))
    raise RuntimeError(
        f"No root path can be found for the provided module {import_name!r}."
        " Pass 'root_path' explicitly."
    )


def _endpoint_from_view_func(view_func: t.Callable[..., t.Any]) -> str:
    assert view_func is not None, "expected view func if endpoint is not provided."
    return view_func.__name__


class Scaffold:
    """Registration API common to :class:`~erlen.Erlen` and Blueprint."""

    name: str
    _static_folder: str | None = None
    _static_url_path: str | None = None

    def __init__(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        root_path: str | None = None,
    ) -> None:
        self.import_name = import_name
        self.static_folder = static_folder  # type: ignore[assignment]
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        if root_path is None:
            root_path = get_root_path(self.import_name)
        self.root_path = root_path
        self.view_functions: dict[str, t.Callable[..., t.Any]] = {}
        self.error_handler_spec: dict[
            str | None,
            dict[int | None, dict[type[BaseException], t.Callable[..., t.Any]]],
        ] = defaultdict(lambda: defaultdict(dict))
        self.before_request_funcs: dict[str | None, list[t.Callable[..., t.Any]]] = (
            defaultdict(list)
        )
        self.after_request_funcs: dict[str | None, list[t.Callable[..., t.Any]]] = (
            defaultdict(list)
        )
        self.teardown_request_funcs: dict[str | None, list[t.Callable[..., t.Any]]] = (
            defaultdict(list)
        )
        self.template_context_processors: dict[
            str | None, list[t.Callable[[], dict[str, t.Any]]]
        ] = defaultdict(list)
        self.url_value_preprocessors: dict[str | None, list[t.Callable[..., t.Any]]] = (
            defaultdict(list)
        )
        self.url_default_functions: dict[str | None, list[t.Callable[..., t.Any]]] = (
            defaultdict(list)
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def _check_setup_finished(self, f_name: str) -> None:
        raise NotImplementedError

    # -- folders ----------------------------------------------------------------

    @property
    def static_folder(self) -> str | None:
        if self._static_folder is not None:
            return os.path.join(self.root_path, self._static_folder)
        return None

    @static_folder.setter
    def static_folder(self, value: str | os.PathLike[str] | None) -> None:
        if value is not None:
            value = os.fspath(value).rstrip(r"\/")
        self._static_folder = value

    @property
    def static_url_path(self) -> str | None:
        if self._static_url_path is not None:
            return self._static_url_path
        if self.static_folder is not None:
            basename = os.path.basename(self.static_folder)
            return f"/{basename}".rstrip("/")
        return None

    @static_url_path.setter
    def static_url_path(self, value: str | None) -> None:
        if value is not None:
            value = value.rstrip("/")
        self._static_url_path = value

    @property
    def has_static_folder(self) -> bool:
        return self.static_folder is not None

    @cached_property
    def jinja_loader(self) -> t.Any:
        """A FileSystemLoader for ``template_folder``, or None."""
        if self.template_folder is None:
            return None
        from jinja2 import FileSystemLoader

        return FileSystemLoader(os.path.join(self.root_path, self.template_folder))

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        from .globals import current_app

        value = current_app.config["SEND_FILE_MAX_AGE_DEFAULT"]
        if value is None:
            return None
        if hasattr(value, "total_seconds"):
            return int(value.total_seconds())
        return int(value)

    def send_static_file(self, filename: str) -> Response:
        """The view of the static route: a file from ``static_folder``."""
        if not self.has_static_folder:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        from .files import send_from_directory

        max_age = self.get_send_file_max_age(filename)
        return send_from_directory(
            t.cast(str, self.static_folder), filename, max_age=max_age
        )

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = None
    ) -> t.IO[t.AnyStr]:
        """Open a file relative to ``root_path`` for reading."""
        if mode not in {"r", "rt", "rb"}:
            raise ValueError("Resources can only be opened for reading.")
        path = os.path.join(self.root_path, resource)
        if mode == "rb":
            return open(path, mode)  # type: ignore[return-value]
        return open(path, mode, encoding=encoding)  # type: ignore[return-value]

    # -- routes -----------------------------------------------------------------

    def _method_route(
        self, method: str, rule: str, options: dict[str, t.Any]
    ) -> t.Callable[[F], F]:
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        return self.route(rule, methods=[method], **options)

    def get(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route(rule, methods=["GET"])``."""
        return self._method_route("GET", rule, options)

    def post(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route(rule, methods=["POST"])``."""
        return self._method_route("POST", rule, options)

    def put(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route(rule, methods=["PUT"])``."""
        return self._method_route("PUT", rule, options)

    def delete(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route(rule, methods=["DELETE"])``."""
        return self._method_route("DELETE", rule, options)

    def patch(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route(rule, methods=["PATCH"])``."""
        return self._method_route("PATCH", rule, options)

    def route(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """Register the decorated function as the view for ``rule``."""

        def decorator(f: F) -> F:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, f, **options)
            return f

        return decorator

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        raise NotImplementedError

    @setupmethod
    def endpoint(self, endpoint: str) -> t.Callable[[F], F]:
        """Register the decorated function as the view of ``endpoint``."""

        def decorator(f: F) -> F:
            self.view_functions[endpoint] = f
            return f

        return decorator

    # -- hooks ------------------------------------------------------------------

    @setupmethod
    def before_request(self, f: F) -> F:
        """Run ``f()`` before each request; a non-None return ends it early."""
        self.before_request_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def after_request(self, f: F) -> F:
        """Run ``f(response)`` after each request; it returns the response."""
        self.after_request_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def teardown_request(self, f: F) -> F:
        """Run ``f(exc)`` when the request context is popped, even on errors."""
        self.teardown_request_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def context_processor(self, f: F) -> F:
        """``f()`` returns a dict of names added to every template's context."""
        self.template_context_processors[None].append(f)
        return f

    @setupmethod
    def url_value_preprocessor(self, f: F) -> F:
        """``f(endpoint, values)`` may pop view arguments before the view runs."""
        self.url_value_preprocessors[None].append(f)
        return f

    @setupmethod
    def url_defaults(self, f: F) -> F:
        """``f(endpoint, values)`` may fill in values when URLs are built."""
        self.url_default_functions[None].append(f)
        return f

    @setupmethod
    def errorhandler(
        self, code_or_exception: type[BaseException] | int
    ) -> t.Callable[[F], F]:
        """Register the decorated function for an HTTP code or exception class."""

        def decorator(f: F) -> F:
            self.register_error_handler(code_or_exception, f)
            return f

        return decorator

    @setupmethod
    def register_error_handler(
        self,
        code_or_exception: type[BaseException] | int,
        f: t.Callable[..., t.Any],
    ) -> None:
        exc_class, code = self._get_exc_class_and_code(code_or_exception)
        self.error_handler_spec[None][code][exc_class] = f

    @staticmethod
    def _get_exc_class_and_code(
        exc_class_or_code: type[BaseException] | int,
    ) -> tuple[type[BaseException], int | None]:
        exc_class: type[BaseException]
        if isinstance(exc_class_or_code, int):
            try:
                exc_class = default_exceptions[exc_class_or_code]
            except KeyError:
                raise ValueError(
                    f"'{exc_class_or_code}' is not a recognized HTTP"
                    " error code. Use a subclass of HTTPException with"
                    " that code instead."
                ) from None
        else:
            exc_class = exc_class_or_code
        if isinstance(exc_class, Exception):
            raise TypeError(
                f"{exc_class!r} is an instance, not a class. Handlers"
                " can only be registered for Exception classes or HTTP"
                " error codes."
            )
        if not issubclass(exc_class, Exception):
            raise ValueError(
                f"'{exc_class.__name__}' is not a subclass of Exception."
                " Handlers can only be registered for Exception classes"
                " or HTTP error codes."
            )
        if issubclass(exc_class, HTTPException):
            return exc_class, exc_class.code
        return exc_class, None
