"""erlen's batteries app: ``flask_batteries.py`` with only the imports changed.

Flask-Login becomes ``erlen.auth``, Flask-SQLAlchemy ``erlen.db``, and
``flask``/``Flask`` become ``erlen``/``Erlen`` (``tests/test_bench_batteries.py``
checks that only the import lines and the constructor call differ).
"""

from __future__ import annotations

import re
from pathlib import Path

SOURCE = Path(__file__).resolve().with_name("flask_batteries.py")
_NAMES = re.compile(r"\b(flask_login|flask_sqlalchemy|flask|Flask)\b")
_TO = {
    "flask_login": "erlen.auth",
    "flask_sqlalchemy": "erlen.db",
    "flask": "erlen",
    "Flask": "Erlen",
}


def rewrite(source: str) -> str:
    """Return ``source`` with the framework's and extensions' names swapped."""
    return _NAMES.sub(lambda m: _TO[m.group(1)], source)


exec(compile(rewrite(SOURCE.read_text()), str(SOURCE), "exec"), globals())
