"""Methods Flask/Werkzeug objects have and erlen's leave out, for extensions.

- ``app.create_url_adapter(request)`` and a ``MapAdapter``: Flask-RESTX asks
  "would this path match one of my endpoints?" through them; erlen's router
  matches without an adapter object.

Compat mode adds them to erlen's classes on ``install()`` and removes them on
``uninstall()``; plain erlen apps never carry them.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from erlen.app import Erlen
    from erlen.request import Request
    from erlen.routing import Map


class MapAdapter:
    """A map bound to one request's path, method and (sub)domain."""

    def __init__(
        self,
        map: Map,
        path_info: str = "/",
        method: str = "GET",
        domain: str | None = None,
        app: Erlen | None = None,
    ) -> None:
        self.map = map
        self.path_info = path_info
        self.default_method = method
        self.domain = domain
        self.app = app

    def match(
        self,
        path_info: str | None = None,
        method: str | None = None,
        return_rule: bool = False,
        query_args: t.Any = None,
        websocket: bool | None = None,
    ) -> tuple[t.Any, dict[str, t.Any]]:
        """``(endpoint, args)``, or ``(rule, args)`` with ``return_rule``;
        raises NotFound, MethodNotAllowed or RequestRedirect like Werkzeug."""
        path = path_info if path_info is not None else self.path_info
        if not path.startswith("/"):
            path = "/" + path
        verb = (method or self.default_method).upper()
        rule, args = self.map.match(path, verb, self.domain)
        return (rule if return_rule else rule.endpoint), args

    def test(self, path_info: str | None = None, method: str | None = None) -> bool:
        """True when the path matches (redirects count as matching)."""
        from erlen.exceptions import NotFound
        from erlen.routing import RequestRedirect

        try:
            self.match(path_info, method)
        except RequestRedirect:
            return True
        except NotFound:
            return False
        return True

    def allowed_methods(self, path_info: str | None = None) -> list[str]:
        path = path_info if path_info is not None else self.path_info
        return sorted(self.map.allowed_methods(path, self.domain))

    def build(
        self,
        endpoint: str,
        values: t.Mapping[str, t.Any] | None = None,
        method: str | None = None,
        force_external: bool = False,
        append_unknown: bool = True,
        url_scheme: str | None = None,
    ) -> str:
        """Build through the app's ``url_for`` (needs the app and a context)."""
        if self.app is None:
            raise RuntimeError("this adapter is not bound to an app; use url_for()")
        return self.app.url_for(
            endpoint,
            _method=method,
            _external=force_external,
            _scheme=url_scheme,
            **dict(values or {}),
        )


def create_url_adapter(self: Erlen, request: Request | None) -> MapAdapter | None:
    """Flask's ``Flask.create_url_adapter``: bound to ``request`` when given,
    else to ``SERVER_NAME`` (None when that is not set, as in Flask)."""
    if request is not None:
        domain = getattr(request, "_domain", None)
        return MapAdapter(self.url_map, request.path, request.method, domain, self)
    if self.config.get("SERVER_NAME") is None:
        return None
    return MapAdapter(self.url_map, app=self)


#: (class path, attribute, function) added by :func:`apply`.
_ADDED: tuple[tuple[str, str, t.Callable[..., t.Any]], ...] = (
    ("erlen.app:Erlen", "create_url_adapter", create_url_adapter),
)


def _class(path: str) -> type:
    import importlib

    module, _, name = path.partition(":")
    return t.cast(type, getattr(importlib.import_module(module), name))


def apply() -> dict[str, t.Any]:
    """Add each method its class does not define itself."""
    added = []
    for path, name, func in _ADDED:
        cls = _class(path)
        if not hasattr(cls, name):
            setattr(cls, name, func)
            added.append((path, name))
    return {"compat_methods": added}


def restore(saved: dict[str, t.Any]) -> None:
    for path, name in saved.get("compat_methods", ()):
        cls = _class(path)
        if name in cls.__dict__:
            delattr(cls, name)
