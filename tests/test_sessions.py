"""Cookie sessions: loading, saving, cookie attributes, and hostile cookies."""

from __future__ import annotations

import os
import typing as t
import uuid
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest
from itsdangerous import TimestampSigner
from itsdangerous import URLSafeTimedSerializer
from markupsafe import Markup

from erlen import Erlen
from erlen import session
from erlen.http import parse_date
from erlen.sessions import NullSession
from erlen.sessions import SecureCookieSession
from erlen.sessions import SecureCookieSessionInterface
from erlen.sessions import SessionInterface
from erlen.sessions import SessionMixin
from erlen.tag import JSONTag
from erlen.tag import TaggedJSONSerializer


def make_app(secret_key: str | None = "test key", **config: object) -> Erlen:
    app = Erlen(__name__)
    app.testing = True
    app.secret_key = secret_key
    app.config.update(config)

    @app.get("/set/<key>/<value>")
    def set_value(key: str, value: str) -> str:
        session[key] = value
        return "ok"

    @app.get("/get/<key>")
    def get_value(key: str) -> str:
        return repr(session.get(key))

    @app.get("/plain")
    def plain() -> str:
        return "no session here"

    @app.get("/clear")
    def clear() -> str:
        session.clear()
        return "cleared"

    @app.get("/permanent")
    def permanent() -> str:
        session.permanent = True
        session["user"] = "ada"
        return "ok"

    return app


def set_cookies(response) -> list[str]:  # type: ignore[no-untyped-def]
    return response.headers.getlist("Set-Cookie")


def session_cookie(response, name: str = "session") -> str:  # type: ignore[no-untyped-def]
    """The value of the session cookie a response sets."""
    for header in set_cookies(response):
        if header.startswith(f"{name}="):
            return header.split(";", 1)[0].split("=", 1)[1]
    raise AssertionError(f"no {name} cookie set: {set_cookies(response)}")


def attributes(response, name: str = "session") -> dict[str, str]:  # type: ignore[no-untyped-def]
    for header in set_cookies(response):
        if header.startswith(f"{name}="):
            parts = [p.strip() for p in header.split(";")[1:]]
            return dict((p.split("=", 1) + [""])[:2] for p in parts)  # type: ignore[misc]
    raise AssertionError("no session cookie")


def get_with_cookie(app: Erlen, path: str, value: str, **kwargs: object):  # type: ignore[no-untyped-def]
    client = app.test_client(use_cookies=False)
    return client.get(path, headers={"Cookie": f"session={value}"}, **kwargs)


# -- the round trip -------------------------------------------------------------


def test_value_survives_the_next_request() -> None:
    client = make_app().test_client()
    assert client.get("/set/user/ada").status_code == 200
    assert client.get("/get/user").get_data(as_text=True) == "'ada'"


def test_untouched_session_sets_no_cookie_and_no_vary() -> None:
    client = make_app().test_client()
    client.get("/set/user/ada")
    response = client.get("/plain")
    assert set_cookies(response) == []
    assert "Vary" not in response.headers


def test_read_only_session_varies_on_cookie_but_is_not_rewritten() -> None:
    client = make_app().test_client()
    client.get("/set/user/ada")
    response = client.get("/get/user")
    assert response.headers["Vary"] == "Cookie"
    assert set_cookies(response) == []


def test_membership_test_counts_as_a_read() -> None:
    app = make_app()

    @app.get("/has")
    def has() -> str:
        return str("user" in session)

    response = app.test_client().get("/has")
    assert response.get_data(as_text=True) == "False"
    assert response.headers["Vary"] == "Cookie"


def test_changed_session_sets_a_signed_cookie_with_secure_defaults() -> None:
    response = make_app().test_client().get("/set/user/ada")
    value = session_cookie(response)
    assert value.count(".") == 2  # payload.timestamp.signature
    attrs = attributes(response)
    assert "HttpOnly" in attrs
    assert attrs["SameSite"] == "Lax"
    assert attrs["Path"] == "/"
    assert "Secure" not in attrs  # plain http
    assert "Expires" not in attrs  # a browser session by default
    assert response.headers["Vary"] == "Cookie"


def test_secure_follows_https() -> None:
    client = make_app().test_client()
    response = client.get("/set/user/ada", base_url="https://localhost/")
    assert "Secure" in attributes(response)


@pytest.mark.parametrize(
    ("setting", "scheme", "secure"),
    [(True, "http", True), (False, "https", False), (None, "http", False)],
)
def test_session_cookie_secure_setting_forces_it(
    setting: bool | None, scheme: str, secure: bool
) -> None:
    client = make_app(SESSION_COOKIE_SECURE=setting).test_client()
    response = client.get("/set/user/ada", base_url=f"{scheme}://localhost/")
    assert ("Secure" in attributes(response)) is secure


def test_cookie_settings_are_applied() -> None:
    app = make_app(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN="example.com",
        SESSION_COOKIE_PATH="/app",
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=False,
        SESSION_COOKIE_PARTITIONED=True,
    )
    response = app.test_client().get("/set/user/ada")
    attrs = attributes(response, "sid")
    assert attrs["Domain"] == "example.com"
    assert attrs["Path"] == "/app"
    assert attrs["SameSite"] == "Strict"
    assert "HttpOnly" not in attrs
    assert "Partitioned" in attrs and "Secure" in attrs


def test_cookie_path_defaults_to_application_root() -> None:
    response = make_app(APPLICATION_ROOT="/shop").test_client().get("/set/a/b")
    assert attributes(response)["Path"] == "/shop"


def test_in_place_change_needs_modified_flag() -> None:
    app = make_app()

    @app.get("/start")
    def start() -> str:
        session["cart"] = []
        return "ok"

    @app.get("/add-silently/<item>")
    def add_silently(item: str) -> str:
        session["cart"].append(item)
        return "ok"

    @app.get("/add/<item>")
    def add(item: str) -> str:
        session["cart"].append(item)
        session.modified = True
        return "ok"

    @app.get("/cart")
    def cart() -> str:
        return ",".join(session["cart"])

    client = app.test_client()
    client.get("/start")
    response = client.get("/add-silently/apple")
    assert set_cookies(response) == []
    client.get("/add/pear")
    assert client.get("/cart").get_data(as_text=True) == "pear"


def test_rich_values_round_trip() -> None:
    app = make_app()
    moment = datetime(2024, 5, 17, 12, 30, 5, tzinfo=timezone.utc)
    ident = uuid.uuid4()
    stored = {
        "tuple": (1, "two", (3,)),
        "bytes": b"\x00\xffraw",
        "markup": Markup("<b>bold</b>"),
        "uuid": ident,
        "when": moment,
        "tricky": {" t": "not a tuple"},
        "nested": {"list": [1, (2, 3)], "n": None},
    }

    @app.get("/store")
    def store() -> str:
        session.update(stored)
        return "ok"

    @app.get("/load")
    def load() -> str:
        assert {k: session[k] for k in stored} == stored
        assert isinstance(session["markup"], Markup)
        return "same"

    client = app.test_client()
    client.get("/store")
    assert client.get("/load").get_data(as_text=True) == "same"


def test_permanent_session_has_expiry_from_lifetime() -> None:
    app = make_app(PERMANENT_SESSION_LIFETIME=timedelta(days=2))
    response = app.test_client().get("/permanent")
    expires = parse_date(attributes(response)["Expires"])
    assert expires is not None
    expected = datetime.now(timezone.utc) + timedelta(days=2)
    assert abs((expires - expected).total_seconds()) < 5


def test_permanent_session_is_refreshed_when_read() -> None:
    client = make_app().test_client()
    client.get("/permanent")
    response = client.get("/get/user")
    assert response.get_data(as_text=True) == "'ada'"
    assert "Expires" in attributes(response)


def test_refresh_each_request_off_writes_only_on_change() -> None:
    client = make_app(SESSION_REFRESH_EACH_REQUEST=False).test_client()
    client.get("/permanent")
    response = client.get("/get/user")
    assert response.get_data(as_text=True) == "'ada'"
    assert set_cookies(response) == []


def test_emptied_session_deletes_the_cookie() -> None:
    client = make_app().test_client()
    client.get("/set/user/ada")
    response = client.get("/clear")
    attrs = attributes(response)
    assert session_cookie(response) == ""
    assert attrs["Max-Age"] == "0"
    assert response.headers["Vary"] == "Cookie"
    assert client.get("/get/user").get_data(as_text=True) == "None"


def test_clearing_a_session_never_filled_only_deletes() -> None:
    response = make_app().test_client().get("/clear")
    assert session_cookie(response) == ""


def test_new_flag_tells_first_visit_apart() -> None:
    app = make_app()

    @app.get("/new")
    def new() -> str:
        is_new = session.new
        session["seen"] = True
        return str(is_new)

    client = app.test_client()
    assert client.get("/new").get_data(as_text=True) == "True"
    assert client.get("/new").get_data(as_text=True) == "False"


# -- hostile cookies --------------------------------------------------------------


def valid_cookie(app: Erlen) -> str:
    return session_cookie(app.test_client().get("/set/user/ada"))


def test_tampered_payload_is_an_empty_session() -> None:
    app = make_app()
    payload, stamp, signature = valid_cookie(app).split(".")
    forged = app.session_interface.get_signing_serializer(  # type: ignore[attr-defined]
        make_app(secret_key="attacker")
    ).dumps({"user": "admin"})
    forged_payload = forged.split(".")[0]
    response = get_with_cookie(
        app, "/get/user", f"{forged_payload}.{stamp}.{signature}"
    )
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "None"


def test_tampered_signature_is_an_empty_session() -> None:
    app = make_app()
    value = valid_cookie(app)
    # Not the last character: its low bits are base64 padding, which
    # itsdangerous's lenient decoder ignores ("A" and "B" decode alike).
    flipped = value[:-5] + ("A" if value[-5] != "A" else "B") + value[-4:]
    response = get_with_cookie(app, "/get/user", flipped)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "None"


def test_cookie_from_another_secret_key_is_an_empty_session() -> None:
    other = valid_cookie(make_app(secret_key="someone else"))
    response = get_with_cookie(make_app(), "/get/user", other)
    assert response.get_data(as_text=True) == "None"


def test_expired_cookie_is_an_empty_session(monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(PERMANENT_SESSION_LIFETIME=timedelta(hours=1))
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(
        TimestampSigner, "get_timestamp", lambda self: real(self) - 7200
    )
    old = valid_cookie(app)
    monkeypatch.undo()
    response = get_with_cookie(app, "/get/user", old)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "None"
    fresh = valid_cookie(app)
    assert get_with_cookie(app, "/get/user", fresh).get_data(as_text=True) == "'ada'"


def test_cookie_from_the_future_is_an_empty_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app()
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(
        TimestampSigner, "get_timestamp", lambda self: real(self) + 86400
    )
    future = valid_cookie(app)
    monkeypatch.undo()
    assert get_with_cookie(app, "/get/user", future).get_data(as_text=True) == "None"


def test_key_rotation_with_fallbacks() -> None:
    old_app = make_app(secret_key="old key")
    old_cookie = valid_cookie(old_app)

    rotated = make_app(secret_key="new key", SECRET_KEY_FALLBACKS=["old key"])
    response = get_with_cookie(rotated, "/get/user", old_cookie)
    assert response.get_data(as_text=True) == "'ada'"

    # What the rotated app writes is signed with the new key only.
    new_cookie = valid_cookie(rotated)
    new_only = make_app(secret_key="new key")
    assert get_with_cookie(new_only, "/get/user", new_cookie).text == "'ada'"
    assert get_with_cookie(old_app, "/get/user", new_cookie).text == "None"
    # Without the fallback, the old cookie no longer counts.
    assert get_with_cookie(new_only, "/get/user", old_cookie).text == "None"


@pytest.mark.parametrize(
    "garbage",
    [
        "not a cookie",
        "abc$def.ghi.jkl",
        "eyJ1c2VyIjoiYWRhIn0.Zm9v.YmFy!",
        "é.é.é",
        "%00%0a",
        "x" * 100_000,
    ],
)
def test_garbage_is_rejected_before_any_signature_check(
    monkeypatch: pytest.MonkeyPatch, garbage: str
) -> None:
    calls = []
    real = URLSafeTimedSerializer.loads

    def spy(self: URLSafeTimedSerializer, *args: t.Any, **kwargs: t.Any) -> t.Any:
        calls.append(args)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(URLSafeTimedSerializer, "loads", spy)
    response = get_with_cookie(make_app(), "/get/user", garbage)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "None"
    assert calls == []


@pytest.mark.parametrize(
    "junk", ["....", "abc.def.ghi", ".eJzLSM3JyVcozy_KSQEAGgQEXQ.a.b"]
)
def test_well_formed_junk_fails_the_signature_quietly(junk: str) -> None:
    response = get_with_cookie(make_app(), "/get/user", junk)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "None"


def test_validly_signed_non_dict_payload_is_an_empty_session() -> None:
    app = make_app()
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    value = serializer.dumps(["not", "a", "dict"])
    assert get_with_cookie(app, "/get/user", value).text == "None"


def test_oversized_session_warns_about_the_browser_limit() -> None:
    app = make_app()

    @app.get("/big")
    def big() -> str:
        session["blob"] = os.urandom(4000).hex()  # incompressible
        return "ok"

    with pytest.warns(UserWarning, match="'session' cookie is .* bytes"):
        response = app.test_client().get("/big")
    assert response.status_code == 200


# -- no secret key ------------------------------------------------------------------


def test_without_secret_key_reading_is_empty() -> None:
    app = make_app(secret_key=None)
    response = app.test_client().get("/get/user")
    assert response.get_data(as_text=True) == "None"
    assert set_cookies(response) == []


def test_without_secret_key_writing_is_a_clear_error() -> None:
    app = make_app(secret_key=None)
    with pytest.raises(RuntimeError, match="no secret key was set"):
        app.test_client().get("/set/user/ada")


def test_without_secret_key_in_production_writing_is_a_500(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app(secret_key=None)
    app.testing = False
    monkeypatch.setattr(app.logger, "disabled", True)
    response = app.test_client().get("/set/user/ada")
    assert response.status_code == 500
    assert "secret" not in response.get_data(as_text=True)


def test_null_session_refuses_every_write() -> None:
    null = NullSession()
    assert null.get("x") is None and len(null) == 0
    for action in (
        lambda: null.__setitem__("a", 1),
        lambda: null.update(a=1),
        lambda: null.setdefault("a", 1),
        lambda: null.pop("a", None),
        null.clear,
        null.popitem,
    ):
        with pytest.raises(RuntimeError, match="secret key"):
            action()


# -- the session objects -------------------------------------------------------------


def test_secure_cookie_session_tracks_reads_and_writes() -> None:
    s = SecureCookieSession({"a": 1})
    assert not s.accessed and not s.modified
    assert s["a"] == 1
    assert s.accessed and not s.modified
    s.pop("missing", None)
    assert not s.modified
    s.setdefault("a", 2)
    assert not s.modified
    s.setdefault("b", 2)
    assert s.modified
    s2 = SecureCookieSession({"a": 1})
    s2 |= {"c": 3}
    assert s2.modified and s2["c"] == 3
    s3 = SecureCookieSession({"a": 1})
    del s3["a"]
    assert s3.modified and not s3
    s4 = SecureCookieSession()
    s4.permanent = True
    assert s4.modified and s4.permanent and s4["_permanent"] is True


def test_custom_interface_plugs_in() -> None:
    """A server-side store: the cookie holds only an id."""
    store: dict[str, dict[str, object]] = {}

    class ServerSession(SecureCookieSession):
        __slots__ = ("sid",)

    class MemoryInterface(SessionInterface):
        def open_session(self, app: Erlen, request):  # type: ignore[no-untyped-def]
            sid = request.cookies.get(self.get_cookie_name(app))
            s = ServerSession(store.get(sid or "", {}))
            s.sid = sid if sid in store else uuid.uuid4().hex
            return s

        def save_session(self, app: Erlen, s: SessionMixin, response) -> None:  # type: ignore[no-untyped-def]
            assert isinstance(s, ServerSession)
            if not s:
                store.pop(s.sid, None)
                if s.modified:
                    self.delete_session_cookie(app, response)
                return
            if self.should_set_cookie(app, s):
                store[s.sid] = dict(s)
                self.write_session_cookie(app, s, response, s.sid)

    app = make_app()
    app.session_interface = MemoryInterface()
    client = app.test_client()
    response = client.get("/set/user/ada")
    sid = session_cookie(response)
    assert store == {sid: {"user": "ada"}}
    assert "HttpOnly" in attributes(response)
    assert client.get("/get/user").get_data(as_text=True) == "'ada'"
    client.get("/clear")
    assert store == {}


# -- the tagged serializer -------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        {" t": (1, 2)},
        {" di": "looks like a tag"},
        (1, (2, [3, (4,)])),
        [b"", b"\x00"],
        Markup("<i>x</i>"),
        uuid.UUID(int=7),
        datetime(1999, 12, 31, 23, 59, 59, tzinfo=timezone.utc),
        {"plain": "text", "n": 1.5, "none": None, "b": True},
    ],
)
def test_tagged_serializer_round_trips(value: object) -> None:
    serializer = TaggedJSONSerializer()
    assert serializer.loads(serializer.dumps(value)) == value


def test_tagged_serializer_naive_datetime_is_read_as_utc() -> None:
    serializer = TaggedJSONSerializer()
    out = serializer.loads(serializer.dumps(datetime(2020, 1, 2, 3, 4, 5)))
    assert out == datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def test_tagged_serializer_writes_flask_compatible_tags() -> None:
    serializer = TaggedJSONSerializer()
    assert serializer.dumps((1, b"a")) == '{" t":[1,{" b":"YQ=="}]}'
    assert serializer.dumps({" t": 1}) == '{" di":{" t__":1}}'


def test_tagged_serializer_custom_tag_and_duplicates() -> None:
    class Point:
        def __init__(self, x: int, y: int) -> None:
            self.x, self.y = x, y

    class TagPoint(JSONTag):
        __slots__ = ()
        key = " point"

        def check(self, value: object) -> bool:
            return isinstance(value, Point)

        def to_json(self, value: Point) -> object:
            return [value.x, value.y]

        def to_python(self, value: list[int]) -> Point:
            return Point(*value)

    serializer = TaggedJSONSerializer()
    serializer.register(TagPoint, index=0)
    out = serializer.loads(serializer.dumps({"p": Point(1, 2)}))
    assert (out["p"].x, out["p"].y) == (1, 2)
    with pytest.raises(KeyError, match="already registered"):
        serializer.register(TagPoint)
    serializer.register(TagPoint, force=True)


@pytest.mark.parametrize(
    "text", ['{" b": 5}', '{" u": "zz"}', '{" d": 7}', "{", '{" t": 1}']
)
def test_tagged_serializer_malformed_is_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        TaggedJSONSerializer().loads(text)


def test_session_transaction_prepares_and_inspects_the_session() -> None:
    client = make_app().test_client()
    with client.session_transaction() as sess:
        sess["user"] = "grace"
    assert client.get("/get/user").get_data(as_text=True) == "'grace'"
    client.get("/set/role/admin")
    with client.session_transaction() as sess:
        assert dict(sess) == {"user": "grace", "role": "admin"}


@pytest.mark.parametrize("payload", [{"n": 1}, {"text": "ab" * 400}])
def test_cookies_interoperate_with_plain_itsdangerous(
    payload: dict[str, t.Any],
) -> None:
    # erlen caches its signer and derived keys and skips zlib for short
    # payloads; the cookie format must stay what Flask writes and reads.
    import hashlib

    from erlen.sessions import session_json_serializer

    app = make_app(secret_key="new key", SECRET_KEY_FALLBACKS=["old key"])
    ours = SecureCookieSessionInterface().get_signing_serializer(app)
    assert ours is not None

    def plain(keys: list[str]) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(
            keys,
            salt="cookie-session",
            serializer=session_json_serializer,
            signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
        )

    for _ in range(2):  # the second round uses the cached signer and pads
        assert plain(["new key"]).loads(ours.dumps(payload)) == payload
        assert ours.loads(plain(["new key"]).dumps(payload)) == payload
        assert ours.loads(plain(["old key"]).dumps(payload)) == payload
        with pytest.raises(Exception, match="Signature"):
            ours.loads(plain(["other key"]).dumps(payload))
    if len(str(payload)) > 300:
        assert ours.dumps(payload).startswith(".")  # still compressed when large
