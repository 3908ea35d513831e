"""Templates: rendering, autoescape, folders, context, helpers, streaming."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from jinja2 import TemplateNotFound
from markupsafe import Markup

from erlen import Blueprint
from erlen import Erlen
from erlen import g
from erlen import get_template_attribute
from erlen import render_template
from erlen import render_template_string
from erlen import session
from erlen import stream_template
from erlen import stream_template_string

HERE = Path(__file__).parent


@pytest.fixture
def app() -> Erlen:
    app = Erlen(__name__)
    app.testing = True
    app.secret_key = "templates"
    return app


def text(response) -> str:  # type: ignore[no-untyped-def]
    return t_cast(response.get_data(as_text=True))


def t_cast(value: object) -> str:
    assert isinstance(value, str)
    return value


# -- rendering -----------------------------------------------------------------


def test_render_template_from_the_app_folder(app: Erlen) -> None:
    @app.get("/")
    def index() -> str:
        return render_template("hello.html", name="Ada")

    response = app.test_client().get("/")
    assert text(response) == "Hello Ada!"
    assert response.mimetype == "text/html"


def test_inheritance_and_includes_resolve_through_the_loader(app: Erlen) -> None:
    with app.app_context():
        assert render_template("child.html", title="T") == "<title>T</title>child of T"


def test_list_of_names_renders_the_first_that_exists(app: Erlen) -> None:
    with app.app_context():
        out = render_template(["missing.html", "hello.html"], name="x")
    assert out == "Hello x!"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("escape.html", "&lt;b&gt;&amp;|<b>&"),
        ("escape.svg", "&lt;b&gt;&amp;"),
        ("escape.txt", "<b>&"),
    ],
)
def test_autoescape_by_extension(app: Erlen, name: str, expected: str) -> None:
    with app.app_context():
        assert render_template(name, text="<b>&") == expected


def test_render_template_string_autoescapes_and_respects_markup(app: Erlen) -> None:
    with app.app_context():
        out = render_template_string(
            "{{ a }}{{ b }}{% autoescape false %}{{ a }}{% endautoescape %}",
            a="<i>",
            b=Markup("<em>ok</em>"),
        )
    assert out == "&lt;i&gt;<em>ok</em><i>"


def test_tojson_uses_the_app_provider_and_is_html_safe(app: Erlen) -> None:
    with app.app_context():
        out = render_template("tojson.html", data={"b": "</script>", "a": 1})
    assert out == (
        '<script>var data = {"a": 1, "b": "\\u003c/script\\u003e"};</script>'
    )


def test_missing_template_names_the_folders_searched(app: Erlen) -> None:
    bp = Blueprint("shop", __name__, template_folder="templates/bp_one")
    app.register_blueprint(bp)
    with app.app_context(), pytest.raises(TemplateNotFound) as info:
        render_template("nope.html")
    message = str(info.value)
    assert "nope.html" in message
    assert str(HERE / "templates") in message
    assert str(HERE / "templates" / "bp_one") in message
    assert info.value.name == "nope.html"


def test_missing_template_in_a_view_is_a_500_not_a_leak(
    app: Erlen, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.testing = False
    monkeypatch.setattr(app.logger, "disabled", True)

    @app.get("/")
    def index() -> str:
        return render_template("nope.html")

    response = app.test_client().get("/")
    assert response.status_code == 500
    assert "templates" not in text(response)


def test_explain_template_loading_logs_every_attempt(
    app: Erlen, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    app.register_blueprint(
        Blueprint("one", __name__, template_folder="templates/bp_one")
    )
    app.register_blueprint(
        Blueprint("two", __name__, template_folder="templates/bp_two")
    )
    with caplog.at_level(logging.INFO, logger=app.logger.name), app.app_context():
        assert render_template("admin/page.html") == "one: admin page"
    log = caplog.text
    assert "Locating template 'admin/page.html'" in log
    assert "application" in log and "no match" in log
    assert "blueprint 'one'" in log and "blueprint 'two'" in log
    assert "multiple loaders returned a match" in log


def test_rendering_needs_an_app_context() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        render_template_string("x")


def test_app_context_without_request_has_config_and_g(app: Erlen) -> None:
    app.config["GREETING"] = "hey"
    with app.app_context():
        g.user = "ada"
        out = render_template_string("{{ config.GREETING }} {{ g.user }}")
    assert out == "hey ada"


# -- what every template sees --------------------------------------------------


def test_request_session_g_config_url_for_and_flashes(app: Erlen) -> None:
    from erlen import flash

    app.config["GREETING"] = "hi"

    @app.get("/page")
    def page() -> str:
        g.user = "ada"
        session["user"] = "lovelace"
        flash("first")
        return render_template("globals.html")

    out = text(app.test_client().get("/page"))
    assert out == "/page|ada|hi|lovelace|/page|first"


def test_template_that_ignores_the_session_does_not_open_it(app: Erlen) -> None:
    @app.get("/")
    def index() -> str:
        return render_template("hello.html", name="x")

    response = app.test_client().get("/")
    assert "Vary" not in response.headers
    assert response.headers.getlist("Set-Cookie") == []


def test_imported_macro_can_use_request_and_session(app: Erlen) -> None:
    @app.get("/")
    def index() -> str:
        session["user"] = "ada"
        return render_template("use_macro.html")

    assert text(app.test_client().get("/?who=Bob")) == "Hi Bob!|ada"


def test_get_template_attribute_calls_a_macro(app: Erlen) -> None:
    with app.app_context():
        greet = get_template_attribute("macros.html", "greet")
        assert greet("Ada") == "Hi Ada!"
        assert get_template_attribute("macros.html", "answer") == 42


def test_context_processors_app_and_explicit_context_wins(app: Erlen) -> None:
    @app.context_processor
    def site() -> dict[str, object]:
        return {"site": "erlen", "name": "processor"}

    @app.context_processor
    def helpers() -> dict[str, object]:
        return {"shout": lambda s: s.upper()}

    with app.test_request_context("/"):
        out = render_template_string("{{ site }} {{ shout(name) }}", name="given")
    assert out == "erlen GIVEN"


def test_context_processors_of_blueprints_are_scoped(app: Erlen) -> None:
    bp = Blueprint("admin", __name__, url_prefix="/admin")

    @bp.context_processor
    def local() -> dict[str, object]:
        return {"area": "admin"}

    @bp.app_context_processor
    def everywhere() -> dict[str, object]:
        return {"brand": "ACME"}

    source = "{{ area|default('public') }} {{ brand }}"

    @bp.get("/")
    def admin_index() -> str:
        return render_template_string(source)

    @app.get("/")
    def index() -> str:
        return render_template_string(source)

    app.register_blueprint(bp)
    client = app.test_client()
    assert text(client.get("/admin/")) == "admin ACME"
    assert text(client.get("/")) == "public ACME"


def test_async_context_processor(app: Erlen) -> None:
    @app.context_processor
    async def slow() -> dict[str, object]:
        return {"value": "async ok"}

    with app.test_request_context("/"):
        assert render_template_string("{{ value }}") == "async ok"


# -- filters, tests, globals ---------------------------------------------------


def test_app_filters_tests_and_globals(app: Erlen) -> None:
    @app.template_filter()
    def reverse(s: str) -> str:
        return s[::-1]

    @app.template_filter("twice")
    def double(s: str) -> str:
        return s * 2

    @app.template_test()
    def even(n: int) -> bool:
        return n % 2 == 0

    @app.template_test("odd_one")
    def odd(n: int) -> bool:
        return n % 2 == 1

    @app.template_global()
    def answer() -> int:
        return 42

    app.add_template_filter(str.upper, "up")
    app.add_template_test(lambda s: s == "", "blank")
    app.add_template_global("v1", "version")

    with app.app_context():
        out = render_template_string(
            "{{ 'abc'|reverse }} {{ 'ab'|twice }} {{ 4 is even }} {{ 3 is odd_one }}"
            " {{ answer() }} {{ 'x'|up }} {{ '' is blank }} {{ version }}"
        )
    assert out == "cba abab True True 42 X True v1"


def test_blueprint_filters_tests_and_globals_reach_the_app(app: Erlen) -> None:
    bp = Blueprint("helpers", __name__)

    @bp.app_template_filter()
    def snake(s: str) -> str:
        return s.replace(" ", "_")

    @bp.template_filter("kebab")
    def kebab(s: str) -> str:
        return s.replace(" ", "-")

    @bp.app_template_test()
    def shouty(s: str) -> bool:
        return s.isupper()

    @bp.app_template_global("site_name")
    def site_name() -> str:
        return "Erlen"

    app.register_blueprint(bp)
    with app.app_context():
        out = render_template_string(
            "{{ 'a b'|snake }} {{ 'a b'|kebab }} {{ 'HI' is shouty }} {{ site_name() }}"
        )
    assert out == "a_b a-b True Erlen"


def test_custom_jinja_options() -> None:
    class TrimmedApp(Erlen):
        jinja_options = {"trim_blocks": True, "lstrip_blocks": True}

    app = TrimmedApp(__name__)
    with app.app_context():
        out = render_template_string("  {% if true %}\nyes\n  {% endif %}\n")
    assert out == "yes\n"


# -- blueprint template folders ------------------------------------------------


def test_blueprint_template_folder(app: Erlen) -> None:
    bp = Blueprint("one", __name__, template_folder="templates/bp_one")

    @bp.get("/admin")
    def admin() -> str:
        return render_template("admin/page.html")

    app.register_blueprint(bp)
    assert text(app.test_client().get("/admin")) == "one: admin page"


def test_app_folder_overrides_blueprint_and_order_is_registration(app: Erlen) -> None:
    app.register_blueprint(
        Blueprint("one", __name__, template_folder="templates/bp_one")
    )
    app.register_blueprint(
        Blueprint("two", __name__, template_folder="templates/bp_two")
    )
    with app.app_context():
        assert render_template("shared.html") == "app shared"
        assert render_template("admin/page.html") == "one: admin page"
        assert render_template("only_two.html") == "two: only two"
    assert {"admin/page.html", "only_two.html", "hello.html"} <= set(
        app.jinja_env.list_templates()
    )


def test_nested_blueprint_template_folder(app: Erlen) -> None:
    parent = Blueprint("parent", __name__, url_prefix="/p")
    child = Blueprint("child", __name__, template_folder="templates/bp_two")

    @child.get("/c")
    def page() -> str:
        return render_template("only_two.html")

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    assert text(app.test_client().get("/p/c")) == "two: only two"


def test_blueprint_without_template_folder_adds_no_loader(app: Erlen) -> None:
    app.register_blueprint(Blueprint("bare", __name__))
    with app.app_context(), pytest.raises(TemplateNotFound) as info:
        render_template("admin/page.html")
    assert "bare" not in str(info.value)


# -- streaming -----------------------------------------------------------------


def test_stream_template_keeps_the_request_alive(app: Erlen) -> None:
    @app.get("/stream")
    def stream() -> object:
        return app.response_class(stream_template("stream.html", items=[1, 2, 3]))

    response = app.test_client().get("/stream")
    assert text(response) == "<1><2><3>|/stream"


def test_stream_template_string_yields_pieces(app: Erlen) -> None:
    @app.get("/pieces")
    def pieces() -> object:
        chunks = stream_template_string(
            "{% for i in items %}{{ i }}{% endfor %}", items=["<a>", "b"]
        )
        return app.response_class(chunks)

    response = app.test_client().get("/pieces")
    assert text(response) == "&lt;a&gt;b"


def test_stream_outside_a_request_is_a_plain_generator(app: Erlen) -> None:
    with app.app_context():
        parts = list(stream_template_string("{{ a }}-{{ b }}", a=1, b=2))
    assert "".join(parts) == "1-2"


# -- reloading -----------------------------------------------------------------


def write(path: Path, content: str, bump: int) -> None:
    path.write_text(content)
    stamp = 1_700_000_000 + bump
    os.utime(path, (stamp, stamp))


@pytest.mark.parametrize(
    ("debug", "setting", "reloads"),
    [
        (True, None, True),
        (False, None, False),
        (False, True, True),
        (True, False, False),
    ],
)
def test_templates_reload_on_change(
    tmp_path: Path, debug: bool, setting: bool | None, reloads: bool
) -> None:
    (tmp_path / "templates").mkdir()
    page = tmp_path / "templates" / "page.html"
    write(page, "first", 0)
    app = Erlen("reload_app", root_path=str(tmp_path))
    app.config["DEBUG"] = debug
    app.config["TEMPLATES_AUTO_RELOAD"] = setting
    with app.app_context():
        assert render_template("page.html") == "first"
        write(page, "second", 10)
        assert render_template("page.html") == ("second" if reloads else "first")


def test_turning_debug_on_later_turns_reloading_on(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    page = tmp_path / "templates" / "page.html"
    write(page, "first", 0)
    app = Erlen("reload_app", root_path=str(tmp_path))
    with app.app_context():
        assert render_template("page.html") == "first"
        app.debug = True
        write(page, "second", 10)
        assert render_template("page.html") == "second"


# -- signals -------------------------------------------------------------------


def test_render_signals(app: Erlen) -> None:
    pytest.importorskip("blinker")
    from erlen.signals import before_render_template
    from erlen.signals import template_rendered

    events: list[tuple[str, str | None, object]] = []

    def before(sender: Erlen, template, context, **extra: object) -> None:  # type: ignore[no-untyped-def]
        events.append(("before", template.name, context["name"]))
        context["name"] = "changed"

    def after(sender: Erlen, template, context, **extra: object) -> None:  # type: ignore[no-untyped-def]
        events.append(("after", template.name, context["name"]))

    with (
        before_render_template.connected_to(before, app),
        template_rendered.connected_to(after, app),
        app.app_context(),
    ):
        out = render_template("hello.html", name="Ada")
    assert out == "Hello changed!"
    assert events == [
        ("before", "hello.html", "Ada"),
        ("after", "hello.html", "changed"),
    ]
