"""``werkzeug.urls``: the IRI/URI conversions Werkzeug 3 still has."""

from __future__ import annotations

from urllib.parse import quote
from urllib.parse import unquote

__all__ = ["iri_to_uri", "uri_to_iri"]

_URI_SAFE = "%!$&'()*+,/:;=?@[]~#"


def iri_to_uri(iri: str) -> str:
    """Percent-encode the non-ASCII parts of an IRI (host with IDNA)."""
    from urllib.parse import urlsplit
    from urllib.parse import urlunsplit

    parts = urlsplit(iri)
    netloc = parts.netloc
    if netloc and not netloc.isascii():
        userinfo, at, host = netloc.rpartition("@")
        host, colon, port = host.partition(":")
        netloc = f"{userinfo}{at}{host.encode('idna').decode('ascii')}{colon}{port}"
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            quote(parts.path, safe=_URI_SAFE),
            quote(parts.query, safe=_URI_SAFE),
            quote(parts.fragment, safe=_URI_SAFE),
        )
    )


def uri_to_iri(uri: str) -> str:
    """Decode percent-escapes that are not reserved characters."""
    return unquote(uri, errors="surrogateescape") if "%" in uri else uri
