"""The benchmark app as a reference-framework user writes it.

erlen's app (``erlen_app.py``) is this very source with only the framework name
rewritten, so the two run the same views line for line.  Keep the framework's
name out of everything but the import line and the constructor call.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask import jsonify
from flask import make_response
from flask import render_template
from flask import request
from flask import session

from bench.apps.common import FORM_FIELDS
from bench.apps.common import ITEMS
from bench.apps.common import SECRET_KEY
from bench.apps.common import TITLE

FIELD_NAMES = [f"f{i}" for i in range(FORM_FIELDS)]


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
    app = Flask(__name__)
    app.secret_key = SECRET_KEY

    @app.route("/plaintext")
    def plaintext() -> Any:
        return "Hello, World!", {"Content-Type": "text/plain; charset=utf-8"}

    @app.route("/json")
    def json_() -> Any:
        return jsonify(message="Hello, World!")

    @app.route("/users/<int:id>")
    def user(id: int) -> str:
        return f"user #{id:d}"

    @app.route("/query")
    def query() -> str:
        args = request.args
        tags = ",".join(args.getlist("tag"))
        rid = request.headers["X-Request-Id"]
        return f"{args['a']}|{args['b']}|{args['c']}|{tags}|{rid}"

    @app.route("/form", methods=["POST"])
    def form() -> str:
        form = request.form
        return "|".join([form[name] for name in FIELD_NAMES])

    @app.route("/cookie")
    def cookie() -> Any:
        visits = int(request.cookies.get("visits", "0"))
        resp = make_response(f"visits {visits}")
        resp.set_cookie("visits", str(visits + 1), httponly=True, samesite="Lax")
        return resp

    @app.route("/session")
    def session_() -> str:
        count = session.get("count", 0)
        session["count"] = count + 1
        return f"count {count}"

    @app.route("/template")
    def template() -> str:
        return render_template("items.html", title=TITLE, items=ITEMS)

    @app.route("/upload", methods=["POST"])
    def upload() -> str:
        file = request.files["file"]
        data = file.read()
        return f"{file.filename} {len(data)}"

    for i in range(routes):
        if kind == "static":
            app.add_url_rule(f"/s{i}", f"s{i}", _static_view(i))
        else:
            app.add_url_rule(f"/r{i}/<int:id>", f"r{i}", _dynamic_view(i))
    return app
