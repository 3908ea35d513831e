"""``@idempotent``: a retried POST replays its answer and runs once."""

from __future__ import annotations

import dataclasses
import datetime
import threading
import typing as t

import pytest

from erlen import Erlen
from erlen import abort
from erlen import request
from erlen.api import Body
from erlen.idempotency import MemoryIdempotencyStore
from erlen.idempotency import idempotent
from erlen.views import MethodView


@pytest.fixture
def calls(app: Erlen) -> list[t.Any]:
    calls: list[t.Any] = []
    store = MemoryIdempotencyStore()

    @app.post("/items")
    @idempotent(store=store)
    def create() -> t.Any:
        data = request.get_json()
        if data.get("fail") == "raise":
            raise RuntimeError("boom")
        if data.get("fail") == "abort":
            abort(400)
        if data.get("fail") == "500":
            return {"error": "x"}, 500
        calls.append(data)
        return {"id": len(calls)}, 201, {"Location": f"/items/{len(calls)}"}

    @app.post("/strict")
    @idempotent(required=True)
    def strict() -> t.Any:
        return {"ok": True}, 201

    return calls


def _post(
    client: t.Any, key: str | None, data: dict[str, t.Any], path: str = "/items"
) -> t.Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(path, json=data, headers=headers)


def test_retry_replays_and_does_not_run_twice(
    client: t.Any, calls: list[t.Any]
) -> None:
    first = _post(client, "k1", {"name": "a"})
    again = _post(client, "k1", {"name": "a"})
    assert first.status_code == again.status_code == 201
    assert first.json == again.json == {"id": 1}
    assert again.headers["Location"] == "/items/1"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(calls) == 1
    assert _post(client, "k2", {"name": "a"}).json == {"id": 2}
    assert _post(client, None, {"name": "a"}).json == {"id": 3}


def test_same_key_other_body_is_422(client: t.Any, calls: list[t.Any]) -> None:
    _post(client, "k", {"name": "a"})
    rv = _post(client, "k", {"name": "b"})
    assert rv.status_code == 422
    assert rv.headers["Content-Type"].startswith("application/problem+json")
    assert len(calls) == 1


@pytest.mark.parametrize("fail", ["raise", "500", "abort"])
def test_failures_free_the_key(
    app: Erlen, client: t.Any, calls: list[t.Any], fail: str
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    rv = _post(client, "k", {"fail": fail})
    assert rv.status_code == (400 if fail == "abort" else 500)
    rv = _post(client, "k", {"fail": fail})  # runs again, not replayed
    assert "Idempotent-Replayed" not in rv.headers


def test_bad_or_missing_keys(client: t.Any, calls: list[t.Any]) -> None:
    assert _post(client, "", {}).status_code == 400
    assert _post(client, "x" * 256, {}).status_code == 400
    assert _post(client, "é", {}).status_code == 400
    assert _post(client, None, {}, "/strict").status_code == 400
    assert _post(client, "k", {}, "/strict").status_code == 201
    assert calls == []


def test_concurrent_retry_gets_409(app: Erlen) -> None:
    entered, release = threading.Event(), threading.Event()
    runs = []

    @app.post("/slow")
    @idempotent(store=MemoryIdempotencyStore())
    def slow() -> t.Any:
        runs.append(1)
        entered.set()
        assert release.wait(5)
        return {"ok": True}, 201

    results: list[t.Any] = []
    thread = threading.Thread(
        target=lambda: results.append(
            app.test_client().post("/slow", headers={"Idempotency-Key": "k"})
        )
    )
    thread.start()
    try:
        assert entered.wait(5)
        rv = app.test_client().post("/slow", headers={"Idempotency-Key": "k"})
        assert rv.status_code == 409
        assert rv.headers["Retry-After"] == "1"
    finally:
        release.set()
        thread.join(5)
    assert results[0].status_code == 201
    rv = app.test_client().post("/slow", headers={"Idempotency-Key": "k"})
    assert rv.headers["Idempotent-Replayed"] == "true"
    assert len(runs) == 1


def test_scope_keeps_clients_apart(app: Erlen) -> None:
    runs = []

    @app.post("/x")
    @idempotent(store=MemoryIdempotencyStore(), scope=lambda: request.headers["X-User"])
    def x() -> t.Any:
        runs.append(1)
        return {"n": len(runs)}

    client = app.test_client()
    a = client.post("/x", headers={"Idempotency-Key": "k", "X-User": "a"})
    b = client.post("/x", headers={"Idempotency-Key": "k", "X-User": "b"})
    assert (a.json, b.json) == ({"n": 1}, {"n": 2})


def test_lease_expiry_lets_a_dead_claim_go() -> None:
    now = [1000.0]
    store = MemoryIdempotencyStore(clock=lambda: now[0])
    assert store.claim("k", "fp", lease=10) is None
    assert store.claim("k", "fp", lease=10) == {"fp": "fp", "done": False, "at": 1000.0}
    now[0] += 11
    assert store.claim("k", "fp", lease=10) is None


# -- typed views (erlen.api): the stored answer is the serialised response ----


@dataclasses.dataclass
class ItemIn:
    name: str


@dataclasses.dataclass
class ItemOut:
    id: int
    name: str
    day: datetime.date


def _typed_post(client: t.Any, path: str, key: str = "k") -> t.Any:
    return client.post(path, json={"name": "a"}, headers={"Idempotency-Key": key})


def _assert_replays(client: t.Any, path: str, runs: list[t.Any]) -> None:
    first = _typed_post(client, path)
    again = _typed_post(client, path)
    assert first.status_code == again.status_code == 201, first.text
    assert first.json == again.json == {"id": 1, "name": "a", "day": "2024-01-02"}
    assert first.headers["Content-Type"] == again.headers["Content-Type"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == "/items/1"
    assert len(runs) == 1
    # Validation comes first: a bad body is a 422 and claims nothing.
    bad = client.post(path, json={"name": 5}, headers={"Idempotency-Key": "k2"})
    assert bad.status_code == 422
    assert _typed_post(client, path, key="k2").status_code == 201


def test_typed_view_returning_a_dataclass(app: Erlen, client: t.Any) -> None:
    runs: list[ItemIn] = []

    @app.post("/typed")
    @idempotent(store=MemoryIdempotencyStore())
    def typed(item: Body[ItemIn]) -> tuple[ItemOut, int, dict[str, str]]:
        runs.append(item)
        out = ItemOut(len(runs), item.name, datetime.date(2024, 1, 2))
        return out, 201, {"Location": f"/items/{len(runs)}"}

    _assert_replays(client, "/typed", runs)


def test_typed_async_view(app: Erlen, client: t.Any) -> None:
    runs: list[ItemIn] = []

    @app.post("/typed")
    @idempotent(store=MemoryIdempotencyStore())
    async def typed(item: Body[ItemIn]) -> tuple[ItemOut, int, dict[str, str]]:
        runs.append(item)
        out = ItemOut(len(runs), item.name, datetime.date(2024, 1, 2))
        return out, 201, {"Location": f"/items/{len(runs)}"}

    _assert_replays(client, "/typed", runs)


def test_typed_view_returning_a_pydantic_model(app: Erlen, client: t.Any) -> None:
    pydantic = pytest.importorskip("pydantic")

    class Out(pydantic.BaseModel):  # type: ignore[misc,name-defined]
        id: int
        name: str
        day: datetime.date

    runs: list[ItemIn] = []

    @app.post("/typed")
    @idempotent(store=MemoryIdempotencyStore())
    def typed(item: Body[ItemIn]) -> tuple[Out, int, dict[str, str]]:
        runs.append(item)
        out = Out(id=len(runs), name=item.name, day=datetime.date(2024, 1, 2))
        return out, 201, {"Location": f"/items/{len(runs)}"}

    _assert_replays(client, "/typed", runs)


@pytest.mark.parametrize("where", ["handler", "decorators"])
def test_typed_method_view_either_way_round(
    app: Erlen, client: t.Any, where: str
) -> None:
    """On the handler (inside erlen.api's wrapper) or in ``decorators``
    (outside it): the same stored answer."""
    runs: list[ItemIn] = []
    store = MemoryIdempotencyStore()

    def post(self: t.Any, item: Body[ItemIn]) -> tuple[ItemOut, int, dict[str, str]]:
        runs.append(item)
        out = ItemOut(len(runs), item.name, datetime.date(2024, 1, 2))
        return out, 201, {"Location": f"/items/{len(runs)}"}

    if where == "handler":
        body = {"post": idempotent(store=store)(post)}
    else:
        body = {"post": post, "decorators": [idempotent(store=store)]}
    Items = type("Items", (MethodView,), body)
    app.add_url_rule("/typed", view_func=Items.as_view("items"))
    _assert_replays(client, "/typed", runs)


def test_after_request_hooks_run_on_the_replay_too(app: Erlen, client: t.Any) -> None:
    """What is stored is the view's response; the app's own hooks run on
    each answer, the replay included."""
    seen: list[str] = []

    @app.after_request
    def stamp(response: t.Any) -> t.Any:
        seen.append(response.headers.get("Idempotent-Replayed", "fresh"))
        response.headers["X-Hook"] = "yes"
        return response

    @app.post("/x")
    @idempotent(store=MemoryIdempotencyStore())
    def x() -> t.Any:
        return {"ok": True}, 201

    for _ in range(2):
        rv = client.post("/x", headers={"Idempotency-Key": "k"})
        assert rv.headers["X-Hook"] == "yes"
    assert seen == ["fresh", "true"]


def test_a_failing_response_is_not_stored(app: Erlen, client: t.Any) -> None:
    """A return value that cannot become a response fails after the view:
    the key is freed, not stored."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    runs = []

    @app.post("/x")
    @idempotent(store=MemoryIdempotencyStore())
    def x() -> t.Any:
        runs.append(1)
        return object() if len(runs) == 1 else ("ok", 201)

    assert client.post("/x", headers={"Idempotency-Key": "k"}).status_code == 500
    rv = client.post("/x", headers={"Idempotency-Key": "k"})
    assert (rv.status_code, rv.text) == (201, "ok")
    assert "Idempotent-Replayed" not in rv.headers


def test_lease_from_the_config(app: Erlen) -> None:
    leases: list[float] = []

    class Spy(MemoryIdempotencyStore):
        def claim(self, key: str, fingerprint: str, lease: float) -> t.Any:
            leases.append(lease)
            return super().claim(key, fingerprint, lease)

    @app.post("/a")
    @idempotent(store=Spy())
    def a() -> str:
        return "a"

    @app.post("/b")
    @idempotent(store=Spy(), lease=5)
    def b() -> str:
        return "b"

    client = app.test_client()
    client.post("/a", headers={"Idempotency-Key": "k"})
    app.config["IDEMPOTENCY_LEASE"] = 300
    client.post("/a", headers={"Idempotency-Key": "k2"})
    client.post("/b", headers={"Idempotency-Key": "k"})
    assert leases == [60, 300, 5]
