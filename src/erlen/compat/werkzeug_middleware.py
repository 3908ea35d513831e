"""``werkzeug.middleware.proxy_fix`` and ``.dispatcher``.

``ProxyFix`` trusts exactly the number of proxies it is told about: the
right-most ``n`` values of each ``X-Forwarded-*`` header, never more, so a
client cannot spoof its address by sending the header itself.
"""

from __future__ import annotations

import typing as t

__all__ = ["DispatcherMiddleware", "ProxyFix"]

_WSGIApp = t.Callable[[dict[str, t.Any], t.Callable[..., t.Any]], t.Iterable[bytes]]


class ProxyFix:
    """Apply ``X-Forwarded-For/-Proto/-Host/-Port/-Prefix`` from trusted proxies."""

    def __init__(
        self,
        app: _WSGIApp,
        x_for: int = 1,
        x_proto: int = 1,
        x_host: int = 0,
        x_port: int = 0,
        x_prefix: int = 0,
    ) -> None:
        self.app = app
        self.x_for = x_for
        self.x_proto = x_proto
        self.x_host = x_host
        self.x_port = x_port
        self.x_prefix = x_prefix

    @staticmethod
    def _get_real_value(trusted: int, value: str | None) -> str | None:
        """The value ``trusted`` hops from the right, or None if too few."""
        if not (trusted and value):
            return None
        values = [v.strip() for v in value.split(",")]
        if len(values) >= trusted:
            return values[-trusted]
        return None

    def __call__(
        self, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
    ) -> t.Iterable[bytes]:
        get = environ.get
        orig_remote_addr = get("REMOTE_ADDR")
        orig_scheme = get("wsgi.url_scheme")
        orig_host = get("HTTP_HOST")
        environ["werkzeug.proxy_fix.orig"] = {
            "REMOTE_ADDR": orig_remote_addr,
            "wsgi.url_scheme": orig_scheme,
            "HTTP_HOST": orig_host,
            "SERVER_NAME": get("SERVER_NAME"),
            "SERVER_PORT": get("SERVER_PORT"),
            "SCRIPT_NAME": get("SCRIPT_NAME"),
        }
        x_for = self._get_real_value(self.x_for, get("HTTP_X_FORWARDED_FOR"))
        if x_for:
            environ["REMOTE_ADDR"] = x_for
        x_proto = self._get_real_value(self.x_proto, get("HTTP_X_FORWARDED_PROTO"))
        if x_proto:
            environ["wsgi.url_scheme"] = x_proto
        x_host = self._get_real_value(self.x_host, get("HTTP_X_FORWARDED_HOST"))
        if x_host:
            environ["HTTP_HOST"] = environ["SERVER_NAME"] = x_host
            if ":" in x_host and not x_host.endswith("]"):
                environ["SERVER_NAME"], environ["SERVER_PORT"] = x_host.rsplit(":", 1)
        x_port = self._get_real_value(self.x_port, get("HTTP_X_FORWARDED_PORT"))
        if x_port:
            host = environ.get("HTTP_HOST")
            if host:
                if ":" in host and not host.endswith("]"):
                    host = host.rsplit(":", 1)[0]
                environ["HTTP_HOST"] = f"{host}:{x_port}"
            environ["SERVER_PORT"] = x_port
        x_prefix = self._get_real_value(self.x_prefix, get("HTTP_X_FORWARDED_PREFIX"))
        if x_prefix:
            environ["SCRIPT_NAME"] = x_prefix
        return self.app(environ, start_response)


class DispatcherMiddleware:
    """Send requests under a path prefix to another WSGI app."""

    def __init__(
        self, app: _WSGIApp, mounts: dict[str, _WSGIApp] | None = None
    ) -> None:
        self.app = app
        self.mounts = mounts or {}

    def __call__(
        self, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
    ) -> t.Iterable[bytes]:
        script = environ.get("PATH_INFO", "")
        path_info = ""
        while "/" in script:
            if script in self.mounts:
                app = self.mounts[script]
                break
            script, last_item = script.rsplit("/", 1)
            path_info = f"/{last_item}{path_info}"
        else:
            app = self.mounts.get(script, self.app)
        original_script_name = environ.get("SCRIPT_NAME", "")
        environ["SCRIPT_NAME"] = original_script_name + script
        environ["PATH_INFO"] = path_info
        return app(environ, start_response)
