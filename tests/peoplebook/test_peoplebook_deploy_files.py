"""The deploy files agree with each other and with ``erlen serve``.

There is no Docker engine here, so the image is never built and compose
never runs.  What can be checked without one is: the Dockerfile's CMD runs
``deploy/serve.sh`` from where the image copies it; serve.sh, run by ``sh``
with the environment the Dockerfile and compose.yaml give the container and a
stand-in ``erlen`` that records its arguments, produces a command that
``erlen serve`` accepts (parsed and validated by the real click command, only
the server start replaced); and that command's address, port, trusted proxy,
keep-alive and stop timeout match the Dockerfile, compose.yaml and
nginx.conf.  ``test_peoplebook_deploy.py`` runs the same script for real.
"""

from __future__ import annotations

import ipaddress
import json
import os
import posixpath
import re
import shlex
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
from pb_helpers import APP_DIR
from pb_helpers import ROOT
from pb_helpers import missing
from pb_helpers import peoplebook

from erlen import Erlen
from erlen import production
from erlen.cli import ScriptInfo
from erlen.cli import _split_import_path
from erlen.cli import cli

DEPLOY = APP_DIR / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
SERVE_SH = DEPLOY / "serve.sh"


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined."""
    lines = [
        line
        for line in DOCKERFILE.read_text().splitlines()
        if not line.lstrip().startswith("#")
    ]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    out = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, rest = line.strip().partition(" ")
            out.append((instruction.upper(), rest.strip()))
    return out


class Image(t.NamedTuple):
    env: dict[str, str]
    workdir: str
    copies: list[tuple[str, str]]  # (source in the repository, destination)
    cmd: list[str]
    exposed: list[int]
    run: list[str]


def _image() -> Image:
    env: dict[str, str] = {}
    workdir = "/"
    copies: list[tuple[str, str]] = []
    cmd: list[str] = []
    exposed: list[int] = []
    run: list[str] = []
    for instruction, rest in _instructions():
        if instruction == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                env[key] = value
        elif instruction == "WORKDIR":
            workdir = posixpath.join(workdir, rest)
        elif instruction == "COPY":
            *sources, dest = shlex.split(rest)
            copies += [(s, posixpath.join(workdir, dest)) for s in sources]
        elif instruction == "CMD":
            cmd = json.loads(rest)  # the exec form: no shell of Docker's in between
        elif instruction == "EXPOSE":
            exposed += [int(p.split("/")[0]) for p in rest.split()]
        elif instruction == "RUN":
            run.append(rest)
    return Image(env, workdir, copies, cmd, exposed, run)


def _compose() -> dict[str, t.Any]:
    try:
        import yaml
    except ImportError:
        missing("PyYAML is not installed (it comes with schemathesis, a dev tool)")
    data: dict[str, t.Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return data


def _interpolate(value: object) -> str:
    """compose's ``${NAME:?message}``/``${NAME:-default}`` with NAME unset."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2) or "", match.group(3) or ""
        if op.endswith("?"):
            return f"<{name}>"  # required: any value will do here
        return arg if op.endswith("-") else ""

    return re.sub(r"\$\{(\w+)(:?[?-])?([^}]*)\}", one, str(value))


def _container_env(**extra: str) -> dict[str, str]:
    """What an app container's process sees: the image's ENV, then compose's."""
    app = _compose()["services"]["app"]
    env = dict(_image().env)
    env.update({k: _interpolate(v) for k, v in app["environment"].items()})
    env.update(extra)
    return env


def _run_serve_sh(tmp_path: Path, env: dict[str, str], *args: str) -> list[str]:
    """Run serve.sh with ``env``; the arguments it hands to ``erlen``."""
    recorded = tmp_path / "argv.json"
    fake = tmp_path / "bin" / "erlen"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        f"record = {{'argv': sys.argv[1:], 'cwd': os.getcwd()}}\n"
        f"json.dump(record, open({str(recorded)!r}, 'w'))\n"
    )
    fake.chmod(0o755)
    # Only the stand-in on PATH (and sh's own tools): no real erlen runs.
    path = os.pathsep.join([str(fake.parent), "/usr/bin", "/bin"])
    done = subprocess.run(
        ["sh", str(SERVE_SH), *args],
        env={**env, "PATH": path},
        cwd=tmp_path,
        capture_output=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr.decode()
    record = json.loads(recorded.read_text())
    # Called from elsewhere, erlen still runs where `peoplebook` is importable.
    assert Path(record["cwd"]) == APP_DIR.parent
    argv: list[str] = record["argv"]
    return argv


class Parsed(t.NamedTuple):
    import_path: str | None
    options: production.ServeOptions


def _erlen_serve(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Parsed:
    """Run ``erlen <argv>`` through the real CLI, stopping where serving starts."""
    for name in ("ERLEN_RUN_FROM_CLI", "ERLEN_TRUSTED_PROXIES", "ERLEN_APP", "PORT"):
        monkeypatch.setenv(name, "")  # restored afterwards; the CLI sets some
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env file is read
    calls: list[Parsed] = []
    # The app itself is loaded by test_peoplebook_deploy.py; here, a stand-in.
    monkeypatch.setattr(ScriptInfo, "load_app", lambda self: Erlen("deploy_check"))
    monkeypatch.setattr(
        production,
        "serve",
        lambda app, options, import_path: calls.append(Parsed(import_path, options)),
    )
    cli.main(args=argv, prog_name="erlen", standalone_mode=False)
    assert len(calls) == 1
    return calls[0]


def _seconds(value: str) -> float:
    """A compose or nginx duration: ``25s``, ``1m30s``, ``10``."""
    units = {"": 1, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)([a-z]*)", value)
    assert parts and "".join(n + u for n, u in parts) == value, value
    return sum(float(n) * units[u] for n, u in parts)


def _nginx_upstream() -> str:
    site = (DEPLOY / "nginx.conf").read_text()
    match = re.search(r"upstream peoplebook \{(.*?)\n\}", site, re.S)
    assert match, "nginx.conf has no upstream block"
    return match.group(1)


def test_the_image_runs_serve_sh() -> None:
    image = _image()
    assert image.cmd[0] == "sh", image.cmd
    in_image = posixpath.join(image.workdir, image.cmd[1])
    # Where the image's copy of serve.sh comes from in this repository.
    sources = [
        ROOT / src / posixpath.relpath(in_image, dest)
        for src, dest in image.copies
        if in_image.startswith(dest.rstrip("/") + "/")
    ]
    assert sources == [SERVE_SH]
    # The serve extra brings granian and gunicorn into the image.
    assert any(re.search(r"\[[^\]]*\bserve\b[^\]]*\]", cmd) for cmd in image.run)
    app = _compose()["services"]["app"]
    assert "command" not in app and "entrypoint" not in app, "compose hides the CMD"
    build = _compose()["x-app"]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE


def test_container_command_is_a_valid_erlen_serve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _container_env()
    argv = _run_serve_sh(tmp_path, env)
    assert argv[argv.index("serve") - 2 :][:2] == ["--app", "peoplebook:create_app()"]
    parsed = _erlen_serve(argv, monkeypatch, tmp_path)
    options = parsed.options

    module, name = _split_import_path(parsed.import_path or "")
    assert (module, name) == ("peoplebook", "create_app()")
    assert callable(getattr(peoplebook, "create_app", None))

    assert options.server == "granian"  # compose keeps serve.sh's default
    # Reachable from nginx's container, on the port nginx and EXPOSE name.
    assert options.host == "0.0.0.0"
    assert [options.port] == _image().exposed
    upstream = _nginx_upstream()
    servers = re.findall(r"^\s*server (\w+):(\d+)", upstream, re.M)
    assert servers == [("app", str(options.port))]
    assert servers[0][0] in _compose()["services"]

    assert options.workers == int(env["WEB_CONCURRENCY"])
    assert options.access_log is True

    # The one trusted proxy is nginx's fixed address on the app's network.
    compose = _compose()
    nginx_net = compose["services"]["nginx"]["networks"]
    (net_name,) = nginx_net
    nginx_ip = nginx_net[net_name]["ipv4_address"]
    assert options.forwarded_allow_ips == (nginx_ip,)
    assert net_name in compose["x-app"]["networks"]
    (pool,) = compose["networks"][net_name]["ipam"]["config"]
    address = ipaddress.ip_address(nginx_ip)
    assert address in ipaddress.ip_network(pool["subnet"])
    # Outside the range the other containers get their addresses from.
    assert address not in ipaddress.ip_network(pool["ip_range"])

    # nginx drops an idle upstream connection before the app server does.
    nginx_idle = re.search(r"keepalive_timeout (\S+);", upstream)
    assert nginx_idle, "nginx.conf sets no upstream keepalive_timeout"
    assert _seconds(nginx_idle.group(1)) < options.keep_alive
    # docker stop waits for the graceful stop before it kills.
    grace = _seconds(compose["x-app"]["stop_grace_period"])
    assert options.graceful_timeout < grace


def test_serve_sh_on_gunicorn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The script's other server, as the deploy test's second instance runs."""
    argv = _run_serve_sh(tmp_path, _container_env(WEB_SERVER="gunicorn"))
    options = _erlen_serve(argv, monkeypatch, tmp_path).options
    assert options.server == "gunicorn"
    assert options.max_requests == 5000
    assert options.worker_kind == "gthread"  # keep-alive to nginx


def test_serve_sh_passes_arguments_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``docker run IMAGE sh peoplebook/deploy/serve.sh --workers 7``."""
    argv = _run_serve_sh(tmp_path, _container_env(), "--workers", "7")
    assert _erlen_serve(argv, monkeypatch, tmp_path).options.workers == 7


def test_outside_the_image_serve_sh_stays_on_loopback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a plain host (no image ENV): loopback, nginx on the same host."""
    argv = _run_serve_sh(tmp_path, {"SECRET_KEY": "x"})
    options = _erlen_serve(argv, monkeypatch, tmp_path).options
    assert (options.host, options.port) == ("127.0.0.1", 8000)
    assert options.forwarded_allow_ips == ("127.0.0.1",)
