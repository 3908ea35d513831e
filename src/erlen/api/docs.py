"""``/docs``: an interactive page for the app's OpenAPI document.

Off unless asked for: :func:`enable_docs` adds the page, its script and
stylesheet (shipped in the package, no CDN) and ``/openapi.json``; setting
``OPENAPI_DOCS = False`` in the config turns them into 404s again (say, in
production).  The page is served with a strict Content-Security-Policy.
"""

from __future__ import annotations

import html
import json
import typing as t
from importlib import resources

from ..exceptions import NotFound
from ..globals import current_app
from ..globals import request
from ..helpers import url_for
from .openapi import doc

if t.TYPE_CHECKING:
    from ..app import Erlen
    from ..response import Response

__all__ = ["enable_docs"]

_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
    " img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_TYPES = {"js": "text/javascript", "css": "text/css"}


def _asset(name: str) -> str:
    return (resources.files(__package__) / "assets" / name).read_text("utf-8")


def _enabled() -> None:
    if current_app.config.get("OPENAPI_DOCS") is False:
        raise NotFound()


def enable_docs(
    app: Erlen,
    *,
    path: str = "/docs",
    spec_path: str = "/openapi.json",
    endpoint_prefix: str = "erlen_docs",
) -> None:
    """Serve the explorer at ``path`` and the document at ``spec_path``."""
    page = _asset("docs.html")
    script = _asset("explorer.js").encode()
    style = _asset("explorer.css").encode()
    cache: dict[str, bytes] = {}

    @doc(hidden=True)
    def openapi_json() -> Response:
        _enabled()
        body = cache.get("spec")
        if body is None:
            body = json.dumps(current_app.openapi(), indent=2).encode()
            if not current_app.debug:
                cache["spec"] = body  # routes are frozen after the first request
        return current_app.response_class(body, mimetype="application/json")

    @doc(hidden=True)
    def docs_page() -> Response:
        _enabled()
        token = ""
        if "csrf" in current_app.extensions:
            from ..csrf import generate_csrf

            token = generate_csrf()
        body = page.format(
            title=html.escape(str(current_app.openapi()["info"]["title"])),
            spec_url=html.escape(url_for(f"{endpoint_prefix}_spec")),
            js_url=html.escape(url_for(f"{endpoint_prefix}_asset", name="js")),
            css_url=html.escape(url_for(f"{endpoint_prefix}_asset", name="css")),
            csrf_token=html.escape(token),
            script_root=html.escape(request.script_root),
        )
        response = current_app.response_class(body, mimetype="text/html")
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @doc(hidden=True)
    def docs_asset(name: str) -> Response:
        _enabled()
        response = current_app.response_class(
            script if name == "js" else style, mimetype=_TYPES[name]
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    app.add_url_rule(spec_path, f"{endpoint_prefix}_spec", openapi_json)
    app.add_url_rule(path, f"{endpoint_prefix}_page", docs_page)
    app.add_url_rule(
        f"{path}/explorer.<any(js, css):name>",
        f"{endpoint_prefix}_asset",
        docs_asset,
    )
