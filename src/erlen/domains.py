"""Subdomains and hosts with variables: ``subdomain="<user>"``,
``host="<name>.example.test"``.

Rules whose domain is plain text are found by a dict lookup in the map.  A
domain with variables is a :class:`DomainPattern`: the map tries the patterns
(most literal text first) only when the request's domain is not a plain one,
so apps without such rules pay nothing.
"""

from __future__ import annotations

import re
import typing as t

from .exceptions import HTTPException
from .exceptions import NotFound

if t.TYPE_CHECKING:
    from .routing import Map
    from .routing import Rule

__all__ = ["DomainPattern", "match_patterns"]

_VAR = re.compile(
    r"<(?:(?P<conv>[a-zA-Z_][a-zA-Z0-9_]*)(?:\((?P<args>.*?)\))?:)?(?P<var>[a-zA-Z_][a-zA-Z0-9_]*)>"
)


class DomainPattern:
    """A subdomain or host template, matched whole against the request's."""

    def __init__(self, template: str, map: Map) -> None:
        from .routing import _parse_converter_args

        self.template = template
        self.parts: list[tuple[str, t.Any]] = []
        regex = []
        pos = 0
        for m in _VAR.finditer(template):
            if m.start() > pos:
                text = template[pos : m.start()]
                self.parts.append(("static", text))
                regex.append(re.escape(text))
            name = m.group("var")
            conv_name = m.group("conv") or "default"
            if conv_name not in map.converters:
                raise LookupError(f"the converter {conv_name!r} does not exist")
            args, kwargs = _parse_converter_args(m.group("args") or "")
            conv = map.converters[conv_name](map, *args, **kwargs)
            self.parts.append(("var", (name, conv)))
            regex.append(f"(?P<{name}>{conv.regex})")
            pos = m.end()
        if pos < len(template):
            self.parts.append(("static", template[pos:]))
            regex.append(re.escape(template[pos:]))
        self.regex = re.compile("".join(regex), re.I)
        self.arguments = {value[0] for kind, value in self.parts if kind == "var"}
        #: More literal text is more specific, so it is tried first.
        self.weight = sum(len(v) for kind, v in self.parts if kind == "static")

    def match(self, domain: str) -> dict[str, t.Any] | None:
        m = self.regex.fullmatch(domain)
        if m is None:
            return None
        values = {}
        for kind, value in self.parts:
            if kind == "var":
                name, conv = value
                try:
                    values[name] = conv.to_python(m.group(name))
                except Exception:
                    return None
        return values

    def build(
        self, values: t.Mapping[str, t.Any], defaults: t.Mapping[str, t.Any]
    ) -> str:
        out = []
        for kind, value in self.parts:
            if kind == "static":
                out.append(value)
            else:
                name, conv = value
                raw = values.get(name)
                out.append(conv.to_url(defaults[name] if raw is None else raw))
        return "".join(out)

    def __repr__(self) -> str:
        return f"<DomainPattern {self.template!r}>"


def match_patterns(
    map: Map, path: str, method: str, domain: str
) -> tuple[Rule, dict[str, t.Any]]:
    """Match in the plain domain's rules, then in each pattern's that fits.

    The first rule found wins; its own values (and defaults) win over the
    ones taken from the domain.  With no rule, the most telling error is
    raised: a 405 or redirect before a 404.
    """
    candidates: list[tuple[str, dict[str, t.Any]]] = []
    if domain in map._domains:
        candidates.append((domain, {}))
    for pattern in map._domain_patterns:
        values = pattern.match(domain)
        if values is not None:
            candidates.append((pattern.template, values))
    error: HTTPException | None = None
    for key, values in candidates:
        try:
            rule, args = map.match(path, method, key, _exact=True)
        except NotFound as e:
            error = error or e
            continue
        except HTTPException as e:
            if error is None or isinstance(error, NotFound):
                error = e
            continue
        return rule, {**values, **args}
    raise error or NotFound()
