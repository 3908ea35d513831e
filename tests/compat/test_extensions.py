"""Real Flask extensions, unchanged, on erlen in compat mode.

Flask-Admin and Flask-RESTX are installed into .venv with ``--no-deps`` by
scripts/test (their own dependencies, not Flask, come from the index), so
Flask stays unimportable here; compat mode gives them erlen.
"""

from __future__ import annotations

import importlib.util
import os
import re
import typing as t

import pytest

pytestmark = pytest.mark.usefixtures("compat")


def need(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        message = f"{module} is not installed (scripts/test installs it --no-deps)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def admin_app() -> t.Iterator[t.Any]:
    need("flask_admin")
    from flaskapp_admin import create_app  # type: ignore[import-not-found]

    from erlen.auth import configure_argon2

    configure_argon2(time_cost=1, memory_cost=8, parallelism=1)  # fast, for tests
    try:
        yield create_app()
    finally:
        configure_argon2()


def login(client: t.Any, email: str, password: str) -> None:
    resp = client.post("/login", data={"email": email, "password": password})
    assert resp.status_code == 302


def test_admin_needs_a_logged_in_admin(admin_app: t.Any) -> None:
    client = admin_app.test_client()
    for path in ("/admin/", "/admin/post/", "/admin/post/new/", "/admin/user/"):
        resp = client.get(path)
        assert resp.status_code == 302, path
        assert resp.headers["Location"].startswith("/login?next=%2Fadmin%2F")
    assert client.post("/admin/post/delete/", data={"id": "1"}).status_code == 302
    login(client, "joe@example.com", "joe pw")  # logged in, but not an admin
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/post/").status_code == 403
    assert client.post("/admin/post/new/", data={"title": "x"}).status_code == 403
    with admin_app.app_context():
        from flaskapp_admin import Post
        from flaskapp_admin import db

        assert db.session.scalar(db.select(db.func.count()).select_from(Post)) == 1


def test_admin_lists_creates_edits_and_deletes(admin_app: t.Any) -> None:
    from flaskapp_admin import Post
    from flaskapp_admin import db

    client = admin_app.test_client()
    login(client, "root@example.com", "root pw")
    home = client.get("/admin/")
    assert home.status_code == 200
    assert b"erlen admin" in home.data
    users = client.get("/admin/user/")
    assert users.status_code == 200
    assert b"joe@example.com" in users.data and b"root@example.com" in users.data

    form = client.get("/admin/post/new/")
    assert form.status_code == 200
    assert re.search(rb'<input[^>]*name="title"', form.data)
    resp = client.post("/admin/post/new/", data={"title": "Second", "body": "two"})
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/admin/post/"
    listing = client.get("/admin/post/")
    assert b"First" in listing.data and b"Second" in listing.data
    with admin_app.app_context():
        post = db.session.scalar(db.select(Post).filter_by(title="Second"))
        assert post is not None and post.body == "two"
        post_id = post.id

    edit = client.get(f"/admin/post/edit/?id={post_id}")
    assert edit.status_code == 200 and b"Second" in edit.data
    resp = client.post(
        f"/admin/post/edit/?id={post_id}", data={"title": "Second, edited", "body": "2"}
    )
    assert resp.status_code == 302
    with admin_app.app_context():
        assert db.session.get(Post, post_id).title == "Second, edited"  # type: ignore[union-attr]
    found = client.get("/admin/post/?search=edited")
    assert b"Second, edited" in found.data and b"First" not in found.data

    resp = client.post("/admin/post/delete/", data={"id": str(post_id)})
    assert resp.status_code == 302
    with admin_app.app_context():
        assert db.session.get(Post, post_id) is None
    assert b"Second" not in client.get("/admin/post/").data


def test_admin_form_validation_rerenders(admin_app: t.Any) -> None:
    client = admin_app.test_client()
    login(client, "root@example.com", "root pw")
    too_long = "x" * 81  # Post.title is String(80)
    resp = client.post("/admin/post/new/", data={"title": too_long, "body": ""})
    assert resp.status_code == 200  # the form again, with its error
    assert b"80" in resp.data
    assert b"x" * 81 in resp.data


def _restx_app() -> t.Any:
    from flask import Flask
    from flask_restx import Api
    from flask_restx import Resource
    from flask_restx import fields
    from flask_restx import reqparse

    app = Flask(__name__)
    api = Api(app, title="Todos", doc="/docs/")
    ns = api.namespace("todos", description="todo items")
    todo = api.model(
        "Todo",
        {"id": fields.Integer(readonly=True), "task": fields.String(required=True)},
    )
    todos: dict[int, dict[str, t.Any]] = {}
    paging = reqparse.RequestParser()
    paging.add_argument("limit", type=int, default=10, location="args")

    @ns.route("/")
    class TodoList(Resource):  # type: ignore[misc]
        @ns.marshal_list_with(todo)
        def get(self) -> list[dict[str, t.Any]]:
            args = paging.parse_args()
            return list(todos.values())[: args["limit"]]

        @ns.expect(todo, validate=True)
        @ns.marshal_with(todo, code=201)
        def post(self) -> tuple[dict[str, t.Any], int]:
            item = {"id": len(todos) + 1, "task": api.payload["task"]}
            todos[item["id"]] = item
            return item, 201

    @ns.route("/<int:todo_id>")
    class Todo(Resource):  # type: ignore[misc]
        @ns.marshal_with(todo)
        def get(self, todo_id: int) -> dict[str, t.Any]:
            if todo_id not in todos:
                api.abort(404, f"todo {todo_id} does not exist")
            return todos[todo_id]

        def delete(self, todo_id: int) -> tuple[str, int]:
            todos.pop(todo_id, None)
            return "", 204

    return app


def test_restx_resources_validation_and_swagger() -> None:
    need("flask_restx")
    app = _restx_app()
    client = app.test_client()
    resp = client.post("/todos/", json={"task": "write docs"})
    assert resp.status_code == 201
    assert resp.get_json() == {"id": 1, "task": "write docs"}
    resp = client.post("/todos/", json={"title": "no task"})
    assert resp.status_code == 400
    assert "task" in resp.get_json()["errors"]
    assert client.get("/todos/").get_json() == [{"id": 1, "task": "write docs"}]
    assert client.get("/todos/?limit=x").status_code == 400
    missing = client.get("/todos/9")
    assert missing.status_code == 404
    assert "todo 9 does not exist" in missing.get_json()["message"]
    # 405 goes through RESTX's own error handler (it asks app.create_url_adapter)
    wrong = client.put("/todos/1")
    assert wrong.status_code == 405 and "message" in wrong.get_json()
    assert client.delete("/todos/1").status_code == 204
    spec = client.get("/swagger.json").get_json()
    assert spec["info"]["title"] == "Todos"
    assert set(spec["paths"]) == {"/todos/", "/todos/{todo_id}"}
    docs = client.get("/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.data


def test_flask_restful_resources() -> None:
    """Flask-RESTful 0.3.10 (unmaintained, but it imports on Flask 3.1) runs too."""
    need("flask_restful")
    from flask import Flask
    from flask_restful import Api
    from flask_restful import Resource
    from flask_restful import abort
    from flask_restful import fields
    from flask_restful import marshal_with
    from flask_restful import reqparse

    app = Flask(__name__)
    api = Api(app)
    todos: dict[int, dict[str, t.Any]] = {}
    parser = reqparse.RequestParser()
    parser.add_argument("task", required=True, location="json")

    class TodoList(Resource):  # type: ignore[misc]
        @marshal_with({"id": fields.Integer, "task": fields.String})
        def get(self) -> list[dict[str, t.Any]]:
            return list(todos.values())

        def post(self) -> tuple[dict[str, t.Any], int]:
            args = parser.parse_args()
            item = {"id": len(todos) + 1, "task": args["task"]}
            todos[item["id"]] = item
            return item, 201

    class Todo(Resource):  # type: ignore[misc]
        def get(self, todo_id: int) -> dict[str, t.Any]:
            if todo_id not in todos:
                abort(404, message=f"todo {todo_id} does not exist")
            return todos[todo_id]

    api.add_resource(TodoList, "/todos")
    api.add_resource(Todo, "/todos/<int:todo_id>")
    client = app.test_client()
    assert client.post("/todos", json={"task": "a"}).status_code == 201
    bad = client.post("/todos", json={})
    assert bad.status_code == 400 and "task" in bad.get_json()["message"]
    assert client.get("/todos").get_json() == [{"id": 1, "task": "a"}]
    assert client.get("/todos/1").get_json() == {"id": 1, "task": "a"}
    assert client.get("/todos/2").get_json() == {"message": "todo 2 does not exist"}
    wrong = client.put("/todos/1")
    assert wrong.status_code == 405 and "message" in wrong.get_json()
