"""The example app's JSON API: CRUD, CORS, CSV, avatars, raw-SQL stats."""

from __future__ import annotations

import csv
import io
import os
import typing as t

import pytest
from pb_helpers import dispose
from pb_helpers import login
from pb_helpers import register
from pb_helpers import upgrade

from dbservers import temporary_database
from erlen import Erlen

FRONT = "https://front.example"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


class API:
    """A logged-in client that sends the CSRF header the API asks for."""

    def __init__(self, client: t.Any) -> None:
        self.client = client
        self.token = client.get("/api/session").get_json()["csrf_token"]

    def __getattr__(self, method: str) -> t.Callable[..., t.Any]:
        def call(path: str, **kwargs: t.Any) -> t.Any:
            headers = {"X-CSRFToken": self.token, **kwargs.pop("headers", {})}
            return getattr(self.client, method)(path, headers=headers, **kwargs)

        return call


@pytest.fixture
def api(user_client: t.Any) -> API:
    return API(user_client)


def _errors(response: t.Any) -> list[dict[str, t.Any]]:
    assert response.status_code == 422, response.text
    return t.cast(list[dict[str, t.Any]], response.get_json()["error"]["errors"])


def _person(api: API, **fields: t.Any) -> dict[str, t.Any]:
    body = {"name": "Grace Hopper", "email": "grace@example.com", "age": 85, **fields}
    response = api.post("/api/people", json=body)
    assert response.status_code == 201, response.text
    return t.cast(dict[str, t.Any], response.get_json())


def test_session_endpoint_says_who_is_logged_in(pb_app: Erlen, api: API) -> None:
    me = api.client.get("/api/session").get_json()
    assert me["user"]["name"] == "Ada Lovelace"
    assert me["csrf_token"]
    anonymous = pb_app.test_client().get("/api/session").get_json()
    assert anonymous["user"] is None


def test_crud_with_status_codes_and_location(api: API) -> None:
    created = api.post(
        "/api/people", json={"name": " Grace  Hopper ", "email": "Grace@Example.com"}
    )
    assert created.status_code == 201
    person = created.get_json()
    assert person == {
        "id": person["id"],
        "name": "Grace Hopper",
        "email": "grace@example.com",
        "age": None,
        "avatar": None,
    }
    url = f"/api/people/{person['id']}"
    assert created.headers["Location"] == f"http://localhost{url}"
    assert api.get(url).get_json() == person

    patched = api.patch(url, json={"age": 85})
    assert patched.status_code == 200 and patched.get_json()["age"] == 85
    put = api.put(url, json={"name": "G. Hopper", "email": "gh@example.com"})
    assert put.get_json() == {**person, "name": "G. Hopper", "email": "gh@example.com"}

    deleted = api.delete(url)
    assert deleted.status_code == 204 and deleted.data == b""
    gone = api.get(url)
    assert gone.status_code == 404
    assert gone.mimetype == "application/problem+json"
    assert gone.get_json()["error"]["status"] == 404
    assert api.delete(url).status_code == 404


def test_list_is_paginated_with_links(api: API) -> None:
    for i in range(5):
        _person(api, name=f"P{i}", email=f"p{i}@example.com")
    page = api.get("/api/people?per_page=2&page=2")
    assert page.status_code == 200
    body = page.get_json()
    assert [p["name"] for p in body["items"]] == ["P2", "P3"]
    assert body["total"] == 5 and body["pages"] == 3
    assert page.headers["X-Total-Count"] == "5"
    assert 'rel="next"' in page.headers["Link"]
    # Typed query parameters: a wrong type, then out-of-range values, each
    # named in a 422.
    assert [e["name"] for e in _errors(api.get("/api/people?page=x"))] == ["page"]
    bad = api.get("/api/people?per_page=0&page=0")
    assert {(e["location"], e["name"]) for e in _errors(bad)} == {
        ("query", "page"),
        ("query", "per_page"),
    }
    too_many = api.get("/api/people?per_page=101")
    assert _errors(too_many)[0]["message"] == "must be from 1 to 100"


def test_conflict_and_validation_errors(api: API) -> None:
    _person(api)
    dup = api.post("/api/people", json={"name": "G", "email": "GRACE@example.com"})
    assert dup.status_code == 409
    assert dup.get_json()["error"]["errors"] == {"email": ["is already taken"]}
    # Wrong JSON types (and missing fields) are refused before the view runs,
    # all of them in one answer ...
    typed = api.post("/api/people", json={"name": 5, "age": "old"})
    assert typed.status_code == 422
    assert typed.mimetype == "application/problem+json"
    assert {(e["name"], e["type"]) for e in _errors(typed)} == {
        ("name", "type"),
        ("email", "missing"),
        ("age", "type"),
    }
    # ... then the rules a type cannot say, again every field at once.
    bad = api.post("/api/people", json={"name": " ", "email": "x", "age": 200})
    assert bad.status_code == 422
    assert {e["name"]: e["message"] for e in _errors(bad)} == {
        "name": "is required",
        "email": "must be an email address",
        "age": "must be a whole number from 0 to 150",
    }
    assert all(e["location"] == "body" for e in _errors(bad))
    assert api.post("/api/people", json=[1, 2]).status_code == 422
    person = api.get("/api/people").get_json()["items"][0]
    patched = api.patch(f"/api/people/{person['id']}", json={"age": -1})
    assert [e["name"] for e in _errors(patched)] == ["age"]
    put = api.put(f"/api/people/{person['id']}", json={"name": "G"})
    assert [e["name"] for e in _errors(put)] == ["email"]
    not_json = api.post("/api/people", data="name=x")
    assert not_json.status_code in (400, 415)
    assert api.get("/api/people/999999").status_code == 404
    # Past what a database integer holds: still a 404, not a driver error.
    huge = api.put(f"/api/people/{2**63}", json={"name": "G", "email": "g@x.io"})
    assert huge.status_code == 404


def test_people_of_other_users_are_not_found(pb_app: Erlen, api: API) -> None:
    person = _person(api)
    other = pb_app.test_client()
    register(other, name="Alan", email="alan@example.com")
    login(other, email="alan@example.com")
    theirs = API(other)
    assert theirs.get(f"/api/people/{person['id']}").status_code == 404
    assert theirs.delete(f"/api/people/{person['id']}").status_code == 404
    assert theirs.get("/api/people").get_json()["total"] == 0


def test_api_needs_a_login_and_answers_json(pb_app: Erlen) -> None:
    client = pb_app.test_client()
    response = client.get("/api/people")
    assert response.status_code == 401
    assert response.is_json
    assert client.get("/api/people.csv").status_code == 401
    assert client.get("/api/stats").status_code == 401


def test_unsafe_methods_need_the_csrf_header(user_client: t.Any) -> None:
    response = user_client.post("/api/people", json={"name": "G", "email": "g@x.io"})
    assert response.status_code == 400
    assert "CSRF token missing" in response.get_json()["error"]["detail"]
    forged = user_client.post(
        "/api/people",
        json={"name": "G", "email": "g@x.io"},
        headers={"X-CSRFToken": "forged"},
    )
    assert forged.status_code == 400


def test_cors_allows_the_configured_front_end_only(api: API) -> None:
    preflight = api.client.options(
        "/api/people",
        headers={
            "Origin": FRONT,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-csrftoken",
        },
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["Access-Control-Allow-Origin"] == FRONT
    assert preflight.headers["Access-Control-Allow-Credentials"] == "true"
    assert "x-csrftoken" in preflight.headers["Access-Control-Allow-Headers"].lower()
    listed = api.get("/api/people", headers={"Origin": FRONT})
    assert listed.headers["Access-Control-Allow-Origin"] == FRONT
    assert "X-Total-Count" in listed.headers["Access-Control-Expose-Headers"]
    evil = api.get("/api/people", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in evil.headers
    # Pages outside /api get no CORS headers at all.
    page = api.client.get("/dashboard", headers={"Origin": FRONT})
    assert "Access-Control-Allow-Origin" not in page.headers


def test_csv_export_is_an_attachment(api: API) -> None:
    _person(api, name='=HYPERLINK("http://evil")', email="f@example.com", age=None)
    _person(api, name='Grace, "Amazing" Hopper')
    response = api.get("/api/people.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        response.headers["Content-Disposition"] == 'attachment; filename="people.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["id", "name", "email", "age"]
    assert rows[1][1] == '\'=HYPERLINK("http://evil")'  # no formula
    assert rows[1][3] == ""
    assert rows[2][1:] == ['Grace, "Amazing" Hopper', "grace@example.com", "85"]


def test_avatar_upload_checks_type_and_size(pb_app: Erlen, api: API) -> None:
    person = _person(api)
    url = f"/api/people/{person['id']}/avatar"
    assert api.get(url).status_code == 404

    def upload(data: bytes, name: str = "me.png") -> t.Any:
        return api.post(url, data={"avatar": (io.BytesIO(data), name)})

    svg = upload(b"<svg onload=alert(1)>", "me.png")
    assert svg.status_code == 415
    assert upload(b"GIF89a" + b"\0" * 10, "x.txt").status_code == 201
    assert upload(b"").status_code == 422
    assert api.post(url, data={}).status_code == 422
    limit = pb_app.config["AVATAR_MAX_BYTES"]
    too_big = upload(PNG + b"\0" * limit)
    assert too_big.status_code == 413

    ok = upload(PNG)
    assert ok.status_code == 201
    assert ok.headers["Location"] == f"http://localhost{url}"
    shown = api.get(url)
    assert shown.data == PNG
    assert shown.mimetype == "image/png"
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert api.get(f"/api/people/{person['id']}").get_json()["avatar"] == url
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404
    # Deleting a person deletes the picture too.
    upload(PNG)
    assert api.delete(f"/api/people/{person['id']}").status_code == 204


def test_a_body_over_the_limit_is_a_413(pb_app: Erlen, api: API) -> None:
    person = _person(api)
    big = b"\0" * (pb_app.config["MAX_CONTENT_LENGTH"] + 1)
    response = api.post(
        f"/api/people/{person['id']}/avatar",
        data={"avatar": (io.BytesIO(big), "a.png")},
    )
    assert response.status_code == 413


def test_stats_come_from_a_raw_query(api: API) -> None:
    for i, age in enumerate([5, 20, 30, 50, 70, None]):
        _person(api, name=f"P{i}", email=f"p{i}@example.com", age=age)
    stats = api.get("/api/stats").get_json()
    assert stats["total"] == 6
    by = {b["bracket"]: b for b in stats["brackets"]}
    assert by["18-39"] == {"bracket": "18-39", "people": 2, "average_age": 25.0}
    assert by["unknown"]["people"] == 1
    assert by["unknown"]["average_age"] is None
    assert [b["bracket"] for b in stats["brackets"]] == [
        "0-17",
        "18-39",
        "40-64",
        "65+",
        "unknown",
    ]


@pytest.fixture(
    params=[
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("mysql", marks=pytest.mark.mysql),
    ]
)
def server_url(request: pytest.FixtureRequest) -> t.Iterator[str]:
    """An empty schema (PostgreSQL) or database (MariaDB) of the test's own."""
    with temporary_database(request.param, prefix="pb") as url:
        yield url


def test_migrations_and_raw_sql_on_database_servers(server_url: str) -> None:
    import peoplebook

    app = peoplebook.create_app(
        {"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": server_url}
    )
    try:
        upgrade(app)
        client = app.test_client()
        register(client)
        login(client)
        api = API(client)
        _person(api, age=30)
        _person(api, name="Kid", email="kid@example.com", age=9)
        picture = PNG + os.urandom(200 * 1024)  # past MySQL's 64 KiB BLOB
        assert (
            api.post(
                "/api/people/1/avatar", data={"avatar": (io.BytesIO(picture), "a.png")}
            ).status_code
            == 201
        )
        assert api.get("/api/people/1/avatar").data == picture
        stats = api.get("/api/stats").get_json()
        assert stats["total"] == 2
        assert {b["bracket"]: b["people"] for b in stats["brackets"]}["0-17"] == 1
        assert (
            api.post(
                "/api/people", json={"name": "x", "email": "GRACE@example.com"}
            ).status_code
            == 409
        )
        # Past a 32-bit INTEGER: a 404, not PostgreSQL's "integer out of range".
        assert api.get(f"/api/people/{2**31}").status_code == 404
        assert api.delete(f"/api/people/{2**40}").status_code == 404
        # Idempotency keys on the migrated table: replayed, inserted once; a
        # refused create (409) is not stored, so its retry runs again.
        body = {"name": "Alan", "email": "alan@example.com"}
        key = {"Idempotency-Key": "server-1"}
        first = api.post("/api/people", json=body, headers=key)
        again = api.post("/api/people", json=body, headers=key)
        assert first.status_code == again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.get_json() == first.get_json()
        taken = {"name": "G", "email": "grace@example.com"}
        key = {"Idempotency-Key": "server-2"}
        for _ in range(2):
            refused = api.post("/api/people", json=taken, headers=key)
            assert refused.status_code == 409
            assert "Idempotent-Replayed" not in refused.headers
        assert api.get("/api/people").get_json()["total"] == 3
    finally:
        dispose(app)
