"""``werkzeug.routing`` names beyond erlen.routing's: rule factories.

A factory (``Submount``, ``Subdomain``, ``EndpointPrefix``) yields plain
rules from ``get_rules(map)``; add them with ``for r in f.get_rules(m):
m.add(r)`` (erlen's ``Map.add`` takes single rules).
"""

from __future__ import annotations

import typing as t

from erlen.routing import Rule

__all__ = ["EndpointPrefix", "RuleFactory", "Subdomain", "Submount"]


def _copy(rule: Rule, **changes: t.Any) -> Rule:
    options: dict[str, t.Any] = {
        "defaults": rule.defaults,
        "subdomain": rule.subdomain,
        "methods": rule.methods,
        "build_only": rule.build_only,
        "endpoint": rule.endpoint,
        "strict_slashes": getattr(rule, "strict_slashes", None),
        "redirect_to": getattr(rule, "redirect_to", None),
        "host": rule.host,
    }
    string = changes.pop("string", rule.rule)
    options.update(changes)
    return Rule(string, **options)


class RuleFactory:
    """Something that makes rules for a map."""

    def get_rules(self, map: t.Any) -> t.Iterable[Rule]:
        raise NotImplementedError()


def _expand(rules: t.Iterable[t.Any], map: t.Any) -> t.Iterator[Rule]:
    for item in rules:
        if isinstance(item, RuleFactory):
            yield from item.get_rules(map)
        else:
            yield item


class Submount(RuleFactory):
    """Prefix every rule's path with ``path``."""

    def __init__(self, path: str, rules: t.Iterable[t.Any]) -> None:
        self.path = path.rstrip("/")
        self.rules = rules

    def get_rules(self, map: t.Any) -> t.Iterator[Rule]:
        for rule in _expand(self.rules, map):
            yield _copy(rule, string=self.path + rule.rule)


class Subdomain(RuleFactory):
    """Put every rule on ``subdomain``."""

    def __init__(self, subdomain: str, rules: t.Iterable[t.Any]) -> None:
        self.subdomain = subdomain
        self.rules = rules

    def get_rules(self, map: t.Any) -> t.Iterator[Rule]:
        for rule in _expand(self.rules, map):
            yield _copy(rule, subdomain=self.subdomain)


class EndpointPrefix(RuleFactory):
    """Prefix every rule's endpoint with ``prefix``."""

    def __init__(self, prefix: str, rules: t.Iterable[t.Any]) -> None:
        self.prefix = prefix
        self.rules = rules

    def get_rules(self, map: t.Any) -> t.Iterator[Rule]:
        for rule in _expand(self.rules, map):
            yield _copy(rule, endpoint=self.prefix + rule.endpoint)
