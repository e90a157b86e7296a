"""``investochat users create``: the first partner account (and brokers, from the terminal)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.extensions import db
from app.portal.accounts import create_user
from app.portal.pipeline import PortalError


@click.group("users")
def users() -> None:
    """Portal accounts."""


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["partner", "broker"]), required=True)
@click.option("--name", default="", help="Display name (default: the part of the email before @).")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted for when not given (at least 10 characters).",
)
@with_appcontext
def create(email: str, role: str, name: str, password: str) -> None:
    """Create a portal account."""
    try:
        user = create_user(db.session, email, role, name, password)
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {user.role} {user.email}.")


COMMANDS = [users]
