"""Blueprints: routes, hooks and handlers recorded now, registered on an app later.

A blueprint stores each registration as a deferred function; ``register``
replays them against the app with the blueprint's name (dotted for nested
blueprints), URL prefix, subdomain and defaults.  :func:`autodiscover`
imports a package of controllers and registers every blueprint it finds.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import typing as t
from collections import defaultdict

from .scaffold import Scaffold
from .scaffold import _endpoint_from_view_func
from .scaffold import setupmethod
from .utils import cached_property

if t.TYPE_CHECKING:
    from .app import Erlen

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
_sentinel: t.Any = object()
DeferredSetupFunction = t.Callable[["BlueprintSetupState"], None]


class BlueprintSetupState:
    """One registration of a blueprint on an app, with its options."""

    def __init__(
        self,
        blueprint: Blueprint,
        app: Erlen,
        options: t.Any,
        first_registration: bool,
    ) -> None:
        self.app = app
        self.blueprint = blueprint
        self.options = options
        self.first_registration = first_registration
        subdomain = self.options.get("subdomain")
        if subdomain is None:
            subdomain = self.blueprint.subdomain
        self.subdomain = subdomain
        url_prefix = self.options.get("url_prefix")
        if url_prefix is None:
            url_prefix = self.blueprint.url_prefix
        self.url_prefix = url_prefix
        self.name = self.options.get("name", blueprint.name)
        self.name_prefix = self.options.get("name_prefix", "")
        self.url_defaults = dict(self.blueprint.url_values_defaults)
        self.url_defaults.update(self.options.get("url_defaults", ()))

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        **options: t.Any,
    ) -> None:
        if self.url_prefix is not None:
            if rule:
                rule = "/".join((self.url_prefix.rstrip("/"), rule.lstrip("/")))
            else:
                rule = self.url_prefix
        options.setdefault("subdomain", self.subdomain)
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)  # type: ignore[arg-type]
        defaults = self.url_defaults
        if "defaults" in options:
            defaults = dict(defaults, **options.pop("defaults"))
        self.app.add_url_rule(
            rule,
            f"{self.name_prefix}.{self.name}.{endpoint}".lstrip("."),
            view_func,
            defaults=defaults or None,
            **options,
        )


class Blueprint(Scaffold):
    """A group of views and hooks to register on an app, possibly many times."""

    _got_registered_once = False

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, t.Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = _sentinel,
    ) -> None:
        super().__init__(
            import_name=import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if not name:
            raise ValueError("'name' may not be empty.")
        if "." in name:
            raise ValueError("'name' may not contain a dot '.' character.")
        self.name = name
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        self.deferred_functions: list[DeferredSetupFunction] = []
        self.url_values_defaults = url_defaults or {}
        self.cli_group = cli_group
        self._blueprints: list[tuple[Blueprint, dict[str, t.Any]]] = []

    @cached_property
    def cli(self) -> t.Any:
        from .cli import AppGroup

        return AppGroup(self.name)

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_registered_once:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the"
                f" blueprint '{self.name}'. It has already been registered at"
                " least once, any changes will not be applied consistently.\n"
                "Make sure all imports, decorators, functions, etc. needed to"
                " set up the blueprint are done before registering it."
            )

    @setupmethod
    def record(self, func: DeferredSetupFunction) -> None:
        self.deferred_functions.append(func)

    @setupmethod
    def record_once(self, func: DeferredSetupFunction) -> None:
        def wrapper(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        self.record(wrapper)

    def make_setup_state(
        self, app: Erlen, options: dict[str, t.Any], first_registration: bool = False
    ) -> BlueprintSetupState:
        return BlueprintSetupState(self, app, options, first_registration)

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        if blueprint is self:
            raise ValueError("Cannot register a blueprint on itself")
        self._blueprints.append((blueprint, options))

    def register(self, app: Erlen, options: dict[str, t.Any]) -> None:
        """Replay everything recorded on this blueprint onto ``app``."""
        name_prefix = options.get("name_prefix", "")
        self_name = options.get("name", self.name)
        name = f"{name_prefix}.{self_name}".lstrip(".")
        if name in app.blueprints:
            bp_desc = "this" if app.blueprints[name] is self else "a different"
            existing_at = f" '{name}'" if self_name != name else ""
            raise ValueError(
                f"The name '{self_name}' is already registered for"
                f" {bp_desc} blueprint{existing_at}. Use 'name=' to"
                " provide a unique name."
            )
        first_bp_registration = not any(bp is self for bp in app.blueprints.values())
        first_name_registration = name not in app.blueprints
        app.blueprints[name] = self
        self._got_registered_once = True
        state = self.make_setup_state(app, options, first_bp_registration)
        if self.has_static_folder:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                view_func=self.send_static_file,
                endpoint="static",
            )
        if first_bp_registration or first_name_registration:
            self._merge_blueprint_funcs(app, name)
        for deferred in self.deferred_functions:
            deferred(state)
        self._register_cli(app, name, options.get("cli_group", self.cli_group))
        for blueprint, bp_options in self._blueprints:
            bp_options = _nested_options(blueprint, bp_options, state)
            bp_options["name_prefix"] = name
            blueprint.register(app, bp_options)

    def _register_cli(self, app: Erlen, name: str, group: t.Any) -> None:
        """Add this blueprint's commands to the app's CLI (Flask's rules)."""
        if "cli" not in self.__dict__ or not self.cli.commands:
            return
        if group is _sentinel:
            self.cli.name = name
        elif group is None:
            app.cli.commands.update(self.cli.commands)
        else:
            self.cli.name = group
        if group is not None:
            app.cli.add_command(self.cli)

    def _merge_blueprint_funcs(self, app: Erlen, name: str) -> None:
        def extend(
            bp_dict: dict[t.Any, list[t.Any]], parent_dict: dict[t.Any, list[t.Any]]
        ) -> None:
            for key, values in bp_dict.items():
                key = name if key is None else f"{name}.{key}"
                parent_dict[key].extend(values)

        for key, value in self.error_handler_spec.items():
            key = name if key is None else f"{name}.{key}"
            merged = defaultdict(
                dict, {code: dict(handlers) for code, handlers in value.items()}
            )
            app.error_handler_spec[key] = merged
        for endpoint, func in self.view_functions.items():
            app.view_functions[endpoint] = func
        extend(self.before_request_funcs, app.before_request_funcs)
        extend(self.after_request_funcs, app.after_request_funcs)
        extend(self.teardown_request_funcs, app.teardown_request_funcs)
        extend(self.url_default_functions, app.url_default_functions)
        extend(self.url_value_preprocessors, app.url_value_preprocessors)
        extend(self.template_context_processors, app.template_context_processors)

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        if endpoint and "." in endpoint:
            raise ValueError("'endpoint' may not contain a dot '.' character.")
        if view_func and hasattr(view_func, "__name__") and "." in view_func.__name__:
            raise ValueError("'view_func' name may not contain a dot '.' character.")
        self.record(
            lambda s: s.add_url_rule(
                rule,
                endpoint,
                view_func,
                provide_automatic_options=provide_automatic_options,
                **options,
            )
        )

    # -- app-wide registrations made from a blueprint ---------------------------

    def _app_template(
        self, kind: str, f: t.Callable[..., t.Any], name: str | None
    ) -> None:
        def register(state: BlueprintSetupState) -> None:
            getattr(state.app.jinja_env, kind)[name or f.__name__] = f

        self.record_once(register)

    @setupmethod
    def app_template_filter(self, name: str | None = None) -> t.Callable[[F], F]:
        def decorator(f: F) -> F:
            self.add_app_template_filter(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_app_template_filter(
        self, f: t.Callable[..., t.Any], name: str | None = None
    ) -> None:
        self._app_template("filters", f, name)

    @setupmethod
    def app_template_test(self, name: str | None = None) -> t.Callable[[F], F]:
        def decorator(f: F) -> F:
            self.add_app_template_test(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_app_template_test(
        self, f: t.Callable[..., bool], name: str | None = None
    ) -> None:
        self._app_template("tests", f, name)

    @setupmethod
    def app_template_global(self, name: str | None = None) -> t.Callable[[F], F]:
        def decorator(f: F) -> F:
            self.add_app_template_global(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_app_template_global(
        self, f: t.Callable[..., t.Any], name: str | None = None
    ) -> None:
        self._app_template("globals", f, name)

    # Flask names the blueprint-local variants like the app's.
    template_filter = app_template_filter
    add_template_filter = add_app_template_filter
    template_test = app_template_test
    add_template_test = add_app_template_test
    template_global = app_template_global
    add_template_global = add_app_template_global

    @setupmethod
    def before_app_request(self, f: F) -> F:
        self.record_once(lambda s: s.app.before_request_funcs[None].append(f))
        return f

    @setupmethod
    def after_app_request(self, f: F) -> F:
        self.record_once(lambda s: s.app.after_request_funcs[None].append(f))
        return f

    @setupmethod
    def teardown_app_request(self, f: F) -> F:
        self.record_once(lambda s: s.app.teardown_request_funcs[None].append(f))
        return f

    @setupmethod
    def app_context_processor(self, f: F) -> F:
        self.record_once(lambda s: s.app.template_context_processors[None].append(f))
        return f

    @setupmethod
    def app_errorhandler(self, code: type[Exception] | int) -> t.Callable[[F], F]:
        def decorator(f: F) -> F:
            def register(state: BlueprintSetupState) -> None:
                state.app.errorhandler(code)(f)

            self.record_once(register)
            return f

        return decorator

    @setupmethod
    def app_url_value_preprocessor(self, f: F) -> F:
        self.record_once(lambda s: s.app.url_value_preprocessors[None].append(f))
        return f

    @setupmethod
    def app_url_defaults(self, f: F) -> F:
        self.record_once(lambda s: s.app.url_default_functions[None].append(f))
        return f


def _import_submodules(package: t.Any, out: list[t.Any]) -> None:
    """Import a package's modules depth-first in sorted order into ``out``.

    Not ``pkgutil.walk_packages``: it imports subpackages itself and lets a
    failure escape without naming the module.
    """
    search = getattr(package, "__path__", None)
    if search is None:
        return
    infos = sorted(pkgutil.iter_modules(search), key=lambda info: info.name)
    for info in infos:
        name = f"{package.__name__}.{info.name}"
        try:
            module = importlib.import_module(name)
        except Exception as e:
            raise ImportError(
                f"autodiscover: could not import controller module {name!r}: {e}"
            ) from e
        out.append(module)
        if info.ispkg:
            _import_submodules(module, out)


def _nested_options(
    blueprint: Blueprint, options: dict[str, t.Any], state: t.Any
) -> dict[str, t.Any]:
    """A nested blueprint's options, its subdomain and prefix joined to the
    parent's."""
    options = options.copy()
    subdomain = options.get("subdomain")
    if subdomain is None:
        subdomain = blueprint.subdomain
    if state.subdomain is not None and subdomain is not None:
        options["subdomain"] = subdomain + "." + state.subdomain
    elif subdomain is not None:
        options["subdomain"] = subdomain
    elif state.subdomain is not None:
        options["subdomain"] = state.subdomain
    url_prefix = options.get("url_prefix")
    if url_prefix is None:
        url_prefix = blueprint.url_prefix
    if state.url_prefix is not None and url_prefix is not None:
        options["url_prefix"] = (
            state.url_prefix.rstrip("/") + "/" + url_prefix.lstrip("/")
        )
    elif url_prefix is not None:
        options["url_prefix"] = url_prefix
    elif state.url_prefix is not None:
        options["url_prefix"] = state.url_prefix
    return options


def autodiscover(app: Erlen, package: str) -> list[Blueprint]:
    """Import every module under ``package`` and register its blueprints.

    Modules are imported recursively in sorted order, so registration order
    is stable.  A module that fails to import raises an ImportError naming it.
    """
    try:
        root = importlib.import_module(package)
    except Exception as e:
        raise ImportError(f"autodiscover: could not import {package!r}: {e}") from e
    modules = [root]
    _import_submodules(root, modules)
    registered: list[Blueprint] = []
    found = [
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, Blueprint)
    ]
    nested = {id(child) for value in found for child, _options in value._blueprints}
    # Only blueprints made in the package: one a module imported from
    # elsewhere (``from other.views import bp``) belongs to that package.
    prefix = package + "."
    seen = {id(bp) for bp in app.blueprints.values()}
    for value in found:
        name = value.import_name
        if (
            id(value) not in nested
            and id(value) not in seen
            and (name == package or name.startswith(prefix))
        ):
            app.register_blueprint(value)
            registered.append(value)
            seen.add(id(value))
    return registered
