from __future__ import annotations

from erlen import Erlen

app = Erlen("cliapp.app")


@app.route("/")
def index() -> str:
    return "cliapp"


@app.cli.command("hello")
def hello() -> None:
    print(f"hello from {app.name}")
