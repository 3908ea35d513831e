"""The request wrapper: a thin object over the WSGI environ.

Nothing is parsed until it is read: each part (args, form, cookies, headers,
JSON, ...) is a cached property that does its work on first access and stores
the result in the instance dict, so later reads are plain attribute lookups.
Limits come from the app's config and are enforced while reading the body.
"""

from __future__ import annotations

import json as _stdjson
import re
import typing as t
from io import BytesIO

from .datastructures import Accept
from .datastructures import Authorization
from .datastructures import CharsetAccept
from .datastructures import CombinedMultiDict
from .datastructures import EnvironHeaders
from .datastructures import FileStorage
from .datastructures import ImmutableMultiDict
from .datastructures import LanguageAccept
from .datastructures import MIMEAccept
from .datastructures import parse_accept_header
from .exceptions import BadHost
from .exceptions import BadRequest
from .exceptions import UnsupportedMediaType
from .formparser import parse_form_data
from .formparser import parse_query_string
from .globals import _cv_context
from .headersets import RequestCacheControl
from .headersets import cache_control_property
from .http import parse_cookie
from .http import parse_date
from .http import parse_etags
from .http import parse_options_header
from .http import parse_range_header
from .streams import get_input_stream
from .utils import cached_property

if t.TYPE_CHECKING:
    from datetime import datetime

    from .http import ETags
    from .http import Range
    from .routing import Rule

# A host is a DNS name, an IPv4 address or a bracketed IPv6 literal, then an
# optional port.  Anything else (spaces, slashes, "@", CR/LF) is refused so no
# URL or redirect is ever built from it.
_HOST_RE = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-_]{0,62}[A-Za-z0-9_])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-_]{0,62}[A-Za-z0-9_])?)*\.?"
    r"|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$"
)
_EMPTY: ImmutableMultiDict[str, t.Any] = ImmutableMultiDict()


def _config(key: str, default: t.Any) -> t.Any:
    ctx = _cv_context.get(None)
    if ctx is None:
        return default
    return ctx.app.config.get(key, default)


def _wsgi_decode(value: str) -> str:
    """Environ strings are latin-1 decoded bytes; recover the UTF-8 text."""
    if value.isascii():
        return value
    return value.encode("latin-1").decode("utf-8", "replace")


def host_is_trusted(hostname: str, trusted_list: t.Iterable[str]) -> bool:
    """Check ``hostname`` (port ignored) against names; ``.example.com`` matches
    the domain and its subdomains."""
    host = hostname.rsplit(":", 1)[0] if not hostname.endswith("]") else hostname
    if hostname.startswith("[") and "]:" in hostname:
        host = hostname.rsplit(":", 1)[0]
    host = host.lower().rstrip(".")
    for ref in trusted_list:
        ref = ref.lower().rstrip(".")
        if ref.startswith("."):
            if host == ref[1:] or host.endswith(ref):
                return True
        elif host == ref:
            return True
    return False


class UserAgent:
    """The User-Agent header; ``string`` is all erlen reads from it."""

    __slots__ = ("string",)

    def __init__(self, string: str) -> None:
        self.string = string

    def __str__(self) -> str:
        return self.string

    def __bool__(self) -> bool:
        return bool(self.string)

    def __repr__(self) -> str:
        return f"<UserAgent {self.string!r}>"


class Request:
    """An incoming request.  ``environ`` is the WSGI environ, untouched."""

    #: Class-level defaults; the app's config wins inside a context.
    max_content_length_default: int | None = None
    max_form_memory_size_default: int | None = 500_000
    max_form_parts_default: int | None = 1000
    parameter_storage_class = ImmutableMultiDict
    dict_storage_class = ImmutableMultiDict

    url_rule: Rule | None = None
    view_args: dict[str, t.Any] | None = None
    routing_exception: Exception | None = None
    json_module: t.Any = _stdjson
    _cached_data: bytes | None = None
    _domain: str | None = None
    _max_content_length: int | None = None
    _max_form_memory_size: int | None = None
    _max_form_parts: int | None = None

    def __init__(
        self,
        environ: dict[str, t.Any],
        populate_request: bool = True,
        shallow: bool = False,
    ) -> None:
        self.environ = environ
        self.method: str = environ.get("REQUEST_METHOD", "GET")
        self.shallow = shallow

    def __repr__(self) -> str:
        try:
            url = self.url
        except Exception:
            url = "(invalid URL)"
        return f"<{type(self).__name__} {url!r} [{self.method}]>"

    # -- limits -----------------------------------------------------------------

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is not None:
            return self._max_content_length
        return t.cast(
            "int | None",
            _config("MAX_CONTENT_LENGTH", self.max_content_length_default),
        )

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @property
    def max_form_memory_size(self) -> int | None:
        if self._max_form_memory_size is not None:
            return self._max_form_memory_size
        return t.cast(
            "int | None",
            _config("MAX_FORM_MEMORY_SIZE", self.max_form_memory_size_default),
        )

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self._max_form_memory_size = value

    @property
    def max_form_parts(self) -> int | None:
        if self._max_form_parts is not None:
            return self._max_form_parts
        return t.cast(
            "int | None", _config("MAX_FORM_PARTS", self.max_form_parts_default)
        )

    @max_form_parts.setter
    def max_form_parts(self, value: int | None) -> None:
        self._max_form_parts = value

    # -- URL parts --------------------------------------------------------------

    @cached_property
    def path(self) -> str:
        return "/" + _wsgi_decode(self.environ.get("PATH_INFO") or "").lstrip("/")

    @cached_property
    def script_root(self) -> str:
        root = _wsgi_decode(self.environ.get("SCRIPT_NAME") or "").rstrip("/")
        prefix = self._forwarded("HTTP_X_FORWARDED_PREFIX")
        if prefix is not None:
            root = _wsgi_decode(prefix).rstrip("/")
        return root

    @cached_property
    def query_string(self) -> bytes:
        return (self.environ.get("QUERY_STRING") or "").encode("latin-1")

    @cached_property
    def full_path(self) -> str:
        return f"{self.path}?{_wsgi_decode(self.environ.get('QUERY_STRING', ''))}"

    @cached_property
    def scheme(self) -> str:
        proto = self._forwarded("HTTP_X_FORWARDED_PROTO")
        if proto is not None and proto.lower() in ("http", "https"):
            return proto.lower()
        return str(self.environ.get("wsgi.url_scheme", "http"))

    @property
    def is_secure(self) -> bool:
        return self.scheme in ("https", "wss")

    @cached_property
    def host(self) -> str:
        """The host the client asked for, validated (a bad Host is a 400)."""
        environ = self.environ
        host = self._forwarded("HTTP_X_FORWARDED_HOST")
        if host is None:
            host = environ.get("HTTP_HOST")
        if not host:
            host = environ.get("SERVER_NAME", "localhost")
            port = str(environ.get("SERVER_PORT", ""))
            default = "443" if self.scheme == "https" else "80"
            if port and port != default:
                host = f"{host}:{port}"
        else:
            fwd_port = self._forwarded("HTTP_X_FORWARDED_PORT")
            if fwd_port is not None and fwd_port.isdigit():
                host = f"{host.rsplit(':', 1)[0] if not host.endswith(']') else host}"
                host = f"{host}:{fwd_port}"
        if self.scheme == "http" and host.endswith(":80"):
            host = host[:-3]
        elif self.scheme == "https" and host.endswith(":443"):
            host = host[:-4]
        if len(host) > 255 or not _HOST_RE.match(host):
            raise BadHost(f"Invalid Host header {host[:64]!r}.")
        trusted = _config("TRUSTED_HOSTS", None)
        if trusted and not host_is_trusted(host, trusted):
            raise BadHost(f"Host {host!r} is not trusted.")
        return host

    @property
    def root_path(self) -> str:
        return self.script_root

    @cached_property
    def host_url(self) -> str:
        return f"{self.scheme}://{self.host}/"

    @cached_property
    def url_root(self) -> str:
        return f"{self.scheme}://{self.host}{self.script_root}/"

    @property
    def root_url(self) -> str:
        return self.url_root

    @cached_property
    def base_url(self) -> str:
        from urllib.parse import quote

        return (
            f"{self.scheme}://{self.host}"
            f"{quote(self.script_root + self.path, safe='/:@&+$,;=!*~()')}"
        )

    @cached_property
    def url(self) -> str:
        qs = self.environ.get("QUERY_STRING")
        if qs:
            return f"{self.base_url}?{_wsgi_decode(qs)}"
        return self.base_url

    @cached_property
    def remote_addr(self) -> str | None:
        forwarded = self._forwarded("HTTP_X_FORWARDED_FOR")
        if forwarded is not None:
            return forwarded
        addr = self.environ.get("REMOTE_ADDR")
        return str(addr) if addr is not None else None

    @cached_property
    def access_route(self) -> list[str]:
        if "HTTP_X_FORWARDED_FOR" in self.environ:
            return [x.strip() for x in self.environ["HTTP_X_FORWARDED_FOR"].split(",")]
        addr = self.environ.get("REMOTE_ADDR")
        return [addr] if addr else []

    def _forwarded(self, key: str) -> str | None:
        """The value a trusted proxy set, or None when no proxy is trusted.

        ``TRUSTED_PROXY_HOPS`` says how many proxies are in front; each appends
        to X-Forwarded-For, so the right value is that many from the end.
        """
        hops = _config("TRUSTED_PROXY_HOPS", 0)
        if not hops:
            return None
        value = self.environ.get(key)
        if not value:
            return None
        values = [v.strip() for v in value.split(",")]
        if len(values) < hops:
            return None
        return values[-hops] or None

    # -- query, headers, cookies -----------------------------------------------

    @cached_property
    def args(self) -> ImmutableMultiDict[str, str]:
        qs = self.environ.get("QUERY_STRING")
        if not qs:
            return _EMPTY
        return parse_query_string(qs, _config("MAX_QUERY_FIELDS", 1000))

    @cached_property
    def headers(self) -> EnvironHeaders:
        return EnvironHeaders(self.environ)

    #: ``Cache-Control`` directives, read-only.
    cache_control = cache_control_property(RequestCacheControl, writable=False)

    @cached_property
    def cookies(self) -> ImmutableMultiDict[str, str]:
        header = self.environ.get("HTTP_COOKIE")
        if not header:
            return _EMPTY
        return ImmutableMultiDict(parse_cookie(_wsgi_decode(header)))

    @property
    def content_type(self) -> str | None:
        return self.environ.get("CONTENT_TYPE") or None

    @cached_property
    def _parsed_content_type(self) -> tuple[str, dict[str, str]]:
        return parse_options_header(self.environ.get("CONTENT_TYPE", ""))

    @property
    def mimetype(self) -> str:
        return self._parsed_content_type[0].lower()

    @property
    def mimetype_params(self) -> dict[str, str]:
        return self._parsed_content_type[1]

    @cached_property
    def content_length(self) -> int | None:
        value = self.environ.get("CONTENT_LENGTH")
        if value is None or value == "":
            return None
        value = value.strip()
        if not value.isdigit() or not value.isascii():
            return None
        return int(value)

    @property
    def content_encoding(self) -> str | None:
        return self.environ.get("HTTP_CONTENT_ENCODING")

    @cached_property
    def user_agent(self) -> UserAgent:
        return UserAgent(self.environ.get("HTTP_USER_AGENT", ""))

    @cached_property
    def accept_mimetypes(self) -> MIMEAccept:
        return parse_accept_header(self.environ.get("HTTP_ACCEPT"), MIMEAccept)

    @cached_property
    def accept_charsets(self) -> CharsetAccept:
        return parse_accept_header(
            self.environ.get("HTTP_ACCEPT_CHARSET"), CharsetAccept
        )

    @cached_property
    def accept_encodings(self) -> Accept:
        return parse_accept_header(self.environ.get("HTTP_ACCEPT_ENCODING"))

    @cached_property
    def accept_languages(self) -> LanguageAccept:
        return parse_accept_header(
            self.environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept
        )

    @cached_property
    def authorization(self) -> Authorization | None:
        return Authorization.from_header(self.environ.get("HTTP_AUTHORIZATION"))

    @property
    def referrer(self) -> str | None:
        return self.environ.get("HTTP_REFERER")

    @property
    def origin(self) -> str | None:
        return self.environ.get("HTTP_ORIGIN")

    @cached_property
    def if_modified_since(self) -> datetime | None:
        return parse_date(self.environ.get("HTTP_IF_MODIFIED_SINCE"))

    @cached_property
    def if_unmodified_since(self) -> datetime | None:
        return parse_date(self.environ.get("HTTP_IF_UNMODIFIED_SINCE"))

    @cached_property
    def if_none_match(self) -> ETags:
        return parse_etags(self.environ.get("HTTP_IF_NONE_MATCH"))

    @cached_property
    def if_match(self) -> ETags:
        return parse_etags(self.environ.get("HTTP_IF_MATCH"))

    @cached_property
    def range(self) -> Range | None:
        return parse_range_header(self.environ.get("HTTP_RANGE"))

    @property
    def is_multithread(self) -> bool:
        return bool(self.environ.get("wsgi.multithread"))

    @property
    def is_multiprocess(self) -> bool:
        return bool(self.environ.get("wsgi.multiprocess"))

    @property
    def is_run_once(self) -> bool:
        return bool(self.environ.get("wsgi.run_once"))

    # -- routing information ----------------------------------------------------

    @property
    def endpoint(self) -> str | None:
        return self.url_rule.endpoint if self.url_rule is not None else None

    @property
    def blueprint(self) -> str | None:
        endpoint = self.endpoint
        if endpoint is not None and "." in endpoint:
            return endpoint.rpartition(".")[0]
        return None

    @property
    def blueprints(self) -> list[str]:
        """The current blueprint and its parents, innermost first."""
        name = self.blueprint
        if name is None:
            return []
        parts = name.split(".")
        return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]

    # -- body -------------------------------------------------------------------

    @cached_property
    def stream(self) -> t.IO[bytes]:
        """The body, bounded by Content-Length and ``MAX_CONTENT_LENGTH``."""
        return get_input_stream(self.environ, self.max_content_length)

    @property
    def input_stream(self) -> t.Any:
        return self.environ.get("wsgi.input")

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> t.Any:
        """Read the whole body (within the limits)."""
        if parse_form_data:
            self._load_form_data()
        data = self._cached_data
        if data is None:
            data = self.stream.read()
            if cache:
                self._cached_data = data
        if as_text:
            return data.decode("utf-8", "replace")
        return data

    @property
    def data(self) -> bytes:
        return t.cast(bytes, self.get_data(parse_form_data=True))

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return
        form: ImmutableMultiDict[str, t.Any] = _EMPTY
        files: ImmutableMultiDict[str, t.Any] = _EMPTY
        mimetype = self.mimetype
        if mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            if self._cached_data is not None:
                stream: t.IO[bytes] = BytesIO(self._cached_data)
            else:
                stream = self.stream
            form, files = parse_form_data(
                stream,
                self.environ.get("CONTENT_TYPE", ""),
                self.content_length,
                max_form_memory_size=self.max_form_memory_size,
                max_form_parts=self.max_form_parts,
                max_fields=_config("MAX_FORM_FIELDS", 1000),
            )
            if self._cached_data is None:
                self._cached_data = b""
        if mimetype != "multipart/form-data" and _config("DEBUG", False):
            from .debughelpers import debug_files

            files = debug_files(self)  # a miss explains the missing enctype
        self.__dict__["form"] = form
        self.__dict__["files"] = files

    @cached_property
    def form(self) -> ImmutableMultiDict[str, str]:
        self._load_form_data()
        return self.__dict__["form"]  # type: ignore[no-any-return]

    @cached_property
    def files(self) -> ImmutableMultiDict[str, FileStorage]:
        self._load_form_data()
        return self.__dict__["files"]  # type: ignore[no-any-return]

    @cached_property
    def values(self) -> CombinedMultiDict[str, str]:
        sources = [self.args]
        if self.method != "GET":
            sources.append(self.form)
        return CombinedMultiDict(sources)

    # -- JSON -------------------------------------------------------------------

    @property
    def is_json(self) -> bool:
        mt = self.mimetype
        return mt == "application/json" or (
            mt.startswith("application/") and mt.endswith("+json")
        )

    @property
    def json(self) -> t.Any:
        return self.get_json()

    _json_cache: t.Any = (None, None)

    def get_json(
        self, force: bool = False, silent: bool = False, cache: bool = True
    ) -> t.Any:
        """Parse the body as JSON.

        A body of another content type is a 415 (unless ``force``), invalid or
        too deeply nested JSON a 400; ``silent`` returns None instead.
        """
        cached = self._json_cache[1 if silent else 0]
        if cached is not None and cache:
            return cached
        if not (force or self.is_json):
            if silent:
                return None
            return self.on_json_loading_failed(None)
        data = self.get_data(cache=cache)
        try:
            result = self._load_json(data)
        except ValueError as e:
            if silent:
                result = None
                if cache:
                    normal = self._json_cache[0]
                    self._json_cache = (normal, result)
                return result
            return self.on_json_loading_failed(e)
        if cache:
            self._json_cache = (result, result)
        return result

    def _load_json(self, data: bytes) -> t.Any:
        max_depth = _config("MAX_JSON_DEPTH", 512)
        if max_depth is not None and _exceeds_depth(data, max_depth):
            raise ValueError(f"JSON nested deeper than {max_depth} levels")
        ctx = _cv_context.get(None)
        try:
            if ctx is not None:
                return ctx.app.json.loads(data)
            return self.json_module.loads(data)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        except UnicodeDecodeError as e:
            raise ValueError(str(e)) from None

    def on_json_loading_failed(self, e: ValueError | None) -> t.Any:
        if e is not None:
            ctx = _cv_context.get(None)
            if ctx is not None and not ctx.app.debug:
                # The parser's message is for debug mode only, as in Flask.
                raise BadRequest() from e
            raise BadRequest(f"Failed to decode JSON object: {e}")
        raise UnsupportedMediaType(
            "Did not attempt to load JSON data because the request"
            " Content-Type was not 'application/json'."
        )

    def close(self) -> None:
        files = self.__dict__.get("files")
        if files:
            for _key, value in files.items(multi=True):
                value.close()

    def __enter__(self) -> Request:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()

    @classmethod
    def from_values(cls, *args: t.Any, **kwargs: t.Any) -> Request:
        """Build a request from test-client arguments (see ``EnvironBuilder``)."""
        from .testing import BaseEnvironBuilder

        builder = BaseEnvironBuilder(*args, **kwargs)
        try:
            return cls(builder.get_environ())
        finally:
            builder.close()

    @classmethod
    def application(cls, f: t.Callable[[Request], t.Any]) -> t.Any:
        """Turn ``f(request) -> response`` into a WSGI app (Werkzeug's helper)."""

        def app(environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
            request = cls(environ)
            response = f(request)
            return response(environ, start_response)

        return app


def _exceeds_depth(data: bytes | str, limit: int) -> bool:
    """True when JSON text nests arrays/objects deeper than ``limit``.

    PERF: counting brackets is C speed; only a body with more opening brackets
    than the limit gets the exact scan that skips strings.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    depth = 0
    in_string = False
    escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False
