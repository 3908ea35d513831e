"""``erlen openapi``: print or write the app's OpenAPI document."""

from __future__ import annotations

import json

import click


@click.command("openapi", short_help="Print the app's OpenAPI 3.1 document.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write to this file instead of standard output.",
)
@click.option("--indent", type=int, default=2, show_default=True)
@click.pass_context
def openapi_command(ctx: click.Context, output: str | None, indent: int) -> None:
    """Print the OpenAPI document built from the app's routes and annotations."""
    # erlen.cli imports this module while it is being built: import it here.
    from ..cli import ScriptInfo
    from ..globals import _cv_context

    current = _cv_context.get(None)
    if current is not None:
        app = current.app
    else:
        app = ctx.ensure_object(ScriptInfo).load_app()
    with app.app_context():
        text = json.dumps(app.openapi(), indent=indent or None)
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        click.echo(text)
