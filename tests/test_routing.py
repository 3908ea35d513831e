"""Routing: rules, converters, methods, redirects and URL building."""

from __future__ import annotations

import typing as t
import uuid

import pytest

from erlen import Erlen
from erlen import request
from erlen import url_for
from erlen.exceptions import MethodNotAllowed
from erlen.exceptions import NotFound
from erlen.routing import BaseConverter
from erlen.routing import BuildError
from erlen.routing import RequestRedirect
from erlen.routing import ValidationError


def _match(app: Erlen, path: str, method: str = "GET") -> tuple[str, dict[str, t.Any]]:
    rule, args = app.url_map.match(path, method)
    return rule.endpoint, args


def _add(app: Erlen, rule: str, endpoint: str = "view", **options: t.Any) -> None:
    app.add_url_rule(rule, endpoint, lambda **kw: "", **options)


# -- converters ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "path", "expected"),
    [
        ("/u/<name>", "/u/ann", {"name": "ann"}),
        ("/u/<string:name>", "/u/a.b-c", {"name": "a.b-c"}),
        ("/u/<string(length=2):c>", "/u/de", {"c": "de"}),
        ("/u/<string(length=2):c>", "/u/deu", None),
        ("/u/<string(minlength=2):c>", "/u/a", None),
        ("/u/<string(minlength=2):c>", "/u/ab", {"c": "ab"}),
        ("/u/<string(maxlength=3):c>", "/u/abc", {"c": "abc"}),
        ("/u/<string(maxlength=3):c>", "/u/abcd", None),
        ("/u/<string(minlength=2, maxlength=3):c>", "/u/abc", {"c": "abc"}),
        ("/n/<int:n>", "/n/42", {"n": 42}),
        ("/n/<int:n>", "/n/-1", None),
        ("/n/<int:n>", "/n/4.2", None),
        ("/n/<int:n>", "/n/x", None),
        ("/n/<int(signed=True):n>", "/n/-7", {"n": -7}),
        ("/n/<int(min=1, max=10):n>", "/n/10", {"n": 10}),
        ("/n/<int(min=1, max=10):n>", "/n/11", None),
        ("/n/<int(min=1, max=10):n>", "/n/0", None),
        ("/n/<int(fixed_digits=4):n>", "/n/0042", {"n": 42}),
        ("/n/<int(fixed_digits=4):n>", "/n/42", None),
        ("/f/<float:x>", "/f/1.5", {"x": 1.5}),
        ("/f/<float:x>", "/f/1", None),
        ("/f/<float:x>", "/f/-1.5", None),
        ("/f/<float(signed=True):x>", "/f/-1.5", {"x": -1.5}),
        ("/f/<float(max=2.0):x>", "/f/2.5", None),
        ("/p/<path:p>", "/p/a/b/c.txt", {"p": "a/b/c.txt"}),
        ("/p/<path:p>", "/p/a", {"p": "a"}),
        ("/p/<path:p>/edit", "/p/a/b/edit", {"p": "a/b"}),
        (
            "/id/<uuid:i>",
            "/id/a8098c1a-f86e-11da-bd1a-00112444be1e",
            {"i": uuid.UUID("a8098c1a-f86e-11da-bd1a-00112444be1e")},
        ),
        ("/id/<uuid:i>", "/id/not-a-uuid", None),
        ("/id/<uuid:i>", "/id/a8098c1af86e11dabd1a00112444be1e", None),
        ("/a/<any(about, help):page>", "/a/help", {"page": "help"}),
        ("/a/<any(about, help):page>", "/a/contact", None),
        ("/a/<any('a.b', \"c d\"):page>", "/a/a.b", {"page": "a.b"}),
        ("/a/<any('a.b', \"c d\"):page>", "/a/axb", None),
        ("/v/<int:a>-<int:b>", "/v/3-4", {"a": 3, "b": 4}),
        ("/v/<name>.<ext>", "/v/report.pdf", {"name": "report", "ext": "pdf"}),
    ],
)
def test_converters(
    app: Erlen, rule: str, path: str, expected: dict[str, t.Any] | None
) -> None:
    _add(app, rule)
    if expected is None:
        with pytest.raises(NotFound):
            app.url_map.match(path, "GET")
    else:
        assert _match(app, path) == ("view", expected)


def test_converter_values_reach_the_view(app: Erlen, client: t.Any) -> None:
    @app.route("/item/<int:id>/<path:rest>")
    def item(id: int, rest: str) -> dict[str, t.Any]:
        return {"id": id, "type": type(id).__name__, "rest": rest}

    assert client.get("/item/5/x/y").get_json() == {
        "id": 5,
        "type": "int",
        "rest": "x/y",
    }
    assert client.get("/item/five/x").status_code == 404


def test_unknown_converter_is_an_error_at_registration(app: Erlen) -> None:
    with pytest.raises(LookupError, match="nope"):
        _add(app, "/x/<nope:y>")


def test_malformed_rules_are_refused(app: Erlen) -> None:
    with pytest.raises(ValueError):
        _add(app, "no-leading-slash")
    with pytest.raises(ValueError):
        _add(app, "/x/<a>/<a>")


class ListConverter(BaseConverter):
    """``/tags/a,b,c`` -> ["a", "b", "c"]."""

    regex = r"[^/]+(?:,[^/]+)*"

    def to_python(self, value: str) -> list[str]:
        return value.split(",")

    def to_url(self, value: t.Any) -> str:
        return ",".join(super(ListConverter, self).to_url(v) for v in value)


class EvenConverter(BaseConverter):
    # int's regex and weight: only registration order tells the two apart.
    regex = r"\d+"
    weight = 50

    def to_python(self, value: str) -> int:
        number = int(value)
        if number % 2:
            raise ValidationError()
        return number


def test_custom_converter(app: Erlen, client: t.Any) -> None:
    app.url_map.converters["list"] = ListConverter

    @app.route("/tags/<list:tags>")
    def tags(tags: list[str]) -> dict[str, t.Any]:
        return {"tags": tags, "url": url_for("tags", tags=["x y", "z"])}

    rv = client.get("/tags/a,b,c")
    assert rv.get_json() == {"tags": ["a", "b", "c"], "url": "/tags/x%20y,z"}


# Two converters with the same regex (int(max=10) / int, even / int) must not
# share a trie node, or the second is never tried.


def test_same_regex_different_bounds_both_match(app: Erlen) -> None:
    _add(app, "/n/<int(max=10):n>", "small")
    _add(app, "/n/<int:n>", "any_size")
    assert _match(app, "/n/5") == ("small", {"n": 5})
    assert _match(app, "/n/50") == ("any_size", {"n": 50})


def test_custom_converter_validation_error_means_no_match(
    app: Erlen, client: t.Any
) -> None:
    app.url_map.converters["even"] = EvenConverter

    @app.route("/e/<even:n>")
    def even(n: int) -> str:
        return f"even {n}"

    @app.route("/e/<int:n>")
    def odd(n: int) -> str:
        return f"odd {n}"

    assert client.get("/e/4").text == "even 4"
    assert client.get("/e/3").text == "odd 3"


# -- priority ------------------------------------------------------------------


def test_static_beats_dynamic_whatever_the_order(app: Erlen, client: t.Any) -> None:
    @app.route("/users/<name>")
    def user(name: str) -> str:
        return f"user {name}"

    @app.route("/users/new")
    def new_user() -> str:
        return "new form"

    assert client.get("/users/new").text == "new form"
    assert client.get("/users/ann").text == "user ann"


def test_static_segment_beats_dynamic_deeper_in_the_path(app: Erlen) -> None:
    _add(app, "/<a>/<b>/c", "dyn")
    _add(app, "/<a>/edit/c", "static_mid")
    assert _match(app, "/x/edit/c") == ("static_mid", {"a": "x"})
    assert _match(app, "/x/y/c") == ("dyn", {"a": "x", "b": "y"})


def test_int_converter_tried_before_string(app: Erlen) -> None:
    _add(app, "/n/<name>", "by_name")
    _add(app, "/n/<int:id>", "by_id")
    assert _match(app, "/n/12") == ("by_id", {"id": 12})
    assert _match(app, "/n/ann") == ("by_name", {"name": "ann"})


def test_backtracking_when_a_deeper_segment_fails(app: Erlen) -> None:
    _add(app, "/a/<int:x>/only-int", "int_branch")
    _add(app, "/a/<s>/tail", "str_branch")
    assert _match(app, "/a/5/tail") == ("str_branch", {"s": "5"})
    assert _match(app, "/a/5/only-int") == ("int_branch", {"x": 5})


def test_a_thousand_dynamic_rules_match_correctly(app: Erlen, client: t.Any) -> None:
    for i in range(1000):
        app.add_url_rule(
            f"/r{i}/<int:id>/<name>",
            f"r{i}",
            lambda id, name, i=i: f"{i}:{id}:{name}",
        )
        app.add_url_rule(f"/s{i}", f"s{i}", lambda i=i: f"static {i}")
    for i in (0, 1, 499, 998, 999):
        assert _match(app, f"/r{i}/{i * 3}/n{i}") == (
            f"r{i}",
            {"id": i * 3, "name": f"n{i}"},
        )
        assert _match(app, f"/s{i}") == (f"s{i}", {})
    with pytest.raises(NotFound):
        app.url_map.match("/r1000/1/x", "GET")
    with pytest.raises(NotFound):
        app.url_map.match("/r5/notint/x", "GET")
    assert client.get("/r777/7/bob").text == "777:7:bob"
    assert client.get("/s777").text == "static 777"


# -- methods -------------------------------------------------------------------


def test_method_shortcuts(app: Erlen, client: t.Any) -> None:
    @app.get("/m")
    def get_() -> str:
        return "GET"

    @app.post("/m")
    def post_() -> str:
        return "POST"

    @app.put("/m")
    def put_() -> str:
        return "PUT"

    @app.patch("/m")
    def patch_() -> str:
        return "PATCH"

    @app.delete("/m")
    def delete_() -> str:
        return "DELETE"

    for method in ("get", "post", "put", "patch", "delete"):
        assert getattr(client, method)("/m").text == method.upper()


def test_shortcut_refuses_methods_argument(app: Erlen) -> None:
    with pytest.raises(TypeError):
        app.get("/x", methods=["POST"])


def test_methods_must_be_a_list(app: Erlen) -> None:
    with pytest.raises(TypeError, match="list of strings"):
        app.add_url_rule("/x", "x", lambda: "", methods="POST")


def test_methods_are_case_insensitive(app: Erlen, client: t.Any) -> None:
    @app.route("/x", methods=["post"])
    def x() -> str:
        return request.method

    assert client.post("/x").text == "POST"


def test_405_lists_allowed_methods(app: Erlen, client: t.Any) -> None:
    @app.route("/only-post", methods=["POST"])
    def only_post() -> str:
        return ""

    @app.route("/d/<int:x>", methods=["PUT", "DELETE"])
    def dyn(x: int) -> str:
        return ""

    rv = client.get("/only-post")
    assert rv.status_code == 405
    assert sorted(rv.headers["Allow"].split(", ")) == ["OPTIONS", "POST"]
    rv = client.post("/d/1")
    assert rv.status_code == 405
    assert sorted(rv.headers["Allow"].split(", ")) == ["DELETE", "OPTIONS", "PUT"]


def test_405_allow_merges_rules_on_the_same_path(app: Erlen) -> None:
    _add(app, "/same", "a", methods=["GET"])
    _add(app, "/same", "b", methods=["POST"])
    with pytest.raises(MethodNotAllowed) as info:
        app.url_map.match("/same", "DELETE")
    allow = dict(info.value.get_headers())["Allow"]
    assert set(allow.split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}


def test_automatic_head(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        return "Hello, body!"

    rv = client.head("/")
    assert rv.status_code == 200
    assert rv.data == b""
    assert rv.headers["Content-Length"] == str(len("Hello, body!"))


def test_automatic_options(app: Erlen, client: t.Any) -> None:
    @app.route("/", methods=["GET", "POST"])
    def index() -> str:
        return "never called for OPTIONS"

    rv = client.options("/")
    assert rv.status_code == 200
    assert sorted(rv.headers["Allow"].split(", ")) == ["GET", "HEAD", "OPTIONS", "POST"]
    assert rv.data == b""


def test_automatic_options_covers_every_rule_for_the_path(
    app: Erlen, client: t.Any
) -> None:
    @app.get("/things")
    def list_things() -> str:
        return ""

    @app.post("/things")
    def create_thing() -> str:
        return ""

    rv = client.options("/things")
    assert set(rv.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}


def test_automatic_options_can_be_turned_off(app: Erlen, client: t.Any) -> None:
    def index() -> str:
        return "x"

    app.add_url_rule("/", "index", index, provide_automatic_options=False)
    assert client.options("/").status_code == 405


def test_automatic_options_off_by_config(app: Erlen, client: t.Any) -> None:
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False

    @app.route("/")
    def index() -> str:
        return "x"

    assert client.options("/").status_code == 405


def test_explicit_options_view(app: Erlen, client: t.Any) -> None:
    @app.route("/", methods=["GET", "OPTIONS"])
    def index() -> str:
        return f"custom {request.method}"

    assert client.options("/").text == "custom OPTIONS"


def test_404_for_unknown_path(app: Erlen, client: t.Any) -> None:
    rv = client.get("/nothing-here")
    assert rv.status_code == 404
    assert b"Not Found" in rv.data


# -- slashes ---------------------------------------------------------------------


def test_missing_trailing_slash_redirects_with_308(app: Erlen, client: t.Any) -> None:
    @app.route("/folder/")
    def folder() -> str:
        return "folder"

    rv = client.get("/folder", query_string={"a": "1", "b": "x y"})
    assert rv.status_code == 308
    assert rv.headers["Location"].endswith("/folder/?a=1&b=x+y")
    rv = client.post("/folder")
    assert rv.status_code == 308
    assert client.get("/folder", follow_redirects=True).text == "folder"


def test_missing_trailing_slash_on_dynamic_rule_redirects(app: Erlen) -> None:
    _add(app, "/u/<name>/")
    with pytest.raises(RequestRedirect) as info:
        app.url_map.match("/u/ann", "GET")
    assert info.value.new_url == "/u/ann/"
    assert info.value.code == 308


def test_extra_trailing_slash_is_a_404(app: Erlen, client: t.Any) -> None:
    @app.route("/file")
    def file() -> str:
        return "file"

    assert client.get("/file/").status_code == 404


def test_strict_slashes_false_matches_both(app: Erlen, client: t.Any) -> None:
    @app.route("/loose/", strict_slashes=False)
    def loose() -> str:
        return "loose"

    assert client.get("/loose/").text == "loose"
    assert client.get("/loose").status_code in (200, 404)
    assert client.get("/loose").status_code != 308


# -- endpoints -----------------------------------------------------------------


def test_duplicate_endpoint_for_another_function_is_an_error(app: Erlen) -> None:
    @app.route("/a")
    def index() -> str:
        return "a"

    with pytest.raises(AssertionError, match="overwriting an existing endpoint"):

        @app.route("/b", endpoint="index")
        def other() -> str:
            return "b"


def test_same_function_on_two_urls_is_fine(app: Erlen, client: t.Any) -> None:
    def index() -> str:
        return request.path

    app.add_url_rule("/", "index", index)
    app.add_url_rule("/home", "index", index)
    assert client.get("/").text == "/"
    assert client.get("/home").text == "/home"


def test_endpoint_decorator(app: Erlen, client: t.Any) -> None:
    app.add_url_rule("/late", "late")

    @app.endpoint("late")
    def late() -> str:
        return "bound later"

    assert client.get("/late").text == "bound later"


def test_request_knows_its_rule(app: Erlen, client: t.Any) -> None:
    @app.route("/r/<int:x>", endpoint="the_endpoint")
    def view(x: int) -> dict[str, t.Any]:
        assert request.url_rule is not None
        return {
            "endpoint": request.endpoint,
            "rule": request.url_rule.rule,
            "view_args": request.view_args,
        }

    assert client.get("/r/3").get_json() == {
        "endpoint": "the_endpoint",
        "rule": "/r/<int:x>",
        "view_args": {"x": 3},
    }


def test_rule_defaults_are_passed_to_the_view(app: Erlen, client: t.Any) -> None:
    @app.route("/page/", defaults={"n": 1})
    @app.route("/page/<int:n>")
    def page(n: int) -> str:
        return f"page {n}"

    assert client.get("/page/").text == "page 1"
    assert client.get("/page/3").text == "page 3"


# -- url_for -------------------------------------------------------------------


@pytest.fixture
def url_app(app: Erlen) -> Erlen:
    @app.route("/")
    def index() -> str:
        return ""

    @app.route("/user/<name>")
    def user(name: str) -> str:
        return ""

    @app.route("/post/<int:year>/<slug>")
    def post(year: int, slug: str) -> str:
        return ""

    @app.route("/files/<path:p>")
    def files(p: str) -> str:
        return ""

    @app.route("/list/", defaults={"page": 1})
    @app.route("/list/<int:page>")
    def listing(page: int) -> str:
        return ""

    @app.get("/thing", endpoint="thing_get")
    def thing_get() -> str:
        return ""

    app.add_url_rule("/thing-form", "thing", lambda: "", methods=["GET"])
    app.add_url_rule("/thing-api", "thing", methods=["POST"])
    return app


def test_url_for_basic(url_app: Erlen) -> None:
    with url_app.test_request_context():
        assert url_for("index") == "/"
        assert url_for("user", name="ann") == "/user/ann"
        assert url_for("post", year=2024, slug="hello") == "/post/2024/hello"
        assert url_for("files", p="a/b c.txt") == "/files/a/b%20c.txt"
        assert url_for("user", name="a/b?c") == "/user/a%2Fb%3Fc"
        assert url_for("user", name="é") == "/user/%C3%A9"


def test_url_for_extra_values_go_to_the_query_string(url_app: Erlen) -> None:
    with url_app.test_request_context():
        assert url_for("user", name="ann", tab="posts") == "/user/ann?tab=posts"
        assert url_for("index", q="a b&c") == "/?q=a+b%26c"
        assert url_for("index", tag=["x", "y"]) == "/?tag=x&tag=y"
        assert url_for("index", skip=None) == "/"


def test_url_for_anchor(url_app: Erlen) -> None:
    with url_app.test_request_context():
        assert url_for("index", _anchor="top") == "/#top"
        assert url_for("index", _anchor="a b") == "/#a%20b"
        assert url_for("index", x=1, _anchor="s") == "/?x=1#s"


def test_url_for_external_and_scheme(url_app: Erlen) -> None:
    with url_app.test_request_context("/", base_url="http://example.com"):
        assert url_for("user", name="a", _external=True) == "http://example.com/user/a"
        assert url_for("index", _scheme="https") == "https://example.com/"
        assert (
            url_for("index", _scheme="https", _external=True) == "https://example.com/"
        )
        with pytest.raises(ValueError, match="_external"):
            url_for("index", _scheme="https", _external=False)


def test_url_for_under_a_script_root(url_app: Erlen) -> None:
    with url_app.test_request_context("/", base_url="http://example.com/mount"):
        assert url_for("user", name="a") == "/mount/user/a"
        assert url_for("index", _external=True) == "http://example.com/mount/"


def test_url_for_method(url_app: Erlen) -> None:
    with url_app.test_request_context():
        assert url_for("thing", _method="GET") == "/thing-form"
        assert url_for("thing", _method="POST") == "/thing-api"
        with pytest.raises(BuildError):
            url_for("thing", _method="DELETE")


def test_url_for_defaults(url_app: Erlen) -> None:
    with url_app.test_request_context():
        assert url_for("listing") == "/list/"
        assert url_for("listing", page=1) == "/list/"
        assert url_for("listing", page=2) == "/list/2"


def test_url_for_missing_value_is_a_clear_error(url_app: Erlen) -> None:
    with url_app.test_request_context():
        with pytest.raises(BuildError) as info:
            url_for("post", year=2024)
    message = str(info.value)
    assert "'post'" in message
    assert "slug" in message


def test_url_for_unknown_endpoint_suggests(url_app: Erlen) -> None:
    with url_app.test_request_context():
        with pytest.raises(BuildError, match="Did you mean 'user'"):
            url_for("usr")


def test_url_for_outside_a_request(url_app: Erlen) -> None:
    with url_app.app_context():
        with pytest.raises(RuntimeError, match="SERVER_NAME"):
            url_for("index")
    url_app.config.update(
        SERVER_NAME="example.org", PREFERRED_URL_SCHEME="https", APPLICATION_ROOT="/app"
    )
    with url_app.app_context():
        assert url_for("user", name="x") == "https://example.org/app/user/x"
        assert url_for("index", _external=False) == "/app/"


def test_url_for_outside_any_context_raises() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        url_for("index")


def test_url_build_error_handler(url_app: Erlen) -> None:
    def handler(error: BuildError, endpoint: str, values: dict[str, t.Any]) -> str:
        return f"/fallback/{endpoint}"

    url_app.url_build_error_handlers.append(handler)
    with url_app.test_request_context():
        assert url_for("missing") == "/fallback/missing"


def test_url_for_relative_endpoint_in_blueprint(app: Erlen, client: t.Any) -> None:
    from erlen import Blueprint

    bp = Blueprint("shop", __name__, url_prefix="/shop")

    @bp.route("/")
    def index() -> str:
        return url_for(".item", id=3)

    @bp.route("/item/<int:id>")
    def item(id: int) -> str:
        return ""

    app.register_blueprint(bp)
    assert client.get("/shop/").text == "/shop/item/3"


def test_percent_encoded_path_is_decoded_for_the_view(
    app: Erlen, client: t.Any
) -> None:
    @app.route("/user/<name>")
    def user(name: str) -> str:
        return name

    assert client.get("/user/%C3%A9l%C3%A8ve").text == "élève"
    assert client.get("/user/a%20b").text == "a b"


def test_slash_redirect_is_never_an_open_redirect(app: Erlen, wsgi: t.Any) -> None:
    @app.route("/<name>/")
    def named(name: str) -> str:
        return name

    # Browsers read "/\evil.com" like "//evil.com": the backslash is encoded.
    rv = wsgi(app, path="/\\evil.com")
    assert rv.status_code == 308
    location = rv.header("Location")
    assert location is not None
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert wsgi(app, path="//evil.com").status_code == 404


def test_is_endpoint_expecting(app: Erlen) -> None:
    _add(app, "/<lang>/page/<int:n>", "page")
    _add(app, "/plain", "plain")
    url_map = app.url_map
    assert url_map.is_endpoint_expecting("page", "lang")
    assert url_map.is_endpoint_expecting("page", "lang", "n")
    assert url_map.is_endpoint_expecting("page")
    assert not url_map.is_endpoint_expecting("page", "lang", "other")
    assert not url_map.is_endpoint_expecting("plain", "lang")
    assert not url_map.is_endpoint_expecting("missing", "lang")
