"""``app.create_url_adapter()`` and Werkzeug's ``MapAdapter`` in compat mode."""

from __future__ import annotations

import pytest

import erlen.compat
from erlen import Erlen


def test_adapter_matches_like_werkzeug(compat: None) -> None:
    from werkzeug.exceptions import MethodNotAllowed
    from werkzeug.exceptions import NotFound
    from werkzeug.routing import RequestRedirect

    app = Erlen(__name__)

    @app.get("/items/<int:item_id>")
    def item(item_id: int) -> str:
        return str(item_id)

    @app.route("/dir/")
    def folder() -> str:
        return "dir"

    with app.test_request_context("/items/7"):
        from flask import request

        adapter = app.create_url_adapter(request)  # type: ignore[attr-defined]
        assert adapter.match() == ("item", {"item_id": 7})
        rule, args = adapter.match(return_rule=True)
        assert rule.endpoint == "item" and args == {"item_id": 7}
        with pytest.raises(MethodNotAllowed) as info:
            adapter.match(method="POST")
        assert "GET" in info.value.valid_methods
        with pytest.raises(NotFound):
            adapter.match("/nothing")
        with pytest.raises(RequestRedirect):
            adapter.match("/dir")
        assert adapter.test("/dir") and not adapter.test("/nothing")
        assert "GET" in adapter.allowed_methods()
        assert adapter.build("item", {"item_id": 3}) == "/items/3"


def test_without_request_needs_server_name(compat: None) -> None:
    app = Erlen(__name__)
    assert app.create_url_adapter(None) is None  # type: ignore[attr-defined]
    app.config["SERVER_NAME"] = "example.com"
    assert app.create_url_adapter(None) is not None  # type: ignore[attr-defined]


def test_install_adds_only_missing_methods_and_uninstall_removes_them() -> None:
    from erlen.compat._methods import _ADDED
    from erlen.compat._methods import _class

    assert not erlen.compat.is_installed()
    before = {name: _class(path).__dict__.get(name) for path, name, _ in _ADDED}
    assert before["create_url_adapter"] is None  # plain erlen has no adapter
    erlen.compat.install()
    try:
        for path, name, func in _ADDED:
            expected = before[name] if before[name] is not None else func
            assert _class(path).__dict__[name] is expected
    finally:
        erlen.compat.uninstall()
    after = {name: _class(path).__dict__.get(name) for path, name, _ in _ADDED}
    assert after == before
