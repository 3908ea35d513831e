"""Flask-Login's API on erlen: LoginManager, login_user, current_user, ...

Differences from Flask-Login 0.6.3, each for safety or speed:

- The login is bound to a revocable per-user token (see
  :mod:`erlen.auth.remember`): ``logout_user`` calls
  ``user.revoke_session_token()`` and a password change alters the token, so
  a session or remember cookie copied earlier logs nobody in.
- ``login_user`` rotates the session: a new server-side id
  (``session.regenerate()``) or, with cookie sessions, new cookie content;
  the CSRF token is replaced; a session of another user is emptied.
- Nothing runs on requests that never read ``current_user``: the user is
  loaded on first access, once, and the remember cookie is written by an
  ``after_this_request`` callback only when a login or logout asks for it.
- API requests (JSON body, or ``Accept`` preferring JSON) get a 401 with a
  JSON body instead of a redirect to the login page.
- The remember cookie is signed and timestamped, ``SameSite=Lax`` and
  ``Secure`` on https by default.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import typing as t
from datetime import timedelta
from urllib.parse import urlencode
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from ..ctx import after_this_request
from ..exceptions import abort
from ..globals import LocalProxy
from ..globals import _cv_context
from . import remember as _remember
from . import signals as _signals

if t.TYPE_CHECKING:
    from ..app import Erlen
    from ..ctx import RequestContext
    from ..response import Response
    from ..sessions import SessionMixin

__all__ = [
    "AnonymousUserMixin",
    "LoginManager",
    "UserMixin",
    "confirm_login",
    "current_user",
    "fresh_login_required",
    "login_fresh",
    "login_remembered",
    "login_required",
    "login_url",
    "login_user",
    "logout_user",
]

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

#: Session keys the login owns; login and logout remove them all.
SESSION_KEYS = (
    "_user_id",
    "_remember",
    "_remember_seconds",
    "_id",
    "_fresh",
    "_auth",
    "next",
)
#: The CSRF token (erlen.csrf) is replaced at login and logout.
_CSRF_KEY = "_csrf_token"
EXEMPT_METHODS = frozenset({"OPTIONS"})

LOGIN_MESSAGE = "Please log in to access this page."
REFRESH_MESSAGE = "Please reauthenticate to access this page."

_DEFAULTS: dict[str, t.Any] = {
    "REMEMBER_COOKIE_NAME": "remember_token",
    "REMEMBER_COOKIE_DURATION": timedelta(days=365),
    "REMEMBER_COOKIE_DOMAIN": None,
    "REMEMBER_COOKIE_PATH": "/",
    "REMEMBER_COOKIE_SECURE": None,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_REFRESH_EACH_REQUEST": False,
    "LOGIN_REVOKE_ON_LOGOUT": True,
}


class UserMixin:
    """Flask-Login's defaults for a user class, plus the revocable token.

    ``get_session_token`` joins the values of ``session_token_attributes``
    that the user has: add a ``session_token`` column (changed by
    :meth:`revoke_session_token` at logout) and keep the password hash in
    ``password_hash``; a change to either invalidates old logins.
    """

    session_token_attributes: t.ClassVar[tuple[str, ...]] = (
        "session_token",
        "password_hash",
        "password",
    )

    @property
    def is_active(self) -> bool:
        return True

    @property
    def is_authenticated(self) -> bool:
        return self.is_active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        try:
            return str(self.id)  # type: ignore[attr-defined]
        except AttributeError:
            raise NotImplementedError("No `id` attribute - override `get_id`") from None

    def get_session_token(self) -> str | None:
        """What a login is bound to; None when the user has none of the
        attributes (then logins cannot be revoked -- add ``session_token``)."""
        parts = []
        for name in self.session_token_attributes:
            value = getattr(self, name, None)
            if value is not None:
                parts.append(f"{name}={value}")
        return "\0".join(parts) if parts else None

    def revoke_session_token(self) -> None:
        """Give the user a new ``session_token``; persist it (commit) yourself."""
        self.session_token = secrets.token_urlsafe(32)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, UserMixin):
            return self.get_id() == other.get_id()
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        if equal is NotImplemented:
            return NotImplemented
        return not equal

    __hash__ = object.__hash__


class AnonymousUserMixin:
    """The user when nobody is logged in."""

    __slots__ = ()

    @property
    def is_authenticated(self) -> bool:
        return False

    @property
    def is_active(self) -> bool:
        return False

    @property
    def is_anonymous(self) -> bool:
        return True

    def get_id(self) -> None:
        return None


def _request_ctx() -> RequestContext:
    ctx = _cv_context.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError("erlen.auth needs an active request context.")
    return ctx  # type: ignore[return-value]


def _config(app: Erlen, key: str) -> t.Any:
    return app.config.get(key, _DEFAULTS.get(key))


def _duration(value: t.Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    try:
        return timedelta(seconds=float(value))
    except (TypeError, ValueError):
        raise ValueError(f"A remember-me duration must be a timedelta, not {value!r}")


def _wants_json(ctx: RequestContext) -> bool:
    request = ctx.request
    if request.is_json:
        return True
    accept = request.accept_mimetypes
    json_q = accept.quality("application/json")
    return json_q > 0 and json_q > accept.quality("text/html")


def _user_token(user: t.Any) -> str | None:
    getter = getattr(user, "get_session_token", None)
    return getter() if getter is not None else None


class LoginManager:
    """Connects login state to an app: ``LoginManager(app)`` or ``init_app``.

    Set ``login_view`` (an endpoint or URL) for browsers to be sent to, and
    register a ``user_loader`` (and optionally a ``request_loader``).
    """

    def __init__(
        self, app: Erlen | None = None, add_context_processor: bool = True
    ) -> None:
        self.anonymous_user: type[t.Any] = AnonymousUserMixin
        self.login_view: str | None = None
        self.blueprint_login_views: dict[str | None, str] = {}
        self.login_message: str | None = LOGIN_MESSAGE
        self.login_message_category = "message"
        self.refresh_view: str | None = None
        self.needs_refresh_message: str | None = REFRESH_MESSAGE
        self.needs_refresh_message_category = "message"
        #: None, "basic" (a changed client makes the login non-fresh) or
        #: "strong" (a changed client logs out); ``SESSION_PROTECTION`` wins.
        self.session_protection: str | None = "basic"
        self.localize_callback: t.Callable[[str], str] | None = None
        self.unauthorized_callback: t.Callable[[], t.Any] | None = None
        self.needs_refresh_callback: t.Callable[[], t.Any] | None = None
        self.id_attribute = "get_id"
        self._user_callback: t.Callable[[str], t.Any] | None = None
        self._request_callback: t.Callable[[t.Any], t.Any] | None = None
        if app is not None:
            self.init_app(app, add_context_processor)

    def setup_app(self, app: Erlen, add_context_processor: bool = True) -> None:
        """Flask-Login's old name for :meth:`init_app`."""
        self.init_app(app, add_context_processor)

    def init_app(self, app: Erlen, add_context_processor: bool = True) -> None:
        # No before/after_request hooks: requests that never read
        # current_user pay nothing (issue 12).
        app.login_manager = self  # type: ignore[attr-defined]
        app.extensions["login_manager"] = self
        if add_context_processor:
            app.context_processor(_user_context_processor)

    # -- registration -----------------------------------------------------------

    def user_loader(self, callback: F) -> F:
        """``callback(user_id: str)`` returns the user or None."""
        self._user_callback = callback
        return callback

    def request_loader(self, callback: F) -> F:
        """``callback(request)`` returns a user from a token header, or None."""
        self._request_callback = callback
        return callback

    def unauthorized_handler(self, callback: F) -> F:
        self.unauthorized_callback = callback
        return callback

    def needs_refresh_handler(self, callback: F) -> F:
        self.needs_refresh_callback = callback
        return callback

    # -- refusing ---------------------------------------------------------------

    def _message(self, message: str) -> str:
        if self.localize_callback is not None:
            return self.localize_callback(message)
        return message

    def _deny(
        self, ctx: RequestContext, view: str | None, message: str | None, category: str
    ) -> t.Any:
        """A JSON 401, a plain 401, or a redirect to ``view`` with ``next``."""
        if _wants_json(ctx):
            body = {"error": "unauthorized", "message": self._message(message or "")}
            response = ctx.app.json.response(body)
            response.status_code = 401
            return response
        if not view:
            abort(401)
        from ..helpers import flash
        from ..helpers import redirect

        if message:
            flash(self._message(message), category=category)
        next_target = _next_param(ctx)
        if ctx.app.config.get("USE_SESSION_FOR_NEXT"):
            ctx.session["next"] = next_target
            return redirect(login_url(view))
        return redirect(login_url(view, next_url=next_target))

    def unauthorized(self) -> t.Any:
        """What ``login_required`` returns for an anonymous user."""
        ctx = _request_ctx()
        _signals.send(_signals.user_unauthorized, ctx.app)
        if self.unauthorized_callback is not None:
            return self.unauthorized_callback()
        view = self.login_view
        for name in ctx.request.blueprints:
            if name in self.blueprint_login_views:
                view = self.blueprint_login_views[name]
                break
        return self._deny(ctx, view, self.login_message, self.login_message_category)

    def needs_refresh(self) -> t.Any:
        """What ``fresh_login_required`` returns for a non-fresh login."""
        ctx = _request_ctx()
        _signals.send(_signals.user_needs_refresh, ctx.app)
        if self.needs_refresh_callback is not None:
            return self.needs_refresh_callback()
        return self._deny(
            ctx,
            self.refresh_view,
            self.needs_refresh_message,
            self.needs_refresh_message_category,
        )

    # -- loading ----------------------------------------------------------------

    def _update_request_context_with_user(self, user: t.Any = None) -> None:
        ctx = _request_ctx()
        ctx.g.__dict__["_login_user"] = self.anonymous_user() if user is None else user

    def _load_user(self) -> None:
        """Find the user once per request: session, remember cookie, request."""
        if self._user_callback is None and self._request_callback is None:
            raise Exception(
                "Missing user_loader or request_loader. Refer to"
                " the erlen.auth documentation (docs/auth.md)."
            )
        ctx = _request_ctx()
        app = ctx.app
        _signals.send(_signals.user_accessed, app)
        session = ctx.session
        user = None
        if "_user_id" in session and not self._protection_failed(ctx, session):
            user = self._load_from_session(ctx, session)
        if user is None and not ctx.g.get("_login_remember_cleared"):
            cookie = ctx.request.cookies.get(_config(app, "REMEMBER_COOKIE_NAME"))
            if cookie:
                user = self._load_from_remember_cookie(ctx, cookie)
        if user is None and self._request_callback is not None:
            user = self._request_callback(ctx.request)
            if user is not None:
                ctx.g.__dict__["_login_user"] = user
                _signals.send(_signals.user_loaded_from_request, app, user=user)
        ctx.g.__dict__["_login_user"] = self.anonymous_user() if user is None else user

    def _load_from_session(self, ctx: RequestContext, session: SessionMixin) -> t.Any:
        user_id = session["_user_id"]
        user = None
        if self._user_callback is not None and isinstance(user_id, str):
            user = self._user_callback(user_id)
        if user is not None and _remember.check_proof(
            ctx.app, "session", session.get("_auth"), user_id, _user_token(user)
        ):
            if _config(ctx.app, "REMEMBER_COOKIE_REFRESH_EACH_REQUEST"):
                name = _config(ctx.app, "REMEMBER_COOKIE_NAME")
                if name in ctx.request.cookies:
                    seconds = session.get("_remember_seconds")
                    _schedule_remember(ctx, "set", user, seconds)
            return user
        # Revoked (logout elsewhere, password change), forged or user gone.
        _drop_login(session)
        return None

    def _load_from_remember_cookie(self, ctx: RequestContext, cookie: str) -> t.Any:
        app = ctx.app
        decoded = _remember.decode_remember_cookie(app, cookie)
        user = None
        if decoded is not None and self._user_callback is not None:
            user_id, proof = decoded
            user = self._user_callback(user_id)
            if user is not None and not _remember.check_proof(
                app, "remember", proof, user_id, _user_token(user)
            ):
                user = None
        if user is None:
            _schedule_remember(ctx, "clear")
            return None
        # A login like login_user's, only not fresh.
        _start_login(ctx, user, fresh=False)
        _signals.send(_signals.user_loaded_from_cookie, app, user=user)
        return user

    def _session_identifier(self, ctx: RequestContext) -> str:
        request = ctx.request
        agent = request.environ.get("HTTP_USER_AGENT", "")
        base = f"{request.remote_addr}|{agent}".encode("utf-8", "replace")
        # A short digest keeps the session cookie small (Flask-Login: sha512).
        return hashlib.blake2b(base, digest_size=16).hexdigest()

    def _protection_failed(self, ctx: RequestContext, session: SessionMixin) -> bool:
        """Flask-Login's session protection; True when the login was dropped."""
        mode = ctx.app.config.get("SESSION_PROTECTION", self.session_protection)
        if mode not in ("basic", "strong"):
            return False
        if session.get("_id") == self._session_identifier(ctx):
            return False
        _signals.send(_signals.session_protected, ctx.app)
        if mode == "basic" or session.permanent:
            if session.get("_fresh") is not False:
                session["_fresh"] = False
            return False
        _drop_login(session)
        _schedule_remember(ctx, "clear")
        return True


def _drop_login(session: SessionMixin, keep: str | None = None) -> None:
    for key in SESSION_KEYS:
        if key in session and key != keep:
            del session[key]


def _rotate_session(ctx: RequestContext, user_id: str) -> SessionMixin:
    """Fixation guard: new id (server sessions) or new content (cookies)."""
    session = ctx.session
    previous = session.get("_user_id")
    if previous is not None and previous != user_id:
        session.clear()  # another user's session: carry nothing over
    else:
        # ``next`` stays for the login view (USE_SESSION_FOR_NEXT).
        _drop_login(session, keep="next")
    session.pop(_CSRF_KEY, None)
    ctx.g.pop(_CSRF_KEY, None)
    regenerate = getattr(session, "regenerate", None)
    if regenerate is not None:
        regenerate()
    return session


def _start_login(
    ctx: RequestContext, user: t.Any, fresh: bool, remember_seconds: float | None = None
) -> None:
    manager: LoginManager = ctx.app.login_manager  # type: ignore[attr-defined]
    user_id = getattr(user, manager.id_attribute)()
    if not isinstance(user_id, str):
        user_id = str(user_id)
    session = _rotate_session(ctx, user_id)
    session["_user_id"] = user_id
    session["_fresh"] = fresh
    session["_id"] = manager._session_identifier(ctx)
    session["_auth"] = _remember.make_proof(
        ctx.app, "session", user_id, _user_token(user)
    )
    if remember_seconds is not None:
        session["_remember_seconds"] = remember_seconds
    ctx.g.__dict__["_login_user"] = user


def _schedule_remember(
    ctx: RequestContext, op: str, user: t.Any = None, seconds: float | None = None
) -> None:
    """Set or clear the remember cookie on this request's response."""
    g = ctx.g
    pending = g.get("_login_remember")
    g.__dict__["_login_remember"] = (op, user, seconds)
    g.__dict__["_login_remember_cleared"] = op == "clear"
    if pending is None:
        after_this_request(_update_remember_cookie)


def _update_remember_cookie(response: Response) -> Response:
    ctx = _request_ctx()
    app = ctx.app
    op, user, seconds = ctx.g.pop("_login_remember")
    name = _config(app, "REMEMBER_COOKIE_NAME")
    secure = _config(app, "REMEMBER_COOKIE_SECURE")
    if secure is None:
        secure = ctx.request.is_secure
    options: dict[str, t.Any] = {
        "path": _config(app, "REMEMBER_COOKIE_PATH"),
        "domain": _config(app, "REMEMBER_COOKIE_DOMAIN"),
        "secure": bool(secure),
        "httponly": bool(_config(app, "REMEMBER_COOKIE_HTTPONLY")),
        "samesite": _config(app, "REMEMBER_COOKIE_SAMESITE"),
    }
    if op == "clear":
        if name in ctx.request.cookies:
            response.delete_cookie(name, **options)
        return response
    manager: LoginManager = app.login_manager  # type: ignore[attr-defined]
    if seconds is None:
        duration = _duration(_config(app, "REMEMBER_COOKIE_DURATION"))
    else:
        duration = _duration(seconds)
    user_id = str(getattr(user, manager.id_attribute)())
    value = _remember.encode_remember_cookie(app, user_id, _user_token(user), duration)
    response.set_cookie(name, value, max_age=duration, **options)
    return response


def _next_param(ctx: RequestContext) -> str:
    """Where to come back after login: this request's path, relative."""
    request = ctx.request
    path = request.script_root + request.path
    return request.script_root + request.full_path if request.query_string else path


def login_url(
    login_view: str, next_url: str | None = None, next_field: str = "next"
) -> str:
    """The login page URL (endpoint or URL) with ``next`` in its query."""
    if "/" in login_view:
        base = login_view
    else:
        from ..helpers import url_for

        base = url_for(login_view)
    if next_url is None:
        return base
    parts = urlsplit(base)
    query = urlencode([(next_field, next_url)])
    query = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


# -- the functions views call ----------------------------------------------------


def _get_user() -> t.Any:
    ctx = _cv_context.get(None)
    if ctx is None or ctx.request is None:
        return None
    user = ctx.g.__dict__.get("_login_user")
    if user is None:
        ctx.app.login_manager._load_user()  # type: ignore[attr-defined]
        user = ctx.g.__dict__.get("_login_user")
    return user


class _CurrentUserProxy(LocalProxy):
    """``current_user``: the logged-in user, loaded on first access."""

    __slots__ = ()

    def _get_current_object(self) -> t.Any:
        user = _get_user()
        if user is None:
            raise RuntimeError(self._erlen_msg)
        return user

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._get_current_object(), name)


current_user: t.Any = _CurrentUserProxy(
    "current_user", "current_user needs an active request context."
)


def _user_context_processor() -> dict[str, t.Any]:
    # The proxy, not the user: a template that never reads it loads nothing.
    return {"current_user": current_user}


def login_user(
    user: t.Any,
    remember: bool = False,
    duration: timedelta | None = None,
    force: bool = False,
    fresh: bool = True,
) -> bool:
    """Log ``user`` in; False (and nothing changed) for an inactive user.

    The session gets a new identity (fixation guard).  With ``remember`` a
    remember-me cookie lasting ``duration`` (``REMEMBER_COOKIE_DURATION``)
    is set on the response.
    """
    if not force and not user.is_active:
        return False
    if duration is not None and not isinstance(duration, timedelta):
        raise TypeError(
            "duration must be a datetime.timedelta, instead got: " + repr(duration)
        )
    ctx = _request_ctx()
    seconds = duration.total_seconds() if duration is not None else None
    _start_login(ctx, user, fresh, seconds)
    if remember:
        _schedule_remember(ctx, "set", user, seconds)
    _signals.send(_signals.user_logged_in, ctx.app, user=user)
    return True


def logout_user() -> bool:
    """Log out: revoke the user's token, empty the session, drop the remember
    cookie.

    ``LOGIN_REVOKE_ON_LOGOUT`` (True) calls ``user.revoke_session_token()``,
    which ends the user's other logins too: with cookie sessions there is no
    server-side record of one login to revoke (see docs/auth.md).
    """
    ctx = _request_ctx()
    app = ctx.app
    user = _get_user()
    if (
        user is not None
        and user.is_authenticated
        and _config(app, "LOGIN_REVOKE_ON_LOGOUT")
    ):
        revoke = getattr(user, "revoke_session_token", None)
        if revoke is not None:
            revoke()
    # Like Django: the whole session goes (a shared computer keeps nothing),
    # and a server-side session also gets a new id.
    session = ctx.session
    session.clear()
    ctx.g.pop(_CSRF_KEY, None)
    regenerate = getattr(session, "regenerate", None)
    if regenerate is not None:
        regenerate()
    _schedule_remember(ctx, "clear")
    manager: LoginManager = app.login_manager  # type: ignore[attr-defined]
    ctx.g.__dict__["_login_user"] = manager.anonymous_user()
    _signals.send(_signals.user_logged_out, app, user=user)
    return True


def confirm_login() -> None:
    """Mark the login fresh again (after re-entering the password)."""
    ctx = _request_ctx()
    user = _get_user()
    if user is not None and user.is_authenticated:
        # A new identity for the elevated login, as at login.
        _start_login(ctx, user, fresh=True, remember_seconds=None)
    else:
        ctx.session["_fresh"] = True
    _signals.send(_signals.user_login_confirmed, ctx.app)


def login_fresh() -> bool:
    """True when the user logged in with a password in this session."""
    return bool(_request_ctx().session.get("_fresh", False))


def login_remembered() -> bool:
    """True when the remember cookie is present."""
    ctx = _request_ctx()
    name = _config(ctx.app, "REMEMBER_COOKIE_NAME")
    return name in ctx.request.cookies


def _login_check() -> t.Any:
    """None when the request may go on, else ``LoginManager.unauthorized()``."""
    ctx = _request_ctx()
    app = ctx.app
    if ctx.request.method in EXEMPT_METHODS or app.config.get("LOGIN_DISABLED"):
        return None
    if not current_user.is_authenticated:
        manager: LoginManager = app.login_manager  # type: ignore[attr-defined]
        return manager.unauthorized()
    return None


def _guarded(func: F, check: t.Callable[[], t.Any]) -> F:
    """``func`` behind ``check`` (a refusal or None), marked for OpenAPI and
    with the check exposed so typed views can run it before validating."""

    @functools.wraps(func)
    def decorated_view(*args: t.Any, **kwargs: t.Any) -> t.Any:
        denied = check()
        if denied is not None:
            return denied
        return _request_ctx().app.ensure_sync(func)(*args, **kwargs)

    decorated_view.login_required = True  # type: ignore[attr-defined]
    decorated_view.login_check = check  # type: ignore[attr-defined]
    return t.cast(F, decorated_view)


def login_required(func: F) -> F:
    """Refuse anonymous users (``LoginManager.unauthorized``).

    The view is marked ``login_required`` (OpenAPI lists a security
    requirement) and carries ``login_check``, which typed views (erlen.api)
    run before validating, so anonymous users learn nothing from a 422.
    """

    return _guarded(func, _login_check)


def _fresh_login_check() -> t.Any:
    """``login_required``'s check, and a login restored from a remember
    cookie is sent to ``LoginManager.needs_refresh``."""
    denied = _login_check()
    if denied is not None:
        return denied
    ctx = _request_ctx()
    app = ctx.app
    if ctx.request.method in EXEMPT_METHODS or app.config.get("LOGIN_DISABLED"):
        return None
    if not login_fresh():
        manager: LoginManager = app.login_manager  # type: ignore[attr-defined]
        return manager.needs_refresh()
    return None


def fresh_login_required(func: F) -> F:
    """Refuse anonymous users and logins restored from a remember cookie.

    Marked like ``login_required`` (OpenAPI security; typed views run the
    check before validating).
    """

    return _guarded(func, _fresh_login_check)
