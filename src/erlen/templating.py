"""Jinja2 integration: the app's environment, its loader, ``render_template``.

One environment per app (``app.jinja_env``, built on first use).  Its loader
looks in the app's ``templates/`` folder first, then in each blueprint's
``template_folder`` in registration order, so an app can override a
blueprint's template by putting one of the same name in its own folder.
"""

from __future__ import annotations

import typing as t

from jinja2 import BaseLoader
from jinja2 import Environment as BaseEnvironment
from jinja2 import Template
from jinja2 import TemplateNotFound

from .globals import _cv_context
from .globals import g
from .globals import request
from .globals import session
from .helpers import get_flashed_messages
from .helpers import stream_with_context

if t.TYPE_CHECKING:
    from .app import Erlen
    from .scaffold import Scaffold

__all__ = [
    "DispatchingJinjaLoader",
    "Environment",
    "create_environment",
    "get_template_attribute",
    "render_template",
    "render_template_string",
    "stream_template",
    "stream_template_string",
]


class Environment(BaseEnvironment):
    """A Jinja environment that knows its app (``env.app``)."""

    def __init__(self, app: Erlen, **options: t.Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        super().__init__(**options)
        self.app = app


def create_environment(app: Erlen) -> Environment:
    """Build ``app.jinja_env`` from ``app.jinja_options`` and the config.

    Autoescaping follows ``app.select_jinja_autoescape``; templates reload on
    change when ``TEMPLATES_AUTO_RELOAD`` is set or, left at None, in debug
    mode.  ``request``, ``session`` and ``g`` are globals too (as proxies, so
    nothing is opened until read) for macros imported without context.
    """
    options = dict(app.jinja_options)
    options.setdefault("autoescape", app.select_jinja_autoescape)
    if "auto_reload" not in options:
        auto_reload = app.config["TEMPLATES_AUTO_RELOAD"]
        options["auto_reload"] = app.debug if auto_reload is None else auto_reload
    env_class = getattr(app, "jinja_environment", Environment)
    env = t.cast(Environment, env_class(app, **options))
    env.globals.update(
        url_for=app.url_for,
        get_flashed_messages=get_flashed_messages,
        config=app.config,
        request=request,
        session=session,
        g=g,
    )
    env.policies["json.dumps_function"] = app.json.dumps
    return env


def _describe(loader: t.Any) -> str:
    paths = getattr(loader, "searchpath", None)
    if paths:
        return ", ".join(str(p) for p in paths)
    return repr(loader)


class DispatchingJinjaLoader(BaseLoader):
    """Asks the app's loader, then each blueprint's, for a template."""

    def __init__(self, app: Erlen) -> None:
        self.app = app

    def _iter_loaders(self) -> t.Iterator[tuple[Scaffold, BaseLoader]]:
        loader = self.app.jinja_loader
        if loader is not None:
            yield self.app, loader
        for blueprint in self.app.iter_blueprints():
            loader = blueprint.jinja_loader
            if loader is not None:
                yield blueprint, loader

    def get_source(
        self, environment: BaseEnvironment, template: str
    ) -> tuple[str, str | None, t.Callable[[], bool] | None]:
        explain = self.app.config["EXPLAIN_TEMPLATE_LOADING"]
        attempts: list[tuple[Scaffold, BaseLoader, str]] = []
        found = None
        for owner, loader in self._iter_loaders():
            try:
                rv = loader.get_source(environment, template)
            except TemplateNotFound:
                attempts.append((owner, loader, "no match"))
                continue
            if not explain:
                return rv
            attempts.append((owner, loader, f"found ({rv[1]!r})"))
            if found is None:
                found = rv
        if explain:
            self._explain(template, attempts, found is not None)
        if found is not None:
            return found
        searched = "; ".join(
            f"{owner.name}: {_describe(loader)}" for owner, loader, _ in attempts
        )
        raise TemplateNotFound(
            template,
            f"Template {template!r} not found. Searched"
            f" {searched or 'nothing: no template folder is configured'}.",
        )

    def _explain(
        self,
        template: str,
        attempts: list[tuple[Scaffold, BaseLoader, str]],
        found: bool,
    ) -> None:
        """Log where ``template`` was looked for (``EXPLAIN_TEMPLATE_LOADING``)."""
        lines = [f"Locating template {template!r}:"]
        for i, (owner, loader, result) in enumerate(attempts, 1):
            kind = "application" if owner is self.app else "blueprint"
            lines.append(
                f"{i:5}: trying loader of {kind} {owner.name!r}"
                f" ({_describe(loader)}): {result}"
            )
        if not found:
            lines.append("Error: the template was not found.")
            lines.append(
                "  Check that the file is in a 'templates' folder (or the"
                " blueprint's template_folder) and the name is relative to it."
            )
        elif sum(1 for a in attempts if a[2] != "no match") > 1:
            lines.append("Warning: multiple loaders returned a match for the template.")
        self.app.logger.info("\n".join(lines))

    def list_templates(self) -> list[str]:
        result: set[str] = set()
        for _owner, loader in self._iter_loaders():
            result.update(loader.list_templates())
        return sorted(result)


# -- rendering -----------------------------------------------------------------


def _current_app() -> Erlen:
    ctx = _cv_context.get(None)
    if ctx is None:
        raise RuntimeError(
            "Rendering a template needs an application context: call it from a"
            " view, or inside 'with app.app_context():'."
        )
    return ctx.app


def _render(app: Erlen, template: Template, context: dict[str, t.Any]) -> str:
    app.update_template_context(context)
    app._signal("before_render_template", template=template, context=context)
    rv = template.render(context)
    app._signal("template_rendered", template=template, context=context)
    return rv


def render_template(
    template_name_or_list: str | Template | list[str | Template], **context: t.Any
) -> str:
    """Render a template from the template folders with ``context``.

    A list renders the first name that exists.
    """
    app = _current_app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _render(app, template, context)


def render_template_string(source: str, **context: t.Any) -> str:
    """Render a template given as a string (autoescaped, as for ``.html``)."""
    app = _current_app()
    template = app.jinja_env.from_string(source)
    return _render(app, template, context)


def _stream(
    app: Erlen, template: Template, context: dict[str, t.Any]
) -> t.Iterator[str]:
    app.update_template_context(context)
    app._signal("before_render_template", template=template, context=context)

    def generate() -> t.Iterator[str]:
        yield from template.generate(context)
        app._signal("template_rendered", template=template, context=context)

    rv = generate()
    ctx = _cv_context.get(None)
    if ctx is not None and ctx.request is not None:
        # The body is produced after the view returns: keep the request alive.
        rv = stream_with_context(rv)
    return rv


def stream_template(
    template_name_or_list: str | Template | list[str | Template], **context: t.Any
) -> t.Iterator[str]:
    """Render a template piece by piece, for a streamed response body."""
    app = _current_app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _stream(app, template, context)


def stream_template_string(source: str, **context: t.Any) -> t.Iterator[str]:
    """:func:`stream_template` for a template given as a string."""
    app = _current_app()
    template = app.jinja_env.from_string(source)
    return _stream(app, template, context)


def get_template_attribute(template_name: str, attribute: str) -> t.Any:
    """A macro (or variable) a template exports, callable from Python."""
    app = _current_app()
    return getattr(app.jinja_env.get_template(template_name).module, attribute)
