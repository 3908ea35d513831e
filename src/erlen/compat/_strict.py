"""Flask's spellings and, with ``ERLEN_COMPAT_STRICT=1``, Flask's defaults.

:func:`apply_names` runs on every ``install()``: Flask code says ``FLASK_*``
where erlen says ``ERLEN_*`` (docs/differences-from-flask.md, "Names that say
erlen").  :func:`apply_strict` runs only in strict mode: each entry of
:data:`FLASK_DEFAULTS` is one difference where erlen's default is the safer
one.  Both only touch class-level defaults, so an app's own settings win, and
both are undone by ``uninstall()``.
"""

from __future__ import annotations

import typing as t

#: key -> Flask 3.1's default; erlen's is in ``Erlen.default_config``.
FLASK_DEFAULTS: dict[str, t.Any] = {
    # erlen: 16 MiB, enforced while reading
    "MAX_CONTENT_LENGTH": None,
    # erlen: 1,000 url-encoded/multipart fields; Flask has no cap
    "MAX_FORM_FIELDS": None,
    # erlen: 1,000 query fields; Flask has no cap
    "MAX_QUERY_FIELDS": None,
    # erlen: "Lax"
    "SESSION_COOKIE_SAMESITE": None,
    # erlen: None = Secure when the request came over https
    "SESSION_COOKIE_SECURE": False,
}


def apply_names() -> dict[str, t.Any]:
    """``app.config.from_prefixed_env()`` reads ``FLASK_*``, as in Flask."""
    from erlen.config import Config

    func = Config.from_prefixed_env
    saved = {"prefixed_env_defaults": func.__defaults__}
    func.__defaults__ = ("FLASK",)
    saved.update(_apply_flask_looks())
    from erlen import serving

    names = serving.RUN_FROM_CLI_VARIABLES
    saved["run_from_cli"] = names
    serving.RUN_FROM_CLI_VARIABLES = (*names, "FLASK_RUN_FROM_CLI")
    return saved


def _apply_flask_looks() -> dict[str, t.Any]:
    """What Flask tests see: ``repr(g)`` says ``flask.g``; the test client
    sends Werkzeug's User-Agent, sends ``Secure`` cookies over http and keeps
    cookies for other domains, as Werkzeug's does.  Test-only."""
    from erlen.ctx import _AppCtxGlobals
    from erlen.testing import Client
    from erlen.testing import ErlenClient

    from ._metadata import WERKZEUG_VERSION

    saved = {
        "client_cookie_rules": Client.__dict__.get("browser_cookie_rules"),
        "client_user_agent": ErlenClient.__dict__.get("default_user_agent"),
    }
    Client.browser_cookie_rules = False
    ErlenClient.default_user_agent = f"Werkzeug/{WERKZEUG_VERSION}"
    saved["g_repr_name"] = _AppCtxGlobals.__dict__.get("_repr_name")
    _AppCtxGlobals._repr_name = "flask.g"
    return saved


def apply_strict() -> dict[str, t.Any]:
    """Switch ``Erlen.default_config`` to Flask's values for the differences."""
    from erlen.app import Erlen

    saved = {"default_config": Erlen.default_config}
    Erlen.default_config = {**Erlen.default_config, **FLASK_DEFAULTS}
    return saved


def restore(saved: dict[str, t.Any]) -> None:
    from erlen.app import Erlen
    from erlen.config import Config

    if "default_config" in saved:
        Erlen.default_config = saved["default_config"]
    if "prefixed_env_defaults" in saved:
        Config.from_prefixed_env.__defaults__ = saved["prefixed_env_defaults"]
    if "run_from_cli" in saved:
        from erlen import serving

        serving.RUN_FROM_CLI_VARIABLES = saved["run_from_cli"]
    if "client_cookie_rules" in saved:
        from erlen.testing import Client
        from erlen.testing import ErlenClient

        Client.browser_cookie_rules = saved["client_cookie_rules"]
        ErlenClient.default_user_agent = saved["client_user_agent"]
    if saved.get("g_repr_name"):
        from erlen.ctx import _AppCtxGlobals

        _AppCtxGlobals._repr_name = saved["g_repr_name"]
