"""Commands that run the product: ``serve`` (web, dispatcher and workers under one supervisor),
and each of its processes on its own: ``web``, ``worker`` and ``dispatch``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=5000, show_default=True, type=int, help="HTTP port.")
@click.option("--workers", default=1, show_default=True, type=int, help="RQ worker processes.")
@click.option("--web-processes", default=2, show_default=True, type=int, help="gunicorn processes.")
@click.option(
    "--web-threads",
    default=None,
    type=int,
    help="Threads per gunicorn process (more than 1: gthread workers).  [default: 1]",
)
@with_appcontext
def serve(host: str, port: int, workers: int, web_processes: int, web_threads: int | None) -> None:
    """Run the web app (gunicorn), the dispatcher and RQ worker(s) together; Ctrl-C stops them all."""
    from app.supervisor import WEB_THREADS, Supervisor

    supervisor = Supervisor.for_app(
        current_app,
        host=host,
        port=port,
        workers=workers,
        web_processes=web_processes,
        web_threads=WEB_THREADS if web_threads is None else web_threads,
    )
    click.echo(f"InvestoChat is running at http://{host}:{port}  (Ctrl-C to stop)")
    schema = _schema_check()
    if not schema["ok"]:
        click.echo(f"Warning: {schema['detail']} (messages fail until it is)", err=True)
    if not _has_accounts():
        click.echo(
            "No portal account yet. Create the first partner in another terminal, then log in at "
            f"http://{host}:{port}/login:\n    {_command()} users create you@example.com --role partner"
        )
    raise SystemExit(supervisor.run())


def _schema_check() -> dict:
    """Whether the database is migrated to what the code expects (readiness's check)."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.extensions import db
    from app.health import migration_check

    try:
        with db.engine.connect() as connection:
            return migration_check(connection)
    except SQLAlchemyError as exc:
        return {"ok": False, "detail": f"the database cannot be read ({type(exc).__name__})"}


def _command() -> str:
    """How this command was typed (".venv/bin/investochat" under make), for instructions to copy."""
    typed = sys.argv[0] if sys.argv else ""
    if Path(typed).name != "investochat":
        return "investochat"
    try:
        return str(Path(typed).resolve().relative_to(Path.cwd()))
    except ValueError:
        return typed


def _has_accounts() -> bool:
    """Whether any portal account exists (True when the database cannot say, e.g. unmigrated:
    the hint would then only mislead)."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.extensions import db
    from app.portal.accounts import any_account

    try:
        return any_account(db.session)
    except SQLAlchemyError:
        return True
    finally:
        db.session.remove()


@click.command("web")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface (0.0.0.0 in a container).")
@click.option("--port", default=5000, show_default=True, type=int, help="HTTP port.")
@click.option("--web-processes", default=2, show_default=True, type=int, help="gunicorn processes.")
@click.option(
    "--web-threads",
    default=None,
    type=int,
    help="Threads per gunicorn process (more than 1: gthread workers).  [default: 1]",
)
@with_appcontext
def web(host: str, port: int, web_processes: int, web_threads: int | None) -> None:
    """Run only the web app, gunicorn started exactly as serve starts it (its access log keeps
    tokens out), in place of this command: for containers and process managers that run the
    dispatcher, the workers and cron as processes of their own."""
    from app.supervisor import WEB_THREADS, Supervisor

    supervisor = Supervisor.for_app(
        current_app,
        host=host,
        port=port,
        workers=0,
        web_processes=web_processes,
        web_threads=WEB_THREADS if web_threads is None else web_threads,
    )
    [gunicorn] = [child for child in supervisor.children if child.name == "web"]
    # exec, not a child: gunicorn gets this process id, so a container's stop signal reaches it.
    os.execve(gunicorn.argv[0], gunicorn.argv, supervisor.env)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run one RQ worker on the product's queue (jobs run inside an app context)."""
    from workers.worker import run_worker

    run_worker(current_app, burst=burst)


@click.command("dispatch")
@with_appcontext
def dispatch() -> None:
    """Enqueue the processing of stored inbound messages (LISTENs for the webhook's notifications
    and sweeps for any it missed); ``serve`` runs one."""
    from workers.dispatch import run_dispatcher

    run_dispatcher(current_app)


COMMANDS = [serve, web, worker, dispatch]
