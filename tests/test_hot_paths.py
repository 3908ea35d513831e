"""The inlined fast paths of the hot request path give what the generic code
gives: the same cookie bytes, the same errors, the same JSON."""

from __future__ import annotations

import hashlib
import json
import typing as t
import warnings
from datetime import timedelta

import pytest
from itsdangerous import BadPayload
from itsdangerous import BadSignature
from itsdangerous import SignatureExpired
from itsdangerous import TimestampSigner
from itsdangerous import URLSafeTimedSerializer

from erlen import Erlen
from erlen import jsonify
from erlen import session
from erlen.http import dump_cookie
from erlen.sessions import SecureCookieSessionInterface
from erlen.sessions import session_json_serializer
from erlen.tag import JSONTag
from erlen.tag import TaggedJSONSerializer


def _app(**config: t.Any) -> Erlen:
    app = Erlen(__name__)
    app.testing = True
    app.secret_key = "hot key"
    app.config.update(config)

    @app.get("/set")
    def set_() -> str:
        session["n"] = session.get("n", 0) + 1
        return "ok"

    @app.get("/permanent")
    def permanent() -> str:
        session.permanent = True
        session["n"] = 1
        return "ok"

    @app.get("/plain")
    def plain() -> str:
        return "plain"

    return app


def _plain_serializer(keys: list[str]) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        keys,
        salt="cookie-session",
        serializer=session_json_serializer,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )


def _ours(app: Erlen) -> t.Any:
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None and serializer._fast
    return serializer


@pytest.mark.parametrize(
    "payload", [{"n": 1}, {"a": (1, "é"), "b": b"\x00\xff", "c": None}, {}]
)
def test_session_cookie_is_byte_identical_to_itsdangerous(
    payload: dict[str, t.Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 1_700_000_000)
    app = _app()
    assert _ours(app).dumps(payload) == _plain_serializer(["hot key"]).dumps(payload)


def test_session_loads_raises_what_itsdangerous_raises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = _app(SECRET_KEY_FALLBACKS=["old key"])
    ours = _ours(app)
    good = _plain_serializer(["hot key"]).dumps({"n": 1})
    assert ours.loads(good, max_age=60) == {"n": 1}
    old = _plain_serializer(["old key"]).dumps({"n": 2})
    assert ours.loads(old, max_age=60) == {"n": 2}
    with pytest.raises(BadSignature):
        ours.loads(good[:-2] + ("AA" if not good.endswith("AA") else "BB"))
    with pytest.raises(BadSignature):
        ours.loads("no-dots-at-all")
    # A validly signed payload that is not JSON.
    signer = _plain_serializer(["hot key"]).make_signer()
    with pytest.raises(BadPayload):
        ours.loads(signer.sign(b"bm90IGpzb24").decode())
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda s: real(s) + 3600)
    with pytest.raises(SignatureExpired):
        ours.loads(good, max_age=60)


def test_untouched_plain_session_is_not_opened(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = _app()
    client = app.test_client()
    client.get("/set")
    opened: list[int] = []
    real = SecureCookieSessionInterface.open_session

    def spy(self: t.Any, *args: t.Any) -> t.Any:
        opened.append(1)
        return real(self, *args)

    monkeypatch.setattr(SecureCookieSessionInterface, "open_session", spy)
    response = client.get("/plain")
    assert response.text == "plain"
    assert opened == []  # nothing to refresh: no HMAC, no JSON
    assert "Set-Cookie" not in response.headers and "Vary" not in response.headers


def test_untouched_permanent_session_is_still_refreshed() -> None:
    app = _app(PERMANENT_SESSION_LIFETIME=timedelta(days=3))
    client = app.test_client()
    client.get("/permanent")
    response = client.get("/plain")
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and "Expires=" in cookies[0]
    assert response.headers.getlist("Vary") == ["Cookie"]


def test_forged_permanent_claim_is_refused_by_the_real_open() -> None:
    app = _app()
    client = app.test_client(use_cookies=False)
    forged = "eyJfcGVybWFuZW50Ijp0cnVlfQ.AAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAA"
    response = client.get("/plain", headers={"Cookie": f"session={forged}"})
    assert response.text == "plain"
    assert "Set-Cookie" not in response.headers


def test_written_session_varies_once_before_set_cookie() -> None:
    response = _app().test_client().get("/set")
    names = [name for name, _ in response.headers]
    assert names.count("Vary") == 1 and response.headers["Vary"] == "Cookie"
    assert names.index("Vary") < names.index("Set-Cookie")


def test_custom_tag_for_plain_values_is_consulted() -> None:
    class TagUpper(JSONTag):
        __slots__ = ()
        key = " up"

        def check(self, value: t.Any) -> bool:
            return isinstance(value, str) and value.isupper()

        def to_json(self, value: t.Any) -> t.Any:
            return value.lower()

        def to_python(self, value: t.Any) -> t.Any:
            return value.upper()

    serializer = TaggedJSONSerializer()
    assert serializer.dumps({"a": "HI"}) == '{"a":"HI"}'
    serializer.register(TagUpper, index=0)
    assert serializer.dumps({"a": "HI"}) == '{"a":{" up":"hi"}}'
    assert serializer.loads('{"a":{" up":"hi"}}') == {"a": "HI"}


def test_tagged_serializer_still_reports_cycles_and_bad_json() -> None:
    serializer = TaggedJSONSerializer()
    inner: dict[str, t.Any] = {}
    with pytest.raises(ValueError):
        serializer.loads('{"a": 1} trailing')
    assert serializer.loads(' {"a": 1} ') == {"a": 1}
    inner["self"] = [inner]
    with pytest.raises((ValueError, RecursionError)):
        serializer.dumps(inner)


@pytest.mark.parametrize(
    "value",
    [
        {"message": "Hello, World!"},
        {"b": 1, "a": [1.5, None, True, "é\u2028"], "c": {"z": 0, "y": float("nan")}},
        ["x", 1, -2.5e300],
        "just a string",
    ],
)
def test_json_provider_output_is_the_stdlib_output(value: t.Any) -> None:
    app = Erlen(__name__)
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"))
    with app.app_context():
        assert app.json.dumps(value) == expected
        assert jsonify(value).get_data(as_text=True) == expected + "\n"
        app.json.ensure_ascii = False  # type: ignore[attr-defined]
        app.json.sort_keys = False  # type: ignore[attr-defined]
        assert app.json.dumps(value) == json.dumps(
            value, ensure_ascii=False, separators=(",", ":")
        )


def test_json_provider_reports_cycles_as_stdlib_does() -> None:
    app = Erlen(__name__)
    cycle: list[t.Any] = []
    cycle.append(cycle)
    with app.app_context(), pytest.raises(ValueError, match="Circular"):
        jsonify(cycle)


def test_cookie_attribute_cache_keeps_every_check() -> None:
    first = dump_cookie("a", "1", path="/x", httponly=True, samesite="Lax")
    assert first == "a=1; HttpOnly; Path=/x; SameSite=Lax"
    assert dump_cookie("a", "1", path="/y") == "a=1; Path=/y"
    for _ in range(2):  # a refused attribute is never cached as good
        with pytest.raises(ValueError):
            dump_cookie("a", "1", path="/x;y")
        with pytest.raises(ValueError):
            dump_cookie("a b", "1")
        with pytest.raises(ValueError):
            dump_cookie("a", "1\r\n")
    assert dump_cookie("a", "x y") == 'a="x\\040y"; Path=/'
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dump_cookie("big", "v" * 5000)
    assert any("too large" in str(w.message) for w in caught)
