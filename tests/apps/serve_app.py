"""The app tests/test_serve.py runs under ``erlen serve`` on each server.

``SERVE_TEST_DIR`` is a folder the test reads: views drop marker files there
so the test can see what happened inside the worker process.
"""

from __future__ import annotations

import os
import time
import typing as t
from pathlib import Path

from erlen import Erlen
from erlen import Response
from erlen import request
from erlen import send_file

DIR = Path(os.environ.get("SERVE_TEST_DIR", "."))
BIG_FILE = DIR / "big.bin"

app = Erlen(__name__)
app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024


def _touch(name: str) -> None:
    (DIR / name).write_text(str(os.getpid()))


@app.route("/plaintext")
def plaintext() -> t.Any:
    return "Hello, World!", {"Content-Type": "text/plain; charset=utf-8"}


@app.route("/json")
def json_() -> t.Any:
    return {"message": "Hello, World!"}


@app.route("/stream")
def stream() -> Response:
    def chunks() -> t.Iterator[str]:
        for i in range(5):
            yield f"chunk {i}\n"

    return Response(chunks(), mimetype="text/plain")


@app.route("/endless")
def endless() -> Response:
    """Streams until the client goes away (bounded, so a bug cannot hang)."""
    token = request.args["token"]

    def chunks() -> t.Iterator[bytes]:
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                yield b"x" * 16384
                time.sleep(0.01)
        finally:
            _touch(f"closed-{token}")

    return Response(chunks(), mimetype="application/octet-stream")


@app.post("/upload")
def upload() -> str:
    data = request.get_data()
    return f"{len(data)} {request.headers.get('Transfer-Encoding', '-')}"


@app.route("/slow")
def slow() -> str:
    _touch(f"started-{request.args['token']}")
    time.sleep(float(request.args.get("s", "1")))
    return "finished"


@app.route("/file")
def file() -> Response:
    return send_file(BIG_FILE, mimetype="application/octet-stream")


@app.route("/environ")
def environ() -> dict[str, t.Any]:
    return {
        "file_wrapper": "wsgi.file_wrapper" in request.environ,
        "input_terminated": bool(request.environ.get("wsgi.input_terminated")),
        "trusted": os.environ.get("ERLEN_TRUSTED_PROXIES"),
        "scheme": request.scheme,
        "remote_addr": request.remote_addr,
    }


@app.route("/pid")
def pid() -> str:
    return str(os.getpid())
