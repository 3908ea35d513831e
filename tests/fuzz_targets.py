"""atheris targets for ``scripts/fuzz``: one per parser that reads client bytes.

``python tests/fuzz_targets.py TARGET --seconds N [libFuzzer args]``.  Each
target cuts the fuzzer's bytes into the fields of one request (split on NUL,
so seeds and findings stay readable), runs it through the WSGI app from
``fuzz_harness`` and fails on anything that breaks the property there.  The
corpus lives in ``.fuzz/TARGET/corpus``; findings (the input bytes) land in
``.fuzz/TARGET/`` as ``crash-*``/``timeout-*`` files.  ``list`` prints the
targets; ``all`` runs each in turn and ``report`` writes the results of the
last runs (``.fuzz/log-TARGET.txt``) into RELIABILITY.md.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import typing as t

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

try:
    import atheris
except ImportError:  # listing targets does not need it
    atheris = None

import fuzz_harness as h  # noqa: E402

APP = h.make_app()
SERVER_APP = h.make_app(server_sessions=True)
HOST_APP = h.make_host_app()
_L = h.latin1


def _fields(data: bytes, n: int) -> list[bytes]:
    """``n`` NUL-separated fields (missing ones empty, the last takes the rest)."""
    parts = data.split(b"\0", n - 1)
    return parts + [b""] * (n - len(parts))


def _pick(data: bytes, options: t.Sequence[t.Any]) -> t.Any:
    return options[data[0] % len(options)] if data else options[0]


def _serve(app: t.Any, env: dict[str, t.Any]) -> None:
    h.check(app, env)


METHODS = ["GET", "POST", "HEAD", "PUT", "OPTIONS", "DELETE"]
PREFIXES = ["/", "/r/", "/r/p/", "/r/u/", "/r/1/", "/static/", "/args/", "//"]


def fuzz_path(data: bytes) -> None:
    flags, script, path = _fields(data, 3)
    method = _pick(flags, METHODS)
    prefix = _pick(flags[1:], PREFIXES)
    _serve(APP, h.environ(method, prefix + _L(path), SCRIPT_NAME=_L(script)))


def fuzz_host(data: bytes) -> None:
    host, forwarded, port = _fields(data, 3)
    headers = {"Host": _L(host)}
    if forwarded:
        headers["X-Forwarded-Host"] = _L(forwarded)
    env = dict(headers=headers, SERVER_PORT=_L(port) or "80")
    _serve(HOST_APP, h.environ("GET", "/", **env))  # type: ignore[arg-type]
    _serve(APP, h.environ("GET", "/headers", **env))  # type: ignore[arg-type]


def fuzz_query(data: bytes) -> None:
    flags, query = _fields(data, 2)
    path = _pick(flags, ["/args", "/page", "/cursor"])
    _serve(APP, h.environ("GET", path, query=_L(query)))


CHARSETS = [
    "",
    "; charset=utf-8",
    "; charset=latin-1",
    "; charset=bogus",
    "; charset=utf-16",
]
LENGTHS = [None, "", "0", "-1", "abc", "3", "99999999999999999999"]


def fuzz_urlencoded(data: bytes) -> None:
    flags, body = _fields(data, 2)
    ctype = "application/x-www-form-urlencoded" + _pick(flags, CHARSETS)
    path = _pick(flags[1:], ["/form", "/data"])
    length = _pick(flags[2:], LENGTHS)
    env = h.environ(
        "POST", path, body=body, content_length=length, headers={"Content-Type": ctype}
    )
    _serve(APP, env)


def fuzz_multipart(data: bytes) -> None:
    flags, ctype_tail, body = _fields(data, 3)
    base = _pick(flags, ["multipart/form-data", "multipart/mixed"])
    length = _pick(flags[1:], LENGTHS)
    env = h.environ(
        "POST",
        "/form",
        body=body,
        content_length=length,
        headers={"Content-Type": f"{base}; boundary={_L(ctype_tail)}"},
    )
    _serve(APP, env)


def fuzz_json(data: bytes) -> None:
    flags, body = _fields(data, 2)
    ctype = _pick(
        flags,
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/problem+json",
            "text/plain",
            "application/json; charset=utf-16",
        ],
    )
    path = _pick(flags[1:], ["/json", "/json-silent"])
    _serve(APP, h.environ("POST", path, body=body, headers={"Content-Type": ctype}))


def fuzz_cookies(data: bytes) -> None:
    flags, cookie = _fields(data, 2)
    method = _pick(flags, ["GET", "POST"])
    for app in (APP, SERVER_APP):
        for path in ("/cookies", "/session"):
            _serve(app, h.environ(method, path, headers={"Cookie": _L(cookie)}))


def fuzz_session(data: bytes) -> None:
    """Validly signed session cookies whose payload is the fuzzer's bytes."""
    import hashlib as _hashlib

    from itsdangerous import Signer
    from itsdangerous import URLSafeTimedSerializer

    class Raw:
        @staticmethod
        def dumps(value: t.Any) -> t.Any:
            return value

        @staticmethod
        def loads(value: t.Any) -> t.Any:
            return value

    flags, payload = _fields(data, 2)
    method = _pick(flags, ["GET", "POST"])
    serializer = URLSafeTimedSerializer(
        "fuzz secret",
        salt="cookie-session",
        serializer=Raw,
        signer_kwargs={"key_derivation": "hmac", "digest_method": _hashlib.sha1},
    )
    value = serializer.dumps(payload)
    cookie = value.decode("latin-1") if isinstance(value, bytes) else value
    _serve(APP, h.environ(method, "/session", headers={"Cookie": f"session={cookie}"}))
    sid = Signer("fuzz secret", salt="erlen.server-session").sign(payload)
    _serve(
        SERVER_APP,
        h.environ(method, "/session", headers={"Cookie": f"session={_L(sid)}"}),
    )


def fuzz_conditional(data: bytes) -> None:
    flags, *values = _fields(data, 7)
    path = _pick(flags, ["/file", "/etag", "/static-file", "/static/style.css"])
    method = _pick(flags[1:], ["GET", "HEAD"])
    names = [
        "Range",
        "If-Range",
        "If-None-Match",
        "If-Match",
        "If-Modified-Since",
        "If-Unmodified-Since",
    ]
    headers = {k: _L(v) for k, v in zip(names, values, strict=True) if v}
    _serve(APP, h.environ(method, path, headers=headers))


def fuzz_headers(data: bytes) -> None:
    values = _fields(data, 8)
    names = [
        "Accept",
        "Accept-Language",
        "Accept-Charset",
        "Accept-Encoding",
        "Content-Type",
        "Authorization",
        "X-Forwarded-For",
        "User-Agent",
    ]
    headers = {k: _L(v) for k, v in zip(names, values, strict=True)}
    _serve(APP, h.environ("GET", "/headers", headers=headers))
    _serve(APP, h.environ("POST", "/form", body=b"a=1", headers=headers))


TARGETS: dict[str, t.Callable[[bytes], None]] = {
    name[len("fuzz_") :]: func
    for name, func in list(globals().items())
    if name.startswith("fuzz_") and callable(func)
}
_MP = (
    b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b\r\n'
    b'Content-Disposition: form-data; name="f"; filename="x.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\nhello\r\n--b--\r\n"
)
SEEDS: dict[str, list[bytes]] = {
    "path": [
        b"\0\0r/p/a/../%2e%2e/b",
        b"\x01\x01\0\0%e2%82%ac/x",
        b"\0\x05\0\0style.css",
    ],
    "host": [b"a.example.test\0\00080", b"[::1]:8080\0evil.test\0443"],
    "query": [b"\0a=1&b=%zz&n=5", b"\x01\0page=2&per_page=101", b"\x02\0cursor=abc"],
    "urlencoded": [b"\0a=1&b=2&a=%e2%82%ac", b"\x01\x01\x05\0x=" + b"y" * 100],
    "multipart": [b"\0b\0" + _MP, b'\x01\x01"b"\0' + _MP[:60]],
    "json": [b'\0{"a": [1, 2.5, null, "x"]}', b"\x04\0[[[[[[[]]]]]]]"],
    "cookies": [b'\0session=abc; a="b\\"c"; c=%ff', b"\x01\0a=b; a=c;;"],
    "session": [b'\0{"n": 1}', b'\x01\0{" t": ["a", 1]}', b"\0" + b"a" * 43],
    "conditional": [
        b'\0bytes=0-10\0\0"fuzz-etag"\0\0\0',
        b'\x01\x01bytes=-5\0"fuzz-etag"\0W/"x", *\0*\0Tue, 14 Nov 2023 22:13:20 GMT\0',
    ],
    "headers": [
        b"text/html;q=0.9, */*;q=0.1\0de, en;q=0.5\0utf-8\0gzip\0"
        b"application/json; charset=utf-8\0Basic dXNlcjpwYXNz\01.2.3.4\0UA"
    ],
}
DICTS = {
    "multipart": [
        '"--"',
        '"\\x0d\\x0a"',
        '"Content-Disposition: "',
        '"form-data"',
        '"; name="',
        '"; filename="',
        "\"filename*=UTF-8''\"",
        '"Content-Type: "',
        '"boundary="',
        '"charset="',
    ],
    "json": [
        '"{"',
        '"}"',
        '"["',
        '"]"',
        '"\\""',
        '"\\\\u"',
        '"true"',
        '"null"',
        '"1e999"',
        '"NaN"',
    ],
    "conditional": [
        '"bytes="',
        '"-"',
        '","',
        '"W/"',
        '"*"',
        '"\\"fuzz-etag\\""',
        '" GMT"',
    ],
}


def _prepare(name: str) -> tuple[str, str]:
    base = os.path.join(ROOT, ".fuzz", name)
    corpus = os.path.join(base, "corpus")
    os.makedirs(corpus, exist_ok=True)
    for seed in SEEDS.get(name, []):
        path = os.path.join(corpus, "seed-" + hashlib.sha1(seed).hexdigest()[:12])
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(seed)
    return base, corpus


def _run_one(name: str, seconds: int, extra: list[str]) -> None:
    base, corpus = _prepare(name)
    target = TARGETS[name]

    def test_one_input(data: bytes) -> None:
        target(data)

    args = [
        sys.argv[0],
        f"-max_total_time={seconds}",
        "-timeout=30",
        "-rss_limit_mb=2048",
        "-max_len=8192",
        f"-artifact_prefix={base}{os.sep}",
        "-print_final_stats=1",
    ]
    if name in DICTS:
        path = os.path.join(base, "dict")
        with open(path, "w") as f:
            f.write("\n".join(DICTS[name]) + "\n")
        args.append(f"-dict={path}")
    args += extra
    # Load every lazily imported module first, then instrument all of them
    # (erlen, multipart, itsdangerous, the stdlib parsers they call).
    for seed in SEEDS.get(name, []):
        try:
            target(seed)
        except Exception:
            pass
    atheris.instrument_all()
    if not any(not a.startswith("-") for a in extra):
        args.append(corpus)
    atheris.Setup(args, test_one_input)
    atheris.Fuzz()


def _log_path(name: str) -> str:
    return os.path.join(ROOT, ".fuzz", f"log-{name}.txt")


def _summary(name: str) -> str:
    """One table row from a target's last log (``.fuzz/log-TARGET.txt``)."""
    try:
        with open(_log_path(name), errors="replace") as f:
            log = f.read()
    except FileNotFoundError:
        return f"| `{name}` | not run | | | |"
    done = re.search(r"Done (\d+) runs in (\d+) second", log)
    cov = re.findall(r"\bcov: (\d+) ft: (\d+) corp: (\d+)/", log)
    found = re.findall(r"Test unit written to (\S+)", log)
    runs, secs = done.groups() if done else ("?", "?")
    edges = f"{cov[-1][0]} / {cov[-1][2]}" if cov else "?"
    outcome = (
        "findings: " + ", ".join(os.path.basename(p) for p in found)
        if found
        else "none"
    )
    return f"| `{name}` | {secs} | {runs} | {edges} | {outcome} |"


def write_report(path: str = os.path.join(ROOT, "RELIABILITY.md")) -> None:
    """Put the latest run of every target between the markers of ``path``."""
    import platform

    python = platform.python_version()
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {python}"
    try:
        with open("/proc/cpuinfo") as f:
            model = re.search(r"model name\s*:\s*(.*)", f.read())
        if model:
            machine = f"{model.group(1).strip()}, {machine}"
    except OSError:
        pass
    lines = [
        f"Command: `scripts/fuzz TARGET --seconds N` per target; machine: {machine};"
        f" atheris with every loaded module instrumented.",
        "",
        "| target | seconds | runs | coverage edges / corpus | findings |",
        "| --- | --- | --- | --- | --- |",
        *(_summary(name) for name in TARGETS),
    ]
    with open(path) as f:
        text = f.read()
    start, end = "<!-- fuzz-results:start -->", "<!-- fuzz-results:end -->"
    before, _, rest = text.partition(start)
    _, _, after = rest.partition(end)
    with open(path, "w") as f:
        f.write(before + start + "\n" + "\n".join(lines) + "\n" + end + after)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "list"):
        print("targets: " + " ".join(TARGETS))
        print(__doc__)
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    seconds = 60
    extra: list[str] = []
    while rest:
        arg = rest.pop(0)
        if arg == "--seconds":
            seconds = int(rest.pop(0))
        else:
            extra.append(arg)
    if name == "report":
        write_report()
        return 0
    if name == "all":
        failed = []
        for each in TARGETS:
            cmd = [sys.executable, __file__, each, "--seconds", str(seconds), *extra]
            os.makedirs(os.path.join(ROOT, ".fuzz"), exist_ok=True)
            with open(_log_path(each), "wb") as log:
                rc = subprocess.call(
                    cmd, stdout=log, stderr=subprocess.STDOUT, timeout=seconds * 3 + 300
                )
            if rc != 0:
                failed.append(each)
        print("failed targets: " + (" ".join(failed) or "none"))
        write_report()
        return 1 if failed else 0
    if name not in TARGETS:
        print(f"unknown target {name!r}; targets: {' '.join(TARGETS)}", file=sys.stderr)
        return 2
    if atheris is None:
        print("atheris is not installed: run scripts/fuzz", file=sys.stderr)
        return 2
    _run_one(name, seconds, extra)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
