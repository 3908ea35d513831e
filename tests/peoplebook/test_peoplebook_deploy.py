"""The deployment: two ``erlen serve`` instances behind a real nginx.

Each instance is started by the shipped ``deploy/serve.sh``, the script the
Dockerfile's CMD runs, so the test starts the app exactly as the image does
(on loopback instead of 0.0.0.0: the script's default outside the image).
One instance runs granian (the default) and the other gunicorn
(``WEB_SERVER=gunicorn``, the script's one switch), so nginx balances across
both supported servers and each is checked behind a real proxy.

Everything runs on loopback with free ports and lives in the test's tmp
folder: nginx gets its own prefix, config, pid file, temp folders and logs
(``daemon off``), built from the shipped ``deploy/nginx.conf`` with only the
listen port, upstream servers and static path changed.  Sessions are in
Redis and data in PostgreSQL (a schema of the test's own), so a login made
through one instance is seen by the other, and stopping an instance loses
neither.  nginx reaches the instances from 127.0.0.1, the one trusted proxy;
the browser talks to nginx from 127.0.0.3 and a stranger talks to the
instances directly from 127.0.0.2.  Needs nginx, granian, gunicorn,
PostgreSQL and Redis: skipped without them, failed under ``CI``.
"""

from __future__ import annotations

import http.client
import importlib.util
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
from urllib.parse import urlencode

import pytest
from pb_helpers import APP_DIR
from pb_helpers import EXAMPLES
from pb_helpers import REDIS_URL
from pb_helpers import free_port
from pb_helpers import missing
from pb_helpers import require_program
from pb_helpers import require_service

from dbservers import temporary_database

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

DEADLINE = 60.0  # seconds for a process to come up (a loaded machine is slow)
SERVE_SH = APP_DIR / "deploy" / "serve.sh"
#: The server of each instance: serve.sh's WEB_SERVER.
SERVERS = ("granian", "gunicorn")
NGINX_PEER = "127.0.0.1"  # where nginx connects to the instances from
CLIENT = "127.0.0.3"  # the browser, as nginx sees it
STRANGER = "127.0.0.2"  # talks to an instance directly: not a trusted proxy


class Browser:
    """Just enough of a browser: a cookie jar, no redirects followed."""

    def __init__(self, port: int, source: str = CLIENT) -> None:
        self.port = port
        self.source = source
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=30, source_address=(self.source, 0)
        )
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
        body = urlencode({"csrf_token": token.group(1), **fields}).encode()
        return self.request(
            "POST",
            path,
            body,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )

    def create_person(
        self, token: str, name: str, email: str, **headers: str
    ) -> tuple[int, dict[str, str], str]:
        """POST /api/people; its Location is an external URL the app built."""
        return self.request(
            "POST",
            "/api/people",
            json.dumps({"name": name, "email": email}).encode(),
            {"Content-Type": "application/json", "X-CSRFToken": token, **headers},
        )


class Instance:
    """One app instance, started by the shipped serve.sh."""

    def __init__(self, server: str, tmp: Path, env: dict[str, str]) -> None:
        self.server = server
        self.port = free_port()
        self.log = tmp / f"{server}.log"
        env = {**env, "WEB_SERVER": server, "PORT": str(self.port)}
        # `sh serve.sh` as the Dockerfile's CMD; serve.sh execs erlen, so
        # this process is erlen serve itself and gets the SIGTERM.
        self.proc = _spawn(["sh", str(SERVE_SH)], self.log, cwd=EXAMPLES, env=env)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def access_line(self, marker: str) -> str:
        """The instance's access-log line for the request carrying ``marker``."""
        end = time.monotonic() + 10
        while True:
            for line in self.log.read_text(errors="replace").splitlines():
                if marker in line:
                    return line
            if time.monotonic() > end:
                raise AssertionError(f"no access-log line with {marker!r}")
            time.sleep(0.05)


def _wait_until_serving(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Poll until ``/`` answers: a server listens before its workers are ready."""
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


def _stop(proc: subprocess.Popen[bytes]) -> int:
    """SIGTERM, as ``docker stop`` sends; the exit status (killed: negative)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            # serve.sh gives in-flight requests 20 s (--graceful-timeout).
            return proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    return proc.returncode


def _nginx_conf(tmp: Path, port: int, upstreams: list[str]) -> Path:
    """The shipped site, moved to this test's ports and folders."""
    site = (APP_DIR / "deploy" / "nginx.conf").read_text()
    servers = "".join(
        f"    server {a} max_fails=1 fail_timeout=10s;\n" for a in upstreams
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
    with temporary_database("postgresql", prefix="pb") as url:
        yield url


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
    for server in SERVERS:
        if importlib.util.find_spec(server) is None:
            missing(f"{server} is not installed (pip install -e '.[serve]')")
    bin_dir = str(Path(sys.executable).parent)
    # What compose.yaml gives the app containers, pointed at this machine.
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("WEB_", "ERLEN_", "PEOPLEBOOK_"))
        },
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "SECRET_KEY": "shared by every instance",
        "DATABASE_URL": pg_schema,
        "SESSION_REDIS_URL": REDIS_URL,
        "PEOPLEBOOK_SESSION_REDIS_PREFIX": redis_prefix,
        "ERLEN_TRUSTED_PROXIES": NGINX_PEER,
        "WEB_CONCURRENCY": "1",  # two instances on a shared test machine
    }
    # The schema comes from the committed migrations, through the CLI, as
    # compose.yaml's "migrate" service runs it.
    migrated = subprocess.run(
        [sys.executable, "-m", "erlen", "--app", "peoplebook", "db", "upgrade"],
        cwd=EXAMPLES,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert migrated.returncode == 0, migrated.stderr.decode()

    instances: list[Instance] = []
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for server in SERVERS:
            instances.append(Instance(server, tmp_path, env))
            procs.append(instances[-1].proc)
        port = free_port()
        conf = _nginx_conf(tmp_path, port, [i.address for i in instances])
        nginx_log = tmp_path / "nginx.out"
        error_log = str(tmp_path / "error.log")
        command = [nginx, "-p", str(tmp_path), "-c", str(conf), "-e", error_log]
        procs.append(_spawn(command, nginx_log))
        for instance in instances:
            _wait_until_serving(instance.port, instance.proc, instance.log)
            banner = instance.log.read_text()
            assert f"with {instance.server} (" in banner, banner
        _wait_until_serving(port, procs[-1], nginx_log)
        _scenario(Browser(port), port, instances)
    finally:
        for proc in reversed(procs):
            _stop(proc)


def _scenario(browser: Browser, port: int, instances: list[Instance]) -> None:
    by_address = {i.address: i for i in instances}
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
    logged_in_by = by_address[headers["x-upstream"]]
    assert "peoplebook_session" in browser.cookies

    # Round robin: the dashboard comes from both instances, logged in each time.
    seen = set()
    for _ in range(4):
        status, headers, html = browser.get("/dashboard")
        assert status == 200
        assert "Welcome Ada Lovelace!" in html
        seen.add(headers["x-upstream"])
    assert seen == set(by_address)

    status, _, _ = browser.form(
        "/people", "/people", name="Grace Hopper", email="grace@example.com"
    )
    assert status == 302

    # Behind nginx both instances build links for the address the client
    # used, and a client cannot inject its own X-Forwarded-Host: nginx
    # replaces it.
    _, _, session = browser.get("/api/session")
    token = json.loads(session)["csrf_token"]
    seen = set()
    for name, email in (("Alan Turing", "alan@"), ("Joan Clarke", "joan@")):
        status, headers, body = browser.create_person(
            token, name, email + "example.com", **{"X-Forwarded-Host": "evil.example"}
        )
        assert status == 201, body
        assert headers["location"].startswith(f"http://127.0.0.1:{port}/api/people/")
        seen.add(headers["x-upstream"])
    assert seen == set(by_address)

    _check_forwarded_for(browser, instances)

    # Static files come from nginx itself: no upstream was asked.
    status, headers, css = browser.get("/static/style.css")
    assert status == 200 and "theme-dark" in css
    assert "x-upstream" not in headers
    assert headers["content-type"].startswith("text/css")

    # The instance that logged Ada in stops as `docker stop` stops it
    # (SIGTERM): it exits cleanly and nothing is lost.
    assert _stop(logged_in_by.proc) == 0, logged_in_by.log.read_text()
    survivor = next(i for i in instances if i is not logged_in_by)
    status, _, html = browser.get("/dashboard")
    assert status == 200 and "Welcome Ada Lovelace!" in html
    for _ in range(4):
        status, headers, html = browser.get("/people")
        assert status == 200
        # (nginx may try the stopped one first: "dead, survivor")
        assert headers["x-upstream"].endswith(survivor.address)
        assert "Grace Hopper" in html and "Alan Turing" in html
    status, _, _ = browser.form(
        "/people", "/people", name="Ada Byron", email="byron@example.com"
    )
    assert status == 302
    status, _, body = browser.get("/api/people")
    assert status == 200 and json.loads(body)["total"] == 6
    # The other server stops as cleanly, with nginx's idle connections open.
    assert _stop(survivor.proc) == 0, survivor.log.read_text()


def _check_forwarded_for(browser: Browser, instances: list[Instance]) -> None:
    """X-Forwarded-* count from nginx only; a direct stranger's are ignored.

    gunicorn's access log prints ``REMOTE_ADDR`` after the app rewrote it, so
    it shows the client address the app settled on (granian's log always
    prints the socket's peer, so there the forwarded host stands in).
    """
    gunicorn = next(i for i in instances if i.server == "gunicorn")
    # Through nginx: the address nginx saw, not what the client claimed
    # (nginx appends its peer; the app takes that last entry).
    for _ in range(len(instances)):
        marker = uuid.uuid4().hex
        status, headers, _ = browser.request(
            "GET", f"/healthz?m={marker}", headers={"X-Forwarded-For": "203.0.113.66"}
        )
        assert status == 200
        if headers["x-upstream"] == gunicorn.address:
            break
    else:
        raise AssertionError("nginx never sent a request to the gunicorn instance")
    line = gunicorn.access_line(marker)
    assert line.startswith(f"{CLIENT} "), line

    # Directly from a peer that is not nginx: the headers change nothing.
    _, _, session = browser.get("/api/session")
    token = json.loads(session)["csrf_token"]
    forged = {
        "X-Forwarded-For": "203.0.113.77",
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Proto": "https",
    }
    for instance in instances:
        stranger = Browser(instance.port, source=STRANGER)
        stranger.cookies = dict(browser.cookies)  # Ada's session, from Redis
        marker = uuid.uuid4().hex
        status, headers, body = stranger.create_person(
            token, f"Stranger {instance.server}", f"{marker}@example.com", **forged
        )
        assert status == 201, body
        own = f"http://{instance.address}/api/people/"
        assert headers["location"].startswith(own), headers["location"]
        if instance is gunicorn:
            status, _, _ = stranger.request(
                "GET", f"/healthz?m={marker}", headers=forged
            )
            assert status == 200
            line = gunicorn.access_line(marker)
            assert line.startswith(f"{STRANGER} "), line
