"""The example's newer batteries: welcome mail, /docs, health, idempotency,
the make-admin command."""

from __future__ import annotations

import typing as t

import pytest
from pb_helpers import login
from pb_helpers import peoplebook
from pb_helpers import register

from erlen import Erlen


def test_registration_sends_a_welcome_email(pb_app: Erlen) -> None:
    mail = peoplebook.extensions.mail
    client = pb_app.test_client()
    with mail.record_messages() as outbox:
        assert register(client).status_code == 302
        # A refused registration sends nothing.
        assert register(client).status_code == 422
    assert len(outbox) == 1
    message = outbox[0]
    assert message.subject == "Welcome to peoplebook"
    assert message.recipients == [("Ada Lovelace", "ada@example.com")]
    assert "Hello Ada Lovelace," in message.body
    assert "http://localhost/login" in message.body
    assert pb_app.config["MAIL_BACKEND"] == "console"


def test_a_mail_failure_does_not_undo_the_account(
    pb_app: Erlen, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(message: t.Any) -> None:
        raise ConnectionRefusedError("no SMTP server")

    monkeypatch.setattr(peoplebook.extensions.mail, "send", broken)
    client = pb_app.test_client()
    assert register(client).status_code == 302
    assert login(client).status_code == 302


def test_docs_page_and_openapi_document_list_the_api(pb_app: Erlen) -> None:
    client = pb_app.test_client()
    page = client.get("/docs")
    assert page.status_code == 200
    assert "peoplebook API" in page.text
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    people = spec["paths"]["/api/people"]
    assert set(people) >= {"get", "post"}
    post = people["post"]
    assert "201" in post["responses"] and "422" in post["responses"]
    assert post["summary"].startswith("Add a person")
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/PersonIn")
    assert set(spec["components"]["schemas"]["PersonIn"]["required"]) == {
        "name",
        "email",
    }
    query = {p["name"] for p in people["get"]["parameters"]}
    assert query == {"page", "per_page"}
    assert set(spec["paths"]["/api/people/{person_id}"]) >= {
        "get",
        "put",
        "patch",
        "delete",
    }
    pb_app.config["OPENAPI_DOCS"] = False
    assert client.get("/docs").status_code == 404


def test_health_and_readiness(pb_app: Erlen) -> None:
    client = pb_app.test_client()
    live = client.get("/healthz")
    assert live.status_code == 200 and live.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in live.headers
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": "ok"}
    # No database to reach: not ready, with a hint when to ask again.
    broken = peoplebook.create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "k",
            "SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent/dir/x.db",
        }
    )
    down = broken.test_client().get("/readyz")
    assert down.status_code == 503
    assert down.headers["Retry-After"]
    assert down.get_json()["checks"]["database"] != "ok"


def test_create_honours_idempotency_keys(user_client: t.Any) -> None:
    token = user_client.get("/api/session").get_json()["csrf_token"]

    def create(key: str, email: str = "grace@example.com") -> t.Any:
        return user_client.post(
            "/api/people",
            json={"name": "Grace Hopper", "email": email},
            headers={"X-CSRFToken": token, "Idempotency-Key": key},
        )

    first = create("k-1")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    again = create("k-1")  # the client retries after a timeout
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    listed = user_client.get("/api/people").get_json()
    assert listed["total"] == 1  # one insert, not two
    # The same key with another body is a client error, not a replay.
    assert create("k-1", email="other@example.com").status_code == 422
    # Without a key a repeat is a new request: here, a duplicate email.
    duplicate = user_client.post(
        "/api/people",
        json={"name": "Grace Hopper", "email": "grace@example.com"},
        headers={"X-CSRFToken": token},
    )
    assert duplicate.status_code == 409


def test_idempotency_keys_belong_to_their_user(pb_app: Erlen) -> None:
    def client_of(name: str, email: str) -> tuple[t.Any, str]:
        client = pb_app.test_client()
        register(client, name=name, email=email)
        login(client, email=email)
        return client, client.get("/api/session").get_json()["csrf_token"]

    body = {"name": "Grace Hopper", "email": "grace@example.com"}
    for name, email in (("Ada", "ada@example.com"), ("Alan", "alan@example.com")):
        client, token = client_of(name, email)
        response = client.post(
            "/api/people",
            json=body,
            headers={"X-CSRFToken": token, "Idempotency-Key": "same-key"},
        )
        assert response.status_code == 201
        assert "Idempotent-Replayed" not in response.headers


def test_make_admin_command(pb_app: Erlen) -> None:
    register(pb_app.test_client())
    runner = pb_app.test_cli_runner()
    result = runner.invoke(args=["make-admin", "ADA@example.com"])
    assert result.exit_code == 0, result.output
    assert "ada@example.com is an admin." in result.output
    with pb_app.app_context():
        user = peoplebook.extensions.db.session.execute(
            peoplebook.extensions.db.select(peoplebook.models.User)
        ).scalar_one()
        assert user.is_admin
    revoked = runner.invoke(args=["make-admin", "--revoke", "ada@example.com"])
    assert "no longer an admin" in revoked.output
    unknown = runner.invoke(args=["make-admin", "nobody@example.com"])
    assert unknown.exit_code == 1
    assert "register first" in unknown.output


def test_make_admin_through_python_m(
    pb_app: Erlen, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from peoplebook import __main__ as main_module

    register(pb_app.test_client())
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("DATABASE_URL", pb_app.config["SQLALCHEMY_DATABASE_URI"])
    with pytest.raises(SystemExit) as done:
        main_module.main(["make-admin", "ada@example.com"])
    assert done.value.code == 0
    assert "ada@example.com is an admin." in capsys.readouterr().out
