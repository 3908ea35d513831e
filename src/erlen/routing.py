"""Rules, converters, matching and URL building.

Rules are compiled when they are registered. A path with no variables goes into
one dict, so matching it is a single lookup; a path with variables goes into a
trie of segments, static segments first, so matching costs the depth of the path
and not the number of rules.  URL building walks a per-endpoint list of
precompiled parts.
"""

from __future__ import annotations

import re
import typing as t
import uuid
from urllib.parse import quote
from urllib.parse import urlencode

from .exceptions import HTTPException
from .exceptions import MethodNotAllowed
from .exceptions import NotFound

if t.TYPE_CHECKING:
    from .domains import DomainPattern
    from .response import Response

_RULE_VAR = re.compile(
    r"<(?:(?P<conv>[a-zA-Z_][a-zA-Z0-9_]*)(?:\((?P<args>.*?)\))?:)?"
    r"(?P<var>[a-zA-Z_][a-zA-Z0-9_]*)>"
)
_ARG = re.compile(
    r"""\s*(?:(?P<key>\w+)\s*=\s*)?(?P<value>"[^"]*"|'[^']*'|[^,\s]+)\s*(?:,|$)"""
)
_PATH_SAFE = "/:@&+$,;=!*'()~"
_SEGMENT_SAFE = ":@&+$,;=!*'()~"


class ValidationError(ValueError):
    """Raised by a converter's ``to_python`` when the value does not fit.

    The rule then does not match and the router goes on to the next one.
    """


class RoutingException(Exception):
    """Base of the exceptions the router raises to change the flow."""


class RequestRedirect(HTTPException, RoutingException):
    """*308* — the URL has a canonical form (a trailing slash) to go to."""

    code = 308

    def __init__(self, new_url: str) -> None:
        super().__init__(new_url)
        self.new_url = new_url

    def get_response(self, environ: t.Any = None, scope: t.Any = None) -> Response:
        from .helpers import redirect

        return redirect(self.new_url, self.code)


class BuildError(RoutingException, LookupError):
    """No rule could build a URL for the endpoint with these values."""

    def __init__(
        self,
        endpoint: str,
        values: t.Mapping[str, t.Any],
        method: str | None,
        suggestion: str | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.values = values
        self.method = method
        self.suggestion = suggestion
        super().__init__(self._message())

    def _message(self) -> str:
        msg = f"Could not build url for endpoint {self.endpoint!r}"
        if self.method:
            msg += f" ({self.method!r})"
        if self.values:
            msg += f" with values {sorted(self.values)!r}"
        msg += "."
        if self.suggestion:
            msg += f" {self.suggestion}"
        return msg

    def __str__(self) -> str:
        return self._message()


# -- converters ---------------------------------------------------------------


class BaseConverter:
    """Turns one URL variable into a Python value and back.

    ``regex`` matches the variable's text; ``part_isolating`` says whether it can
    never span a ``/`` (then it is matched segment by segment).
    """

    regex = "[^/]+"
    weight = 100
    part_isolating = True

    def __init__(self, map: Map, *args: t.Any, **kwargs: t.Any) -> None:
        self.map = map

    def to_python(self, value: str) -> t.Any:
        return value

    def to_url(self, value: t.Any) -> str:
        return quote(str(value), safe=_SEGMENT_SAFE)


class UnicodeConverter(BaseConverter):
    """The default ``string`` converter: any text without a slash."""

    def __init__(
        self,
        map: Map,
        minlength: int = 1,
        maxlength: int | None = None,
        length: int | None = None,
    ) -> None:
        super().__init__(map)
        if length is not None:
            count = f"{{{int(length)}}}"
        else:
            upper = "" if maxlength is None else int(maxlength)
            count = f"{{{int(minlength)},{upper}}}"
        self.regex = f"[^/]{count}"


class AnyConverter(BaseConverter):
    """Matches one of a fixed set of strings: ``<any(about, help):page>``."""

    def __init__(self, map: Map, *items: str) -> None:
        super().__init__(map)
        self.items = set(items)
        self.regex = "(?:" + "|".join(re.escape(x) for x in items) + ")"

    def to_url(self, value: t.Any) -> str:
        if value in self.items:
            return str(value)
        valid = ", ".join(f"'{x}'" for x in sorted(self.items))
        raise ValueError(f"{value!r} is not one of {valid}")


class PathConverter(BaseConverter):
    """Like ``string`` but also accepts slashes: the rest of a path."""

    regex = "[^/].*?"
    weight = 200
    part_isolating = False

    def to_url(self, value: t.Any) -> str:
        return quote(str(value), safe=_PATH_SAFE)


class NumberConverter(BaseConverter):
    """Shared logic of ``int`` and ``float``: bounds and fixed digits."""

    weight = 50
    num_convert: t.Callable[[str], t.Any] = int

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: float | None = None,
        max: float | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map)
        if signed:
            self.regex = "-?" + self.regex
        self.fixed_digits = fixed_digits
        self.min = min
        self.max = max
        self.signed = signed

    def to_python(self, value: str) -> t.Any:
        if self.fixed_digits and len(value) != self.fixed_digits:
            raise ValidationError()
        number = self.num_convert(value)
        if (self.min is not None and number < self.min) or (
            self.max is not None and number > self.max
        ):
            raise ValidationError()
        return number

    def to_url(self, value: t.Any) -> str:
        text = str(self.num_convert(value))
        if self.fixed_digits:
            text = text.zfill(self.fixed_digits)
        return text


class IntegerConverter(NumberConverter):
    """``int``: unsigned by default, ``signed=True`` allows a minus."""

    regex = r"\d+"


class FloatConverter(NumberConverter):
    """``float``: digits with a decimal point."""

    regex = r"\d+\.\d+"
    num_convert = float


class UUIDConverter(BaseConverter):
    """``uuid``: the canonical 8-4-4-4-12 hex form."""

    regex = (
        r"[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"
    )

    def to_python(self, value: str) -> uuid.UUID:
        return uuid.UUID(value)

    def to_url(self, value: t.Any) -> str:
        return str(value)


DEFAULT_CONVERTERS: dict[str, type[BaseConverter]] = {
    "default": UnicodeConverter,
    "string": UnicodeConverter,
    "any": AnyConverter,
    "path": PathConverter,
    "int": IntegerConverter,
    "float": FloatConverter,
    "uuid": UUIDConverter,
}


def _parse_converter_args(text: str) -> tuple[tuple[t.Any, ...], dict[str, t.Any]]:
    """Parse ``min=1, max=10`` or ``about, 'help'`` into args and kwargs."""
    args: list[t.Any] = []
    kwargs: dict[str, t.Any] = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _ARG.match(text, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"Cannot parse converter arguments {text!r}")
        value = _literal(m.group("value"))
        if m.group("key"):
            kwargs[m.group("key")] = value
        else:
            args.append(value)
        pos = m.end()
    return tuple(args), kwargs


def _literal(text: str) -> t.Any:
    if text[:1] in "\"'":
        return text[1:-1]
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


# -- rules --------------------------------------------------------------------


class _Segment:
    """One path segment of a rule that holds at least one variable."""

    __slots__ = ("regex", "converters", "weight", "key", "single")

    def __init__(
        self,
        pattern: str,
        converters: list[tuple[str, BaseConverter]],
        key: str,
        specs: tuple[t.Hashable, ...] = (),
    ) -> None:
        self.regex = re.compile(pattern)
        self.converters = converters
        static_len = len(re.sub(r"<[^>]*>", "", key))
        self.weight = (
            sum(c.weight for _, c in converters),
            -static_len,
        )
        # Two segments share a trie node only if their regex *and* their
        # converters (class and arguments) are the same: ``int(max=10)`` and
        # ``int`` match the same text but must both be tried.
        self.key: tuple[t.Hashable, ...] = (pattern, *specs)
        # PERF: a segment that is one variable needs no group extraction
        # (bench `param`).
        self.single: tuple[str, BaseConverter] | None = None
        if len(converters) == 1:
            name, conv = converters[0]
            if pattern == f"(?P<{name}>{conv.regex})":
                self.single = converters[0]

    def convert(self, text: str) -> dict[str, t.Any] | None:
        match = self.regex.fullmatch(text)
        if match is None:
            return None
        single = self.single
        if single is not None:
            try:
                return {single[0]: single[1].to_python(text)}
            except (ValidationError, ValueError):
                return None
        values = {}
        try:
            for name, conv in self.converters:
                values[name] = conv.to_python(match.group(name))
        except (ValidationError, ValueError):
            return None
        return values


class Rule:
    """A URL pattern, its endpoint and the methods it accepts."""

    #: Set by :meth:`bind` when the subdomain (or host) has variables.
    _domain_pattern: DomainPattern | None = None

    def __init__(
        self,
        string: str,
        defaults: t.Mapping[str, t.Any] | None = None,
        subdomain: str | None = None,
        methods: t.Iterable[str] | None = None,
        build_only: bool = False,
        endpoint: str | None = None,
        strict_slashes: bool | None = None,
        merge_slashes: bool | None = None,
        redirect_to: str | t.Callable[..., str] | None = None,
        alias: bool = False,
        host: str | None = None,
        websocket: bool = False,
    ) -> None:
        if not string.startswith("/"):
            raise ValueError(f"URL rule {string!r} must start with a slash.")
        self.rule = string
        self.defaults = dict(defaults) if defaults else None
        self.subdomain = subdomain
        self.host = host
        self.build_only = build_only
        self.endpoint: str = endpoint  # type: ignore[assignment]
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self.redirect_to = redirect_to
        self.alias = alias
        self.websocket = websocket
        if methods is None:
            self.methods: set[str] | None = None
        else:
            if isinstance(methods, str):
                raise TypeError("'methods' should be a list of strings.")
            self.methods = {m.upper() for m in methods}
            if "GET" in self.methods:
                self.methods.add("HEAD")
        self.provide_automatic_options = False
        self.map: Map | None = None
        self.arguments: set[str] = set()
        self._parts: list[tuple[str, t.Any]] = []
        self._conv_specs: dict[str, tuple[type[BaseConverter], str]] = {}
        self._segments: list[str | _Segment] = []
        self._greedy_from: int | None = None
        self._greedy_regex: re.Pattern[str] | None = None
        self._match_methods: frozenset[str] = frozenset()

    # Called by Map.add: converters need the map to be built.
    def bind(self, map: Map) -> None:
        if self.map is not None:
            raise RuntimeError(f"url rule {self!r} already bound to map {self.map!r}")
        self.map = map
        if self.strict_slashes is None:
            self.strict_slashes = map.strict_slashes
        self._compile()
        template = self.host if map.host_matching else self.subdomain
        if template and "<" in template:
            from .domains import DomainPattern

            self._domain_pattern = DomainPattern(template, map)
            self.arguments |= self._domain_pattern.arguments

    def get_converter(
        self, name: str, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> BaseConverter:
        assert self.map is not None
        if name not in self.map.converters:
            raise LookupError(f"the converter {name!r} does not exist")
        return self.map.converters[name](self.map, *args, **kwargs)

    def _compile(self) -> None:
        # Build parts: a list of ("static", text) and ("var", (name, converter)).
        pos = 0
        parts: list[tuple[str, t.Any]] = []
        for m in _RULE_VAR.finditer(self.rule):
            if m.start() > pos:
                parts.append(("static", self.rule[pos : m.start()]))
            conv_name = m.group("conv") or "default"
            args_text = m.group("args") or ""
            args, kwargs = _parse_converter_args(args_text)
            conv = self.get_converter(conv_name, args, kwargs)
            name = m.group("var")
            if name in self.arguments:
                raise ValueError(f"variable name {name!r} used twice.")
            self.arguments.add(name)
            self._conv_specs[name] = (type(conv), args_text.strip())
            parts.append(("var", (name, conv)))
            pos = m.end()
        if pos < len(self.rule):
            parts.append(("static", self.rule[pos:]))
        if "<" in "".join(p for k, p in parts if k == "static"):
            raise ValueError(f"malformed url rule: {self.rule!r}")
        self._parts = parts
        self._segments = self._split_segments(parts)

    def _split_segments(self, parts: list[tuple[str, t.Any]]) -> list[str | _Segment]:
        """Split the rule into per-segment matchers for the trie."""
        # Re-tokenise into segments separated by "/" in the static text.
        segments: list[list[tuple[str, t.Any]]] = [[]]
        for kind, value in parts:
            if kind == "static":
                pieces = value.split("/")
                for i, piece in enumerate(pieces):
                    if i > 0:
                        segments.append([])
                    if piece:
                        segments[-1].append(("static", piece))
            else:
                segments[-1].append((kind, value))
        segments = segments[1:]  # the rule starts with "/"
        out: list[str | _Segment] = []
        for index, seg in enumerate(segments):
            variables = [v for k, v in seg if k == "var"]
            if any(not conv.part_isolating for _, conv in variables):
                self._greedy_from = index
                pattern = "/".join(self._segment_pattern(s) for s in segments[index:])
                self._greedy_regex = re.compile(pattern)
                break
            if not variables:
                out.append("".join(v for _, v in seg))
            else:
                key = "".join(v if k == "static" else f"<{v[0]}>" for k, v in seg)
                specs = tuple(self._conv_specs[name] for name, _ in variables)
                out.append(_Segment(self._segment_pattern(seg), variables, key, specs))
        return out

    @staticmethod
    def _segment_pattern(seg: list[tuple[str, t.Any]]) -> str:
        return "".join(
            re.escape(v) if k == "static" else f"(?P<{v[0]}>{v[1].regex})"
            for k, v in seg
        )

    @property
    def is_static(self) -> bool:
        """No variables in the path (the domain may have some)."""
        pattern = self._domain_pattern
        return not self.arguments or (
            pattern is not None and self.arguments <= pattern.arguments
        )

    def convert_greedy(self, rest: str) -> dict[str, t.Any] | None:
        assert self._greedy_regex is not None
        match = self._greedy_regex.fullmatch(rest)
        if match is None:
            return None
        values = {}
        try:
            for kind, value in self._parts:
                if kind == "var" and match.groupdict().get(value[0]) is not None:
                    values[value[0]] = value[1].to_python(match.group(value[0]))
        except (ValidationError, ValueError):
            return None
        return values

    # -- building -------------------------------------------------------------

    def suitable_for(self, values: t.Mapping[str, t.Any], method: str | None) -> bool:
        if (
            method is not None
            and self.methods is not None
            and method not in self.methods
        ):
            return False
        defaults = self.defaults or ()
        for name in self.arguments:
            if name not in defaults and values.get(name) is None:
                return False
        if self.defaults:
            for key, value in self.defaults.items():
                if key not in self.arguments and key in values and values[key] != value:
                    return False
        return True

    def build(self, values: t.Mapping[str, t.Any]) -> str:
        """Build the path; ``values`` must satisfy :meth:`suitable_for`."""
        out = []
        defaults = self.defaults or {}
        for kind, value in self._parts:
            if kind == "static":
                out.append(value)
            else:
                name, conv = value
                raw = values.get(name)
                if raw is None:
                    raw = defaults[name]
                out.append(conv.to_url(raw))
        return "".join(out)

    def __repr__(self) -> str:
        methods = f" ({', '.join(sorted(self.methods))})" if self.methods else ""
        return f"<Rule {self.rule!r}{methods} -> {self.endpoint}>"


# -- the map ------------------------------------------------------------------


class _Node:
    """A trie node: static children by text, dynamic ones tried in order."""

    __slots__ = ("static", "dynamic", "rules", "greedy")

    def __init__(self) -> None:
        self.static: dict[str, _Node] = {}
        self.dynamic: list[tuple[_Segment, _Node]] = []
        self.rules: list[Rule] = []
        self.greedy: list[Rule] = []


class Map:
    """All rules of an application: matching by path and method, building."""

    default_converters = DEFAULT_CONVERTERS

    def __init__(
        self,
        rules: t.Iterable[Rule] | None = None,
        strict_slashes: bool = True,
        merge_slashes: bool = True,
        converters: t.Mapping[str, type[BaseConverter]] | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
    ) -> None:
        self.converters = dict(self.default_converters)
        if converters:
            self.converters.update(converters)
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self.host_matching = host_matching
        self.subdomain_matching = subdomain_matching
        self._rules: list[Rule] = []
        self._rules_by_endpoint: dict[str, list[Rule]] = {}
        # PERF: static paths are one dict lookup; bench case `plaintext`.
        self._static: dict[str, dict[str, Rule]] = {}
        self._root = _Node()
        # Rules for a subdomain (or, with host_matching, a host) live in
        # their own tables; "" is the default domain above.
        self._domains: dict[str, tuple[dict[str, dict[str, Rule]], _Node]] = {
            "": (self._static, self._root)
        }
        # Domains with variables ("<user>"), most literal text first.
        self._domain_patterns: list[DomainPattern] = []
        for rule in rules or ():
            self.add(rule)

    def add(self, rule: Rule) -> None:
        if not isinstance(rule, Rule) and hasattr(rule, "get_rules"):
            # A rule factory (Werkzeug's Submount ...): add the rules it makes.
            for item in rule.get_rules(self):
                self.add(item)
            return
        rule.bind(self)
        rule._match_methods = frozenset(_rule_methods(rule))
        self._rules.append(rule)
        self._rules_by_endpoint.setdefault(rule.endpoint, []).append(rule)
        if rule.build_only:
            return
        methods = rule.methods or {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}
        domain = (rule.host if self.host_matching else rule.subdomain) or ""
        if domain not in self._domains:
            self._domains[domain] = ({}, _Node())
            if rule._domain_pattern is not None:
                self._domain_patterns.append(rule._domain_pattern)
                self._domain_patterns.sort(key=lambda p: -p.weight)
        static, root = self._domains[domain]
        if rule.is_static:
            by_method = static.setdefault(rule.rule, {})
            for method in methods:
                by_method.setdefault(method, rule)
            by_method.setdefault("*", rule)
            return
        node = root
        for seg in rule._segments:
            if isinstance(seg, str):
                node = node.static.setdefault(seg, _Node())
            else:
                for existing, child in node.dynamic:
                    if existing.key == seg.key:
                        node = child
                        break
                else:
                    child = _Node()
                    node.dynamic.append((seg, child))
                    node.dynamic.sort(key=lambda pair: pair[0].weight)
                    node = child
        if rule._greedy_from is not None:
            node.greedy.append(rule)
        else:
            node.rules.append(rule)

    def iter_rules(self, endpoint: str | None = None) -> t.Iterator[Rule]:
        if endpoint is not None:
            return iter(self._rules_by_endpoint.get(endpoint, ()))
        return iter(self._rules)

    def __iter__(self) -> t.Iterator[Rule]:
        return self.iter_rules()

    def is_endpoint_expecting(self, endpoint: str, *arguments: str) -> bool:
        """True when a rule for ``endpoint`` takes all of ``arguments``, so a
        ``url_defaults`` function knows whether to fill them in."""
        wanted = set(arguments)
        return any(
            wanted <= rule.arguments
            for rule in self._rules_by_endpoint.get(endpoint, ())
        )

    def __repr__(self) -> str:
        return f"<Map {self._rules!r}>"

    # -- matching ---------------------------------------------------------------

    def match(
        self, path: str, method: str, domain: str | None = None, _exact: bool = False
    ) -> tuple[Rule, dict[str, t.Any]]:
        """Find the rule for ``path`` and ``method``.

        ``domain`` is the request's subdomain (or host, with host_matching);
        None or "" is the default.  Raises NotFound, MethodNotAllowed (with
        the allowed methods) or RequestRedirect (missing trailing slash) as
        Werkzeug's router does.
        """
        rule, found = self._find(path, method, domain, _exact)
        if rule is None:
            raise found  # type: ignore[misc]
        return rule, found  # type: ignore[return-value]

    def _find(
        self, path: str, method: str, domain: str | None = None, _exact: bool = False
    ) -> tuple[Rule, dict[str, t.Any]] | tuple[None, HTTPException]:
        """:meth:`match`, giving ``(None, error)`` instead of raising it.

        One walk of the trie answers all three questions a miss asks: is
        there a rule for the path at all (and with which methods, for the
        405), and would the path with a trailing slash match (for the 308)?
        PERF: a miss costs about what a hit does, not three walks and a
        raise (bench `404` against `param`).
        """
        if domain:
            if self._domain_patterns and not _exact:
                from .domains import match_patterns

                try:
                    return match_patterns(self, path, method, domain)
                except HTTPException as e:
                    return None, e
            static, root = self._domains.get(domain) or ({}, _Node())
        else:
            static, root = self._static, self._root
        by_method = static.get(path)
        if by_method is not None:
            rule = by_method.get(method)
            if rule is not None:
                defaults = rule.defaults
                return rule, {} if defaults is None else dict(defaults)
        if path[:1] != "/":
            return None, NotFound()
        parts = path[1:].split("/")
        # What the walk learns on its way when nothing matches: [0] the first
        # rule path + "/" matches (True while unknown, False when not wanted),
        # then the method sets of the rules that match the path.
        miss: list[t.Any] = [parts[-1] != ""]
        if root.dynamic or root.greedy:
            found = _walk(root, parts, 0, method, miss)
        else:
            # PERF: the root's one question is a dict lookup: start below it.
            # A first segment no rule starts with (a scanner's /wp-login.php,
            # /.env) is then a miss without a walk (bench `404`, `param`).
            child = root.static.get(parts[0])
            found = None if child is None else _walk(child, parts, 1, method, miss)
        if found is not None:
            return found
        if by_method is not None:
            miss.append(by_method.keys() - {"*"})
        if len(miss) > 1:
            allowed = sorted(set().union(*miss[1:]))
            return None, MethodNotAllowed(valid_methods=allowed)
        slash = miss[0]
        if slash is not False:
            by_method = static.get(path + "/")
            if by_method is not None:
                slash = by_method["*"]
            if slash is not True and slash.strict_slashes:
                return None, RequestRedirect(path + "/")
        return None, NotFound()

    def allowed_methods(self, path: str, domain: str | None = None) -> set[str]:
        """Every method some rule accepts for ``path`` (for 405 and OPTIONS)."""
        static, root = self._domains.get(domain or "") or ({}, _Node())
        allowed: set[str] = set()
        by_method = static.get(path)
        if by_method is not None:
            allowed.update(m for m in by_method if m != "*")
        if path[:1] == "/":
            miss: list[t.Any] = [False]
            _walk(root, path[1:].split("/"), 0, "", miss)
            allowed.update(*miss[1:])
        return allowed


def _rule_methods(rule: Rule) -> set[str]:
    return rule.methods or {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}


def _walk(
    node: _Node,
    parts: list[str],
    index: int,
    method: str | None,
    miss: list[t.Any] | None,
) -> tuple[Rule, dict[str, t.Any]] | None:
    """Depth-first search of the trie; static edges before dynamic ones.

    ``method`` None matches any method.  ``miss`` (see ``Map._find``), when
    given, gathers on the way what a miss needs: the methods of the rules
    that match the path but not the method, and the first rule that the
    path with a trailing slash would match.  The slash walk visits the same
    nodes in the same order, so each node asks its own question in place.
    """
    if index == len(parts):
        for rule in node.rules:
            methods = rule._match_methods
            if method is None or method in methods:
                return rule, {} if rule.defaults is None else dict(rule.defaults)
            if miss is not None:
                miss.append(methods)
        if miss is not None and miss[0] is True:
            _slash_below(node, parts, miss)
        return None
    part = parts[index]
    child = node.static.get(part)
    if child is not None:
        found = _walk(child, parts, index + 1, method, miss)
        if found is not None:
            return found
    for segment, child in node.dynamic:
        values = segment.convert(part)
        if values is None:
            continue
        found = _walk(child, parts, index + 1, method, miss)
        if found is not None:
            found[1].update(values)
            return found
    if node.greedy:
        return _walk_greedy(node, "/".join(parts[index:]), method, miss)
    return None


def _slash_below(node: _Node, parts: list[str], miss: list[t.Any]) -> None:
    """At the node ``parts`` ends in: note the first rule matching the
    path plus the trailing empty segment a slash adds."""
    if "" in node.static or node.dynamic or node.greedy:
        found = _walk(node, [*parts, ""], len(parts), None, None)
        if found is not None:
            miss[0] = found[0]


def _walk_greedy(
    node: _Node, rest: str, method: str | None, miss: list[t.Any] | None
) -> tuple[Rule, dict[str, t.Any]] | None:
    """Try the node's ``path``-converter rules on the rest of the path."""
    for rule in node.greedy:
        values = rule.convert_greedy(rest)
        if values is None:
            continue
        methods = rule._match_methods
        if method is None or method in methods:
            if rule.defaults:
                values = {**rule.defaults, **values}
            return rule, values
        if miss is not None:
            miss.append(methods)
    if miss is not None and miss[0] is True:
        # The path with a slash, as the rest for these same rules.
        slashed = _walk_greedy(node, rest + "/", None, None)
        if slashed is not None:
            miss[0] = slashed[0]
    return None


def build_query(values: t.Mapping[str, t.Any]) -> str:
    """Encode leftover ``url_for`` values as a query string (lists repeat)."""
    pairs: list[tuple[str, str]] = []
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            pairs.extend((key, str(item)) for item in value if item is not None)
        else:
            pairs.append((key, str(value)))
    return urlencode(pairs)
