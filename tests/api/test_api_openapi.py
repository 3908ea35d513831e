"""The OpenAPI document (checked against the 3.1 schema), /docs and the CLI."""

from __future__ import annotations

import importlib
import json
import sys
import typing as t
from pathlib import Path

import pytest

from erlen import Erlen
from erlen.api import Body
from erlen.api import Cookie
from erlen.api import File
from erlen.api import Form
from erlen.api import Query
from erlen.api import doc
from erlen.datastructures import FileStorage

validator = pytest.importorskip("openapi_spec_validator")
APPS = Path(__file__).parent.parent / "apps"


@pytest.fixture
def typed_api() -> t.Iterator[t.Any]:
    sys.path.insert(0, str(APPS))
    try:
        module = importlib.import_module("typed_api")
        yield module
    finally:
        sys.path.remove(str(APPS))
        sys.modules.pop("typed_api", None)


def test_document_validates_and_describes_the_api(typed_api: t.Any) -> None:
    document = typed_api.create_app().openapi()
    validator.validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {"title": "Tasks", "version": "1.0"}
    paths = document["paths"]
    assert set(paths) == {"/api/tasks", "/api/tasks/{task_id}"}  # no /docs, no static
    create = paths["/api/tasks"]["post"]
    assert create["summary"] == "Create a task."
    assert create["tags"] == ["tasks"]
    assert create["operationId"] == "tasks.create_task"
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TaskIn"
    }
    assert set(create["responses"]) == {"201", "400", "415", "422"}
    assert create["parameters"] == [
        {
            "name": "x-request-id",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
        }
    ]
    listing = paths["/api/tasks"]["get"]
    assert (
        listing["description"]
        == "Filtered by status, newest first unless ordered by priority."
    )
    by_name = {p["name"]: p for p in listing["parameters"]}
    assert by_name["order"]["schema"] == {
        "enum": ["created", "priority"],
        "default": "created",
    }
    assert listing["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Task"},
    }
    one = paths["/api/tasks/{task_id}"]["get"]
    assert one["parameters"][0]["schema"] == {"type": "string", "format": "uuid"}
    assert "404" in one["responses"]
    schemas = document["components"]["schemas"]
    assert schemas["TaskIn"]["required"] == ["title"]
    assert schemas["TaskIn"]["properties"]["status"] == {
        "enum": ["open", "done"],
        "default": "open",
    }
    assert schemas["Task"]["properties"]["created"] == {
        "type": "string",
        "format": "date-time",
    }
    assert schemas["TaskPatch"].get("required") is None


def test_forms_files_cookies_and_libraries(app: Erlen) -> None:
    pydantic = pytest.importorskip("pydantic")
    msgspec = pytest.importorskip("msgspec")

    class Address(pydantic.BaseModel):
        city: str

    class User(pydantic.BaseModel):
        name: str
        address: Address

    class Point(msgspec.Struct):
        x: int
        y: int

    @app.post("/upload")
    @doc(summary="Upload", tags=["files"], deprecated=True)
    def upload(photo: File[FileStorage], caption: Form[str] = "") -> dict[str, str]:
        return {}

    @app.route("/users", methods=["GET", "POST"])
    def users(user: Body[User], sid: Cookie[str | None] = None) -> User:
        return user

    @app.get("/points")
    def points(p: Query[Point]) -> list[Point]:
        return [p]

    @app.get("/hidden")
    @doc(hidden=True)
    def hidden(n: Query[int]) -> str:
        return ""

    document = app.openapi()
    validator.validate(document)
    op = document["paths"]["/upload"]["post"]
    assert op["deprecated"] is True and op["tags"] == ["files"]
    body = op["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["properties"]["photo"] == {"type": "string", "format": "binary"}
    assert body["required"] == ["photo"]
    users_ops = document["paths"]["/users"]
    assert {users_ops["get"]["operationId"], users_ops["post"]["operationId"]} == {
        "users_get",
        "users_post",
    }
    assert users_ops["post"]["parameters"][0]["in"] == "cookie"
    schemas = document["components"]["schemas"]
    assert schemas["User"]["properties"]["address"] == {
        "$ref": "#/components/schemas/Address"
    }
    assert "Address" in schemas
    assert [p["name"] for p in document["paths"]["/points"]["get"]["parameters"]] == [
        "x",
        "y",
    ]
    assert "/hidden" not in document["paths"]


def test_docs_page_is_off_unless_enabled(app: Erlen, client: t.Any) -> None:
    @app.get("/n")
    def n(a: Query[int]) -> dict[str, int]:
        return {"a": a}

    assert client.get("/docs").status_code == 404
    assert client.get("/openapi.json").status_code == 404


def test_docs_page_and_assets(typed_api: t.Any) -> None:
    app = typed_api.create_app()
    client = app.test_client()
    page = client.get("/docs")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    html = page.text
    assert '<script src="/docs/explorer.js">' in html
    assert "http" not in html.replace("http-equiv", "")  # nothing from a CDN
    script = client.get("/docs/explorer.js")
    assert script.mimetype == "text/javascript"
    assert b"fetch(specUrl" in script.data
    assert client.get("/docs/explorer.css").mimetype == "text/css"
    assert client.get("/docs/explorer.exe").status_code == 404
    spec = client.get("/openapi.json")
    assert spec.get_json()["info"]["title"] == "Tasks"
    app.config["OPENAPI_DOCS"] = False
    assert client.get("/docs").status_code == 404


def test_cli_prints_the_document(typed_api: t.Any, tmp_path: Path) -> None:
    from erlen.api.cli import openapi_command
    from erlen.cli import ErlenGroup

    assert "openapi" in ErlenGroup().commands
    runner = typed_api.create_app().test_cli_runner()
    result = runner.invoke(openapi_command, ["--indent", "0"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["info"]["title"] == "Tasks"
    out = tmp_path / "openapi.json"
    result = runner.invoke(openapi_command, ["-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["openapi"] == "3.1.0"
