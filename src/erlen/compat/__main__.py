"""``python -m erlen.compat [-m module | script.py] [args...]``.

Installs compat mode, then runs the module or script as ``__main__`` with
``sys.argv`` as it would see it, so ``python -m erlen.compat -m pytest`` runs
a Flask project's test suite on erlen.
"""

from __future__ import annotations

import runpy
import sys

from . import install

_USAGE = "usage: python -m erlen.compat [-m module | script.py] [args...]"


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(_USAGE, file=sys.stderr if not args else sys.stdout)
        raise SystemExit(2 if not args else 0)
    install()
    if args[0] == "-m":
        if len(args) < 2:
            raise SystemExit(_USAGE)
        module = args[1]
        sys.argv = [module, *args[2:]]
        # As `python -m`: the current folder comes first on the path.
        if sys.path[0] != "":
            sys.path.insert(0, "")
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    else:
        script = args[0]
        sys.argv = args
        sys.path.insert(0, __import__("os").path.dirname(script) or ".")
        runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
