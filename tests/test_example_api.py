"""The CRUD conventions of examples/api, driven through the test client."""

from __future__ import annotations

import importlib.util
import sys
import typing as t
from pathlib import Path

import pytest

from erlen import Erlen

EXAMPLE = Path(__file__).parent.parent / "examples" / "api" / "app.py"
ORIGIN = "http://localhost:3000"


@pytest.fixture(scope="module")
def example() -> t.Iterator[t.Any]:
    spec = importlib.util.spec_from_file_location("erlen_api_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


@pytest.fixture
def app(example: t.Any) -> Erlen:
    # A fresh app (and in-memory database) per test.
    app: Erlen = example.create_app({"TESTING": True})
    return app


@pytest.fixture
def client(app: Erlen) -> t.Any:
    return app.test_client()


def create(client: t.Any, **fields: t.Any) -> t.Any:
    body = {"name": "Ada", "email": "ada@example.com", **fields}
    return client.post("/api/people", json=body)


def error_of(rv: t.Any, status: int) -> dict[str, t.Any]:
    assert rv.status_code == status, rv.text
    assert rv.headers["Content-Type"] == "application/problem+json"
    error: dict[str, t.Any] = rv.get_json(force=True)["error"]
    assert error["status"] == status
    return error


def test_module_app_imports(example: t.Any) -> None:
    assert isinstance(example.app, Erlen)


def test_create_201_with_location(client: t.Any) -> None:
    rv = create(client, age=36)
    assert rv.status_code == 201
    person = rv.json
    assert person == {"id": 1, "name": "Ada", "email": "ada@example.com", "age": 36}
    assert rv.headers["Location"] == "http://localhost/api/people/1"
    assert client.get(rv.headers["Location"]).json == person


def test_get_404(client: t.Any) -> None:
    error = error_of(client.get("/api/people/99"), 404)
    assert error["title"] == "Not Found"
    assert "99" in error["detail"]
    error_of(client.get("/api/nothing-here"), 404)


def test_list_paginated(client: t.Any) -> None:
    for i in range(23):
        assert (
            create(client, name=f"P{i}", email=f"p{i}@example.com").status_code == 201
        )
    rv = client.get("/api/people?page=2&per_page=10")
    body = rv.json
    assert [p["name"] for p in body["items"]] == [f"P{i}" for i in range(10, 20)]
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (
        2,
        10,
        23,
        3,
    )
    assert rv.headers["X-Total-Count"] == "23"
    link = rv.headers["Link"]
    assert '<http://localhost/api/people?page=3&per_page=10>; rel="next"' in link
    assert '<http://localhost/api/people?page=1&per_page=10>; rel="prev"' in link
    assert rv.headers["Content-Type"] == "application/json"


def test_list_bad_page_is_400(client: t.Any) -> None:
    error = error_of(client.get("/api/people?page=zero"), 400)
    assert "page" in error["errors"]
    error = error_of(client.get("/api/people?per_page=1000"), 400)
    assert "at most 50" in error["detail"]


def test_replace_and_update_200(client: t.Any) -> None:
    create(client, age=36)
    rv = client.put(
        "/api/people/1", json={"name": "Ada L.", "email": "ada@lovelace.org"}
    )
    assert rv.status_code == 200
    # PUT replaces: the age not sent is cleared.
    assert rv.json == {
        "id": 1,
        "name": "Ada L.",
        "email": "ada@lovelace.org",
        "age": None,
    }
    rv = client.patch("/api/people/1", json={"age": 37})
    assert rv.status_code == 200
    assert rv.json["age"] == 37 and rv.json["name"] == "Ada L."
    error = error_of(client.put("/api/people/1", json={"name": "x"}), 422)
    assert error["errors"] == {"email": ["is required"]}
    error_of(client.patch("/api/people/5", json={"age": 1}), 404)


def test_delete_204(client: t.Any) -> None:
    create(client)
    rv = client.delete("/api/people/1")
    assert rv.status_code == 204
    assert rv.data == b""
    error_of(client.get("/api/people/1"), 404)
    error_of(client.delete("/api/people/1"), 404)


def test_conflict_409(client: t.Any) -> None:
    assert create(client).status_code == 201
    error = error_of(create(client, name="Other"), 409)
    assert error["errors"] == {"email": ["is already taken"]}
    create(client, email="bob@example.com")
    error_of(client.patch("/api/people/2", json={"email": "ADA@example.com"}), 409)


def test_validation_422_with_field_errors(client: t.Any) -> None:
    rv = client.post(
        "/api/people",
        json={"name": "", "email": "nope", "age": 200, "admin": True},
    )
    error = error_of(rv, 422)
    assert error["detail"] == "The person is not valid."
    assert error["errors"] == {
        "name": ["must be a non-empty string"],
        "email": ["must be an email address"],
        "age": ["must be an integer from 0 to 150"],
        "admin": ["unknown field"],
    }
    error_of(client.post("/api/people", json=[1, 2]), 422)
    error_of(client.post("/api/people", json={"email": "a@b.c"}), 422)


def test_bad_bodies(client: t.Any) -> None:
    error_of(client.post("/api/people", data="name=Ada"), 415)
    error_of(client.post("/api/people", data="{", content_type="application/json"), 400)
    rv = client.patch("/api/people")
    error = error_of(rv, 405)
    assert "POST" in rv.headers["Allow"]
    assert error["title"] == "Method Not Allowed"


def test_cors_for_the_frontend(client: t.Any) -> None:
    rv = client.options(
        "/api/people",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert rv.status_code == 204
    assert rv.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert rv.headers["Access-Control-Max-Age"] == "600"
    rv = create(client)
    rv = client.get("/api/people", headers={"Origin": ORIGIN})
    assert rv.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "X-Total-Count" in rv.headers["Access-Control-Expose-Headers"]
    rv = client.get("/api/people", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in rv.headers
