"""``python -m peoplebook``: the development server, on 127.0.0.1:5000.

``--host``/``--port`` (or ``PORT``) move it; ``--debug`` turns on the
reloader and the debugger.  Production runs it with ``erlen serve`` behind
nginx (``deploy/serve.sh``).
``python -m peoplebook make-admin EMAIL`` lets a registered user open /admin.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import create_app


def main(argv: list[str] | None = None) -> None:
    args_list = sys.argv[1:] if argv is None else argv
    if args_list and args_list[0] == "make-admin":
        from erlen.cli import ScriptInfo

        app = create_app()
        info = ScriptInfo(create_app=lambda: app)
        app.cli.main(args_list, prog_name="python -m peoplebook", obj=info)
        return
    parser = argparse.ArgumentParser(prog="python -m peoplebook")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 5000)))
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(args_list)
    app = create_app()
    app.run(host=args.host, port=args.port, debug=args.debug)


if __name__ == "__main__":
    main()
