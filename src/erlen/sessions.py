"""Sessions: the interface the app calls, and the signed-cookie default.

The app opens the session the first time a request touches ``session`` (see
``RequestContext.session``) and hands it back to :meth:`SessionInterface.
save_session` after the view.  :class:`SecureCookieSessionInterface` keeps
the whole session in a cookie signed with itsdangerous; server-side stores
subclass :class:`SessionInterface` and reuse its cookie helpers.

The cookie format is Flask's (same salt, HMAC-SHA1 key derivation and
signature, same tagged JSON), so an app moved from Flask keeps its users'
sessions.  HMAC-SHA1 has no known forgery attack; the hash's collision
weakness does not carry over to HMAC.
"""

from __future__ import annotations

import hashlib
import re
import struct
import typing as t
import zlib
from binascii import a2b_base64
from binascii import b2a_base64
from collections.abc import MutableMapping
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from hmac import compare_digest

from itsdangerous import BadData
from itsdangerous import TimestampSigner
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.signer import HMACAlgorithm
from itsdangerous.url_safe import URLSafeSerializerMixin

from .globals import _cv_context
from .tag import TaggedJSONSerializer

if t.TYPE_CHECKING:
    from .app import Erlen
    from .request import Request
    from .response import Response

__all__ = [
    "NullSession",
    "SecureCookieSession",
    "SecureCookieSessionInterface",
    "SessionInterface",
    "SessionMixin",
    "session_json_serializer",
]

#: The serializer the cookie session signs (Flask's tagged JSON).
session_json_serializer = TaggedJSONSerializer()

# What URLSafeTimedSerializer can produce: URL-safe base64 and the "."
# separators (a compressed payload starts with one more ".").
_SIGNED_COOKIE_RE = re.compile(r"[A-Za-z0-9_\-.]+")
#: ``bytes.translate`` table: those characters to "a", any other byte to NUL.
_SIGNED_COOKIE_MAP = bytes(
    0x61 if b < 128 and _SIGNED_COOKIE_RE.fullmatch(chr(b)) else 0 for b in range(256)
)


class SessionMixin(MutableMapping[str, t.Any]):
    """What every session offers besides the mapping: the tracking flags."""

    __slots__ = ()

    #: True when no session existed before this request (if the store knows).
    new = False
    #: True when the session must be saved; set it yourself after changing a
    #: mutable value in place (``session["cart"].append(x)``).
    modified = True
    #: True when the session was read, so the response varies by Cookie.
    accessed = True

    @property
    def permanent(self) -> bool:
        """Whether the cookie outlives the browser (``PERMANENT_SESSION_LIFETIME``)."""
        return bool(self.get("_permanent", False))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)


class SecureCookieSession(dict, SessionMixin):  # type: ignore[type-arg]
    """A dict that records whether it was read (``accessed``) or changed
    (``modified``), so the cookie is written, and ``Vary: Cookie`` added,
    only when needed.

    The methods call dict's own directly, as ``super()`` costs more than
    the lookup it wraps (bench `session`).  dict comes next in the MRO
    unless a subclass also inherits another dict subclass, whose methods
    these would then skip.
    """

    __slots__ = ("modified", "accessed", "new")

    def __init__(
        self, initial: t.Mapping[str, t.Any] | None = None, new: bool = False
    ) -> None:
        if initial:
            dict.__init__(self, initial)
        else:
            dict.__init__(self)
        self.modified = False
        self.accessed = False
        self.new = new

    # -- reads ------------------------------------------------------------------

    def __getitem__(self, key: str) -> t.Any:
        self.accessed = True
        return dict.__getitem__(self, key)

    def get(self, key: str, default: t.Any = None) -> t.Any:
        self.accessed = True
        return dict.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        self.accessed = True
        return dict.__contains__(self, key)

    def __iter__(self) -> t.Iterator[str]:
        self.accessed = True
        return dict.__iter__(self)

    def __len__(self) -> int:
        self.accessed = True
        return dict.__len__(self)

    def keys(self) -> t.Any:
        self.accessed = True
        return dict.keys(self)

    def values(self) -> t.Any:
        self.accessed = True
        return dict.values(self)

    def items(self) -> t.Any:
        self.accessed = True
        return dict.items(self)

    # -- writes -----------------------------------------------------------------

    def __setitem__(self, key: str, value: t.Any) -> None:
        self.accessed = self.modified = True
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: str) -> None:
        self.accessed = True
        dict.__delitem__(self, key)
        self.modified = True

    def setdefault(self, key: str, default: t.Any = None) -> t.Any:
        self.accessed = True
        if not dict.__contains__(self, key):
            self.modified = True
        return dict.setdefault(self, key, default)

    def pop(self, key: str, *default: t.Any) -> t.Any:
        self.accessed = True
        if dict.__contains__(self, key):
            self.modified = True
        return dict.pop(self, key, *default)

    def popitem(self) -> tuple[str, t.Any]:
        self.accessed = True
        item = dict.popitem(self)
        self.modified = True
        return item

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:
        self.accessed = self.modified = True
        dict.update(self, *args, **kwargs)

    def __ior__(self, other: t.Any) -> SecureCookieSession:  # type: ignore[override,misc]
        self.update(other)
        return self

    def clear(self) -> None:
        self.accessed = self.modified = True
        dict.clear(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"


_NO_SECRET_KEY = (
    "The session is unavailable because no secret key was set. Set the"
    " secret_key on the application (app.secret_key or the SECRET_KEY"
    " setting) to something unique and secret."
)


class NullSession(SecureCookieSession):
    """The session of an app without a secret key: readable (empty), and any
    write raises a RuntimeError that says what to configure."""

    __slots__ = ()

    def _fail(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise RuntimeError(_NO_SECRET_KEY)

    __setitem__ = __delitem__ = clear = pop = popitem = _fail  # type: ignore[assignment]
    update = setdefault = __ior__ = _fail  # type: ignore[assignment]


class SessionInterface:
    """How the app opens and saves sessions; subclass it for another store.

    ``open_session`` returns the session (or None, meaning "unavailable",
    which gives a :class:`NullSession`); ``save_session`` writes it to the
    response.  The ``get_cookie_*`` methods read the ``SESSION_COOKIE_*``
    settings, and :meth:`write_session_cookie` / :meth:`delete_session_cookie`
    apply them, so a server-side store only decides what the cookie holds.
    """

    null_session_class: type[SessionMixin] = NullSession
    #: Flask's flag for pickle-based stores; nothing in erlen reads it.
    pickle_based = False

    def make_null_session(self, app: Erlen) -> SessionMixin:
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        if (
            obj.__class__ is SecureCookieSession
            and self.null_session_class is NullSession
        ):
            # PERF: the usual answer, without isinstance() against an ABC,
            # which runs ABCMeta.__instancecheck__ (bench `session`).
            return False
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: Erlen) -> str:
        # Annotated, not t.cast: a call per request for the type checker.
        name: str = app.config["SESSION_COOKIE_NAME"]
        return name

    def get_cookie_domain(self, app: Erlen) -> str | None:
        return app.config["SESSION_COOKIE_DOMAIN"] or None

    def get_cookie_path(self, app: Erlen) -> str:
        return t.cast(
            str, app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"]
        )

    def get_cookie_httponly(self, app: Erlen) -> bool:
        return bool(app.config["SESSION_COOKIE_HTTPONLY"])

    def get_cookie_secure(self, app: Erlen) -> bool:
        """``SESSION_COOKIE_SECURE``; when None, whether this request is https."""
        value = app.config["SESSION_COOKIE_SECURE"]
        if value is not None:
            return bool(value)
        ctx = _cv_context.get(None)
        request = ctx.request if ctx is not None else None
        return request is not None and request.is_secure

    def get_cookie_samesite(self, app: Erlen) -> str | None:
        return t.cast("str | None", app.config["SESSION_COOKIE_SAMESITE"])

    def get_cookie_partitioned(self, app: Erlen) -> bool:
        return bool(app.config["SESSION_COOKIE_PARTITIONED"])

    def get_expiration_time(self, app: Erlen, session: SessionMixin) -> datetime | None:
        """When a permanent session's cookie expires; None for a browser session."""
        if session.permanent:
            lifetime: timedelta = app.permanent_session_lifetime
            return datetime.now(timezone.utc) + lifetime
        return None

    def should_set_cookie(self, app: Erlen, session: SessionMixin) -> bool:
        """Write when modified, or to slide a permanent session's expiry."""
        return session.modified or (
            session.permanent and bool(app.config["SESSION_REFRESH_EACH_REQUEST"])
        )

    def write_session_cookie(
        self, app: Erlen, session: SessionMixin, response: Response, value: str
    ) -> None:
        """Set the session cookie to ``value`` with the configured attributes."""
        if _own_cookie_settings(type(self)):
            # PERF: the settings straight from the config, not through eight
            # method calls (bench `session`); the same values.
            config = app.config
            secure = config["SESSION_COOKIE_SECURE"]
            if secure is None:  # as get_cookie_secure: the request's scheme
                ctx = _cv_context.get(None)
                request = ctx.request if ctx is not None else None
                secure = request is not None and request.is_secure
            if type(session) is SecureCookieSession:
                permanent = dict.get(session, "_permanent", False)
            else:
                permanent = session.permanent
            expires = None
            if permanent:
                expires = datetime.now(timezone.utc) + app.permanent_session_lifetime
            response.set_cookie(
                config["SESSION_COOKIE_NAME"],
                value,
                expires=expires,
                path=config["SESSION_COOKIE_PATH"] or config["APPLICATION_ROOT"],
                domain=config["SESSION_COOKIE_DOMAIN"] or None,
                secure=bool(secure),
                httponly=bool(config["SESSION_COOKIE_HTTPONLY"]),
                samesite=config["SESSION_COOKIE_SAMESITE"],
                partitioned=bool(config["SESSION_COOKIE_PARTITIONED"]),
            )
            return
        response.set_cookie(
            self.get_cookie_name(app),
            value,
            expires=self.get_expiration_time(app, session),
            path=self.get_cookie_path(app),
            domain=self.get_cookie_domain(app),
            secure=self.get_cookie_secure(app),
            httponly=self.get_cookie_httponly(app),
            samesite=self.get_cookie_samesite(app),
            partitioned=self.get_cookie_partitioned(app),
        )

    def delete_session_cookie(self, app: Erlen, response: Response) -> None:
        """Expire the session cookie (same name, path and domain as set)."""
        response.delete_cookie(
            self.get_cookie_name(app),
            path=self.get_cookie_path(app),
            domain=self.get_cookie_domain(app),
            secure=self.get_cookie_secure(app),
            httponly=self.get_cookie_httponly(app),
            samesite=self.get_cookie_samesite(app),
            partitioned=self.get_cookie_partitioned(app),
        )

    def open_session(self, app: Erlen, request: Request) -> SessionMixin | None:
        raise NotImplementedError()

    def _may_refresh(self, app: Erlen, request: Request) -> bool:
        """Whether a session the view never touched may still need saving
        (a permanent one slides its expiry); False lets the app skip opening
        it.  Here: whenever the request carries the session cookie."""
        return self.get_cookie_name(app) in request.cookies

    def save_session(
        self, app: Erlen, session: SessionMixin, response: Response
    ) -> None:
        raise NotImplementedError()


_COOKIE_SETTINGS = (
    "get_cookie_name",
    "get_cookie_domain",
    "get_cookie_path",
    "get_cookie_httponly",
    "get_cookie_secure",
    "get_cookie_samesite",
    "get_cookie_partitioned",
    "get_expiration_time",
)
#: Interface classes -> whether they keep SessionInterface's own getters.
_OWN_SETTINGS: dict[type, bool] = {}


def _own_cookie_settings(cls: type) -> bool:
    """Whether ``cls`` reads every cookie setting as SessionInterface does
    (then ``write_session_cookie`` may read the config itself)."""
    own = _OWN_SETTINGS.get(cls)
    if own is None:
        own = _OWN_SETTINGS[cls] = all(
            getattr(cls, name) is getattr(SessionInterface, name)
            for name in _COOKIE_SETTINGS
        )
    return own


_B64_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_B64_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")
_int_to_bytes = struct.Struct(">Q").pack
_bytes_to_int = struct.Struct(">Q").unpack


def _b64encode(data: bytes) -> bytes:
    """itsdangerous's ``base64_encode``: URL-safe, unpadded."""
    return b2a_base64(data, newline=False).translate(_B64_TO_URLSAFE).rstrip(b"=")


#: The padding an unpadded base64 text of length ``n`` needs: ``_PAD[n & 3]``.
_PAD = (b"", b"===", b"==", b"=")


def _b64decode(data: bytes) -> bytes:
    """itsdangerous's ``base64_decode`` (as lenient: stray bytes are skipped)."""
    return a2b_base64(data.translate(_B64_FROM_URLSAFE) + _PAD[len(data) & 3])


_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))
#: Shorter JSON is never zlib-compressed: a compressor costs more than the few
#: bytes it could save, and the reader takes both forms.
_COMPRESS_FROM = 256


class _PaddedHMAC(HMACAlgorithm):
    """HMAC (RFC 2104) with each key's padded inner and outer hash states
    computed once; ``hmac.new`` redoes that for every signature."""

    def __init__(self, digest_method: t.Any = None) -> None:
        super().__init__(digest_method)
        self._pads: dict[bytes, tuple[t.Any, t.Any]] = {}

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return _sign(self.pads(key), value)

    def pads(self, key: bytes) -> tuple[t.Any, t.Any]:
        """The inner and outer hash states for ``key`` (copy before use)."""
        pads = self._pads.get(key)
        if pads is None:
            pads = self._pads[key] = self._make_pads(key)
        return pads

    def _make_pads(self, key: bytes) -> tuple[t.Any, t.Any]:
        block = self.digest_method().block_size
        if len(key) > block:
            key = self.digest_method(key).digest()
        key = key.ljust(block, b"\0")
        if len(self._pads) >= 16:
            self._pads.clear()
        return (
            self.digest_method(key.translate(_IPAD)),
            self.digest_method(key.translate(_OPAD)),
        )


def _sign(pads: tuple[t.Any, t.Any], value: bytes) -> bytes:
    inner = pads[0].copy()
    inner.update(value)
    outer = pads[1].copy()
    outer.update(inner.digest())
    digest: bytes = outer.digest()
    return digest


class _SessionSigner(TimestampSigner):
    """A TimestampSigner that derives each key once, not on every call.

    The derived key depends only on the secret and the salt, and itsdangerous
    recomputes it (one more HMAC) for every sign and verify.
    """

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._derived: dict[str | bytes | None, bytes] = {}
        if type(self.algorithm) is HMACAlgorithm and callable(self.digest_method):
            self.algorithm = _PaddedHMAC(self.digest_method)

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        key = self._derived.get(secret_key)
        if key is None:
            key = self._derived[secret_key] = super().derive_key(secret_key)
        return key


class _SessionSerializer(URLSafeTimedSerializer):
    """Reuses one signer for the default salt instead of building one (and
    re-deriving its keys) for every ``dumps`` and ``loads``."""

    default_signer = _SessionSigner

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._signer: t.Any = super().make_signer()
        signer = self._signer
        # The inlined dumps/loads cover the configuration the cookie session
        # builds; any other takes itsdangerous's own path.
        self._fast = (
            type(signer) is _SessionSigner
            and type(signer.algorithm) is _PaddedHMAC
            and signer.sep == b"."
            and not self.fallback_signers
            and not self.serializer_kwargs
            and self.is_text_serializer
        )
        self._stamp: tuple[int | None, bytes] = (None, b"")
        if self._fast:
            # PERF: each key's HMAC states, newest (the signing key) first,
            # so a signature costs no method calls or lookups (`session`).
            algorithm = t.cast(_PaddedHMAC, signer.algorithm)
            self._key_pads = [
                algorithm.pads(signer.derive_key(key))
                for key in reversed(signer.secret_keys)
            ]

    def make_signer(self, salt: str | bytes | None = None) -> t.Any:
        # iter_unsigners passes self.salt itself rather than None.
        if salt is None or salt is self.salt:
            return self._signer
        return super().make_signer(salt)

    def dumps(self, obj: t.Any, salt: str | bytes | None = None) -> t.Any:
        """itsdangerous's ``dumps``, inlined for the usual signer (the bytes
        are the same: payload, ``.``, timestamp, ``.``, HMAC, all base64)."""
        signer = self._signer
        if salt is not None or not self._fast:
            return super().dumps(obj, salt)
        now = signer.get_timestamp()
        stamp = self._stamp
        if stamp[0] != now:
            # PERF: the encoded timestamp changes once a second (`session`).
            stamp = self._stamp = (now, _b64encode(_int_to_bytes(now).lstrip(b"\0")))
        value = b"%s.%s" % (self.dump_payload(obj), stamp[1])
        sig = _b64encode(_sign(self._key_pads[0], value))
        return f"{value.decode()}.{sig.decode()}"

    def loads(  # type: ignore[override]
        self,
        s: str | bytes,
        max_age: int | None = None,
        return_timestamp: bool = False,
        salt: str | bytes | None = None,
    ) -> t.Any:
        """itsdangerous's ``loads`` for a valid cookie without its generic
        detours; anything unusual (or wrong) goes the generic way, which
        raises the exact error itsdangerous would."""
        if return_timestamp or salt is not None or not self._fast:
            return super().loads(s, max_age, return_timestamp, salt)
        data: bytes = s.encode() if isinstance(s, str) else s
        value, _, sig = data.rpartition(b".")
        payload, _, stamp = value.rpartition(b".")
        if not payload or payload[:1] == b".":
            return super().loads(s, max_age)
        try:
            # PERF: _b64decode's body, twice, without the calls (`session`).
            given = a2b_base64(sig.translate(_B64_FROM_URLSAFE) + _PAD[len(sig) & 3])
            raw = a2b_base64(stamp.translate(_B64_FROM_URLSAFE) + _PAD[len(stamp) & 3])
            signed = _bytes_to_int(raw.rjust(8, b"\0"))[0]
        except (ValueError, struct.error):
            return super().loads(s, max_age)
        for pads in self._key_pads:
            if compare_digest(given, _sign(pads, value)):
                break
        else:
            return super().loads(s, max_age)
        if max_age is not None:
            age = self._signer.get_timestamp() - signed
            if age > max_age or age < 0:
                return super().loads(s, max_age)
        try:
            return self.serializer.loads(_b64decode(payload).decode())
        except Exception:
            return super().loads(s, max_age)

    def dump_payload(self, obj: t.Any) -> bytes:
        if self._fast:
            data = self.serializer.dumps(obj).encode()
        else:
            data = super(URLSafeSerializerMixin, self).dump_payload(obj)
        if len(data) >= _COMPRESS_FROM:
            compressed = zlib.compress(data)
            if len(compressed) < len(data) - 1:
                return b"." + _b64encode(compressed)
        return _b64encode(data)


class SecureCookieSessionInterface(SessionInterface):
    """The whole session in a signed, timestamped cookie.

    Signed, not encrypted: users can read (never change) what is stored.
    ``SECRET_KEY_FALLBACKS`` lists old keys still accepted when verifying, so
    the key can be rotated without logging everyone out.
    """

    salt = "cookie-session"
    digest_method = staticmethod(hashlib.sha1)
    key_derivation = "hmac"
    serializer: t.Any = session_json_serializer
    session_class: type[SecureCookieSession] = SecureCookieSession
    #: Longer cookies are dropped unread: browsers keep at most ~4 KB.
    max_cookie_length = 8192

    def __init__(self) -> None:
        self._serializers: dict[tuple[t.Any, ...], URLSafeTimedSerializer] = {}
        # The last key without fallbacks and its serializer (see below).
        self._last: tuple[t.Any, URLSafeTimedSerializer | None] = (None, None)
        # PERMANENT_SESSION_LIFETIME's last value and its whole seconds.
        self._max_age: tuple[t.Any, int] = (None, 0)

    def get_signing_serializer(self, app: Erlen) -> URLSafeTimedSerializer | None:
        """The serializer for the app's keys, or None without a secret key."""
        secret_key = app.secret_key
        if not secret_key:
            return None
        fallbacks = app.config["SECRET_KEY_FALLBACKS"] or ()
        # PERF: the usual case, one key that did not change, asked twice per
        # request (open and save): no tuple to build and hash.  A str or
        # bytes key is immutable, so the same object means the same key.
        last = self._last
        if last[0] is secret_key and not fallbacks:
            return last[1]
        # PERF: one serializer per key set, not one per request.
        cache_key = (secret_key, *fallbacks)
        serializer = self._serializers.get(cache_key)
        if serializer is None:
            # itsdangerous signs with the last key and verifies with any.
            keys = [*fallbacks, secret_key]
            serializer = _SessionSerializer(
                keys,
                salt=self.salt,
                serializer=self.serializer,
                signer_kwargs={
                    "key_derivation": self.key_derivation,
                    "digest_method": self.digest_method,
                },
            )
            if len(self._serializers) >= 8:
                self._serializers.clear()
            self._serializers[cache_key] = serializer
        if not fallbacks and isinstance(secret_key, (str, bytes)):
            self._last = (secret_key, serializer)
        return serializer

    def open_session(self, app: Erlen, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class(new=True)
        # Refuse what the signer could never have produced before spending
        # an HMAC (and a base64 decode) on it.
        # PERF: ``_SIGNED_COOKIE_RE.fullmatch`` as one table lookup per byte,
        # half the regex's cost (bench `session`).
        if (
            len(value) > self.max_cookie_length
            or not value.isascii()
            or 0 in value.encode().translate(_SIGNED_COOKIE_MAP)
        ):
            return self.session_class(new=True)
        lifetime = app.permanent_session_lifetime
        seen, max_age = self._max_age
        if lifetime is not seen:
            max_age = int(lifetime.total_seconds())
            if isinstance(lifetime, timedelta):  # immutable: safe to keep
                self._max_age = (lifetime, max_age)
        try:
            data = serializer.loads(value, max_age=max_age)
        except BadData:  # tampered, expired, signed with another key, garbled
            return self.session_class(new=True)
        if not isinstance(data, dict):
            return self.session_class(new=True)
        return self.session_class(data)

    def _may_refresh(self, app: Erlen, request: Request) -> bool:
        """Only a permanent session is rewritten untouched, and its payload
        holds ``"_permanent"``: a peek at the (unverified) payload spares the
        HMAC and JSON work for every other cookie.  A forged claim only costs
        the real, verified open."""
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return False
        cls = type(self)
        if (
            cls.open_session is not SecureCookieSessionInterface.open_session
            or cls.save_session is not SecureCookieSessionInterface.save_session
            or cls.should_set_cookie is not SessionInterface.should_set_cookie
            or self.serializer is not session_json_serializer
            or value[0] == "."  # compressed: open it properly
        ):
            return True
        try:
            payload = _b64decode(value.partition(".")[0].encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            return True
        return b'"_permanent"' in payload

    def save_session(
        self, app: Erlen, session: SessionMixin, response: Response
    ) -> None:
        # Vary: Cookie once, before Set-Cookie, whenever the answer depended
        # on the cookie or changes it.  (Read ``accessed`` first: the
        # emptiness test below counts as an access.)
        accessed = session.accessed
        if not session:
            # An emptied session deletes the cookie; one never filled sets none.
            if session.modified:
                response.add_vary("Cookie")
                self.delete_session_cookie(app, response)
            elif accessed:
                response.add_vary("Cookie")
            return
        if not self.should_set_cookie(app, session):
            if accessed:
                response.add_vary("Cookie")
            return
        serializer = self.get_signing_serializer(app)
        if serializer is None:  # the key was removed mid-request
            raise RuntimeError(_NO_SECRET_KEY)
        response.add_vary("Cookie")
        if type(session) is SecureCookieSession:
            # PERF: copied below the overridden keys()/__getitem__, which
            # dict() would call one by one (bench `session`).
            data = dict(dict.items(session))
        else:
            data = dict(session)
        value = serializer.dumps(data)
        self.write_session_cookie(app, session, response, value)
