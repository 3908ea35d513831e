"""erlen's benchmark app: ``flask_app.py`` with only the framework name changed.

The source of ``flask_app.py`` is read, ``flask``/``Flask`` are rewritten to
``erlen``/``Erlen`` and the result runs in this module's namespace, so both apps
are the same code by construction (``tests/test_bench_apps.py`` checks that only
the import lines and the constructor call differ).
"""

from __future__ import annotations

import re
from pathlib import Path

SOURCE = Path(__file__).resolve().with_name("flask_app.py")
_NAMES = re.compile(r"\b(flask|Flask)\b")


def rewrite(source: str) -> str:
    """Return ``source`` with the framework's module and class names swapped."""
    return _NAMES.sub(lambda m: "erlen" if m.group(1) == "flask" else "Erlen", source)


exec(compile(rewrite(SOURCE.read_text()), str(SOURCE), "exec"), globals())
