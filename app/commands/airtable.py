"""``investochat airtable setup|check|push|pull|status|retry`` and ``investochat cron``."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from app.airtable import state
from app.airtable.client import SyncError, configured, make_api
from app.extensions import db
from app.models import OutboxEvent


@click.group("airtable")
def airtable() -> None:
    """Keep the partner's Airtable base in sync (Qualified Leads, Deals, Brokers, Activity Log)."""


def _api():
    config = current_app.config
    if not configured(config):
        raise click.ClickException("Airtable sync is off: set AIRTABLE_API_KEY and AIRTABLE_BASE_ID.")
    return make_api(config), config["AIRTABLE_BASE_ID"]


@airtable.command("check")
@with_appcontext
def check() -> None:
    """Validate the base: one line per missing or mistyped field; exit 1 if any."""
    from app.airtable.setup import check_base, notes

    api, base_id = _api()
    try:
        problems = check_base(api, base_id)
        hints = notes(api, base_id)
    except SyncError as exc:
        raise click.ClickException(str(exc)) from exc
    for problem in problems:
        click.echo(f"MISSING {problem}" if problem.fixable else f"WRONG TYPE {problem}")
    for hint in hints:
        click.echo(f"note: {hint}")
    if problems:
        fixable = sum(p.fixable for p in problems)
        click.echo(f"{len(problems)} problem(s); `investochat airtable setup` can create {fixable} of them.")
        sys.exit(1)
    click.echo(f"Base {base_id} has every table and field InvestoChat needs.")


@airtable.command("setup")
@with_appcontext
def setup() -> None:
    """Create the missing tables and fields through the metadata API."""
    from app.airtable.setup import adopt_brokers, check_base, setup_base

    api, base_id = _api()
    try:
        created = setup_base(api, base_id)
        created += adopt_brokers(db.session, api, base_id)
        remaining = check_base(api, base_id)
    except SyncError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in created:
        click.echo(line)
    for problem in remaining:
        click.echo(f"still wrong: {problem}")
    click.echo(
        "Nothing to create; the base was complete." if not created else f"{len(created)} change(s) made."
    )
    sys.exit(1 if remaining else 0)


def _run(kind: str) -> None:
    from workers.airtable_sync import Busy, sync_now

    _api()  # a clear message when sync is off
    try:
        result = sync_now(kind, wait=120)
    except Busy as exc:
        raise click.ClickException(f"{exc}; try again in a minute.") from exc
    data = {
        k: (str(v) if v is not None and not isinstance(v, int | dict | list) else v)
        for k, v in vars(result).items()
    }
    click.echo(json.dumps(data, indent=1))
    if result.error:
        sys.exit(1)


@airtable.command("push")
@with_appcontext
def push_command() -> None:
    """Push the pending outbox now (what the scheduled job does)."""
    _run("push")


@airtable.command("pull")
@with_appcontext
def pull_command() -> None:
    """Pull the partner's Airtable changes now (what the scheduled job does)."""
    _run("pull")


@airtable.command("status")
@with_appcontext
def status() -> None:
    """The outbox by status and the last push and pull."""
    counts = dict(
        db.session.execute(select(OutboxEvent.status, func.count()).group_by(OutboxEvent.status)).all()
    )
    click.echo(f"sync: {'on' if configured(current_app.config) else 'off'}")
    click.echo("outbox: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "empty"))
    for name, value in sorted(state.last_runs(db.session).items()):
        click.echo(f"{name}: {json.dumps(value)}")


@airtable.command("retry")
@with_appcontext
def retry() -> None:
    """Put every parked (failed) event back in the queue."""
    from app.airtable.push import retry_failed

    count = retry_failed(db.session)
    db.session.commit()
    click.echo(f"{count} event(s) queued again.")


@click.command("cron")
@with_appcontext
def cron() -> None:
    """Run the scheduler that enqueues the Airtable push and pull (Ctrl-C stops it)."""
    from workers.airtable_sync import run_cron

    run_cron(current_app._get_current_object())


COMMANDS = [airtable, cron]
