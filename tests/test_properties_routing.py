"""Property: any path or Host header gets a well-formed 2xx-4xx answer.

Paths are WSGI strings of arbitrary bytes: every kind of percent-encoding,
dot segments, overlong segments, invalid UTF-8 (see ``fuzz_harness``).
"""

from __future__ import annotations

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from fuzz_harness import check
from fuzz_harness import environ
from fuzz_harness import latin1
from fuzz_harness import make_app
from fuzz_harness import make_host_app

APP = make_app()
HOST_APP = make_host_app()
SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
METHODS = st.sampled_from(["GET", "HEAD", "POST", "PUT", "OPTIONS", "DELETE", "BREW"])
PREFIXES = st.sampled_from(
    ["", "r/", "r/p/", "r/u/", "r/1/", "r/slash", "static/", "args/", "//", "/./"]
)
_PIECES = st.sampled_from(
    [
        ".",
        "..",
        "%2e",
        "%2E%2e",
        "%2f",
        "%2F",
        "%5c",
        "\\",
        "%00",
        "%",
        "%G0",
        "%e2%82%ac",
        "%c3%28",
        "%ff",
        "%C0%AF",
        "\xc3\xa9",
        "\xff",
        ";",
        "?",
        "#",
        "~",
        " ",
        "%20",
        "+",
        "1",
        "-1",
        "1.5",
        "1e5",
        "nan",
        "inf",
        "0x1",
        "12345678-1234-5678-1234-567812345678",
        "style.css",
        "",
    ]
)
SEGMENTS = st.one_of(
    _PIECES,
    st.lists(_PIECES, max_size=4).map("".join),
    st.text(max_size=20).map(lambda s: latin1(s.encode("utf-8", "surrogatepass"))),
    st.binary(max_size=20).map(latin1),
    st.integers(min_value=200, max_value=20_000).map(lambda n: "a" * n),
)


def serve(app: object, env: dict[str, object]) -> None:
    check(app, env)  # type: ignore[arg-type]
    # ...and the app keeps serving.
    assert check(APP, environ(path="/")).body == b"ok"


@SETTINGS
@given(method=METHODS, prefix=PREFIXES, segments=st.lists(SEGMENTS, max_size=6))
def test_paths_built_from_segments(
    method: str, prefix: str, segments: list[str]
) -> None:
    path = "/" + prefix + "/".join(segments)
    serve(APP, environ(method=method, path=path))


@SETTINGS
@given(path=st.binary(max_size=300).map(latin1), query=st.binary(max_size=50))
def test_raw_byte_paths(path: str, query: bytes) -> None:
    serve(APP, environ(path=path, query=latin1(query)))


@SETTINGS
@given(script=st.binary(max_size=30).map(latin1), path=st.text(max_size=30))
def test_script_name_and_unicode_paths(script: str, path: str) -> None:
    raw = latin1(path.encode("utf-8", "surrogatepass"))
    serve(APP, environ(path=raw, SCRIPT_NAME=script))


HOSTS = st.one_of(
    st.sampled_from(
        [
            "example.test",
            "EXAMPLE.test:80",
            "a.example.test",
            "a.b.example.test",
            "evil.test",
            "example.test:99999",
            "[::1]",
            "[::1]:8080",
            "[",
            "]:",
            ":",
            "",
            " ",
            "example.test.",
            ".example.test",
            "xn--e1a.example.test",
            "\xff.example.test",
            "a..example.test",
            "localhost:abc",
        ]
    ),
    st.binary(max_size=40).map(latin1),
    st.from_regex(r"\A[a-z0-9.\-\[\]:]{0,40}\Z"),
)


@SETTINGS
@given(
    host=HOSTS,
    forwarded=st.one_of(st.none(), HOSTS),
    path=st.sampled_from(["/", "/x", "//"]),
    server_port=st.sampled_from(["80", "443", "", "x"]),
)
def test_host_headers(
    host: str, forwarded: str | None, path: str, server_port: str
) -> None:
    headers = {"Host": host}
    if forwarded is not None:
        headers["X-Forwarded-Host"] = forwarded
    serve(HOST_APP, environ(path=path, headers=headers, SERVER_PORT=server_port))
    serve(APP, environ(path="/headers", headers=headers, SERVER_PORT=server_port))


def test_host_header_missing() -> None:
    env = environ(path="/headers")
    del env["HTTP_HOST"]
    serve(APP, env)
    env = environ(path="/")
    del env["HTTP_HOST"]
    serve(HOST_APP, env)
