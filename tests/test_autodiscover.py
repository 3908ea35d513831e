"""Controller auto-discovery: import a package's modules, register their blueprints."""

from __future__ import annotations

import os
import sys
import textwrap
import typing as t
import uuid

import pytest

from erlen import Blueprint
from erlen import Erlen

HERE = os.path.dirname(os.path.abspath(__file__))


def _forget(prefix: str) -> None:
    for name in [n for n in sys.modules if n == prefix or n.startswith(prefix + ".")]:
        del sys.modules[name]


@pytest.fixture
def controllers(monkeypatch: pytest.MonkeyPatch) -> t.Iterator[str]:
    """The on-disk ``controllers_pkg``, freshly imported for each test."""
    monkeypatch.syspath_prepend(HERE)
    _forget("controllers_pkg")
    yield "controllers_pkg"
    _forget("controllers_pkg")


@pytest.fixture
def make_package(
    tmp_path: t.Any, monkeypatch: pytest.MonkeyPatch
) -> t.Iterator[t.Callable[[dict[str, str]], str]]:
    """Write a package of modules (``{"a/b.py": source}``) under a fresh name."""
    monkeypatch.syspath_prepend(str(tmp_path))
    names: list[str] = []

    def make(files: dict[str, str]) -> str:
        name = f"ctl_{uuid.uuid4().hex[:8]}"
        names.append(name)
        root = tmp_path / name
        root.mkdir()
        (root / "__init__.py").write_text("")
        for rel, source in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            init = target.parent / "__init__.py"
            if not init.exists():
                init.write_text("")
            target.write_text(textwrap.dedent(source))
        return name

    yield make
    for name in names:
        _forget(name)


def test_every_controller_is_registered_in_a_stable_order(
    app: Erlen, client: t.Any, controllers: str
) -> None:
    found = app.autodiscover(controllers)
    assert [bp.name for bp in found] == ["admin", "home", "users"]
    assert list(app.blueprints) == ["admin", "admin.reports", "home", "users"]
    assert client.get("/").text == "home"
    assert client.get("/users/").text == "/users/7"
    assert client.get("/users/7").text == "user 7"
    assert client.get("/admin/").text == "admin"
    # The nested child is reached through its parent, not registered twice.
    assert client.get("/admin/reports/").text == "reports via admin.reports"
    assert client.get("/reports/").status_code == 404
    assert "reports" not in app.blueprints


def test_submodules_are_imported_recursively(app: Erlen, controllers: str) -> None:
    app.autodiscover(controllers)
    for name in ("admin", "admin.reports", "home", "users", "utils"):
        assert f"{controllers}.{name}" in sys.modules


def test_discovery_is_idempotent(app: Erlen, controllers: str) -> None:
    app.autodiscover(controllers)
    assert app.autodiscover(controllers) == []
    assert len(app.blueprints) == 4


def test_already_registered_blueprints_are_skipped(
    app: Erlen, controllers: str
) -> None:
    import controllers_pkg.home

    app.register_blueprint(controllers_pkg.home.bp, url_prefix="/start")
    found = app.autodiscover(controllers)
    assert [bp.name for bp in found] == ["admin", "users"]
    rules = {r.rule for r in app.url_map.iter_rules()}
    assert "/start/" in rules
    assert "/" not in rules


def test_a_single_module_works_too(
    app: Erlen, client: t.Any, make_package: t.Any
) -> None:
    pkg = make_package(
        {
            "only.py": """
            from erlen import Blueprint
            bp = Blueprint("only", __name__, url_prefix="/only")

            @bp.route("/")
            def index():
                return "only"
            """
        }
    )
    assert [bp.name for bp in app.autodiscover(f"{pkg}.only")] == ["only"]
    assert client.get("/only/").text == "only"


def test_order_is_sorted_not_filesystem_order(app: Erlen, make_package: t.Any) -> None:
    source = """
    from erlen import Blueprint
    bp = Blueprint({name!r}, __name__, url_prefix="/{name}")
    """
    names = ["zeta", "alpha", "mid", "beta"]
    pkg = make_package(
        {f"{n}.py": source.format(name=n) for n in names}
        | {"nested/inner.py": source.format(name="inner")}
    )
    found = app.autodiscover(pkg)
    assert [bp.name for bp in found] == ["alpha", "beta", "mid", "inner", "zeta"]


def test_broken_module_is_an_import_error_naming_it(
    app: Erlen, make_package: t.Any
) -> None:
    pkg = make_package(
        {
            "good.py": "from erlen import Blueprint\nbp = Blueprint('g', __name__)\n",
            "bad.py": "import module_that_does_not_exist_42\n",
        }
    )
    with pytest.raises(ImportError, match=rf"{pkg}\.bad") as info:
        app.autodiscover(pkg)
    assert isinstance(info.value.__cause__, ModuleNotFoundError)
    assert "module_that_does_not_exist_42" in str(info.value)


@pytest.mark.parametrize(
    "source",
    ["def broken(:\n", "raise RuntimeError('config missing')\n", "1 / 0\n"],
    ids=["syntax", "runtime", "zero"],
)
def test_any_failure_while_importing_names_the_module(
    app: Erlen, make_package: t.Any, source: str
) -> None:
    pkg = make_package({"views.py": source})
    with pytest.raises(ImportError, match=rf"{pkg}\.views"):
        app.autodiscover(pkg)


@pytest.mark.parametrize(
    "source",
    [
        "import module_that_does_not_exist_42\n",
        "raise RuntimeError('boom')\n",
    ],
    ids=["import", "runtime"],
)
def test_broken_subpackage_init_names_the_subpackage(
    app: Erlen, make_package: t.Any, source: str
) -> None:
    pkg = make_package({"sub/__init__.py": source, "sub/views.py": ""})
    with pytest.raises(ImportError, match=rf"{pkg}\.sub"):
        app.autodiscover(pkg)


def test_missing_package_is_a_clear_error(app: Erlen) -> None:
    with pytest.raises(ImportError, match="no_such_controllers_pkg"):
        app.autodiscover("no_such_controllers_pkg")


def test_module_without_blueprints_registers_nothing(
    app: Erlen, make_package: t.Any
) -> None:
    pkg = make_package({"plain.py": "VALUE = 1\n"})
    assert app.autodiscover(pkg) == []
    assert app.blueprints == {}


def test_blueprint_nested_in_another_module_is_not_registered_twice(
    app: Erlen, client: t.Any, make_package: t.Any
) -> None:
    pkg = make_package(
        {
            "api.py": """
            from erlen import Blueprint
            from .v1 import bp as v1

            bp = Blueprint("api", __name__, url_prefix="/api")
            bp.register_blueprint(v1)
            """,
            "v1.py": """
            from erlen import Blueprint
            bp = Blueprint("v1", __name__, url_prefix="/v1")

            @bp.route("/ping")
            def ping():
                return "pong"
            """,
        }
    )
    found = app.autodiscover(pkg)
    assert [bp.name for bp in found] == ["api"]
    assert client.get("/api/v1/ping").text == "pong"
    assert client.get("/v1/ping").status_code == 404


def test_discovered_blueprint_type_is_checked(app: Erlen, make_package: t.Any) -> None:
    # Only Blueprint instances count, not classes or look-alikes.
    pkg = make_package(
        {
            "mod.py": """
            from erlen import Blueprint
            Kind = Blueprint

            class FakeBlueprint:
                name = "fake"

            fake = FakeBlueprint()
            """
        }
    )
    assert app.autodiscover(pkg) == []
    assert isinstance(Blueprint, type)


def test_blueprint_imported_from_another_package_is_left_alone(
    app: Erlen, client: t.Any, make_package: t.Any
) -> None:
    # A module that imports a blueprint made elsewhere does not own it.
    other = make_package(
        {
            "views.py": """
            from erlen import Blueprint
            bp = Blueprint("shared", __name__, url_prefix="/shared")

            @bp.route("/")
            def index():
                return "shared"
            """
        }
    )
    pkg = make_package(
        {
            "mine.py": f"""
            from erlen import Blueprint
            from {other}.views import bp as shared

            bp = Blueprint("mine", __name__, url_prefix="/mine")

            @bp.route("/")
            def index():
                return "mine"
            """
        }
    )
    assert [bp.name for bp in app.autodiscover(pkg)] == ["mine"]
    assert [bp.name for bp in app.autodiscover(other)] == ["shared"]
    assert client.get("/mine/").text == "mine"
    assert client.get("/shared/").text == "shared"
