"""A miss is answered from one walk of the route trie.

``Map.match`` used to walk the trie up to three times for a path no rule
takes: to match, to collect the allowed methods (405) and to try the path
with a trailing slash (308).  It now gathers all of that on the first walk.
The reference below is that three-walk algorithm, kept here as the oracle:
for any rules and any path both must give the same rule, values, 405 methods
or redirect.
"""

from __future__ import annotations

import typing as t

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from erlen import Erlen
from erlen.exceptions import MethodNotAllowed
from erlen.exceptions import NotFound
from erlen.routing import Map
from erlen.routing import RequestRedirect
from erlen.routing import Rule
from erlen.routing import _Node

# -- the reference: three walks, as before --------------------------------------


def _ref_walk(
    node: _Node,
    parts: list[str],
    index: int,
    method: str | None,
    allowed: set[str] | None,
) -> tuple[Rule, dict[str, t.Any]] | None:
    if index == len(parts):
        for rule in node.rules:
            if method is None or method in rule._match_methods:
                return rule, dict(rule.defaults or {})
            if allowed is not None:
                allowed.update(rule._match_methods)
    else:
        child = node.static.get(parts[index])
        if child is not None:
            found = _ref_walk(child, parts, index + 1, method, allowed)
            if found is not None:
                return found
        for segment, child in node.dynamic:
            values = segment.convert(parts[index])
            if values is None:
                continue
            found = _ref_walk(child, parts, index + 1, method, allowed)
            if found is not None:
                found[1].update(values)
                return found
    if node.greedy and index < len(parts):
        rest = "/".join(parts[index:])
        for rule in node.greedy:
            values = rule.convert_greedy(rest)
            if values is None:
                continue
            if method is None or method in rule._match_methods:
                return rule, {**(rule.defaults or {}), **values}
            if allowed is not None:
                allowed.update(rule._match_methods)
    return None


def _ref_in(
    root: _Node, path: str, method: str | None, allowed: set[str] | None
) -> t.Any:
    if not path.startswith("/"):
        return None
    return _ref_walk(root, path[1:].split("/"), 0, method, allowed)


def _reference(m: Map, path: str, method: str) -> t.Any:
    static, root = m._static, m._root
    by_method = static.get(path)
    if by_method is not None and method in by_method:
        rule = by_method[method]
        return ("rule", rule, dict(rule.defaults or {}))
    found = _ref_in(root, path, method, None)
    if found is not None:
        return ("rule", *found)
    allowed: set[str] = set()
    _ref_in(root, path, "", allowed)
    if by_method is not None:
        allowed.update(k for k in by_method if k != "*")
    if allowed:
        return ("405", sorted(allowed))
    if not path.endswith("/"):
        slashed = path + "/"
        if slashed in static:
            wants = static[slashed]["*"].strict_slashes
        else:
            hit = _ref_in(root, slashed, None, None)
            wants = hit is not None and hit[0].strict_slashes
        if wants:
            return ("308", slashed)
    return ("404",)


def _ours(m: Map, path: str, method: str) -> t.Any:
    try:
        rule, values = m.match(path, method)
    except MethodNotAllowed as e:
        return ("405", sorted(e.valid_methods or ()))
    except RequestRedirect as e:
        return ("308", e.new_url)
    except NotFound:
        return ("404",)
    return ("rule", rule, values)


# -- rule sets and paths ------------------------------------------------------------

_STATIC = st.sampled_from(["a", "b", "files", "x1", "7", ""])
_VARS = st.sampled_from(
    [
        "<v>",
        "<int:v>",
        "<int(max=5):v>",
        "<float:v>",
        "<any(a, b, c):v>",
        "<string(length=1):v>",
        "<string(minlength=0):v>",
        "<uuid:v>",
        "v<int:v>",
    ]
)
_SEGMENT = st.one_of(_STATIC, _STATIC, _VARS)
_METHODS = st.sampled_from([["GET"], ["POST"], ["GET", "PUT"], ["DELETE"], None])


@st.composite
def _rules(draw: t.Any) -> list[tuple[str, t.Any, bool]]:
    rules = []
    for _ in range(draw(st.integers(1, 8))):
        segments = draw(st.lists(_SEGMENT, min_size=1, max_size=3))
        # Each variable name once per rule.
        segments = [
            s.replace(":v>", f":v{i}>").replace("<v>", f"<v{i}>")
            for i, s in enumerate(segments)
        ]
        if draw(st.booleans()) and draw(st.booleans()):
            segments.append("<path:rest>")
        path = "/" + "/".join(segments)
        if draw(st.booleans()):
            path += "/"
        rules.append((path.replace("//", "/"), draw(_METHODS), draw(st.booleans())))
    return rules


_PIECES = ["a", "b", "files", "x1", "7", "3", "1.5", "c", "v3", "", "z"]
_RANDOM_PATHS = st.lists(st.sampled_from(_PIECES), max_size=4).map(
    lambda ps: "/" + "/".join(ps)
)
_VALUE = st.sampled_from(
    ["3", "9", "1.5", "a", "x", "", "a/b", "12345678-1234-5678-1234-567812345678"]
)


@st.composite
def _paths_near(draw: t.Any, rules: list[tuple[str, t.Any, bool]]) -> str:
    """A rule's own path with values in its variables, a slash added or
    dropped; sometimes any path at all."""
    if draw(st.booleans()) and draw(st.booleans()):
        return draw(_RANDOM_PATHS)
    path = draw(st.sampled_from([r[0] for r in rules]))
    while "<" in path:
        start = path.index("<")
        path = path[:start] + draw(_VALUE) + path[path.index(">", start) + 1 :]
    if path.endswith("/") and draw(st.booleans()):
        path = path[:-1]
    elif draw(st.booleans()) and draw(st.booleans()):
        path += "/"
    return path or "/"


@settings(max_examples=500, deadline=None)
@given(
    data=st.data(),
    rules=_rules(),
    method=st.sampled_from(["GET", "POST", "HEAD", "PUT", "DELETE"]),
)
def test_one_walk_answers_as_three_walks(
    data: t.Any, rules: list[tuple[str, t.Any, bool]], method: str
) -> None:
    m = Map()
    for i, (path, methods, strict) in enumerate(rules):
        try:
            m.add(Rule(path, endpoint=f"e{i}", methods=methods, strict_slashes=strict))
        except ValueError:  # a malformed combination: not this test's subject
            continue
    for path in data.draw(st.lists(_paths_near(rules), min_size=1, max_size=6)):
        assert _ours(m, path, method) == _reference(m, path, method), path


# -- the answers themselves, by example -------------------------------------------


@pytest.fixture()
def app() -> Erlen:
    app = Erlen(__name__)
    for rule, methods in [
        ("/users/<int:id>", ["GET"]),
        ("/users/<int:id>", ["DELETE"]),
        ("/docs/", ["GET"]),
        ("/files/<path:name>/", ["GET"]),
        ("/items/<int:id>/", ["POST"]),
    ]:
        app.add_url_rule(rule, f"{rule}{methods}", lambda **kw: "ok", methods=methods)
    return app


@pytest.mark.parametrize(
    ("method", "path", "status", "header"),
    [
        ("PUT", "/users/3", 405, ("Allow", "DELETE, GET, HEAD, OPTIONS")),
        ("GET", "/docs", 308, ("Location", "/docs/")),
        ("GET", "/files/a/b", 308, ("Location", "/files/a/b/")),
        # A slash redirect keeps the method (308), even to a POST-only rule.
        ("GET", "/items/4", 308, ("Location", "/items/4/")),
        ("GET", "/users/x", 404, None),
        ("GET", "/nothing/here", 404, None),
    ],
)
def test_a_miss_gives_the_right_error(
    app: Erlen, method: str, path: str, status: int, header: tuple[str, str] | None
) -> None:
    rv = app.test_client().open(path, method=method)
    assert rv.status_code == status
    if header is not None:
        name, value = header
        assert rv.headers[name].removeprefix("http://localhost") == value


def test_a_405_beats_a_slash_redirect(app: Erlen) -> None:
    app.add_url_rule("/docs", "docs_post", lambda: "", methods=["POST"])
    rv = app.test_client().put("/docs")
    assert rv.status_code == 405
    assert rv.headers["Allow"] == "OPTIONS, POST"


def test_a_redirect_keeps_the_query_string(app: Erlen) -> None:
    rv = app.test_client().get("/docs?q=1")
    assert rv.status_code == 308
    assert rv.headers["Location"].endswith("/docs/?q=1")


@pytest.mark.parametrize(
    ("rules", "path", "expected"),
    [
        # The slash adds an empty last segment that a variable may take.
        (["/opt/<string(minlength=0):v>"], "/opt", ("308", "/opt/")),
        # ...or that a static "" segment is: the first rule found decides.
        (["/a/<int:n>/", "/a/<n>/"], "/a/x", ("308", "/a/x/")),
        # A path rule takes the rest with the slash.
        (["/f/<path:p>/"], "/f/a/b", ("308", "/f/a/b/")),
        # strict_slashes=False on the slashed rule: no redirect.
        (["/loose/"], "/loose", ("404",)),
    ],
)
def test_slash_answers_by_example(
    rules: list[str], path: str, expected: tuple[str, ...]
) -> None:
    m = Map()
    for i, rule in enumerate(rules):
        m.add(
            Rule(rule, endpoint=f"e{i}", strict_slashes=not rule.startswith("/loose"))
        )
    assert _ours(m, path, "GET") == expected == _reference(m, path, "GET")
