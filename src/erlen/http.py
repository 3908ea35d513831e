"""Header-level HTTP: parse and format what travels in headers.

Status phrases, cookies, dates, option headers (``text/html; charset=utf-8``),
Content-Disposition, ETags, ranges and the conditional-request rules, as pure
functions on strings.

Parsers read client input, so they are bounded, linear in the input and answer
garbage with ``None`` or an empty result instead of raising. Formatters write
server output, so they raise ``ValueError`` on a value that would break or
split the header (CR, LF, NUL, a ``;`` in a cookie attribute, ...).
"""

from __future__ import annotations

import hashlib
import re
import time
import typing as t
import unicodedata
import warnings
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from urllib.parse import quote
from urllib.parse import unquote

HTTP_STATUS_CODES: dict[int, str] = {
    100: "Continue",
    101: "Switching Protocols",
    102: "Processing",
    103: "Early Hints",
    200: "OK",
    201: "Created",
    202: "Accepted",
    203: "Non Authoritative Information",
    204: "No Content",
    205: "Reset Content",
    206: "Partial Content",
    207: "Multi Status",
    208: "Already Reported",
    226: "IM Used",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    305: "Use Proxy",
    306: "Switch Proxy",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Request Entity Too Large",
    414: "Request URI Too Long",
    415: "Unsupported Media Type",
    416: "Requested Range Not Satisfiable",
    417: "Expectation Failed",
    418: "I'm a teapot",
    421: "Misdirected Request",
    422: "Unprocessable Entity",
    423: "Locked",
    424: "Failed Dependency",
    425: "Too Early",
    426: "Upgrade Required",
    428: "Precondition Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    449: "Retry With",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
    506: "Variant Also Negotiates",
    507: "Insufficient Storage",
    508: "Loop Detected",
    510: "Not Extended",
    511: "Network Authentication Required",
}

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


_STATUS_LINES = {code: f"{code} {name}" for code, name in HTTP_STATUS_CODES.items()}


def status_line(code: int) -> str:
    """``404`` → ``"404 Not Found"``; a code without a phrase gets ``"Unknown"``."""
    line = _STATUS_LINES.get(code)
    if line is None:
        line = f"{int(code)} Unknown"
    return line


# --- shared pieces -----------------------------------------------------------

_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_UNSAFE_RE = re.compile(r"[\r\n\x00]")
_CTL_RE = re.compile(r"[\x00-\x1f\x7f]")
_QUOTED_PAIR_RE = re.compile(r"\\(.)", re.S)
_DIGITS_RE = re.compile(r"[0-9]{1,19}")
_EXT_CHARSETS = frozenset(
    ("utf-8", "utf8", "iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii")
)


def quote_header_value(value: t.Any, allow_token: bool = True) -> str:
    """Quote a header parameter value unless it is a plain token.

    Raises ``ValueError`` for CR, LF or NUL, which no quoting can carry.
    """
    text = str(value)
    if _UNSAFE_RE.search(text):
        raise ValueError("header values must not contain CR, LF or NUL")
    if allow_token and _TOKEN_RE.fullmatch(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote_header_value(value: str, is_filename: bool = False) -> str:
    """Remove the quotes and backslash escapes of a quoted-string.

    With ``is_filename``, a UNC path (``"\\\\server\\share"``) keeps its
    backslashes, because old browsers send Windows paths unescaped.
    """
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
        if is_filename and value[:2] == "\\\\":
            return value
        if "\\" in value:
            value = _QUOTED_PAIR_RE.sub(r"\1", value)
    return value


def _decode_ext_value(value: str, charset: str | None = None) -> str:
    """Decode an RFC 5987 value, ``UTF-8'lang'%e2%82%ac`` (charset optional)."""
    if charset is None:
        charset = "utf-8"
        head, sep, rest = value.partition("'")
        if sep:
            _lang, sep, encoded = rest.partition("'")
            if sep:
                charset, value = head.strip().lower() or "utf-8", encoded
    if charset not in _EXT_CHARSETS:
        charset = "utf-8"
    return unquote(value, encoding=charset, errors="replace")


# --- options headers: Content-Type, Content-Disposition ------------------------

_OPTION_RE = re.compile(
    r'[\s;]*([^\s;=]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^;]*))?[^;]*', re.S
)
_SKIP_OPTION_RE = re.compile(r"[\s;]*[^;]*")
_MAX_OPTIONS = 64


def _split_option_key(key: str) -> tuple[str, int | None, bool]:
    """``name*2*`` → ``("name", 2, True)``: base, continuation index, extended."""
    extended = key.endswith("*")
    if extended:
        key = key[:-1]
    base, star, num = key.rpartition("*")
    if star and num.isascii() and num.isdigit() and len(num) <= 3:
        return base, int(num), extended
    return key, None, extended


def parse_options_header(value: str | None) -> tuple[str, dict[str, str]]:
    """``"Text/HTML; Charset=utf-8"`` → ``("text/html", {"charset": "utf-8"})``.

    The value and the keys are lower-cased; quoted strings are unquoted;
    RFC 2231/5987 ``key*=UTF-8''...`` values and ``key*0=`` continuations are
    decoded and win over the plain ``key``. At most 64 parameters are read;
    parameters without a value are skipped.
    """
    if not value:
        return "", {}
    main, sep, rest = value.partition(";")
    main = main.strip().lower()
    options: dict[str, str] = {}
    if not sep:
        return main, options
    extended: dict[str, str] = {}
    pieces: dict[str, dict[int, tuple[str, bool]]] = {}
    pos, end, count = 0, len(rest), 0
    while pos < end and count < _MAX_OPTIONS:
        m = _OPTION_RE.match(rest, pos)
        if m is None:
            skipped = _SKIP_OPTION_RE.match(rest, pos)
            assert skipped is not None  # the pattern matches the empty string
            pos = max(skipped.end(), pos + 1)
            continue
        pos = m.end()
        count += 1
        key, raw = m.group(1), m.group(2)
        if raw is None:
            continue
        raw = raw.strip()
        base, index, is_ext = _split_option_key(key.lower())
        if not base:
            continue
        if index is not None:
            pieces.setdefault(base, {})[index] = (raw, is_ext)
        elif is_ext:
            extended[base] = _decode_ext_value(unquote_header_value(raw))
        else:
            options[base] = unquote_header_value(raw)
    for base, parts in pieces.items():
        if base not in extended:
            options[base] = _join_continuations(parts)
    options.update(extended)
    return main, options


def _join_continuations(parts: dict[int, tuple[str, bool]]) -> str:
    """Join ``key*0``, ``key*1``... in order; stop at the first gap."""
    charset: str | None = None
    encoded: list[str] = []
    index = 0
    while index in parts:
        raw, is_ext = parts[index]
        raw = unquote_header_value(raw)
        if is_ext:
            if index == 0:
                head, sep, rest = raw.partition("'")
                if sep:
                    _lang, sep, raw = rest.partition("'")
                    charset = head.strip().lower() or "utf-8"
            encoded.append(raw)
        else:
            encoded.append(quote(raw, safe="", errors="replace"))
        index += 1
    return _decode_ext_value("".join(encoded), charset or "utf-8")


def dump_options_header(header: str | None, options: Mapping[str, t.Any]) -> str:
    """``("text/html", {"charset": "utf-8"})`` → ``"text/html; charset=utf-8"``.

    A ``None`` value writes the bare key; a key ending in ``*`` carries a value
    that is already RFC 5987 encoded and is written as-is.
    """
    parts = [] if header is None else [header]
    for key, value in options.items():
        if not _TOKEN_RE.fullmatch(key):
            raise ValueError(f"invalid header parameter name {key!r}")
        if value is None:
            parts.append(key)
        elif key.endswith("*"):
            text = str(value)
            if _CTL_RE.search(text) or ";" in text:
                raise ValueError(f"invalid extended parameter value {text!r}")
            parts.append(f"{key}={text}")
        else:
            parts.append(f"{key}={quote_header_value(value)}")
    result = "; ".join(parts)
    if _UNSAFE_RE.search(result):
        raise ValueError("header values must not contain CR, LF or NUL")
    return result


# --- comma-separated lists ----------------------------------------------------

_LIST_ITEM_RE = re.compile(r'(?:[^,"]|"(?:[^"\\]|\\.)*"?)*', re.S)
_MAX_LIST_ITEMS = 1024


def _split_list(value: str) -> Iterator[str]:
    """Yield the stripped, non-empty items of a list; commas in quotes stay."""
    pos, end, count = 0, len(value), 0
    while pos < end and count < _MAX_LIST_ITEMS:
        m = _LIST_ITEM_RE.match(value, pos)
        assert m is not None  # the pattern matches the empty string
        item = m.group().strip()
        pos = m.end() + 1  # skip the comma
        if item:
            count += 1
            yield item


def parse_list_header(value: str | None) -> list[str]:
    """``'a, "b, c", d'`` → ``["a", "b, c", "d"]`` (at most 1,024 items)."""
    if not value:
        return []
    return [
        unquote_header_value(item) if item[0] == '"' else item
        for item in _split_list(value)
    ]


def parse_dict_header(value: str | None) -> dict[str, str | None]:
    """``'a=1, b="x, y", c'`` → ``{"a": "1", "b": "x, y", "c": None}``."""
    result: dict[str, str | None] = {}
    if not value:
        return result
    for item in _split_list(value):
        key, sep, val = item.partition("=")
        key = key.strip()
        if not key:
            continue
        if not sep:
            result[key] = None
            continue
        val = unquote_header_value(val.strip())
        if key.endswith("*"):
            result[key[:-1]] = _decode_ext_value(val)
        else:
            result.setdefault(key, val)
    return result


def dump_header(iterable: Mapping[str, t.Any] | Iterable[t.Any]) -> str:
    """A dict → ``a=1, b`` (``None`` values bare); a list → ``a, "b c"``."""
    if isinstance(iterable, Mapping):
        items = []
        for key, value in iterable.items():
            if not _TOKEN_RE.fullmatch(key):
                raise ValueError(f"invalid header key {key!r}")
            items.append(key if value is None else f"{key}={quote_header_value(value)}")
    else:
        items = [quote_header_value(item) for item in iterable]
    return ", ".join(items)


# --- Content-Disposition ------------------------------------------------------

_ATTR_SAFE = "!#$&+^`|"
_DISPOSITION_AMBIGUOUS_RE = re.compile(r'[%\\"]')


def _ascii_fallback(name: str) -> str:
    """Transliterate to ASCII: accents dropped, other characters become ``_``."""
    out = []
    for ch in unicodedata.normalize("NFKD", name):
        if ch.isascii():
            out.append(ch)
        elif not unicodedata.combining(ch):
            out.append("_")
    return "".join(out)


def content_disposition(disposition: str, filename: str) -> str:
    """``attachment; filename="..."`` that works for any file name (RFC 6266).

    Control characters (CR, LF, ...) are removed. A name that is not plain ASCII
    (or holds ``%``, ``\\`` or ``"``) gets an ASCII fallback for old clients plus
    ``filename*=UTF-8''...`` with the real name, which current browsers prefer.
    """
    if not _TOKEN_RE.fullmatch(disposition):
        raise ValueError(f"invalid disposition type {disposition!r}")
    filename = _CTL_RE.sub("", filename)
    plain = filename.isascii()
    fallback = filename if plain else _ascii_fallback(filename)
    fallback = fallback.replace("\\", "\\\\").replace('"', '\\"')
    header = f'{disposition}; filename="{fallback}"'
    # Browsers disagree on '%' (some percent-decode) and escapes inside the
    # plain parameter, so such names also get the unambiguous filename*.
    if not plain or _DISPOSITION_AMBIGUOUS_RE.search(filename):
        encoded = quote(filename, safe=_ATTR_SAFE, errors="replace")
        header += f"; filename*=UTF-8''{encoded}"
    return header


# --- dates --------------------------------------------------------------------

_MONTH_NUMBERS = {name.lower(): i for i, name in enumerate(_MONTHS, 1)}
_ZONE = r"(?:\s*(GMT|UTC|UT|Z|[+-][0-9]{4}))?"
# IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" and RFC 850
# "Sunday, 06-Nov-94 08:49:37 GMT"; the weekday is optional and not checked.
_RFC_DATE_RE = re.compile(
    # The day name is skipped, like any first token ending in "," (as email.utils).
    r"(?:[A-Za-z]{3,9},?\s*|\S{1,32},\s*)?"
    r"([0-9]{1,2})[\s-]+([A-Za-z]{3})[\s-]+([0-9]{4}|[0-9]{2})"
    r"\s+([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?" + _ZONE + r"\s*",
    re.I,
)
# asctime "Sun Nov  6 08:49:37 1994"
_ASCTIME_RE = re.compile(
    r"(?:[A-Za-z]{3}\s+)?([A-Za-z]{3})\s+([0-9]{1,2})\s+"
    r"([0-9]{1,2}):([0-9]{2}):([0-9]{2})\s+([0-9]{4})" + _ZONE + r"\s*",
    re.I,
)
_MAX_DATE_LENGTH = 64
_MAX_TIMESTAMP = 253402300799  # 9999-12-31 23:59:59 UTC


def http_date(timestamp: datetime | date | int | float | None = None) -> str:
    """Format a moment as an IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``).

    Naive datetimes are taken as UTC; numbers are Unix timestamps. A moment
    outside years 1–9999 raises ``ValueError``.
    """
    if timestamp is None:
        tt = time.gmtime()
    elif isinstance(timestamp, datetime):
        if timestamp.tzinfo is not None:
            timestamp = timestamp.astimezone(timezone.utc)
        tt = timestamp.timetuple()
    elif isinstance(timestamp, date):
        tt = timestamp.timetuple()
    else:
        try:
            tt = time.gmtime(timestamp)
        except (OverflowError, OSError) as ex:
            raise ValueError(f"timestamp out of range: {timestamp!r}") from ex
    return (
        f"{_WEEKDAYS[tt.tm_wday]}, {tt.tm_mday:02d} {_MONTHS[tt.tm_mon - 1]} "
        f"{tt.tm_year:04d} {tt.tm_hour:02d}:{tt.tm_min:02d}:{tt.tm_sec:02d} GMT"
    )


def parse_date(value: str | None) -> datetime | None:
    """Parse an HTTP date into an aware UTC datetime; garbage gives ``None``.

    Reads IMF-fixdate, RFC 850 (two-digit years: 00-69 → 20xx) and asctime, a
    numeric zone, and ignores the ``; length=...`` old browsers append.
    """
    if not value:
        return None
    value = value.partition(";")[0].strip()
    if len(value) > _MAX_DATE_LENGTH:
        return None
    m = _RFC_DATE_RE.fullmatch(value)
    if m is not None:
        day, month, year, hour, minute, second, zone = m.groups()
    else:
        m = _ASCTIME_RE.fullmatch(value)
        if m is None:
            return None
        month, day, hour, minute, second, year, zone = m.groups()
    month_number = _MONTH_NUMBERS.get(month.lower())
    if month_number is None:
        return None
    year_number = int(year)
    if len(year) == 2:
        year_number += 2000 if year_number < 70 else 1900
    try:
        result = datetime(
            year_number,
            month_number,
            int(day),
            int(hour),
            int(minute),
            min(int(second or 0), 59),  # a leap second is read as :59
            tzinfo=timezone.utc,
        )
        if zone and zone[0] in "+-":
            offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
            result = result - offset if zone[0] == "+" else result + offset
    except (ValueError, OverflowError):
        return None
    return result


def _to_utc(value: datetime) -> datetime:
    """Aware UTC, whole seconds: the precision HTTP dates have."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    else:
        value = value.astimezone(timezone.utc)
    return value.replace(microsecond=0)


# --- cookies ------------------------------------------------------------------

_COOKIE_OCTETS = frozenset(
    [0x21, *range(0x23, 0x2C), *range(0x2D, 0x3B), *range(0x3C, 0x5C)]
    + list(range(0x5D, 0x7F))
)
_COOKIE_VALUE_RE = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*")
#: ``bytes.translate`` table: a cookie-octet to "a", any other byte to NUL.
_COOKIE_OCTET_MAP = bytes(0x61 if b in _COOKIE_OCTETS else 0 for b in range(256))


def _is_cookie_octets(value: str) -> bool:
    """``_COOKIE_VALUE_RE.fullmatch(value)``, without the regex.

    PERF: a table lookup per byte; the regex costs twice as much on a
    session cookie (bench `session`).
    """
    return value.isascii() and 0 not in value.encode().translate(_COOKIE_OCTET_MAP)


# Each UTF-8 byte of a value that needs quoting, as written inside the quotes:
# cookie-octets as-is, '"' and '\' backslash-escaped, everything else \ooo
# (the convention of Python's http.cookies, which browsers store opaquely).
_COOKIE_ESCAPES = tuple(
    chr(b)
    if b in _COOKIE_OCTETS
    else '\\"'
    if b == 0x22
    else "\\\\"
    if b == 0x5C
    else f"\\{b:03o}"
    for b in range(256)
)
_COOKIE_UNESCAPE_RE = re.compile(r"\\([0-3][0-7]{2}|.)", re.S)
_COOKIE_ATTR_UNSAFE_RE = re.compile(r"[;\x00-\x1f\x7f]")
_COOKIE_DOMAIN_RE = re.compile(r"\.?[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*\.?")
_SAMESITE = {"strict": "Strict", "lax": "Lax", "none": "None"}
_MAX_COOKIES = 1000
_MAX_COOKIE_PIECES = 4 * _MAX_COOKIES


def _unquote_cookie_value(value: str) -> str:
    """Undo :func:`dump_cookie`'s quoting: strip quotes, decode ``\\`` escapes."""
    inner = value[1:-1]
    if "\\" not in inner:
        return inner
    out = bytearray()
    pos = 0
    for m in _COOKIE_UNESCAPE_RE.finditer(inner):
        out += inner[pos : m.start()].encode("utf-8", "surrogatepass")
        escaped = m.group(1)
        if len(escaped) == 3:
            out.append(int(escaped, 8))
        else:
            out += escaped.encode("utf-8", "surrogatepass")
        pos = m.end()
    out += inner[pos:].encode("utf-8", "surrogatepass")
    return out.decode("utf-8", "replace")


def parse_cookie(header: str | None) -> list[tuple[str, str]]:
    """Read a ``Cookie`` header into ``(name, value)`` pairs, in order.

    Tolerant of what browsers really send: pieces without a name are skipped,
    a piece without ``=`` is a name with an empty value, a ``"quoted"`` value
    is unquoted (with :func:`dump_cookie`'s backslash escapes); nothing is
    URL-decoded. At most 1,000 pairs are returned.

    The header must be text: from a WSGI environ, re-decode the latin-1
    string as UTF-8 first.
    """
    if not header:
        return []
    parts = header.split(";", _MAX_COOKIE_PIECES)
    if len(parts) > _MAX_COOKIE_PIECES:
        parts.pop()  # the unsplit remainder
    result: list[tuple[str, str]] = []
    for part in parts:
        key, _sep, value = part.partition("=")
        key = key.strip()
        if not key:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = _unquote_cookie_value(value)
        result.append((key, value))
        if len(result) >= _MAX_COOKIES:
            break
    return result


def _quote_cookie_value(value: str) -> str:
    if _COOKIE_VALUE_RE.fullmatch(value):
        return value
    return '"' + "".join([_COOKIE_ESCAPES[b] for b in value.encode()]) + '"'


def _cookie_attr(name: str, value: str) -> str:
    if _COOKIE_ATTR_UNSAFE_RE.search(value):
        raise ValueError(
            f"cookie {name} must not contain ';' or control characters: {value!r}"
        )
    return value


def _cookie_expires(
    max_age: int | None, expires: str | datetime | int | float | None
) -> str | None:
    if isinstance(expires, str):
        return _cookie_attr("Expires", expires)
    if expires is not None:
        return http_date(expires)
    if max_age is not None:
        return http_date(min(max(time.time() + max_age, 0), _MAX_TIMESTAMP))
    return None


def _cookie_domain(domain: str) -> str:
    domain = _cookie_attr("Domain", domain)
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError as ex:
            raise ValueError(f"invalid cookie domain {domain!r}") from ex
    if not _COOKIE_DOMAIN_RE.fullmatch(domain):
        raise ValueError(f"invalid cookie domain {domain!r}")
    return domain


def _cookie_samesite(samesite: str) -> str:
    canonical = _SAMESITE.get(samesite.lower())
    if canonical is None:
        raise ValueError(
            f"samesite must be 'Strict', 'Lax' or 'None', not {samesite!r}"
        )
    return canonical


def dump_cookie(
    key: str,
    value: str = "",
    max_age: timedelta | int | None = None,
    expires: str | datetime | int | float | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = None,
    partitioned: bool = False,
    max_size: int = 4093,
) -> str:
    """Build a ``Set-Cookie`` header value.

    Writes both ``Max-Age`` and ``Expires`` (computed from ``max_age`` when not
    given) so old and new browsers agree. A value outside the RFC 6265
    cookie-octets is quoted with backslash escapes, which :func:`parse_cookie`
    undoes. ``partitioned`` implies ``secure``.

    Raises ``ValueError`` for a name that is not a token, CR/LF/NUL in the
    value, ``;`` or control characters in an attribute, or a bad ``samesite``.
    Warns (``UserWarning``) when the result is longer than ``max_size`` bytes,
    the size browsers silently drop; ``max_size=0`` disables the check.
    """
    if key not in _COOKIE_NAMES_OK:
        if not _TOKEN_RE.fullmatch(key):
            raise ValueError(f"invalid cookie name {key!r}: it must be an HTTP token")
        if len(_COOKIE_NAMES_OK) < 256:
            _COOKIE_NAMES_OK.add(key)
    if not (value.__class__ is str and _is_cookie_octets(value)):
        if _UNSAFE_RE.search(value):
            raise ValueError(f"cookie {key!r} value must not contain CR, LF or NUL")
        value = _quote_cookie_value(value)

    if max_age is not None:
        if isinstance(max_age, timedelta):
            max_age = int(max_age.total_seconds())
        else:
            max_age = int(max_age)
    # PERF: the attributes around Expires/Max-Age are the same for every
    # cookie an app sets with the same settings (bench `session`, `cookie`).
    attrs_key = (domain, secure, httponly, path, samesite, partitioned)
    attrs = _COOKIE_ATTRS.get(attrs_key)
    if attrs is None:
        attrs = _cookie_attrs(domain, secure, httponly, path, samesite, partitioned)
        if len(_COOKIE_ATTRS) >= 64:
            _COOKIE_ATTRS.clear()
        _COOKIE_ATTRS[attrs_key] = attrs
    if expires is None and max_age is None:
        # A browser-session cookie: no dates to format.
        result = f"{key}={value}{attrs[0]}{attrs[1]}"
    else:
        expires_text = _cookie_expires(max_age, expires)
        timing = "" if expires_text is None else f"; Expires={expires_text}"
        if max_age is not None:
            timing = f"{timing}; Max-Age={max_age}"
        result = f"{key}={value}{attrs[0]}{timing}{attrs[1]}"

    if max_size and len(result) > max_size // 4:
        size = len(result.encode())
        if size > max_size:
            warnings.warn(
                f"The {key!r} cookie is too large: {size} bytes, more than the"
                f" {max_size}-byte limit; browsers may silently ignore it.",
                UserWarning,
                stacklevel=2,
            )
    return result


#: Cookie names already checked to be tokens.
_COOKIE_NAMES_OK: set[str] = set()
#: (domain, secure, httponly, path, samesite, partitioned) -> the attribute
#: text before and after Expires/Max-Age.
_COOKIE_ATTRS: dict[tuple[t.Any, ...], tuple[str, str]] = {}


def _cookie_attrs(
    domain: str | None,
    secure: bool,
    httponly: bool,
    path: str | None,
    samesite: str | None,
    partitioned: bool,
) -> tuple[str, str]:
    """``dump_cookie``'s attributes, checked: (before, after) the timing ones."""
    before = "" if domain is None else f"; Domain={_cookie_domain(domain)}"
    parts = [""]
    if secure or partitioned:
        parts.append("Secure")
    if httponly:
        parts.append("HttpOnly")
    if path is not None:
        path = quote(_cookie_attr("Path", path), safe="/!$&'()*+,:=@~%")
        parts.append(f"Path={path}")
    if samesite is not None:
        parts.append(f"SameSite={_cookie_samesite(samesite)}")
    if partitioned:
        parts.append("Partitioned")
    return before, "; ".join(parts) if len(parts) > 1 else ""


# --- ETags --------------------------------------------------------------------

_ETAG_RE = re.compile(r'[\s,]*([Ww]/)?(?:"([^"]*)"|([^\s,"]+))[^,]*')
_SKIP_ETAG_RE = re.compile(r"[\s,]*[^,]*")
_ETAG_UNSAFE_RE = re.compile(r'["\x00-\x1f\x7f]')
_MAX_ETAGS = 1024


def generate_etag(data: bytes) -> str:
    """A strong ETag for a body: its SHA-1 hex digest (not for security)."""
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def quote_etag(etag: str, weak: bool = False) -> str:
    """``abc`` → ``"abc"`` (``W/"abc"`` when weak); ``"`` or controls raise."""
    if _ETAG_UNSAFE_RE.search(etag):
        raise ValueError(f"invalid ETag {etag!r}")
    return f'W/"{etag}"' if weak else f'"{etag}"'


def unquote_etag(value: str | None) -> tuple[str | None, bool]:
    """``W/"abc"`` → ``("abc", True)``; empty or ``None`` → ``(None, False)``."""
    if not value:
        return None, False
    value = value.strip()
    weak = value[:2] in ("W/", "w/")
    if weak:
        value = value[2:]
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return value, weak


class ETags:
    """The entity tags of an If-Match / If-None-Match header."""

    __slots__ = ("_strong", "_weak", "star_tag")

    def __init__(
        self,
        strong_etags: Iterable[str] | None = (),
        weak_etags: Iterable[str] | None = (),
        star_tag: bool = False,
    ) -> None:
        self._strong = frozenset(strong_etags or ())
        self._weak = frozenset(weak_etags or ())
        self.star_tag = star_tag

    def as_set(self, include_weak: bool = False) -> set[str]:
        """The tags as a set (only the strong ones unless ``include_weak``)."""
        result = set(self._strong)
        if include_weak:
            result.update(self._weak)
        return result

    def is_weak(self, etag: str) -> bool:
        return etag in self._weak

    def is_strong(self, etag: str) -> bool:
        return etag in self._strong

    def contains(self, etag: str) -> bool:
        """Strong comparison (If-Match, If-Range): ``*`` or a strong tag."""
        return self.star_tag or etag in self._strong

    def contains_weak(self, etag: str) -> bool:
        """Weak comparison (If-None-Match): a strong or a weak tag matches."""
        return self.star_tag or etag in self._strong or etag in self._weak

    def contains_raw(self, etag: str) -> bool:
        """Compare a quoted tag, weakly if it is ``W/``-marked."""
        value, weak = unquote_etag(etag)
        if value is None:
            return False
        return self.contains_weak(value) if weak else self.contains(value)

    def to_header(self) -> str:
        if self.star_tag:
            return "*"
        strong = [f'"{v}"' for v in sorted(self._strong)]
        weak = [f'W/"{v}"' for v in sorted(self._weak)]
        return ", ".join(strong + weak)

    def __call__(self, etag: str | None = None, data: bytes | None = None) -> bool:
        if etag is None:
            if data is None:
                raise TypeError("pass an etag or data")
            etag = generate_etag(data)
        return self.contains(etag)

    def __bool__(self) -> bool:
        return bool(self.star_tag or self._strong or self._weak)

    def __contains__(self, etag: object) -> bool:
        return isinstance(etag, str) and self.contains(etag)

    def __iter__(self) -> Iterator[str]:
        return iter(self._strong)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


def parse_etags(value: str | None) -> ETags:
    """Parse an If-Match / If-None-Match header; garbage items are skipped."""
    if not value:
        return ETags()
    strong: list[str] = []
    weak: list[str] = []
    pos, end = 0, len(value)
    while pos < end and len(strong) + len(weak) < _MAX_ETAGS:
        m = _ETAG_RE.match(value, pos)
        if m is None:
            skipped = _SKIP_ETAG_RE.match(value, pos)
            assert skipped is not None  # the pattern matches the empty string
            pos = max(skipped.end(), pos + 1)
            continue
        pos = m.end()
        is_weak, quoted, bare = m.groups()
        if bare == "*" and not is_weak:
            return ETags(star_tag=True)
        tag = quoted if quoted is not None else bare
        (weak if is_weak else strong).append(tag)
    return ETags(strong, weak)


# --- ranges -------------------------------------------------------------------

_MAX_RANGES = 100
_MAX_RANGE_HEADER = 4096


class ContentRange:
    """A ``Content-Range``: ``bytes 0-499/1234`` (``stop`` is exclusive)."""

    __slots__ = ("units", "start", "stop", "length")

    def __init__(
        self,
        units: str | None,
        start: int | None,
        stop: int | None,
        length: int | None = None,
    ) -> None:
        self.units = units
        self.start = start
        self.stop = stop
        self.length = length

    def to_header(self) -> str:
        if self.units is None:
            return ""
        length = "*" if self.length is None else str(self.length)
        if self.start is None or self.stop is None:
            return f"{self.units} */{length}"
        return f"{self.units} {self.start}-{self.stop - 1}/{length}"

    def __bool__(self) -> bool:
        return self.units is not None

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


class Range:
    """A parsed ``Range`` header: ``ranges`` holds ``(start, stop)`` pairs.

    ``stop`` is exclusive; ``None`` means "to the end"; a negative ``start``
    with ``stop=None`` is a suffix (the last ``-start`` bytes).
    """

    __slots__ = ("units", "ranges")

    def __init__(self, units: str, ranges: Iterable[tuple[int, int | None]]) -> None:
        self.units = units
        self.ranges = list(ranges)

    def range_for_length(self, length: int | None) -> tuple[int, int] | None:
        """The ``(start, stop)`` to send for a body of ``length`` bytes.

        ``None`` when the range cannot be served as one part: not bytes, several
        ranges, or unsatisfiable (the caller answers 416 or sends it all).
        """
        if self.units != "bytes" or length is None or len(self.ranges) != 1:
            return None
        start, stop = self.ranges[0]
        if stop is None:
            stop = length
            if start < 0:
                start = max(0, start + length)
        if 0 <= start < length and start < stop:
            return start, min(stop, length)
        return None

    def make_content_range(self, length: int | None) -> ContentRange | None:
        """The :class:`ContentRange` matching :meth:`range_for_length`."""
        rng = self.range_for_length(length)
        if rng is None:
            return None
        return ContentRange(self.units, rng[0], rng[1], length)

    def to_content_range_header(self, length: int | None) -> str | None:
        """``bytes 0-499/1234`` for a body of ``length``, or ``None``."""
        content_range = self.make_content_range(length)
        return None if content_range is None else content_range.to_header()

    def to_header(self) -> str:
        parts = []
        for start, stop in self.ranges:
            if stop is None:
                parts.append(f"{start}-" if start >= 0 else str(start))
            else:
                parts.append(f"{start}-{stop - 1}")
        return f"{self.units}={','.join(parts)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


def parse_range_header(value: str | None, make_inclusive: bool = True) -> Range | None:
    """Parse ``Range: bytes=0-499,1000-`` into a :class:`Range`, or ``None``.

    ``None`` for anything a server should not try to honour: garbage, numbers
    over 19 digits, an inverted range, a zero-length suffix, more than 100
    ranges, or ranges that overlap or are out of order (the trick behind
    multi-range amplification attacks). With ``make_inclusive`` the header's
    inclusive last byte becomes an exclusive ``stop``.
    """
    if not value or len(value) > _MAX_RANGE_HEADER:
        return None
    units, sep, spec = value.partition("=")
    units = units.strip().lower()
    if not sep or not _TOKEN_RE.fullmatch(units):
        return None
    items = spec.split(",", _MAX_RANGES)
    if len(items) > _MAX_RANGES:
        return None
    ranges: list[tuple[int, int | None]] = []
    last_stop: int | None = 0  # None once an open-ended range was seen
    for item in items:
        first, dash, second = item.strip().partition("-")
        if not dash:
            return None
        if not first:  # suffix: the last N bytes
            if last_stop is None or not _DIGITS_RE.fullmatch(second):
                return None
            size = int(second)
            if size == 0:
                return None
            ranges.append((-size, None))
            last_stop = None
            continue
        if last_stop is None or not _DIGITS_RE.fullmatch(first):
            return None
        start = int(first)
        if start < last_stop:
            return None
        if not second:
            ranges.append((start, None))
            last_stop = None
            continue
        if not _DIGITS_RE.fullmatch(second):
            return None
        stop = int(second) + (1 if make_inclusive else 0)
        if start >= stop:
            return None
        ranges.append((start, stop))
        last_stop = stop
    return Range(units, ranges)


def parse_content_range_header(value: str | None) -> ContentRange | None:
    """Parse ``bytes 0-499/1234``, ``bytes 0-499/*`` or ``bytes */1234``."""
    if not value or len(value) > _MAX_RANGE_HEADER:
        return None
    units, sep, rest = value.strip().partition(" ")
    units = units.lower()
    if not sep or not _TOKEN_RE.fullmatch(units):
        return None
    spec, slash, length_text = rest.strip().partition("/")
    if not slash:
        return None
    length: int | None = None
    if length_text != "*":
        if not _DIGITS_RE.fullmatch(length_text):
            return None
        length = int(length_text)
    if spec == "*":
        if length is None:
            return None
        return ContentRange(units, None, None, length)
    first, dash, last = spec.partition("-")
    if not dash or not _DIGITS_RE.fullmatch(first) or not _DIGITS_RE.fullmatch(last):
        return None
    start, stop = int(first), int(last) + 1
    if start >= stop or (length is not None and stop > length):
        return None
    return ContentRange(units, start, stop, length)


class IfRange:
    """An ``If-Range`` header: an ETag or a date (at most one is set).

    ``weak`` records a ``W/`` tag, which by RFC 9110 never matches.
    """

    __slots__ = ("etag", "date", "weak")

    def __init__(
        self, etag: str | None = None, date: datetime | None = None, weak: bool = False
    ) -> None:
        self.etag = etag
        self.date = date
        self.weak = weak

    def to_header(self) -> str:
        if self.date is not None:
            return http_date(self.date)
        if self.etag is not None:
            return quote_etag(self.etag, self.weak)
        return ""

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


def parse_if_range_header(value: str | None) -> IfRange:
    """Parse ``If-Range``: a date if it reads as one, else an ETag."""
    if not value:
        return IfRange()
    moment = parse_date(value)
    if moment is not None:
        return IfRange(date=moment)
    etag, weak = unquote_etag(value)
    return IfRange(etag, weak=weak)


# --- conditional requests -----------------------------------------------------


def _last_modified(value: datetime | str | None) -> datetime | None:
    if isinstance(value, str):
        return parse_date(value)
    return None if value is None else _to_utc(value)


def is_resource_modified(
    environ: Mapping[str, t.Any],
    etag: str | None = None,
    data: bytes | None = None,
    last_modified: datetime | str | None = None,
    ignore_if_range: bool = True,
) -> bool:
    """Whether the client's cached copy is stale, so a full response is due.

    ``False`` means answer 304. RFC 9110: If-None-Match (weak comparison) wins
    over If-Modified-Since. With ``ignore_if_range=False`` and a ``Range``
    header, an ``If-Range`` validator is used instead (strong comparison, exact
    date): ``False`` then means the range may be served.

    ``etag`` may be quoted or bare; ``data`` computes it. The method is not
    checked: call this for GET and HEAD only.
    """
    if data is not None:
        if etag is not None:
            raise TypeError("pass either etag or data, not both")
        etag = generate_etag(data)
    elif etag is not None:
        etag = unquote_etag(etag)[0]
    modified = _last_modified(last_modified)

    if not ignore_if_range and "HTTP_RANGE" in environ:
        if_range = parse_if_range_header(environ.get("HTTP_IF_RANGE"))
        if if_range.date is not None:
            return modified is None or modified != if_range.date
        if if_range.etag is not None:
            return if_range.weak or etag is None or etag != if_range.etag

    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match:
        etags = parse_etags(if_none_match)
        if etags.star_tag:
            return False
        return etag is None or not etags.contains_weak(etag)
    since = parse_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
    if since is not None and modified is not None and modified <= since:
        return False
    return True


def is_precondition_failed(
    environ: Mapping[str, t.Any],
    etag: str | None = None,
    last_modified: datetime | str | None = None,
) -> bool:
    """Whether If-Match / If-Unmodified-Since fail, so the answer is 412.

    If-Match uses strong comparison and wins over If-Unmodified-Since. ``*``
    matches because the resource is assumed to exist.
    """
    if_match = environ.get("HTTP_IF_MATCH")
    if if_match:
        etags = parse_etags(if_match)
        if etags.star_tag:
            return False
        if etag is None:
            return True
        value, weak = unquote_etag(etag)
        return weak or value is None or not etags.contains(value)
    since = parse_date(environ.get("HTTP_IF_UNMODIFIED_SINCE"))
    modified = _last_modified(last_modified)
    if since is not None and modified is not None:
        return modified > since
    return False
