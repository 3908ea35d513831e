"""The cookie session's shortcuts give what the general code gives.

The tagged JSON serializer writes data of plain JSON types as it is (no
tagged copy first) and reads text that cannot hold a tag without its object
hook; the cookie is written from the config without the ``get_cookie_*``
calls when the interface does not override them; the signing serializer and
the lifetime in seconds are kept between requests.  Each test sets one of
these against the general path: same bytes, same values, same cookies.
"""

from __future__ import annotations

import enum
import hashlib
import json
import typing as t
import uuid
from collections import OrderedDict
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from itsdangerous import TimestampSigner
from itsdangerous import URLSafeTimedSerializer
from markupsafe import Markup

from erlen import Erlen
from erlen import session
from erlen.sessions import SecureCookieSession
from erlen.sessions import SecureCookieSessionInterface
from erlen.sessions import session_json_serializer
from erlen.tag import JSONTag
from erlen.tag import TaggedJSONSerializer


def _generic_dumps(serializer: TaggedJSONSerializer, value: t.Any) -> str:
    """What dumps wrote before its shortcut: tag everything, then encode."""
    return json.dumps(serializer.tag(value), separators=(",", ":"))


def _hooked_loads(serializer: TaggedJSONSerializer, text: str) -> t.Any:
    """What loads read before its shortcut: the object hook on every object."""
    return json.loads(text, object_hook=serializer.untag)


class Color(enum.IntEnum):
    RED = 1


_EDGE_VALUES: list[t.Any] = [
    {},
    [],
    {"count": 1},
    {"a": 1, "b": "two", "c": 1.5, "d": None, "e": True, "f": False},
    {"nested": {"deeper": [1, [2, {"x": "y"}]]}},
    # Tags, alone and nested at every level.
    (1, 2),
    {"t": (1, 2)},
    {"a": [1, (2, 3)]},
    {"b": b"\x00\xff"},
    {"m": Markup("<b>x</b>")},
    {"u": uuid.UUID(int=1)},
    {"d": datetime(2001, 2, 3, 4, 5, 6, tzinfo=timezone.utc)},
    {"deep": {"deeper": {"deepest": [b"x"]}}},
    # A dict whose one key is a tag's key must be wrapped, nested or not.
    {" t": [1, 2]},
    {" t": 1},
    {" di": {"x": 1}},
    {"outer": {" b": "not bytes"}},
    [{" u": "nope"}],
    # One key that only looks like a tag, and two keys (never a tag).
    {" x": 1},
    {" t": 1, "other": 2},
    # Not exactly JSON types: the general path decides.
    {"enum": Color.RED},
    {"ordered": OrderedDict(a=1)},
    {"markup_key": Markup("k")},
    {1: "int key", None: "none key"},
    {"nan": float("inf")},
    "just a string",
    Markup("<i>alone</i>"),
    b"bytes alone",
]


@pytest.mark.parametrize("value", _EDGE_VALUES, ids=repr)
def test_dumps_writes_what_tagging_first_writes(value: t.Any) -> None:
    serializer = TaggedJSONSerializer()
    assert serializer.dumps(value) == _generic_dumps(serializer, value)


@pytest.mark.parametrize("value", _EDGE_VALUES, ids=repr)
def test_loads_reads_what_the_object_hook_reads(value: t.Any) -> None:
    serializer = TaggedJSONSerializer()
    text = serializer.dumps(value)
    assert serializer.loads(text) == _hooked_loads(serializer, text)


def test_flask_bytes_for_tagged_and_plain_values() -> None:
    # The exact text Flask's TaggedJSONSerializer writes for these.
    serializer = TaggedJSONSerializer()
    assert serializer.dumps({"count": 1}) == '{"count":1}'
    assert serializer.dumps({"a": (1, b"a")}) == '{"a":{" t":[1,{" b":"YQ=="}]}}'
    assert serializer.dumps({"x": {" t": 1}}) == '{"x":{" di":{" t__":1}}}'
    assert serializer.dumps({"é": "ü"}) == '{"\\u00e9":"\\u00fc"}'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A tag written with an escape for its space is still a tag.
        ('{"\\u0020t": [1, 2]}', (1, 2)),
        ('{"a": {"\\u0020b": "YQ=="}}', {"a": b"a"}),
        # Whitespace the encoder never writes, around a tag.
        ('{ " t" : [1] }', (1,)),
        ('{"a" : {" t": []}}', {"a": ()}),
        # No tag: a key with a space inside, strings that start with one.
        ('{"a t": 1}', {"a t": 1}),
        ('{"a": " t"}', {"a": " t"}),
        ('[" t", {" x": 1}]', [" t", {" x": 1}]),
        ('{"a": "\\"quoted\\""}', {"a": '"quoted"'}),
    ],
)
def test_loads_finds_every_tag_however_written(text: str, expected: t.Any) -> None:
    serializer = TaggedJSONSerializer()
    assert serializer.loads(text) == expected == _hooked_loads(serializer, text)


_JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.sampled_from([" t", " di", " b", "\\", '"', '" ', "é"]),
)
_TAGGED = st.one_of(
    st.binary(max_size=4),
    st.uuids(),
    st.builds(Markup, st.text(max_size=4)),
    st.datetimes(timezones=st.just(timezone.utc)).map(
        lambda d: d.replace(microsecond=0)
    ),
)
_KEYS = st.one_of(st.text(max_size=4), st.sampled_from([" t", " di", " u", " x"]))
_VALUES = st.recursive(
    st.one_of(_JSON_SCALARS, _TAGGED),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(_KEYS, children, max_size=3),
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(value=_VALUES)
def test_shortcuts_agree_with_the_general_path(value: t.Any) -> None:
    serializer = TaggedJSONSerializer()
    text = serializer.dumps(value)
    assert text == _generic_dumps(serializer, value)
    assert serializer.loads(text) == _hooked_loads(serializer, text)


def test_a_custom_tag_turns_the_dumps_shortcut_off() -> None:
    class TagUpper(JSONTag):
        """Claims plain strings: the shortcut must not skip it."""

        __slots__ = ()
        key = " up"

        def check(self, value: object) -> bool:
            return isinstance(value, str) and value.isupper()

        def to_json(self, value: str) -> str:
            return value.lower()

        def to_python(self, value: str) -> str:
            return value.upper()

    serializer = TaggedJSONSerializer()
    serializer.register(TagUpper, index=0)
    assert serializer.dumps({"a": "LOUD"}) == '{"a":{" up":"loud"}}'
    assert serializer.loads('{"a":{" up":"loud"}}') == {"a": "LOUD"}


def test_a_tag_key_without_a_space_keeps_the_object_hook() -> None:
    class TagSet(JSONTag):
        __slots__ = ()
        key = "__set__"

        def check(self, value: object) -> bool:
            return isinstance(value, set)

        def to_json(self, value: set[int]) -> list[int]:
            return sorted(value)

        def to_python(self, value: list[int]) -> set[int]:
            return set(value)

    serializer = TaggedJSONSerializer()
    serializer.register(TagSet)
    assert serializer.loads(serializer.dumps({"s": {2, 1}})) == {"s": {1, 2}}
    assert serializer.loads('{"__set__": [3]}') == {3}


def test_subclass_overrides_of_tag_and_untag_still_run() -> None:
    class Shouting(TaggedJSONSerializer):
        def tag(self, value: t.Any) -> t.Any:
            if isinstance(value, str):
                return value.upper()
            return super().tag(value)

        def untag(self, value: dict[str, t.Any]) -> t.Any:
            return {"seen": super().untag(value)}

    serializer = Shouting()
    assert serializer.dumps("quiet") == '"QUIET"'
    assert serializer.loads('{"a": 1}') == {"seen": {"a": 1}}


# -- the session cookie -------------------------------------------------------------


def _app(**config: t.Any) -> Erlen:
    app = Erlen(__name__)
    app.secret_key = "fast key"
    app.config.update(config)

    @app.get("/count")
    def count() -> str:
        n = session.get("count", 0)
        session["count"] = n + 1
        return str(n)

    @app.get("/rich")
    def rich() -> str:
        session["t"] = (1, b"x", Markup("<b>"), uuid.UUID(int=3))
        session[" t"] = "tag-like key"
        return "ok"

    return app


def _plain_serializer(key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        key,
        salt="cookie-session",
        serializer=session_json_serializer,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )


def _cookie(response: t.Any) -> str:
    header = response.headers["Set-Cookie"]
    return str(header.split(";", 1)[0].split("=", 1)[1])


@pytest.mark.parametrize(
    "payload",
    [
        {"count": 1},
        {"t": (1, 2), " t": "x"},
        {"nested": {" di": [b"\x01"]}},
        {"d": datetime(2020, 5, 6, 7, 8, 9, tzinfo=timezone.utc)},
        {"u": uuid.UUID(int=9), "m": Markup("<i>")},
    ],
)
def test_cookie_bytes_are_itsdangerous_bytes(
    payload: dict[str, t.Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 1_700_000_000)
    app = _app()
    ours = SecureCookieSessionInterface().get_signing_serializer(app)
    assert ours is not None
    plain = _plain_serializer("fast key")
    theirs = plain.dumps(payload)
    if theirs.startswith("."):
        # itsdangerous compresses any payload zlib shortens; erlen only
        # from 256 bytes of JSON (sessions.py).  Each reads the other's.
        assert plain.loads(ours.dumps(payload)) == payload
    else:
        assert ours.dumps(payload) == theirs
    assert ours.loads(theirs) == payload
    assert ours.loads(ours.dumps(payload)) == payload


def test_rich_session_round_trips_through_the_cookie() -> None:
    app = _app()
    client = app.test_client()
    client.get("/rich")
    with client.session_transaction() as sess:
        assert sess["t"] == (1, b"x", Markup("<b>"), uuid.UUID(int=3))
        assert sess[" t"] == "tag-like key"


def test_a_new_secret_key_is_used_on_the_next_request() -> None:
    app = _app()
    client = app.test_client()
    client.get("/count")
    first = _cookie(client.get("/count"))
    assert _plain_serializer("fast key").loads(first) == {"count": 2}
    app.secret_key = "another key"
    # The old cookie no longer verifies: a new session, signed anew.
    assert client.get("/count").text == "0"
    assert _plain_serializer("another key").loads(_cookie(client.get("/count"))) == {
        "count": 2
    }


def test_fallback_keys_added_later_are_honoured() -> None:
    app = _app()
    client = app.test_client()
    client.get("/count")
    app.config["SECRET_KEY_FALLBACKS"] = ["fast key"]
    app.secret_key = "rotated key"
    assert client.get("/count").text == "1"  # read with the fallback


def test_a_new_lifetime_is_used_on_the_next_request() -> None:
    app = _app()
    client = app.test_client()
    client.get("/count")
    assert client.get("/count").text == "1"
    # Cookies older than the lifetime are refused.
    app.permanent_session_lifetime = timedelta(seconds=-1)
    assert client.get("/count").text == "0"
    app.permanent_session_lifetime = 3600  # an int: converted each time
    assert client.get("/count").text == "1"


def test_cookie_attributes_follow_config_changes() -> None:
    app = _app(SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_PATH="/app")
    client = app.test_client()
    header = client.get("/count").headers["Set-Cookie"]
    assert "SameSite=Strict" in header and "Path=/app" in header
    assert "Secure" not in header
    app.config.update(SESSION_COOKIE_SECURE=True, SESSION_COOKIE_NAME="s2")
    header = client.get("/count").headers["Set-Cookie"]
    assert header.startswith("s2=") and "Secure" in header
    # None: the request's scheme decides.
    app.config["SESSION_COOKIE_SECURE"] = None
    https = client.get("/count", base_url="https://localhost")
    assert "Secure" in https.headers["Set-Cookie"]


def test_overridden_cookie_getters_are_used() -> None:
    class Interface(SecureCookieSessionInterface):
        def get_cookie_name(self, app: Erlen) -> str:
            return "custom"

        def get_expiration_time(self, app: Erlen, session: t.Any) -> datetime | None:
            return datetime(2030, 1, 1, tzinfo=timezone.utc)

    app = _app()
    app.session_interface = Interface()
    header = app.test_client().get("/count").headers["Set-Cookie"]
    assert header.startswith("custom=")
    assert "Expires=Tue, 01 Jan 2030 00:00:00 GMT" in header


def test_a_session_class_that_hides_keys_is_copied_its_way() -> None:
    class HidingSession(SecureCookieSession):
        """Keeps "_secret" out of the cookie (its keys() skip it)."""

        def keys(self) -> t.Any:
            return [k for k in super().keys() if k != "_secret"]

    class Interface(SecureCookieSessionInterface):
        session_class = HidingSession

    app = _app()
    app.session_interface = Interface()

    @app.get("/hide")
    def hide() -> str:
        session["_secret"] = "no"
        session["shown"] = "yes"
        return "ok"

    cookie = _cookie(app.test_client().get("/hide"))
    assert _plain_serializer("fast key").loads(cookie) == {"shown": "yes"}


def test_permanent_session_cookie_has_its_expiry() -> None:
    app = _app(PERMANENT_SESSION_LIFETIME=timedelta(days=2))

    @app.get("/perm")
    def perm() -> str:
        session.permanent = True
        session["x"] = 1
        return "ok"

    before = datetime.now(timezone.utc)
    header = app.test_client().get("/perm").headers["Set-Cookie"]
    expires = header.split("Expires=", 1)[1].split(";", 1)[0]
    when = datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(
        tzinfo=timezone.utc
    )
    assert timedelta(days=2) - timedelta(seconds=5) <= when - before
    assert when - before <= timedelta(days=2, seconds=5)
