"""The benchmark app in Bottle, written the way Bottle's documentation suggests.

Bottle has no Jinja2 integration that autoescapes like Flask's, so the template
view renders through a Jinja2 environment configured the same way; the session
is Bottle's own signed cookie holding a JSON string.
"""

from __future__ import annotations

import json
from typing import Any

import bottle
import jinja2
from bottle import request
from bottle import response

from bench.apps.common import FORM_FIELDS
from bench.apps.common import ITEMS
from bench.apps.common import SECRET_KEY
from bench.apps.common import STATIC_DIR
from bench.apps.common import TEMPLATES_DIR
from bench.apps.common import TITLE

FIELD_NAMES = [f"f{i}" for i in range(FORM_FIELDS)]
ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True)


def _static_view(i: int) -> Any:
    def view() -> str:
        return f"s{i}"

    return view


def _dynamic_view(i: int) -> Any:
    def view(id: int) -> str:
        return f"r{i} {id:d}"

    return view


def create_app(routes: int = 0, kind: str = "dynamic") -> Any:
    """Build the app; ``routes`` extra rules of ``kind`` (static or dynamic)."""
    app = bottle.Bottle()

    @app.get("/plaintext")
    def plaintext() -> str:
        response.content_type = "text/plain; charset=utf-8"
        return "Hello, World!"

    @app.get("/json")
    def json_() -> dict[str, str]:
        return {"message": "Hello, World!"}

    @app.get("/users/<id:int>")
    def user(id: int) -> str:
        return f"user #{id:d}"

    @app.get("/query")
    def query() -> str:
        args = request.query
        tags = ",".join(args.getall("tag"))
        rid = request.get_header("X-Request-Id")
        a, b, c = args.getunicode("a"), args.getunicode("b"), args.getunicode("c")
        return f"{a}|{b}|{c}|{tags}|{rid}"

    @app.post("/form")
    def form() -> str:
        form = request.forms
        return "|".join([form.getunicode(name) for name in FIELD_NAMES])

    @app.get("/cookie")
    def cookie() -> str:
        visits = int(request.get_cookie("visits", "0"))
        response.set_cookie(
            "visits", str(visits + 1), path="/", httponly=True, samesite="lax"
        )
        return f"visits {visits}"

    @app.get("/session")
    def session_() -> str:
        raw = request.get_cookie("session", secret=SECRET_KEY)
        data = json.loads(raw) if raw else {}
        count = data.get("count", 0)
        data["count"] = count + 1
        response.set_cookie(
            "session", json.dumps(data), secret=SECRET_KEY, path="/", httponly=True
        )
        return f"count {count}"

    @app.get("/template")
    def template() -> str:
        return ENV.get_template("items.html").render(title=TITLE, items=ITEMS)

    @app.post("/upload")
    def upload() -> str:
        file = request.files.get("file")
        data = file.file.read()
        return f"{file.raw_filename} {len(data)}"

    @app.get("/static/<name:path>")
    def static(name: str) -> Any:
        return bottle.static_file(name, root=str(STATIC_DIR))

    for i in range(routes):
        if kind == "static":
            app.route(f"/s{i}", "GET", _static_view(i))
        else:
            app.route(f"/r{i}/<id:int>", "GET", _dynamic_view(i))
    return app
