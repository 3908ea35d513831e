"""The benchmark scenarios: one request each, and what its response must be.

A scenario is data: the request to build and the response to expect.  Adding one
is adding a ``Scenario`` to ``SCENARIOS`` and the view to every app in
``bench/apps``; a framework whose app lacks the feature fails verification for
that cell only and is reported, never timed.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any
from urllib.parse import urlencode

import jinja2

from bench.apps.common import FORM_FIELDS
from bench.apps.common import ITEM_JSON
from bench.apps.common import ITEMS
from bench.apps.common import STATIC_DIR
from bench.apps.common import TEMPLATES_DIR
from bench.apps.common import TITLE
from bench.apps.common import USER_JSON


@dataclass(frozen=True)
class CookieCheck:
    """One Set-Cookie the response must carry; ``value=None`` accepts any value."""

    name: str
    value: str | None = None
    attrs: tuple[str, ...] = ()  # lower-case "path=/", "httponly", "samesite=lax"


@dataclass(frozen=True)
class Request:
    """A request as the harness turns it into a WSGI environ."""

    method: str = "GET"
    path: str = "/"
    query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    content_type: str = ""


@dataclass(frozen=True)
class Expect:
    """What a correct response looks like.

    ``media_type=None`` accepts any (the 404 page is each framework's own);
    ``body=None`` with ``json=None`` only requires a non-empty body.
    """

    status: int = 200
    media_type: str | None = "text/html"
    body: bytes | None = None
    json: Any = None
    cookies: tuple[CookieCheck, ...] = ()
    headers_present: tuple[str, ...] = ()
    charset: bool = True  # text/* must declare utf-8 (a static file need not)


@dataclass(frozen=True)
class Scenario:
    """One benchmark cell: a request against an app variant, and its checks.

    ``routes``/``kind`` pick the app variant (extra numbered rules, or
    ``db:<backend>`` for the batteries app); ``prime`` names a cookie whose
    value comes from one request without it (the session) or from ``login``
    when given; ``also`` are extra request/expect pairs checked once, never timed.
    """

    name: str
    request: Request
    expect: Expect
    routes: int = 0
    kind: str = "dynamic"
    common: bool = True
    prime: str | None = None
    also: tuple[tuple[Request, Expect], ...] = field(default=())
    login: Request | None = None


def _form_body() -> tuple[bytes, str]:
    values = [f"v{i} a&b=c é+%/?{i}" for i in range(FORM_FIELDS)]
    body = urlencode([(f"f{i}", v) for i, v in enumerate(values)]).encode()
    return body, "|".join(values)


def _template_body() -> bytes:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True
    )
    text = env.get_template("items.html").render(title=TITLE, items=ITEMS)
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in text
    return text.encode()


BOUNDARY = "----erlenbenchboundary7MA4YWxkTrZu0gW"
UPLOAD_SIZE = 64 * 1024


def _upload_body() -> bytes:
    data = bytes(range(256)) * (UPLOAD_SIZE // 256)
    return (
        (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="note"\r\n\r\n'
            "hello\r\n"
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="file"; filename="data.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


FORM_BODY, FORM_REPLY = _form_body()
STATIC_BODY = (STATIC_DIR / "hello.txt").read_bytes()
NOT_FOUND = Expect(status=404, media_type=None)


def _routes(n: int, kind: str = "dynamic") -> Scenario:
    if kind == "static":
        req, body = Request(path=f"/s{n - 1}"), f"s{n - 1}".encode()
    else:
        req, body = Request(path=f"/r{n - 1}/7"), f"r{n - 1} 7".encode()
    return Scenario(
        name=f"scale_{kind}_{n}",
        request=req,
        expect=Expect(body=body),
        routes=n,
        kind=kind,
        common=False,
        also=(
            (Request(path=f"/r{n - 1}/x" if kind == "dynamic" else "/s-x"), NOT_FOUND),
        ),
    )


SCENARIOS: list[Scenario] = [
    Scenario(
        "plaintext",
        Request(path="/plaintext"),
        Expect(media_type="text/plain", body=b"Hello, World!"),
    ),
    Scenario(
        "json",
        Request(path="/json"),
        Expect(media_type="application/json", json={"message": "Hello, World!"}),
    ),
    Scenario(
        "param",
        Request(path="/users/42"),
        Expect(body=b"user #42"),
        also=((Request(path="/users/abc"), NOT_FOUND),),
    ),
    Scenario(
        "routes1000",
        Request(path="/r999/7"),
        Expect(body=b"r999 7"),
        routes=1000,
        also=(
            (Request(path="/r999/x"), NOT_FOUND),
            (Request(path="/r0/3"), Expect(body=b"r0 3")),
        ),
    ),
    Scenario(
        "query_headers",
        Request(
            path="/query",
            query="a=1&b=hello%20world&c=%C3%A9t%C3%A9&tag=x&tag=y%2Bz",
            headers=(("X-Request-Id", "abc-123"),),
        ),
        Expect(body="1|hello world|été|x,y+z|abc-123".encode()),
    ),
    Scenario(
        "form",
        Request(
            method="POST",
            path="/form",
            body=FORM_BODY,
            content_type="application/x-www-form-urlencoded",
        ),
        Expect(body=FORM_REPLY.encode()),
    ),
    Scenario(
        "cookie",
        Request(path="/cookie", headers=(("Cookie", "theme=dark; visits=5"),)),
        Expect(
            body=b"visits 5",
            cookies=(
                CookieCheck("visits", "6", ("path=/", "httponly", "samesite=lax")),
            ),
        ),
    ),
    Scenario(
        "session",
        Request(path="/session"),
        Expect(
            body=b"count 1",
            cookies=(CookieCheck("session", None, ("path=/", "httponly")),),
        ),
        prime="session",
    ),
    Scenario(
        "template",
        Request(path="/template"),
        Expect(body=_template_body()),
    ),
    Scenario(
        "404",
        Request(path="/no/such/page"),
        NOT_FOUND,
    ),
    Scenario(
        "upload",
        Request(
            method="POST",
            path="/upload",
            body=_upload_body(),
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
        ),
        Expect(body=f"data.bin {UPLOAD_SIZE}".encode()),
        common=False,
    ),
    Scenario(
        "static",
        Request(path="/static/hello.txt"),
        Expect(
            media_type="text/plain",
            body=STATIC_BODY,
            headers_present=("etag",),
            charset=False,
        ),
        common=False,
    ),
]


def _batteries(backend: str, suffix: str) -> list[Scenario]:
    """``auth_db`` and ``db_row`` (issue 12) against one database backend."""
    kind = f"db:{backend}"
    return [
        Scenario(
            f"auth_db{suffix}",
            Request(path="/me"),
            Expect(media_type="application/json", json=USER_JSON),
            kind=kind,
            common=False,
            prime="session",
            login=Request(method="POST", path="/login/1"),
            also=((Request(path="/me"), Expect(status=401, media_type=None)),),
        ),
        Scenario(
            f"db_row{suffix}",
            Request(path="/items/1"),
            Expect(media_type="application/json", json=ITEM_JSON),
            kind=kind,
            common=False,
            also=((Request(path="/items/2"), NOT_FOUND),),
        ),
    ]


#: Logged-in user and one row from a database (``--batteries``; ``--pg`` adds
#: the PostgreSQL pair).  Peers: Flask + Flask-Login + Flask-SQLAlchemy,
#: Django, and a stdlib floor.
BATTERIES = _batteries("sqlite", "")
BATTERIES_PG = _batteries("postgresql", "_pg")
BATTERY_FRAMEWORKS = ["erlen", "flask", "django", "raw"]

#: Cells not run, and why (shown as "skip" in the tables, never as a result).
SKIP: dict[tuple[str, str], str] = {
    ("falcon", "scale_static_10000"): "Falcon's add_route is O(rules): "
    "10,000 rules take ~100 s to register",
    ("falcon", "scale_dynamic_10000"): "Falcon's add_route is O(rules): "
    "10,000 rules take ~100 s to register",
    ("bottle", "scale_dynamic_10000"): "Bottle recompiles its combined regexes "
    "on every add: 10,000 dynamic rules take ~200 s to register",
}


#: A JSON body validated against a model, a receipt serialised from one
#: (``--validated``; issue 14).  Peers: Flask + flask-pydantic, FastAPI.
def _validated(name: str, kind: str) -> Scenario:
    from bench.apps.validated import INVALID_BODY
    from bench.apps.validated import ORDER_BODY
    from bench.apps.validated import RECEIPT

    post = Request(
        method="POST",
        path="/validated",
        body=ORDER_BODY,
        content_type="application/json",
    )
    bad = Request(
        method="POST",
        path="/validated",
        body=INVALID_BODY,
        content_type="application/json",
    )
    return Scenario(
        name,
        post,
        Expect(media_type="application/json", json=RECEIPT),
        kind=kind,
        common=False,
        also=((bad, Expect(status=422, media_type=None)),),
    )


VALIDATED = [
    _validated("validated_json", "validated:pydantic"),
    _validated("validated_json_dc", "validated:dataclass"),
]
VALIDATED_FRAMEWORKS = ["erlen", "flask", "fastapi"]
SKIP["flask", "validated_json_dc"] = "flask-pydantic validates pydantic models only"

#: The scenarios the geometric mean and the targets are computed over.
COMMON = [s.name for s in SCENARIOS if s.common]
#: The scenarios the regression check (``--check``) compares.
CHECKED = ["plaintext", "json", "param", "routes1000", "404", "auth_db", "db_row"]
#: Route-scaling variants (``--scaling``): last rule of N static or dynamic rules.
SCALING = [
    _routes(n, kind) for kind in ("static", "dynamic") for n in (10, 100, 1000, 10000)
]

BY_NAME: dict[str, Scenario] = {
    s.name: s for s in SCENARIOS + SCALING + BATTERIES + BATTERIES_PG + VALIDATED
}
for _fw in ("bottle", "falcon"):
    for _sc in BATTERIES + BATTERIES_PG:
        SKIP[_fw, _sc.name] = "no login/ORM batteries (peers: Flask's, Django)"
for _sc in SCENARIOS + SCALING:
    SKIP["django", _sc.name] = "the Django app covers the batteries scenarios only"
for _sc in SCENARIOS + SCALING + BATTERIES + BATTERIES_PG:
    SKIP["fastapi", _sc.name] = (
        "FastAPI (ASGI) takes part in the validated scenarios only"
    )
