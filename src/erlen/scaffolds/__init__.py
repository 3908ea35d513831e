"""``erlen new NAME``: write a project a newcomer can run and test at once.

The files live next to this module as ``*.tmpl`` (shipped as package data).
In their paths and text, ``%%project%%`` is the project's name,
``%%package%%`` its import name and ``%%extras%%`` the erlen extras; the
folder ``_package_`` becomes the package and ``dot-x`` becomes ``.x``.  A
line ending in ``# db-only`` is kept (without the marker) only with ``--db``.
"""

from __future__ import annotations

import importlib.util
import keyword
import re
import sys
from pathlib import Path

import click

TEMPLATE_ROOT = Path(__file__).resolve().parent / "project"
_DB_MARK = "# db-only"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def package_name(project: str) -> str:
    """The import name for a project name: ``my-blog`` → ``my_blog``."""
    return project.replace("-", "_").lower()


def _check_name(project: str) -> str:
    package = package_name(project)
    if not _NAME.match(project) or keyword.iskeyword(package):
        raise click.BadParameter(
            f"{project!r} is not a usable name: use letters, digits, '_' or '-',"
            " starting with a letter.",
            param_hint="NAME",
        )
    if package in sys.stdlib_module_names or package in ("erlen", "tests", "test"):
        raise click.BadParameter(
            f"{project!r} would shadow the module {package!r}; pick another name.",
            param_hint="NAME",
        )
    return package


def _db_available() -> bool:
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("sqlalchemy", "erlen.db")
    )


def _render(text: str, values: dict[str, str], db: bool) -> str:
    lines = []
    for line in text.splitlines(keepends=True):
        stripped = line.rstrip("\n")
        if stripped.endswith(_DB_MARK):
            if not db:
                continue
            line = stripped[: -len(_DB_MARK)].rstrip() + "\n"
        lines.append(line)
    text = "".join(lines)
    for key, value in values.items():
        text = text.replace(f"%%{key}%%", value)
    return text


def _target_path(relative: Path, package: str) -> Path:
    parts = []
    for part in relative.parts:
        if part == "_package_":
            part = package
        elif part.startswith("dot-"):
            part = "." + part[4:]
        parts.append(part)
    target = Path(*parts)
    return target.with_name(target.name.removesuffix(".tmpl"))


def create_project(project: str, parent: Path, db: bool = False) -> Path:
    """Write the project ``project`` into ``parent/project``; return that folder."""
    package = _check_name(project)
    root = parent / project
    if root.exists() and any(root.iterdir()):
        raise click.ClickException(f"'{root}' exists and is not empty.")
    values = {
        "project": project,
        "package": package,
        "extras": "[db]" if db else "",
    }
    for source in sorted(TEMPLATE_ROOT.rglob("*.tmpl")):
        relative = source.relative_to(TEMPLATE_ROOT)
        if not db and relative.name == "models.py.tmpl":
            continue
        target = root / _target_path(relative, package)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            _render(source.read_text(encoding="utf-8"), values, db), encoding="utf-8"
        )
    for folder in ("templates", "static"):
        (root / package / folder).mkdir(parents=True, exist_ok=True)
    return root


@click.command("new", short_help="Create a new project.")
@click.argument("name")
@click.option(
    "--path",
    "parent",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The folder to create the project in.",
)
@click.option(
    "--db/--no-db",
    default=None,
    help="Add models.py and erlen.db (default: when the db extra is installed).",
)
def new_command(name: str, parent: Path, db: bool | None) -> None:
    """Create the project NAME: a package with create_app(), controllers, templates,
    static files, tests and a pyproject.toml.
    """
    if db is None:
        db = _db_available()
    root = create_project(name, parent, db=db)
    package = package_name(name)
    click.echo(f"Created {root}")
    click.echo(
        f"\nNext:\n  cd {root}\n  pip install -e '.[dev]'\n"
        f"  python -m {package}      # http://127.0.0.1:5000\n"
        "  python -m pytest"
    )
