"""``python -m peoplebook``: the development server, on 127.0.0.1:5000.

``--host``/``--port`` (or ``PORT``) move it; ``--debug`` turns on the
reloader and the debugger.  Production runs it under gunicorn (``deploy/``).
"""

from __future__ import annotations

import argparse
import os

from . import create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m peoplebook")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 5000)))
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    app = create_app()
    app.run(host=args.host, port=args.port, debug=args.debug)


if __name__ == "__main__":
    main()
