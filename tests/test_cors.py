"""CORS: preflights, grants, origins as strings, lists and regexes, credentials."""

from __future__ import annotations

import re
import typing as t
from datetime import timedelta

import pytest

from erlen import Blueprint
from erlen import Erlen
from erlen.cors import CORS
from erlen.cors import cross_origin

SITE = "https://app.example.com"
EVIL = "https://evil.example.net"


def preflight(
    client: t.Any,
    path: str,
    origin: str = SITE,
    method: str = "POST",
    headers: str | None = None,
) -> t.Any:
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers is not None:
        h["Access-Control-Request-Headers"] = headers
    return client.options(path, headers=h)


@pytest.fixture
def api(app: Erlen) -> Erlen:
    @app.get("/items")
    def items() -> list[int]:
        return [1, 2]

    @app.post("/items")
    def create() -> tuple[dict[str, int], int]:
        return {"id": 3}, 201

    @app.post("/only-post")
    def only_post() -> str:
        return "posted"

    return app


def test_app_without_cors_is_untouched(api: Erlen, client: t.Any) -> None:
    rv = client.get("/items", headers={"Origin": SITE})
    assert not [k for k, _ in rv.headers if k.lower().startswith("access-control")]
    assert "Vary" not in rv.headers
    rv = preflight(client, "/items")
    assert "Access-Control-Allow-Origin" not in rv.headers
    assert not api.before_request_funcs and not api.after_request_funcs


def test_actual_request_echoes_allowed_origin(api: Erlen, client: t.Any) -> None:
    CORS(api, origins=[SITE, "https://other.example.com"])
    rv = client.get("/items", headers={"Origin": SITE})
    assert rv.json == [1, 2]
    assert rv.headers["Access-Control-Allow-Origin"] == SITE
    assert "Origin" in rv.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in rv.headers


def test_disallowed_origin_gets_no_grant(api: Erlen, client: t.Any) -> None:
    CORS(api, origins=SITE)
    rv = client.get("/items", headers={"Origin": EVIL})
    assert rv.status_code == 200  # CORS does not block; the browser does
    assert "Access-Control-Allow-Origin" not in rv.headers
    assert rv.headers["Vary"] == "Origin"  # caches must not mix the two answers
    rv = preflight(client, "/items", origin=EVIL)
    assert rv.status_code == 204
    assert not [k for k, _ in rv.headers if k.lower().startswith("access-control")]


def test_no_origin_no_grant(api: Erlen, client: t.Any) -> None:
    CORS(api, origins=SITE)
    rv = client.get("/items")
    assert "Access-Control-Allow-Origin" not in rv.headers
    assert rv.headers["Vary"] == "Origin"


def test_origin_comparison_is_exact_not_prefix(api: Erlen, client: t.Any) -> None:
    CORS(api, origins=SITE)
    for origin in (
        SITE + ".evil.net",
        "http://app.example.com",
        "null",
        SITE + ":8443",
    ):
        rv = client.get("/items", headers={"Origin": origin})
        assert "Access-Control-Allow-Origin" not in rv.headers, origin
    rv = client.get("/items", headers={"Origin": SITE.upper()})
    assert rv.headers["Access-Control-Allow-Origin"] == SITE.upper()


def test_preflight_allowed(api: Erlen, client: t.Any) -> None:
    CORS(
        api,
        origins=[SITE],
        methods=["GET", "POST"],
        allow_headers=["Content-Type", "X-Token"],
        max_age=timedelta(minutes=10),
    )
    rv = preflight(client, "/items", headers="content-type, x-token")
    assert rv.status_code == 204
    assert rv.data == b""
    assert "Content-Type" not in rv.headers
    assert rv.headers["Access-Control-Allow-Origin"] == SITE
    assert rv.headers["Access-Control-Allow-Methods"] == "GET, POST"
    assert rv.headers["Access-Control-Allow-Headers"] == "Content-Type, X-Token"
    assert rv.headers["Access-Control-Max-Age"] == "600"
    assert "Origin" in rv.headers["Vary"]


def test_preflight_method_not_allowed_gets_no_grant(api: Erlen, client: t.Any) -> None:
    CORS(api, origins=[SITE], methods=["GET"])
    rv = preflight(client, "/items", method="DELETE")
    assert rv.status_code == 204
    assert "Access-Control-Allow-Origin" not in rv.headers
    assert "Access-Control-Allow-Methods" not in rv.headers


def test_preflight_does_not_run_the_view(app: Erlen, client: t.Any) -> None:
    calls: list[str] = []

    @app.route("/x", methods=["POST", "OPTIONS"])
    def x() -> str:
        calls.append("view")
        return "x"

    CORS(app)
    rv = preflight(client, "/x")
    assert rv.status_code == 204
    assert calls == []
    assert client.options("/x").text == "x"  # a plain OPTIONS still reaches it
    assert calls == ["view"]


def test_preflight_to_post_only_route(api: Erlen, client: t.Any) -> None:
    # Without automatic OPTIONS the route answers 405 to OPTIONS; CORS still
    # answers the preflight.
    api.add_url_rule(
        "/no-options",
        view_func=lambda: "x",
        endpoint="no_options",
        methods=["POST"],
        provide_automatic_options=False,
    )
    CORS(api, origins=SITE)
    rv = preflight(client, "/only-post")
    assert rv.status_code == 204
    assert rv.headers["Access-Control-Allow-Origin"] == SITE
    assert "POST" in rv.headers["Access-Control-Allow-Methods"]
    assert client.options("/no-options").status_code == 405
    assert preflight(client, "/no-options").status_code == 204


def test_preflight_unknown_url_is_404(api: Erlen, client: t.Any) -> None:
    CORS(api)
    rv = preflight(client, "/nope")
    assert rv.status_code == 404
    assert "Access-Control-Allow-Origin" not in rv.headers


def test_wildcard_echoes_by_default_and_star_with_send_wildcard(
    api: Erlen, client: t.Any
) -> None:
    CORS(api)
    rv = client.get("/items", headers={"Origin": EVIL})
    assert rv.headers["Access-Control-Allow-Origin"] == EVIL
    assert rv.headers["Vary"] == "Origin"

    app2 = Erlen("cors_star")
    app2.add_url_rule("/", view_func=lambda: "x", endpoint="i")
    CORS(app2, send_wildcard=True)
    rv = app2.test_client().get("/", headers={"Origin": EVIL})
    assert rv.headers["Access-Control-Allow-Origin"] == "*"
    assert "Vary" not in rv.headers


def test_allow_headers_star_echoes_valid_request_headers(
    api: Erlen, client: t.Any
) -> None:
    CORS(api)
    rv = preflight(client, "/items", headers="Authorization, X-Trace-Id")
    assert rv.headers["Access-Control-Allow-Headers"] == "Authorization, X-Trace-Id"
    rv = preflight(client, "/items", headers="bad header;\x7f")
    assert "Access-Control-Allow-Headers" not in rv.headers
    assert rv.headers["Access-Control-Allow-Origin"] == SITE


def test_regex_origins(api: Erlen, client: t.Any) -> None:
    CORS(api, origins=[re.compile(r"https://[a-z0-9-]+\.example\.com"), SITE])
    ok = client.get("/items", headers={"Origin": "https://shop.example.com"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    # The regex must match the whole origin, not a prefix of it.
    bad = client.get("/items", headers={"Origin": "https://shop.example.com.evil.net"})
    assert "Access-Control-Allow-Origin" not in bad.headers
    rv = preflight(client, "/items", origin="https://api.example.com")
    assert rv.headers["Access-Control-Allow-Origin"] == "https://api.example.com"


def test_credentials(api: Erlen, client: t.Any) -> None:
    CORS(api, origins=[SITE], supports_credentials=True, expose_headers=["Link"])
    rv = client.get("/items", headers={"Origin": SITE})
    assert rv.headers["Access-Control-Allow-Origin"] == SITE
    assert rv.headers["Access-Control-Allow-Credentials"] == "true"
    assert rv.headers["Access-Control-Expose-Headers"] == "Link"
    rv = preflight(client, "/items", headers="X-Custom")
    assert rv.headers["Access-Control-Allow-Credentials"] == "true"
    assert rv.headers["Access-Control-Allow-Headers"] == "X-Custom"
    rv = client.get("/items", headers={"Origin": EVIL})
    assert "Access-Control-Allow-Credentials" not in rv.headers


@pytest.mark.parametrize("origins", ["*", ["*"], [SITE, "*"]])
def test_credentials_with_wildcard_is_a_config_error(
    app: Erlen, origins: t.Any
) -> None:
    with pytest.raises(ValueError, match="wildcard"):
        CORS(app, origins=origins, supports_credentials=True)
    with pytest.raises(ValueError, match="wildcard"):
        cross_origin(origins=origins, supports_credentials=True)


def test_bad_configuration(app: Erlen) -> None:
    with pytest.raises(TypeError, match="unknown CORS options"):
        CORS(app, origin=SITE)
    with pytest.raises(ValueError, match="invalid name"):
        CORS(app, allow_headers=["X-Bad\r\nSet-Cookie: a=b"])
    with pytest.raises(ValueError):
        CORS(app, resources={"api/*": {}})


def test_config_keys(app: Erlen, client: t.Any) -> None:
    app.config.update(CORS_ORIGINS=[SITE], CORS_EXPOSE_HEADERS="X-Total-Count")
    app.add_url_rule("/", view_func=lambda: "x", endpoint="i")
    CORS(app)
    rv = client.get("/", headers={"Origin": SITE})
    assert rv.headers["Access-Control-Allow-Origin"] == SITE
    assert rv.headers["Access-Control-Expose-Headers"] == "X-Total-Count"
    assert "cors" in app.extensions


def test_resources_most_specific_wins(app: Erlen, client: t.Any) -> None:
    for path in ("/api/public/x", "/api/private/x", "/home"):
        app.add_url_rule(path, view_func=lambda: "x", endpoint=path)
    CORS(
        app,
        resources={
            "/api/*": {"origins": [SITE]},
            "/api/public/*": {"origins": "*", "send_wildcard": True},
        },
    )
    rv = client.get("/api/public/x", headers={"Origin": EVIL})
    assert rv.headers["Access-Control-Allow-Origin"] == "*"
    rv = client.get("/api/private/x", headers={"Origin": EVIL})
    assert "Access-Control-Allow-Origin" not in rv.headers
    rv = client.get("/api/private/x", headers={"Origin": SITE})
    assert rv.headers["Access-Control-Allow-Origin"] == SITE
    rv = client.get("/home", headers={"Origin": SITE})
    assert "Access-Control-Allow-Origin" not in rv.headers
    assert "Vary" not in rv.headers


def test_regex_resource(app: Erlen, client: t.Any) -> None:
    app.add_url_rule("/v1/things", view_func=lambda: "x", endpoint="t")
    app.add_url_rule("/v1/things/secret", view_func=lambda: "x", endpoint="s")
    CORS(app, resources={re.compile(r"/v\d+/things"): {"origins": SITE}})
    assert client.get("/v1/things", headers={"Origin": SITE}).headers.get(
        "Access-Control-Allow-Origin"
    )
    rv = client.get("/v1/things/secret", headers={"Origin": SITE})
    assert "Access-Control-Allow-Origin" not in rv.headers


def test_error_responses_get_cors_headers(
    api: Erlen, client: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    @api.get("/boom")
    def boom() -> str:
        raise RuntimeError("x")

    api.config["PROPAGATE_EXCEPTIONS"] = False
    # The logger is global (named after the app): silence it for this test only.
    monkeypatch.setattr(api.logger, "disabled", True)
    CORS(api, origins=SITE)
    rv = client.get("/missing", headers={"Origin": SITE})
    assert rv.status_code == 404
    assert rv.headers["Access-Control-Allow-Origin"] == SITE
    rv = client.get("/boom", headers={"Origin": SITE})
    assert rv.status_code == 500
    assert rv.headers["Access-Control-Allow-Origin"] == SITE


def test_init_app_later_and_blueprint(app: Erlen, client: t.Any) -> None:
    bp = Blueprint("api", __name__, url_prefix="/api")

    @bp.post("/things")
    def things() -> str:
        return "ok"

    @app.get("/page")
    def page() -> str:
        return "page"

    cors = CORS(origins=[SITE])
    cors.init_app(bp)
    app.register_blueprint(bp)
    rv = preflight(client, "/api/things")
    assert rv.status_code == 204
    assert rv.headers["Access-Control-Allow-Origin"] == SITE
    assert (
        client.post("/api/things", headers={"Origin": SITE}).headers[
            "Access-Control-Allow-Origin"
        ]
        == SITE
    )
    rv = client.get("/page", headers={"Origin": SITE})
    assert "Access-Control-Allow-Origin" not in rv.headers


def test_cross_origin_decorator(app: Erlen, client: t.Any) -> None:
    @app.post("/open")
    @cross_origin(origins=[SITE], max_age=60, expose_headers="Location")
    def open_view() -> tuple[str, int, dict[str, str]]:
        return "made", 201, {"Location": "/open/1"}

    @app.get("/closed")
    def closed() -> str:
        return "closed"

    rv = client.post("/open", headers={"Origin": SITE})
    assert rv.status_code == 201
    assert rv.headers["Access-Control-Allow-Origin"] == SITE
    assert rv.headers["Access-Control-Expose-Headers"] == "Location"
    rv = preflight(client, "/open")
    assert rv.status_code == 204
    assert rv.headers["Access-Control-Max-Age"] == "60"
    assert rv.headers["Access-Control-Allow-Origin"] == SITE
    rv = client.options("/open")
    assert "POST" in rv.headers["Allow"]
    assert (
        preflight(client, "/open", origin=EVIL).headers.get(
            "Access-Control-Allow-Origin"
        )
        is None
    )
    assert (
        "Access-Control-Allow-Origin"
        not in client.get("/closed", headers={"Origin": SITE}).headers
    )


def test_cross_origin_async_view(app: Erlen, client: t.Any) -> None:
    @app.get("/a")
    @cross_origin()
    async def a() -> dict[str, int]:
        return {"a": 1}

    rv = client.get("/a", headers={"Origin": EVIL})
    assert rv.json == {"a": 1}
    assert rv.headers["Access-Control-Allow-Origin"] == EVIL


def test_private_network(api: Erlen, client: t.Any) -> None:
    CORS(api, origins=SITE, allow_private_network=True)
    rv = client.options(
        "/items",
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    assert rv.headers["Access-Control-Allow-Private-Network"] == "true"


def test_origin_with_control_characters_is_refused(api: Erlen, client: t.Any) -> None:
    CORS(api)
    rv = client.get("/items", headers={"Origin": "https://a.example\x7f"})
    assert rv.status_code == 200
    assert "Access-Control-Allow-Origin" not in rv.headers


def test_view_policy_overrides_app_policy(app: Erlen, client: t.Any) -> None:
    @app.get("/strict")
    @cross_origin(origins=SITE)
    def strict() -> str:
        return "strict"

    @app.get("/loose")
    def loose() -> str:
        return "loose"

    CORS(app)  # every origin, except where a view says otherwise
    rv = client.get("/strict", headers={"Origin": EVIL})
    assert "Access-Control-Allow-Origin" not in rv.headers
    rv = client.get("/loose", headers={"Origin": EVIL})
    assert rv.headers["Access-Control-Allow-Origin"] == EVIL
    rv = preflight(client, "/strict", origin=EVIL, method="GET")
    assert rv.status_code == 204
    assert "Access-Control-Allow-Origin" not in rv.headers
    rv = preflight(client, "/strict", method="GET")
    assert rv.headers["Access-Control-Allow-Origin"] == SITE
