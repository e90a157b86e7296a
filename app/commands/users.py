"""``investochat users create``: the first partner account (and brokers, from the terminal)."""

from __future__ import annotations

import sys

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
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of prompting for it.",
)
@with_appcontext
def create(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create a portal account. The password is prompted for (or read from standard input), never
    taken on the command line, where the shell history and the process list would show it; at
    least 12 characters and not a common one."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(db.session, email, role, name, password)
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {user.role} {user.email}.")


COMMANDS = [users]
