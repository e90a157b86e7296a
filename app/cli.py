"""The ``investochat`` command: Flask's CLI over ``create_app`` plus the product's commands.

``investochat --help`` lists every command. Commands that need the database run inside an app
context; when ``DATABASE_URL``/``REDIS_URL`` are unset the embedded servers are started first.
"""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from app import create_app


def _app_from_environment():
    from app import embedded
    from config import SettingsError

    try:
        embedded.ensure_services()
        return create_app()
    except (SettingsError, RuntimeError) as exc:  # a setting to fix: one clear line, no traceback
        raise click.ClickException(str(exc)) from exc


@click.group(cls=FlaskGroup, create_app=_app_from_environment, add_version_option=False)
def main() -> None:
    """InvestoChat: brochure Q&A and lead qualification for luxury real estate."""


def _register() -> None:
    from app.commands import airtable, catalog, conversation, evaluate, runtime, users

    for module in (airtable, catalog, conversation, evaluate, runtime, users):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
