"""The benchmark app in Falcon 4, written the way Falcon's documentation suggests.

Falcon has neither sessions nor templates: the session is an itsdangerous
signed cookie (what Flask uses underneath) and the template renders through a
Jinja2 environment configured like Flask's.
"""

from __future__ import annotations

from typing import Any

import falcon
import itsdangerous
import jinja2

from bench.apps.common import FORM_FIELDS
from bench.apps.common import ITEMS
from bench.apps.common import SECRET_KEY
from bench.apps.common import SESSION_MAX_AGE
from bench.apps.common import STATIC_DIR
from bench.apps.common import TEMPLATES_DIR
from bench.apps.common import TITLE

FIELD_NAMES = [f"f{i}" for i in range(FORM_FIELDS)]
ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True)
SIGNER = itsdangerous.URLSafeTimedSerializer(SECRET_KEY, salt="cookie-session")


class PlainText:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "Hello, World!"


class Json:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"message": "Hello, World!"}


class User:
    def on_get(self, req: falcon.Request, resp: falcon.Response, id: int) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = f"user #{id:d}"


class Query:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        get = req.get_param
        tags = ",".join(req.get_param_as_list("tag") or [])
        rid = req.get_header("X-Request-Id")
        resp.content_type = falcon.MEDIA_HTML
        resp.text = f"{get('a')}|{get('b')}|{get('c')}|{tags}|{rid}"


class Form:
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        form = req.get_media()
        resp.content_type = falcon.MEDIA_HTML
        resp.text = "|".join([form[name] for name in FIELD_NAMES])


class Cookie:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        visits = int(req.cookies.get("visits", "0"))
        resp.set_cookie(
            "visits",
            str(visits + 1),
            path="/",
            secure=False,
            http_only=True,
            same_site="Lax",
        )
        resp.content_type = falcon.MEDIA_HTML
        resp.text = f"visits {visits}"


class Session:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        raw = req.cookies.get("session")
        data: dict[str, Any] = {}
        if raw:
            try:
                data = SIGNER.loads(raw, max_age=SESSION_MAX_AGE)
            except itsdangerous.BadSignature:
                data = {}
        count = data.get("count", 0)
        data["count"] = count + 1
        resp.set_cookie(
            "session", SIGNER.dumps(data), path="/", secure=False, http_only=True
        )
        resp.vary = ("Cookie",)
        resp.content_type = falcon.MEDIA_HTML
        resp.text = f"count {count}"


class Template:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = ENV.get_template("items.html").render(title=TITLE, items=ITEMS)


class Upload:
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        for part in req.get_media():
            if part.name == "file":
                data = part.stream.read()
                resp.content_type = falcon.MEDIA_HTML
                resp.text = f"{part.filename} {len(data)}"
                return
        raise falcon.HTTPBadRequest(title="missing file")


class NumberedStatic:
    def __init__(self, i: int) -> None:
        self.i = i

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = f"s{self.i}"


class NumberedDynamic:
    def __init__(self, i: int) -> None:
        self.i = i

    def on_get(self, req: falcon.Request, resp: falcon.Response, id: int) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = f"r{self.i} {id:d}"


def create_app(routes: int = 0, kind: str = "dynamic") -> Any:
    """Build the app; ``routes`` extra rules of ``kind`` (static or dynamic)."""
    app = falcon.App()
    app.add_route("/plaintext", PlainText())
    app.add_route("/json", Json())
    app.add_route("/users/{id:int}", User())
    app.add_route("/query", Query())
    app.add_route("/form", Form())
    app.add_route("/cookie", Cookie())
    app.add_route("/session", Session())
    app.add_route("/template", Template())
    app.add_route("/upload", Upload())
    app.add_static_route("/static", str(STATIC_DIR))
    for i in range(routes):
        if kind == "static":
            app.add_route(f"/s{i}", NumberedStatic(i))
        else:
            app.add_route(f"/r{i}/{{id:int}}", NumberedDynamic(i))
    return app
