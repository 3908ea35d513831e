"""Command-line tasks: ``erlen --app peoplebook make-admin EMAIL`` (or
``python -m peoplebook make-admin EMAIL``)."""

from __future__ import annotations

import click
import sqlalchemy as sa

from erlen import Erlen

from .extensions import db
from .models import User


def make_admin(email: str, revoke: bool = False) -> User:
    """Give (or take back) the admin right; LookupError for an unknown email."""
    user = db.session.execute(
        sa.select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()
    if user is None:
        raise LookupError(f"No user has the email {email!r}; register first.")
    user.is_admin = not revoke
    db.session.commit()
    return user


def init_commands(app: Erlen) -> None:
    @app.cli.command("make-admin")
    @click.argument("email")
    @click.option("--revoke", is_flag=True, help="Take the admin right back.")
    def make_admin_command(email: str, revoke: bool) -> None:
        """Let the user with EMAIL open /admin."""
        try:
            user = make_admin(email, revoke)
        except LookupError as e:
            raise click.ClickException(str(e)) from None
        state = "no longer an admin" if revoke else "an admin"
        click.echo(f"{user.email} is {state}.")
