"""``investochat chat``: a terminal conversation through the same engine as WhatsApp."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from app.channels.phones import normalize_phone
from app.conversation.inbox import record_delivery
from app.conversation.service import build_engine, process_inbound
from app.extensions import db


def _as_inbound(phone: str, text: str, reply_id: str | None):
    from app.channels.messages import InboundMessage

    return InboundMessage.typed("cli", f"cli-{uuid.uuid4()}", phone, text, reply_id)


def _show(reply) -> list[tuple[str, str]]:
    """Print one reply; returns the options a number typed next will pick."""
    click.secho(reply.body, fg="green")
    options = [(rid, title) for rid, title in (reply.interactive or {}).get("buttons", [])]
    options += [(row[0], row[1]) for row in (reply.interactive or {}).get("rows", [])]
    for number, (_, title) in enumerate(options, start=1):
        click.secho(f"  {number}. {title}", fg="cyan")
    return options


@click.command("chat")
@click.option("--phone", required=True, help="The investor's phone number, e.g. +919812345678.")
@with_appcontext
def chat(phone: str) -> None:
    """Talk to the bot in the terminal (replies are printed, not sent). Ctrl-D to quit."""
    try:
        phone = normalize_phone(phone)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--phone") from exc
    click.echo(f"Chatting as {phone}. Type a message; a number picks an option. Ctrl-D to quit.")
    options: list[tuple[str, str]] = []
    while True:
        try:
            text = click.prompt("you", prompt_suffix="> ", default="", show_default=False)
        except (EOFError, click.Abort):
            click.echo()
            return
        if not text.strip():
            continue
        reply_id = None
        if text.strip().isdigit() and 0 < int(text) <= len(options):
            reply_id, text = options[int(text) - 1]
        inbound = _as_inbound(phone, text, reply_id)
        recorded = record_delivery(db.session, "cli", {"text": text}, [inbound], [])
        engine = build_engine(db.session, current_app.config)
        replies = []
        for message_id in recorded.new_message_ids:
            replies = process_inbound(db.session, message_id, engine)
        for reply in replies:
            reply.status, reply.status_at = "recorded", datetime.now(UTC)
        db.session.commit()
        options = []
        for reply in replies:
            options = _show(reply) or options


COMMANDS = [chat]
