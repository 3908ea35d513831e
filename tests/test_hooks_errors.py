"""Request hooks, URL processors, error handlers, the 500 page, async."""

from __future__ import annotations

import asyncio
import logging
import typing as t

import pytest

from erlen import Blueprint
from erlen import Erlen
from erlen import Response
from erlen import abort
from erlen import g
from erlen import request
from erlen import url_for
from erlen.exceptions import BadRequest
from erlen.exceptions import HTTPException
from erlen.exceptions import InternalServerError
from erlen.exceptions import NotFound
from erlen.exceptions import default_exceptions

# -- before / after / teardown -------------------------------------------------


def test_before_request_return_value_short_circuits(app: Erlen, client: t.Any) -> None:
    called: list[str] = []

    @app.before_request
    def guard() -> t.Any:
        if request.args.get("blocked"):
            return "blocked", 403
        return None

    @app.after_request
    def after(response: Response) -> Response:
        response.headers["X-After"] = "yes"
        return response

    @app.route("/")
    def index() -> str:
        called.append("view")
        return "view"

    rv = client.get("/?blocked=1")
    assert (rv.status_code, rv.text) == (403, "blocked")
    assert rv.headers["X-After"] == "yes"
    assert called == []
    assert client.get("/").text == "view"
    assert called == ["view"]


def test_before_request_stops_at_the_first_response(app: Erlen, client: t.Any) -> None:
    order: list[str] = []

    @app.before_request
    def first() -> None:
        order.append("first")

    @app.before_request
    def second() -> str:
        order.append("second")
        return "from second"

    @app.before_request
    def third() -> None:
        order.append("third")

    @app.route("/")
    def index() -> str:
        return "view"

    assert client.get("/").text == "from second"
    assert order == ["first", "second"]


def test_before_request_can_abort(app: Erlen, client: t.Any) -> None:
    @app.before_request
    def login_required() -> None:
        if "Authorization" not in request.headers:
            abort(401)

    @app.route("/")
    def index() -> str:
        return "secret"

    assert client.get("/").status_code == 401
    assert client.get("/", headers={"Authorization": "x"}).text == "secret"


def test_before_request_runs_for_404(app: Erlen, client: t.Any) -> None:
    seen: list[str | None] = []

    @app.before_request
    def record() -> None:
        seen.append(request.endpoint)

    assert client.get("/missing").status_code == 404
    assert seen == [None]


def test_hook_order(app: Erlen, client: t.Any) -> None:
    order: list[str] = []

    @app.before_request
    def before1() -> None:
        order.append("before1")

    @app.before_request
    def before2() -> None:
        order.append("before2")

    @app.after_request
    def after1(response: Response) -> Response:
        order.append("after1")
        return response

    @app.after_request
    def after2(response: Response) -> Response:
        order.append("after2")
        return response

    @app.teardown_request
    def teardown1(exc: BaseException | None) -> None:
        order.append("teardown1")

    @app.teardown_request
    def teardown2(exc: BaseException | None) -> None:
        order.append("teardown2")

    @app.teardown_appcontext
    def teardown_app(exc: BaseException | None) -> None:
        order.append("teardown_app")

    @app.route("/")
    def index() -> str:
        order.append("view")
        return ""

    client.get("/")
    assert order == [
        "before1",
        "before2",
        "view",
        "after2",
        "after1",
        "teardown2",
        "teardown1",
        "teardown_app",
    ]


def test_after_request_can_replace_the_response(app: Erlen, client: t.Any) -> None:
    @app.after_request
    def replace(response: Response) -> Response:
        return Response("replaced", 202)

    @app.route("/")
    def index() -> str:
        return "original"

    rv = client.get("/")
    assert (rv.status_code, rv.text) == (202, "replaced")


def test_after_request_runs_on_error_pages(app: Erlen, client: t.Any) -> None:
    @app.after_request
    def mark(response: Response) -> Response:
        response.headers["X-Marked"] = "1"
        return response

    assert client.get("/missing").headers["X-Marked"] == "1"


def test_teardown_receives_the_exception(app: Erlen, client: t.Any) -> None:
    seen: list[t.Any] = []
    app.testing = False

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append(exc)

    @app.route("/ok")
    def ok() -> str:
        return ""

    @app.route("/fail")
    def fail() -> str:
        raise ZeroDivisionError("boom")

    client.get("/ok")
    assert client.get("/fail").status_code == 500
    assert seen[0] is None
    assert isinstance(seen[1], ZeroDivisionError)


def test_teardown_runs_when_the_exception_propagates(app: Erlen, client: t.Any) -> None:
    seen: list[t.Any] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append(exc)

    @app.route("/")
    def fail() -> str:
        raise KeyError("propagated")

    with pytest.raises(KeyError):
        client.get("/")
    assert len(seen) == 1
    assert isinstance(seen[0], KeyError)


def test_blueprint_hooks_run_inside_app_hooks(app: Erlen, client: t.Any) -> None:
    order: list[str] = []
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @app.before_request
    def app_before() -> None:
        order.append("app_before")

    @bp.before_request
    def bp_before() -> None:
        order.append("bp_before")

    @app.after_request
    def app_after(response: Response) -> Response:
        order.append("app_after")
        return response

    @bp.after_request
    def bp_after(response: Response) -> Response:
        order.append("bp_after")
        return response

    @bp.route("/")
    def index() -> str:
        order.append("view")
        return ""

    @app.route("/plain")
    def plain() -> str:
        return ""

    app.register_blueprint(bp)
    client.get("/bp/")
    assert order == ["app_before", "bp_before", "view", "bp_after", "app_after"]
    order.clear()
    client.get("/plain")
    assert order == ["app_before", "app_after"]


# -- URL processors --------------------------------------------------------------


def test_url_value_preprocessor_and_url_defaults(app: Erlen, client: t.Any) -> None:
    @app.url_defaults
    def add_language(endpoint: str, values: dict[str, t.Any]) -> None:
        if "lang" in values or not g.get("lang"):
            return
        if app.url_map.iter_rules(endpoint) and any(
            "lang" in r.arguments for r in app.url_map.iter_rules(endpoint)
        ):
            values["lang"] = g.lang

    @app.url_value_preprocessor
    def pull_language(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        g.lang = values.pop("lang", None) if values else None

    @app.route("/<lang>/")
    def index() -> str:
        return url_for("about")

    @app.route("/<lang>/about")
    def about() -> str:
        return f"about in {g.lang}"

    assert client.get("/de/").text == "/de/about"
    assert client.get("/fr/about").text == "about in fr"


def test_url_value_preprocessor_runs_before_before_request(
    app: Erlen, client: t.Any
) -> None:
    order: list[str] = []

    @app.before_request
    def before() -> None:
        order.append("before")

    @app.url_value_preprocessor
    def pre(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        order.append(f"pre:{endpoint}:{values}")

    @app.route("/<int:x>")
    def view(x: int) -> str:
        return str(x)

    client.get("/5")
    assert order == ["pre:view:{'x': 5}", "before"]


# -- error handlers --------------------------------------------------------------


def test_errorhandler_by_code(app: Erlen, client: t.Any) -> None:
    @app.errorhandler(404)
    def not_found(e: HTTPException) -> t.Any:
        return f"custom {e.code}", 404

    rv = client.get("/missing")
    assert (rv.status_code, rv.text) == (404, "custom 404")


def test_errorhandler_for_abort_in_a_view(app: Erlen, client: t.Any) -> None:
    @app.errorhandler(403)
    def forbidden(e: HTTPException) -> t.Any:
        return {"error": e.description}, 403

    @app.route("/")
    def index() -> t.Any:
        abort(403, description="nope")

    rv = client.get("/")
    assert rv.status_code == 403
    assert rv.get_json() == {"error": "nope"}


class PaymentError(Exception):
    pass


class CardDeclined(PaymentError):
    pass


def test_errorhandler_by_class_uses_the_mro(app: Erlen, client: t.Any) -> None:
    @app.errorhandler(PaymentError)
    def payment(e: PaymentError) -> t.Any:
        return f"payment failed: {type(e).__name__}", 402

    @app.route("/")
    def index() -> str:
        raise CardDeclined()

    rv = client.get("/")
    assert (rv.status_code, rv.text) == (402, "payment failed: CardDeclined")


def test_most_specific_handler_wins(app: Erlen, client: t.Any) -> None:
    @app.errorhandler(PaymentError)
    def general(e: Exception) -> t.Any:
        return "general", 500

    @app.errorhandler(CardDeclined)
    def specific(e: Exception) -> t.Any:
        return "specific", 402

    @app.route("/")
    def index() -> str:
        raise CardDeclined()

    assert client.get("/").text == "specific"


def test_register_error_handler(app: Erlen, client: t.Any) -> None:
    def handle_bad_request(e: BadRequest) -> t.Any:
        return "bad request!", 400

    app.register_error_handler(400, handle_bad_request)

    @app.route("/")
    def index() -> str:
        return request.args["missing"]

    rv = client.get("/")
    assert (rv.status_code, rv.text) == (400, "bad request!")


def test_http_exception_handler_catches_all_http_errors(
    app: Erlen, client: t.Any
) -> None:
    @app.errorhandler(HTTPException)
    def any_http(e: HTTPException) -> t.Any:
        return {"code": e.code, "name": e.name}, e.code

    @app.route("/")
    def index() -> str:
        abort(409)

    assert client.get("/missing").get_json() == {"code": 404, "name": "Not Found"}
    assert client.get("/").get_json() == {"code": 409, "name": "Conflict"}
    rv = client.post("/")
    assert rv.get_json()["code"] == 405


def test_exception_handler_also_sees_http_exceptions(app: Erlen, client: t.Any) -> None:
    @app.errorhandler(Exception)
    def anything(e: Exception) -> t.Any:
        return f"caught {type(e).__name__}", 500

    @app.route("/")
    def index() -> str:
        raise RuntimeError()

    assert client.get("/").text == "caught RuntimeError"
    assert client.get("/missing").text == "caught NotFound"


def test_errorhandler_can_return_a_response(app: Erlen, client: t.Any) -> None:
    @app.errorhandler(NotFound)
    def nf(e: NotFound) -> Response:
        return Response("gone", 410, {"X-Handled": "1"})

    rv = client.get("/x")
    assert (rv.status_code, rv.text, rv.headers["X-Handled"]) == (410, "gone", "1")


def test_invalid_error_handler_registrations(app: Erlen) -> None:
    with pytest.raises((KeyError, ValueError)):
        app.register_error_handler(999, lambda e: "")
    with pytest.raises((TypeError, ValueError)):
        app.register_error_handler(str, lambda e: "")  # type: ignore[arg-type]


def test_500_handler_gets_the_original_exception(app: Erlen, client: t.Any) -> None:
    app.testing = False
    seen: list[t.Any] = []

    @app.errorhandler(500)
    def server_error(e: InternalServerError) -> t.Any:
        seen.append(e.original_exception)
        return "sorry", 500

    @app.route("/")
    def index() -> str:
        raise ValueError("hidden detail")

    rv = client.get("/")
    assert (rv.status_code, rv.text) == (500, "sorry")
    assert isinstance(seen[0], ValueError)


@pytest.mark.parametrize("code", sorted(c for c in default_exceptions if c >= 400))
def test_every_http_error_code_through_abort(
    app: Erlen, client: t.Any, code: int
) -> None:
    @app.route("/")
    def index() -> str:
        abort(code)

    rv = client.get("/")
    assert rv.status_code == code
    exc = default_exceptions[code]()
    assert exc.code == code
    assert exc.description
    assert exc.get_response().status_code == code


def test_http_exception_description_is_escaped(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        abort(400, description="<script>alert(1)</script>")

    rv = client.get("/")
    assert b"<script>" not in rv.data
    assert b"&lt;script&gt;" in rv.data


# -- unhandled exceptions --------------------------------------------------------


class _KeepRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_unhandled_exception_is_a_generic_500_and_logged(
    app: Erlen, client: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The app's logger is process-wide ("test_app"): another test (or a
    # logging.config call, which disables existing loggers) may have changed
    # its level, handlers or propagation.  Capture on the logger itself, with
    # those settings pinned for this test only.
    app.testing = False
    logger = app.logger
    monkeypatch.setattr(logger, "disabled", False)
    monkeypatch.setattr(logging.root.manager, "disable", logging.NOTSET)
    old_level = logger.level
    logger.setLevel(logging.ERROR)
    keep = _KeepRecords()
    logger.addHandler(keep)

    @app.route("/")
    def index() -> str:
        raise ValueError("secret database password in message")

    try:
        rv = client.get("/")
    finally:
        logger.removeHandler(keep)
        logger.setLevel(old_level)
    assert rv.status_code == 500
    assert b"Internal Server Error" in rv.data
    assert b"secret database password" not in rv.data
    assert b"Traceback" not in rv.data
    assert b"ValueError" not in rv.data
    [record] = keep.records
    assert record.getMessage() == "Exception on / [GET]"
    assert record.exc_info is not None
    assert record.exc_info[0] is ValueError


def test_propagate_exceptions_in_testing(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        raise LookupError("visible in tests")

    assert app.testing
    with pytest.raises(LookupError, match="visible in tests"):
        client.get("/")


def test_propagate_exceptions_setting_wins(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        raise LookupError()

    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.get("/").status_code == 500
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=True)
    with pytest.raises(LookupError):
        client.get("/")


def test_http_exceptions_are_not_propagated_in_testing(
    app: Erlen, client: t.Any
) -> None:
    @app.route("/")
    def index() -> str:
        abort(418)

    assert client.get("/").status_code == 418


def test_trap_http_exceptions(app: Erlen, client: t.Any) -> None:
    app.config["TRAP_HTTP_EXCEPTIONS"] = True

    @app.route("/")
    def index() -> str:
        abort(404)

    with pytest.raises(NotFound):
        client.get("/")


def test_trap_bad_request_errors(app: Erlen, client: t.Any) -> None:
    app.config["TRAP_BAD_REQUEST_ERRORS"] = True

    @app.route("/")
    def index() -> str:
        return request.args["missing"]

    with pytest.raises(KeyError):
        client.get("/")


def test_error_in_error_handler_becomes_500(app: Erlen, client: t.Any) -> None:
    app.testing = False

    @app.errorhandler(404)
    def broken(e: HTTPException) -> t.Any:
        raise RuntimeError("handler broke")

    rv = client.get("/missing")
    assert rv.status_code == 500
    assert b"handler broke" not in rv.data


# -- async ---------------------------------------------------------------------


def test_async_view(app: Erlen, client: t.Any) -> None:
    @app.route("/<int:n>")
    async def index(n: int) -> dict[str, t.Any]:
        await asyncio.sleep(0)
        return {"n": n, "path": request.path}

    assert client.get("/3").get_json() == {"n": 3, "path": "/3"}


def test_async_hooks(app: Erlen, client: t.Any) -> None:
    order: list[str] = []

    @app.before_request
    async def before() -> None:
        await asyncio.sleep(0)
        order.append("before")

    @app.after_request
    async def after(response: Response) -> Response:
        await asyncio.sleep(0)
        order.append("after")
        response.headers["X-Async"] = "1"
        return response

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        await asyncio.sleep(0)
        order.append("teardown")

    @app.route("/")
    async def index() -> str:
        order.append("view")
        return "ok"

    rv = client.get("/")
    assert rv.headers["X-Async"] == "1"
    assert order == ["before", "view", "after", "teardown"]


def test_async_before_request_short_circuits(app: Erlen, client: t.Any) -> None:
    @app.before_request
    async def guard() -> str:
        return "stopped"

    @app.route("/")
    def index() -> str:
        return "view"

    assert client.get("/").text == "stopped"


def test_async_error_handler(app: Erlen, client: t.Any) -> None:
    @app.errorhandler(PaymentError)
    async def payment(e: PaymentError) -> t.Any:
        await asyncio.sleep(0)
        return "async handled", 402

    @app.route("/")
    async def index() -> str:
        raise PaymentError()

    rv = client.get("/")
    assert (rv.status_code, rv.text) == (402, "async handled")


def test_async_view_exception_propagates_in_testing(app: Erlen, client: t.Any) -> None:
    @app.route("/")
    async def index() -> str:
        raise ZeroDivisionError()

    with pytest.raises(ZeroDivisionError):
        client.get("/")
