"""Trust ``X-Forwarded-*`` headers only when they come from a known proxy.

Behind nginx the app sees nginx's address, ``http`` and an internal host; the
real client, scheme and host arrive in ``X-Forwarded-For/-Proto/-Host/-Port/
-Prefix``. Any client can send those headers too, so :class:`ProxyFix`
believes them only when the connecting peer (``REMOTE_ADDR``) is one of the
configured proxies. It then rewrites the environ (``REMOTE_ADDR``,
``wsgi.url_scheme``, ``HTTP_HOST``, ``SERVER_PORT``, ``SCRIPT_NAME``) so that
``request.remote_addr``, ``request.is_secure`` and ``url_for(_external=True)``
are right; the values it replaced are kept in ``environ["erlen.proxy_fix.orig"]``.

The app applies it by itself when ``TRUSTED_PROXIES`` (or the environment
variable ``ERLEN_TRUSTED_PROXIES``, comma-separated) is set; ``PROXY_FIX_HOPS``
says how many proxies stand in front (default 1).
"""

from __future__ import annotations

import ipaddress
import os
import typing as t

__all__ = ["ProxyFix", "parse_trusted", "proxy_fix_for_app"]

_WSGIApp = t.Callable[[dict[str, t.Any], t.Callable[..., t.Any]], t.Iterable[bytes]]
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network

ENV_VAR = "ERLEN_TRUSTED_PROXIES"


def parse_trusted(value: str | t.Iterable[str] | None) -> list[str]:
    """Split a comma-separated string (or a list) into clean entries."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    out = []
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"TRUSTED_PROXIES entries must be strings: {item!r}")
        item = item.strip()
        if item:
            out.append(item)
    return out


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
    # An IPv4-mapped IPv6 peer (::ffff:10.0.0.1) is the IPv4 proxy.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


class ProxyFix:
    """WSGI middleware: apply ``X-Forwarded-*`` set by trusted proxies.

    :param trusted: proxy addresses and networks (``"127.0.0.1"``,
        ``"10.0.0.0/8"``, ``"::1"``); ``"*"`` trusts every peer, which is
        only safe when nothing but the proxy can reach the app.
    :param hops: how many trusted proxies are chained in front of the app.
        The client address is the ``hops``-th ``X-Forwarded-For`` entry from
        the right, reached only through addresses that are themselves
        trusted; the other headers use the ``hops``-th value from the right
        and are ignored when there are fewer.
    """

    def __init__(
        self,
        app: _WSGIApp | None,
        trusted: str | t.Iterable[str],
        hops: int = 1,
    ) -> None:
        if isinstance(hops, bool) or not isinstance(hops, int) or hops < 1:
            raise ValueError(f"PROXY_FIX_HOPS must be an integer >= 1, not {hops!r}")
        entries = parse_trusted(trusted)
        if not entries:
            raise ValueError("ProxyFix needs at least one trusted proxy address.")
        self.app = app
        self.hops = hops
        self.trust_all = "*" in entries
        networks: list[_Network] = []
        for entry in entries:
            if entry == "*":
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(
                    f"TRUSTED_PROXIES: {entry!r} is not an IP address or network."
                ) from None
        self.networks = tuple(networks)
        # PERF: exact addresses are a set lookup on the raw REMOTE_ADDR string.
        self._exact = frozenset(
            str(n.network_address) for n in networks if n.num_addresses == 1
        )

    def is_trusted(self, address: str | None) -> bool:
        """Whether ``address`` (a peer or a forwarded hop) is a trusted proxy."""
        if not address:
            return False
        if self.trust_all:
            return _ip(address) is not None
        if address in self._exact:
            return True
        ip = _ip(address)
        if ip is None:
            return False
        return any(ip in network for network in self.networks)

    def _value(self, environ: dict[str, t.Any], key: str) -> str | None:
        raw = environ.get(key)
        if not raw:
            return None
        values = [v.strip() for v in str(raw).split(",")]
        if len(values) < self.hops:
            return None
        return values[-self.hops] or None

    def _client(self, environ: dict[str, t.Any]) -> str | None:
        raw = environ.get("HTTP_X_FORWARDED_FOR")
        if not raw:
            return None
        values = [v.strip() for v in str(raw).split(",")]
        if len(values) < self.hops:
            return None
        # Hops between the client and the peer must be trusted proxies too,
        # or a client could plant a fake address behind an untrusted hop.
        for hop in values[len(values) - self.hops + 1 :]:
            if not self.is_trusted(hop):
                return None
        client = values[-self.hops]
        ip = _ip(client)
        return str(ip) if ip is not None else None

    def fix(self, environ: dict[str, t.Any]) -> None:
        """Rewrite ``environ`` in place when the peer is a trusted proxy."""
        if not self.is_trusted(environ.get("REMOTE_ADDR")):
            return
        orig = {
            key: environ.get(key)
            for key in (
                "REMOTE_ADDR",
                "wsgi.url_scheme",
                "HTTP_HOST",
                "SERVER_NAME",
                "SERVER_PORT",
                "SCRIPT_NAME",
            )
        }
        environ["erlen.proxy_fix.orig"] = orig
        client = self._client(environ)
        if client is not None:
            environ["REMOTE_ADDR"] = client
        proto = self._value(environ, "HTTP_X_FORWARDED_PROTO")
        if proto is not None and proto.lower() in ("http", "https"):
            environ["wsgi.url_scheme"] = proto.lower()
        host = self._value(environ, "HTTP_X_FORWARDED_HOST")
        if host is not None:
            # The app's Host check (BadHost, TRUSTED_HOSTS) still applies.
            environ["HTTP_HOST"] = host
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            environ["SERVER_NAME"] = name
        port = self._value(environ, "HTTP_X_FORWARDED_PORT")
        if port is not None and port.isdigit() and 0 < int(port) < 65536:
            current = environ.get("HTTP_HOST")
            if current:
                if not current.endswith("]") and ":" in current:
                    current = current.rsplit(":", 1)[0]
                environ["HTTP_HOST"] = f"{current}:{port}"
            environ["SERVER_PORT"] = port
        prefix = self._value(environ, "HTTP_X_FORWARDED_PREFIX")
        if (
            prefix is not None
            and prefix.startswith("/")
            and "//" not in prefix
            and prefix.isprintable()
            and not any(c in prefix for c in " ?#\\")
        ):
            environ["SCRIPT_NAME"] = prefix.rstrip("/")

    def __call__(
        self, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
    ) -> t.Iterable[bytes]:
        if self.app is None:
            raise RuntimeError("This ProxyFix wraps no app: use fix(environ).")
        self.fix(environ)
        return self.app(environ, start_response)


def proxy_fix_for_app(config: t.Mapping[str, t.Any]) -> ProxyFix | None:
    """The ProxyFix an app's config asks for, or None when none is trusted.

    ``TRUSTED_PROXIES`` wins; when it is empty, ``ERLEN_TRUSTED_PROXIES`` from
    the environment (set by ``erlen serve --forwarded-allow-ips``) is used.
    """
    trusted = parse_trusted(config.get("TRUSTED_PROXIES"))
    if not trusted:
        trusted = parse_trusted(os.environ.get(ENV_VAR))
    if not trusted:
        return None
    hops = config.get("PROXY_FIX_HOPS", 1)
    if isinstance(hops, str) and hops.strip().isdigit():
        hops = int(hops)
    return ProxyFix(None, trusted, hops=hops)
