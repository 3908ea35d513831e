"""Property: any query string or body gets a well-formed 2xx-4xx answer.

Query strings, urlencoded and multipart bodies (boundaries, part headers,
encodings, truncation, lying Content-Length) and JSON bodies, built from
arbitrary bytes around a valid skeleton (see ``fuzz_harness``).
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from fuzz_harness import check
from fuzz_harness import environ
from fuzz_harness import latin1
from fuzz_harness import make_app

APP = make_app()
SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)
_QS_PIECES = st.sampled_from(
    [
        "&",
        "=",
        ";",
        "%",
        "%2",
        "%zz",
        "%00",
        "%ff",
        "%e2%82%ac",
        "+",
        "n",
        "1",
        "-5",
        "99999999999999999999",
        "page",
        "per_page",
        "cursor",
        "\xff",
        " ",
        "[]",
    ]
)
QUERY = st.one_of(
    st.lists(_QS_PIECES, max_size=12).map("".join),
    st.binary(max_size=200).map(latin1),
)


def serve(env: dict[str, object]) -> None:
    check(APP, env)
    assert check(APP, environ(path="/")).body == b"ok"


@SETTINGS
@given(path=st.sampled_from(["/args", "/page", "/cursor"]), query=QUERY)
def test_query_strings(path: str, query: str) -> None:
    serve(environ(path=path, query=query))


CONTENT_LENGTHS = st.one_of(
    st.none(),
    st.sampled_from(["", "0", "-1", "abc", "1e3", " 5", "99999999999999999999", "3"]),
)


@SETTINGS
@given(
    body=st.one_of(
        st.lists(_QS_PIECES, max_size=30).map(lambda p: "".join(p).encode("latin-1")),
        st.binary(max_size=400),
    ),
    charset=st.sampled_from(
        [
            "",
            "; charset=utf-8",
            "; charset=latin-1",
            "; charset=bogus",
            "; charset=utf-16",
            ";;=",
        ]
    ),
    length=CONTENT_LENGTHS,
    path=st.sampled_from(["/form", "/data"]),
)
def test_urlencoded_bodies(
    body: bytes, charset: str, length: str | None, path: str
) -> None:
    ctype = "application/x-www-form-urlencoded" + charset
    serve(
        environ(
            "POST",
            path,
            body=body,
            content_length=length,
            headers={"Content-Type": ctype},
        )
    )


_HEADER_TEXT = st.one_of(
    st.sampled_from(
        [
            'form-data; name="a"',
            'form-data; name="f"; filename="a.txt"',
            "form-data; name=a; filename=b",
            'form-data; name="a"; filename="',
            "form-data; name*=UTF-8''%e2%82%ac",
            "form-data; filename*=utf-8''%ff",
            "form-data; name*=bogus''x",
            "form-data",
            'attachment; name="x"',
            'form-data; name="\\"quoted\\""',
            'form-data; name="a"; name="b"',
            'form-data; name="a"; filename="../../etc/passwd"',
            'form-data; name="a"; filename="C:\\\\x\\\\y.txt"',
            "",
            ";;;",
        ]
    ),
    st.binary(max_size=60).map(latin1),
)
_BOUNDARY = st.one_of(
    st.sampled_from(
        ["b", "boundary", "---x", "a" * 70, "a" * 71, "a b", "é", "", '"q"', "x\x00y"]
    ),
    st.from_regex(r"\A[0-9A-Za-z'()+_,\-./:=? ]{1,80}\Z"),
)


@st.composite
def multipart_bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    boundary = draw(_BOUNDARY)
    announced = draw(st.one_of(st.just(boundary), _BOUNDARY))
    quote = draw(st.booleans())
    param = f'"{announced}"' if quote else announced
    ctype = draw(
        st.sampled_from(
            [
                f"multipart/form-data; boundary={param}",
                f"multipart/form-data; charset=latin-1; boundary={param}",
                f"multipart/mixed; boundary={param}",
                "multipart/form-data",
                f"multipart/form-data; boundary={param}; boundary=zz",
            ]
        )
    )
    b = boundary.encode("latin-1", "replace")
    chunks = []
    for _ in range(draw(st.integers(0, 4))):
        headers = [
            f"Content-Disposition: {draw(_HEADER_TEXT)}".encode("latin-1"),
        ]
        if draw(st.booleans()):
            headers.append(
                b"Content-Type: "
                + draw(
                    st.sampled_from(
                        [
                            b"text/plain",
                            b"text/plain; charset=utf-16",
                            b"application/octet-stream",
                            b"",
                            b"\xff",
                        ]
                    )
                )
            )
        if draw(st.booleans()):
            headers.append(draw(st.binary(max_size=40)))
        sep = draw(st.sampled_from([b"\r\n", b"\n"]))
        payload = draw(st.binary(max_size=200))
        chunks.append(
            b"--" + b + sep + sep.join(headers) + sep + sep + payload + b"\r\n"
        )
    body = b"".join(chunks) + draw(st.sampled_from([b"--" + b + b"--\r\n", b"", b"--"]))
    if draw(st.booleans()) and body:
        body = body[: draw(st.integers(0, len(body)))]
    return ctype, body


@SETTINGS
@given(case=multipart_bodies(), length=CONTENT_LENGTHS)
def test_multipart_bodies(case: tuple[str, bytes], length: str | None) -> None:
    ctype, body = case
    serve(
        environ(
            "POST",
            "/form",
            body=body,
            content_length=length,
            headers={"Content-Type": ctype},
        )
    )


@SETTINGS
@given(body=st.binary(max_size=300), ctype=st.binary(max_size=80).map(latin1))
def test_multipart_raw(body: bytes, ctype: str) -> None:
    serve(
        environ(
            "POST",
            "/form",
            body=body,
            headers={"Content-Type": "multipart/form-data; boundary=" + ctype},
        )
    )


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
JSON_BODIES = st.one_of(
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    JSON_VALUES.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-16")),
    st.integers(1, 5000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(1, 5000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.integers(4000, 6000).map(lambda n: b"1" * n),
    st.sampled_from(
        [
            b"NaN",
            b"-Infinity",
            b'"\\ud800"',
            b"\xef\xbb\xbf{}",
            b"1e999999",
            b'{"a":1,"a":2}',
            b"",
            b"\xff",
            b"[1,]",
        ]
    ),
    st.binary(max_size=200),
)


@SETTINGS
@given(
    body=JSON_BODIES,
    cut=st.one_of(st.none(), st.integers(0, 100)),
    ctype=st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/json; charset=latin-1",
            "application/problem+json",
            "text/plain",
            "",
            "application/json; charset=utf-16",
        ]
    ),
    path=st.sampled_from(["/json", "/json-silent"]),
)
def test_json_bodies(body: bytes, cut: int | None, ctype: str, path: str) -> None:
    if cut is not None:
        body = body[:cut]
    serve(environ("POST", path, body=body, headers={"Content-Type": ctype}))


# Inputs the atheris targets flagged (see RELIABILITY.md), replayed every run.
FUZZ_FINDINGS = {
    # `urlencoded`: a libFuzzer timeout on a starved CPU; 0.1 s when replayed.
    "urlencoded-timeout-b5d4e392": (
        "AGE9MSY9MQAUMiYxJj0xJmI9MiZiPTE9MiYyJjEmMv////8xJkAUMiYxJj0xJmI9ADImMiYxJjIm"
        "MSY9MQAUJv///////zEmQBQyJjEmPTEmYj0yJjImMSYlMiYxJj0xJmI9MT0yJjImMSYy/////zEm"
        "QBQyJjEmPTEmYj0AMukyJgAUMiYxJj0xJiYyJjE="
    ),
}


def test_fuzz_findings() -> None:
    import base64

    from fuzz_targets import TARGETS

    for name, data in FUZZ_FINDINGS.items():
        TARGETS[name.split("-")[0]](base64.b64decode(data))
