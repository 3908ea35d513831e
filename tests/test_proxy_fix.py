"""X-Forwarded-* headers count only when a configured proxy sent them."""

from __future__ import annotations

import typing as t

import pytest

from erlen import Erlen
from erlen import request
from erlen import url_for
from erlen.proxy_fix import ProxyFix
from erlen.proxy_fix import proxy_fix_for_app

NGINX = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "people.example",
}


def _app(**config: t.Any) -> Erlen:
    app = Erlen(__name__)
    app.config.update(config)

    @app.get("/where")
    def where() -> dict[str, t.Any]:
        return {
            "url": url_for("where", _external=True),
            "secure": request.is_secure,
            "remote_addr": request.remote_addr,
            "host": request.host,
            "script_root": request.script_root,
        }

    return app


def _get(app: Erlen, peer: str, headers: dict[str, str]) -> dict[str, t.Any]:
    response = app.test_client().get(
        "/where", headers=headers, environ_base={"REMOTE_ADDR": peer}
    )
    assert response.status_code == 200, response.text
    return t.cast(dict[str, t.Any], response.get_json())


def test_behind_a_trusted_proxy_the_client_view_is_restored() -> None:
    app = _app(TRUSTED_PROXIES=["127.0.0.1"])
    seen = _get(app, "127.0.0.1", NGINX)
    assert seen == {
        "url": "https://people.example/where",
        "secure": True,
        "remote_addr": "203.0.113.7",
        "host": "people.example",
        "script_root": "",
    }


def test_spoofed_headers_from_an_untrusted_peer_are_ignored() -> None:
    app = _app(TRUSTED_PROXIES=["127.0.0.1"])
    seen = _get(app, "198.51.100.9", NGINX)
    assert seen["url"] == "http://localhost/where"
    assert seen["secure"] is False
    assert seen["remote_addr"] == "198.51.100.9"


def test_nothing_is_trusted_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ERLEN_TRUSTED_PROXIES", raising=False)
    app = _app()
    seen = _get(app, "127.0.0.1", NGINX)
    assert seen["remote_addr"] == "127.0.0.1"
    assert seen["secure"] is False
    assert app._proxy_fix is None  # resolved once; later requests pay nothing


def test_networks_and_ipv6_peers() -> None:
    app = _app(TRUSTED_PROXIES="10.0.0.0/8, ::1")
    assert _get(app, "10.1.2.3", NGINX)["remote_addr"] == "203.0.113.7"
    assert _get(app, "::1", NGINX)["remote_addr"] == "203.0.113.7"
    assert _get(app, "::ffff:10.9.9.9", NGINX)["remote_addr"] == "203.0.113.7"
    assert _get(app, "11.0.0.1", NGINX)["remote_addr"] == "11.0.0.1"


def test_environment_variable_is_read_when_config_is_empty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ERLEN_TRUSTED_PROXIES", "192.0.2.1,127.0.0.1")
    seen = _get(_app(), "127.0.0.1", NGINX)
    assert seen["remote_addr"] == "203.0.113.7"
    # An explicit config wins over the environment.
    seen = _get(_app(TRUSTED_PROXIES=["192.0.2.50"]), "127.0.0.1", NGINX)
    assert seen["remote_addr"] == "127.0.0.1"


def test_one_hop_by_default_takes_the_rightmost_address() -> None:
    # A client that sends its own X-Forwarded-For gets nginx's appended value
    # after it; only the rightmost one is what nginx saw.
    app = _app(TRUSTED_PROXIES=["127.0.0.1"])
    headers = {**NGINX, "X-Forwarded-For": "6.6.6.6, 203.0.113.7"}
    assert _get(app, "127.0.0.1", headers)["remote_addr"] == "203.0.113.7"


def test_two_hops_need_a_trusted_middle_proxy() -> None:
    app = _app(TRUSTED_PROXIES=["127.0.0.1", "10.0.0.2"], PROXY_FIX_HOPS=2)
    good = {"X-Forwarded-For": "6.6.6.6, 203.0.113.7, 10.0.0.2"}
    assert _get(app, "127.0.0.1", good)["remote_addr"] == "203.0.113.7"
    # The middle hop is not a known proxy: the chain is not believed.
    bad = {"X-Forwarded-For": "203.0.113.7, 6.6.6.6"}
    assert _get(app, "127.0.0.1", bad)["remote_addr"] == "127.0.0.1"
    # Fewer entries than hops: nothing is taken.
    short = {"X-Forwarded-For": "203.0.113.7"}
    assert _get(app, "127.0.0.1", short)["remote_addr"] == "127.0.0.1"


def test_port_and_prefix() -> None:
    app = _app(TRUSTED_PROXIES=["127.0.0.1"])
    headers = {
        **NGINX,
        "X-Forwarded-Port": "8443",
        "X-Forwarded-Prefix": "/book",
    }
    seen = _get(app, "127.0.0.1", headers)
    assert seen["url"] == "https://people.example:8443/book/where"
    assert seen["script_root"] == "/book"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-For": "not-an-ip"},
        {"X-Forwarded-Proto": "javascript"},
        {"X-Forwarded-Port": "99999"},
        {"X-Forwarded-Prefix": "//evil.example"},
    ],
)
def test_malformed_values_are_ignored(headers: dict[str, str]) -> None:
    seen = _get(_app(TRUSTED_PROXIES=["127.0.0.1"]), "127.0.0.1", headers)
    assert seen["url"] == "http://localhost/where"
    assert seen["remote_addr"] == "127.0.0.1"


def test_a_bad_forwarded_host_is_a_400_not_a_link() -> None:
    app = _app(TRUSTED_PROXIES=["127.0.0.1"])
    response = app.test_client().get(
        "/where",
        headers={"X-Forwarded-Host": "evil.example/x"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.status_code == 400


def test_originals_are_kept_and_middleware_form_works() -> None:
    seen: dict[str, t.Any] = {}

    def inner(environ: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        seen.update(environ)
        start_response("204 No Content", [])
        return []

    fix = ProxyFix(inner, ["127.0.0.1"])
    environ = {
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "app:8000",
        "HTTP_X_FORWARDED_FOR": "203.0.113.7",
        "HTTP_X_FORWARDED_PROTO": "https",
    }
    list(fix(environ, lambda *a: None))
    assert seen["REMOTE_ADDR"] == "203.0.113.7"
    assert seen["wsgi.url_scheme"] == "https"
    assert seen["erlen.proxy_fix.orig"]["REMOTE_ADDR"] == "127.0.0.1"
    assert seen["erlen.proxy_fix.orig"]["HTTP_HOST"] == "app:8000"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"TRUSTED_PROXIES": ["nginx"]}, "not an IP address"),
        ({"TRUSTED_PROXIES": ["127.0.0.1"], "PROXY_FIX_HOPS": 0}, ">= 1"),
    ],
)
def test_bad_settings_fail_loudly(config: dict[str, t.Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        proxy_fix_for_app(config)


def test_wildcard_trusts_any_peer(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _get(_app(TRUSTED_PROXIES="*"), "172.18.0.5", NGINX)
    assert seen["remote_addr"] == "203.0.113.7"
    monkeypatch.delenv("ERLEN_TRUSTED_PROXIES", raising=False)
    assert proxy_fix_for_app({"TRUSTED_PROXIES": " , "}) is None
