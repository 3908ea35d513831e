"""The deployment: two gunicorn instances behind a real nginx.

Everything runs on loopback with free ports and lives in the test's tmp
folder: nginx gets its own prefix, config, pid file, temp folders and logs
(``daemon off``), built from the shipped ``deploy/nginx.conf`` with only the
listen port, upstream servers and static path changed.  Sessions are in
Redis and data in PostgreSQL (a schema of the test's own), so a login made
through one instance is seen by the other, and stopping an instance loses
neither.  Needs nginx, gunicorn, PostgreSQL and Redis: skipped without them,
failed under ``CI``.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
import typing as t
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from pb_helpers import APP_DIR
from pb_helpers import EXAMPLES
from pb_helpers import PG_URL
from pb_helpers import REDIS_URL
from pb_helpers import free_port
from pb_helpers import missing
from pb_helpers import require_program
from pb_helpers import require_service

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

DEADLINE = 60.0  # seconds for a process to come up (a loaded machine is slow)


class Browser:
    """Just enough of a browser: a cookie jar, no redirects followed."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            sent = dict(headers or {})
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    val = rest.split(";", 1)[0]
                    if "Max-Age=0" in value or "expires=Thu, 01 Jan 1970" in value:
                        self.cookies.pop(key, None)
                    else:
                        self.cookies[key] = val
            return (
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                text,
            )
        finally:
            conn.close()

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        return self.request("GET", path)

    def form(
        self, path: str, page: str, **fields: str
    ) -> tuple[int, dict[str, str], str]:
        _, _, html = self.get(page)
        token = re.search(r'name="csrf_token"[^>]*? value="([^"]+)"', html)
        assert token, f"no CSRF token on {page}"
        from urllib.parse import urlencode

        body = urlencode({"csrf_token": token.group(1), **fields}).encode()
        return self.request(
            "POST",
            path,
            body,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )


def _wait_until_serving(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Poll until ``/`` answers: gunicorn listens before its worker is ready."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"exited with {proc.returncode}:\n{log.read_text()}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.1)
    raise AssertionError(f"no answer on {port} after {DEADLINE}s:\n{log.read_text()}")


def _spawn(args: list[str], log: Path, **kwargs: t.Any) -> subprocess.Popen[bytes]:
    """Start a process with its output in ``log`` (the child keeps the file)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            **kwargs,
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _nginx_conf(tmp: Path, port: int, upstreams: list[int]) -> Path:
    """The shipped site, moved to this test's ports and folders."""
    site = (APP_DIR / "deploy" / "nginx.conf").read_text()
    servers = "".join(
        f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;\n" for p in upstreams
    )
    site, n1 = re.subn(r"    server app:8000[^\n]*\n", servers, site)
    site, n2 = re.subn(r"listen 80;", f"listen 127.0.0.1:{port};", site)
    site, n3 = re.subn(
        r"alias /srv/peoplebook/static/;", f"alias {APP_DIR / 'static'}/;", site
    )
    assert (n1, n2, n3) == (1, 1, 1), "deploy/nginx.conf changed shape"
    # Which instance answered, for the test only.
    site = site.replace(
        "proxy_pass http://peoplebook;",
        "proxy_pass http://peoplebook;\n"
        "        add_header X-Upstream $upstream_addr always;",
    )
    user = "user root root;\n" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {tmp}/nginx.pid;\n"
        f"error_log {tmp}/error.log warn;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        "  types { text/css css; text/html html; image/png png; }\n"
        "  default_type application/octet-stream;\n"
        f"  access_log {tmp}/access.log;\n"
        f"  client_body_temp_path {tmp}/body;\n"
        f"  proxy_temp_path {tmp}/proxy;\n"
        f"  fastcgi_temp_path {tmp}/fastcgi;\n"
        f"  uwsgi_temp_path {tmp}/uwsgi;\n"
        f"  scgi_temp_path {tmp}/scgi;\n"
        f"{site}\n"
        "}\n"
    )
    return conf


@pytest.fixture
def pg_schema() -> t.Iterator[str]:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    base = sa.make_url(PG_URL)
    admin = sa.create_engine(
        base,
        isolation_level="AUTOCOMMIT",
        poolclass=sa.pool.NullPool,
        connect_args={"connect_timeout": 3},
    )
    name = f"pb_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {name}")
    try:
        url = base.update_query_dict({"options": f"-csearch_path={name}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        admin.dispose()


@pytest.fixture
def redis_prefix() -> t.Iterator[str]:
    require_service("Redis", "127.0.0.1", 6379)
    import redis

    prefix = f"pbtest:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=3)
    try:
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def test_two_instances_behind_nginx_share_sessions_and_data(
    tmp_path: Path, pg_schema: str, redis_prefix: str
) -> None:
    nginx = require_program("nginx", "/usr/sbin/nginx")
    try:
        import gunicorn
    except ImportError:
        missing("gunicorn is not installed (pip install -e '.[serve]')")
    env = {
        **os.environ,
        "SECRET_KEY": "shared by every instance",
        "DATABASE_URL": pg_schema,
        "SESSION_REDIS_URL": REDIS_URL,
        "PEOPLEBOOK_SESSION_REDIS_PREFIX": redis_prefix,
        "ERLEN_TRUSTED_PROXIES": "127.0.0.1",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_ACCESS_LOG": "",
        "PYTHONPATH": str(EXAMPLES),
    }
    # The schema comes from the committed migrations, through the CLI.
    migrated = subprocess.run(
        [sys.executable, "-m", "erlen", "--app", "peoplebook", "db", "upgrade"],
        cwd=EXAMPLES,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert migrated.returncode == 0, migrated.stderr.decode()

    app_ports = [free_port(), free_port()]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for i, port in enumerate(app_ports):
            gunicorn = [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(APP_DIR / "deploy" / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{port}",
            ]
            log = tmp_path / f"gunicorn{i}.log"
            procs.append(_spawn(gunicorn, log, cwd=EXAMPLES, env=env))
        port = free_port()
        conf = _nginx_conf(tmp_path, port, app_ports)
        nginx_log = tmp_path / "nginx.out"
        error_log = str(tmp_path / "error.log")
        command = [nginx, "-p", str(tmp_path), "-c", str(conf), "-e", error_log]
        procs.append(_spawn(command, nginx_log))
        for i, p in enumerate(app_ports):
            _wait_until_serving(p, procs[i], tmp_path / f"gunicorn{i}.log")
        _wait_until_serving(port, procs[2], nginx_log)
        _scenario(Browser(port), port, procs, app_ports)
    finally:
        for proc in reversed(procs):
            _stop(proc)


def _scenario(
    browser: Browser,
    port: int,
    procs: list[subprocess.Popen[bytes]],
    app_ports: list[int],
) -> None:
    status, _, _ = browser.form(
        "/register",
        "/register",
        name="Ada Lovelace",
        email="ada@example.com",
        password="analytical engine",
        confirm="analytical engine",
    )
    assert status == 302
    status, headers, _ = browser.form(
        "/login", "/login", email="ada@example.com", password="analytical engine"
    )
    assert status == 302, headers
    assert headers["location"] == "/dashboard"
    logged_in_by = headers["x-upstream"]
    assert "peoplebook_session" in browser.cookies

    # Round robin: the dashboard comes from both instances, logged in each time.
    seen = set()
    for _ in range(4):
        status, headers, html = browser.get("/dashboard")
        assert status == 200
        assert "Welcome Ada Lovelace!" in html
        seen.add(headers["x-upstream"])
    assert seen == {f"127.0.0.1:{p}" for p in app_ports}
    assert logged_in_by in seen

    status, _, _ = browser.form(
        "/people", "/people", name="Grace Hopper", email="grace@example.com"
    )
    assert status == 302

    # Behind nginx the app builds links for the address the client used, and
    # a client cannot inject its own X-Forwarded-Host: nginx replaces it.
    _, _, session = browser.get("/api/session")
    token = json.loads(session)["csrf_token"]
    status, headers, body = browser.request(
        "POST",
        "/api/people",
        json.dumps({"name": "Alan Turing", "email": "alan@example.com"}).encode(),
        {
            "Content-Type": "application/json",
            "X-CSRFToken": token,
            "X-Forwarded-Host": "evil.example",
        },
    )
    assert status == 201, body
    assert headers["location"].startswith(f"http://127.0.0.1:{port}/api/people/")

    # Static files come from nginx itself: no upstream was asked.
    status, headers, css = browser.get("/static/style.css")
    assert status == 200 and "theme-dark" in css
    assert "x-upstream" not in headers
    assert headers["content-type"].startswith("text/css")

    # One instance goes away: nothing is lost.
    _stop(procs[0])
    for _ in range(4):
        status, headers, html = browser.get("/people")
        assert status == 200
        assert headers["x-upstream"].endswith(f":{app_ports[1]}")
        assert "Grace Hopper" in html and "Alan Turing" in html
    status, _, _ = browser.form(
        "/people", "/people", name="Ada Byron", email="byron@example.com"
    )
    assert status == 302
    status, _, body = browser.get("/api/people")
    assert status == 200 and json.loads(body)["total"] == 3
