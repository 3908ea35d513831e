"""Property: any request header gets a well-formed 2xx-4xx answer.

Cookies, Range, If-None-Match / If-Match / If-Modified-Since, Accept*,
Content-Type, Authorization, forwarding headers, and session cookies —
garbage, and validly signed cookies whose payload is garbage (see
``fuzz_harness``).
"""

from __future__ import annotations

import json
import typing as t

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer

from fuzz_harness import check
from fuzz_harness import environ
from fuzz_harness import latin1
from fuzz_harness import make_app

APP = make_app()
SERVER_APP = make_app(server_sessions=True)
SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def header_values(pieces: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(st.sampled_from(pieces), max_size=10).map("".join),
        st.binary(max_size=120).map(latin1),
    )


def serve(app: t.Any, env: dict[str, t.Any]) -> None:
    check(app, env)
    assert check(app, environ(path="/")).body == b"ok"


COOKIES = header_values(
    [
        "session",
        "=",
        ";",
        " ",
        '"',
        "\\",
        "\\012",
        ",",
        "a",
        "é",
        "\xff",
        "$Path",
        "=;",
        "%",
        "eyJ",
        ".",
        "x" * 100,
        "\t",
        "__Host-",
    ]
)


@SETTINGS
@given(
    cookie=COOKIES,
    path=st.sampled_from(["/cookies", "/session"]),
    method=st.sampled_from(["GET", "POST"]),
)
def test_cookie_headers(cookie: str, path: str, method: str) -> None:
    serve(APP, environ(method, path, headers={"Cookie": cookie}))
    serve(SERVER_APP, environ(method, path, headers={"Cookie": cookie}))


class _Raw:
    """A serializer that signs the text it is given, unchanged."""

    @staticmethod
    def dumps(value: str) -> str:
        return value

    @staticmethod
    def loads(value: str | bytes) -> t.Any:
        return json.loads(value)


_SIGNED = URLSafeTimedSerializer(
    "fuzz secret",
    salt="cookie-session",
    serializer=_Raw,
    signer_kwargs={
        "key_derivation": "hmac",
        "digest_method": __import__("hashlib").sha1,
    },
)
PAYLOADS = st.one_of(
    st.sampled_from(
        [
            '{"n": 1}',
            '{"n": "x"}',
            '{"n": 1e400}',
            "[]",
            "null",
            '"s"',
            "{",
            '{" t": ["a"]}',
            '{" d": "not a date"}',
            '{" b": "!!"}',
            '{" u": "x"}',
            '{" m": 5}',
            '{" di": []}',
            '{"_fresh": 1, "_user_id": {}}',
            '{" t": 5}',
            '{"n": {" t": [1, 2]}}',
            '{"x": {" b": 1}}',
        ]
    ),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(["n", " t", " d", " b", " u", " m", "k"]),
                inner,
                max_size=3,
            )
        ),
        max_leaves=10,
    ).map(json.dumps),
)


@SETTINGS
@given(
    payload=PAYLOADS, method=st.sampled_from(["GET", "POST"]), compress=st.booleans()
)
def test_signed_session_cookie_with_garbage_payload(
    payload: str, method: str, compress: bool
) -> None:
    signed = _SIGNED.dumps(payload)
    value = signed.decode() if isinstance(signed, bytes) else signed
    if compress:  # what a deflated payload looks like to the signer
        value = "." + value
    serve(APP, environ(method, "/session", headers={"Cookie": f"session={value}"}))


SERVER_SIDS = st.one_of(
    st.text(max_size=80).map(lambda s: latin1(s.encode("utf-8"))),
    st.sampled_from(["", ".", "a.b", "x" * 300, "é.sig"]),
)


@SETTINGS
@given(sid=SERVER_SIDS, method=st.sampled_from(["GET", "POST"]))
def test_server_session_cookie(sid: str, method: str) -> None:
    from itsdangerous import Signer

    signer = Signer("fuzz secret", salt="erlen.server-session")
    for value in (sid, signer.sign(sid.encode("latin-1")).decode("latin-1")):
        serve(
            SERVER_APP,
            environ(method, "/session", headers={"Cookie": f"session={value}"}),
        )


RANGES = header_values(
    [
        "bytes",
        "=",
        "0",
        "1",
        "-",
        ",",
        "5",
        "99999999999999999999",
        " ",
        "items",
        "2047",
        "2048",
        "-0",
        "bytes=",
        ";",
        "*",
    ]
)
ETAGS = header_values(
    ['"fuzz-etag"', "W/", '"', "*", ",", " ", "abc", '""', "w/", "\\", '"x"']
)
DATES = st.one_of(
    st.sampled_from(
        [
            "Tue, 14 Nov 2023 22:13:20 GMT",
            "Tue, 14 Nov 2023 22:13:21 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "0",
            "-1",
            "Mon, 99 Foo 99999 99:99:99 GMT",
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "Mon, 01 Jan 0001 00:00:00 GMT",
        ]
    ),
    st.binary(max_size=40).map(latin1),
)


@SETTINGS
@given(
    range_=st.one_of(st.none(), RANGES),
    if_range=st.one_of(st.none(), ETAGS, DATES),
    inm=st.one_of(st.none(), ETAGS),
    im=st.one_of(st.none(), ETAGS),
    ims=st.one_of(st.none(), DATES),
    ius=st.one_of(st.none(), DATES),
    path=st.sampled_from(
        ["/file", "/etag", "/static-file", "/headers", "/static/style.css"]
    ),
    method=st.sampled_from(["GET", "HEAD"]),
)
def test_conditional_and_range_headers(
    range_: str | None,
    if_range: str | None,
    inm: str | None,
    im: str | None,
    ims: str | None,
    ius: str | None,
    path: str,
    method: str,
) -> None:
    headers = {
        "Range": range_,
        "If-Range": if_range,
        "If-None-Match": inm,
        "If-Match": im,
        "If-Modified-Since": ims,
        "If-Unmodified-Since": ius,
    }
    given_headers = {k: v for k, v in headers.items() if v is not None}
    serve(APP, environ(method, path, headers=given_headers))


ACCEPT = header_values(
    [
        "text/html",
        "application/json",
        "*/*",
        "*",
        "/",
        ";q=",
        "0.5",
        "1",
        "0",
        "nan",
        "inf",
        "-1",
        ",",
        " ",
        ";",
        "level=1",
        "en-US",
        "de;q=0.7",
        "utf-8",
        "gzip",
        "identity;q=0",
        '"',
        "=",
        "1e9",
    ]
)


@SETTINGS
@given(
    accept=ACCEPT,
    language=ACCEPT,
    charset=ACCEPT,
    encoding=ACCEPT,
    ctype=header_values(
        [
            "text/plain",
            "application/json",
            "multipart/form-data",
            ";",
            " ",
            "charset=",
            "utf-8",
            '"',
            "boundary=",
            "=",
            "*",
            "/",
            "%",
            "''",
            "x*=",
            "x*0=",
            "x*1=",
        ]
    ),
    auth=header_values(
        [
            "Basic ",
            "Bearer ",
            "Digest ",
            "dXNlcjpwYXNz",
            "=",
            ",",
            'realm="x"',
            "\xff",
            " ",
            ":",
            "Og==",
        ]
    ),
    forwarded=header_values(["1.2.3.4", ",", " ", "::1", "unknown", "for=", ";"]),
    ua=st.binary(max_size=80).map(latin1),
)
def test_negotiation_and_other_headers(
    accept: str,
    language: str,
    charset: str,
    encoding: str,
    ctype: str,
    auth: str,
    forwarded: str,
    ua: str,
) -> None:
    headers = {
        "Accept": accept,
        "Accept-Language": language,
        "Accept-Charset": charset,
        "Accept-Encoding": encoding,
        "Content-Type": ctype,
        "Authorization": auth,
        "X-Forwarded-For": forwarded,
        "X-Forwarded-Proto": forwarded,
        "User-Agent": ua,
        "Referer": ua,
        "Origin": ua,
    }
    serve(APP, environ("GET", "/headers", headers=headers))
    serve(APP, environ("POST", "/form", body=b"a=1", headers=headers))
    serve(APP, environ("POST", "/json", body=b"{}", headers=headers))
