"""Messages the bot could not answer: after its last try, the investor is told and the partner
sees the message.

A ``process_message`` job that keeps failing (a bug, a database fault) would otherwise leave the
investor with no reply and the message ``received`` for ever, visible to no one. When the
worker gives up (``workers.tasks.process_message_failed``), the message is marked ``failed``
with the reason, a short holding reply goes out through the same channel, and the partner's
dashboard lists the message (``unanswered_messages``). So does a message whose reply WhatsApp
refused outright (``mark_unanswered``, from delivery).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.conversation.service import WEB
from app.models import Lead, Message

HOLDING_REPLY = "Sorry, I couldn't answer that just now. Our team has your message and will get back to you."
FAILED = "failed"  # the inbound message's status once the bot has given up on it


def give_up_on(session: Session, message_id: int, reason: str, now: datetime | None = None) -> Message | None:
    """Mark an inbound message the bot could not process as ``failed`` (with ``reason``) and add
    the holding reply to it; returns that reply, or None when the message was answered after all
    or was given up on before (caller commits)."""
    now = now or datetime.now(UTC)
    inbound = session.scalars(select(Message).where(Message.id == message_id).with_for_update()).one_or_none()
    if inbound is None or inbound.direction != "in" or inbound.processed_at is not None:
        return None
    if inbound.status == FAILED:
        return None
    inbound.status, inbound.status_at, inbound.error = FAILED, now, reason
    inbound.lead_id = inbound.lead_id or _lead_id(session, inbound)
    on_the_web = inbound.provider == WEB
    reply = Message(
        lead_id=inbound.lead_id,
        phone=inbound.phone,
        whatsapp_user_id=inbound.whatsapp_user_id,
        direction="out",
        provider=inbound.provider,
        kind="text",
        body=HOLDING_REPLY,
        in_reply_to_id=inbound.id,
        conversation=inbound.conversation,
        sequence=0,
        # The widget shows a reply once it is committed; WhatsApp replies wait to be sent.
        status="sent" if on_the_web else "pending",
        sent_at=now if on_the_web else None,
        status_at=now if on_the_web else None,
    )
    session.add(reply)
    session.flush()
    return reply


def mark_unanswered(session: Session, message_id: int, reason: str, now: datetime | None = None) -> None:
    """List an answered inbound message as unanswered after all: its reply could not be
    delivered (``reason`` says why). The caller commits."""
    inbound = session.get(Message, message_id)
    if inbound is not None and inbound.direction == "in":
        inbound.status, inbound.status_at, inbound.error = FAILED, now or datetime.now(UTC), reason


def _lead_id(session: Session, inbound: Message) -> int | None:
    """The lead the message belongs to, when it exists (a first message may have failed before
    its lead was made)."""
    if inbound.conversation:
        return session.scalar(select(Lead.id).where(Lead.web_conversation == inbound.conversation))
    if inbound.whatsapp_user_id:
        by_user_id = select(Lead.id).where(Lead.whatsapp_user_id == inbound.whatsapp_user_id)
        if (lead_id := session.scalar(by_user_id)) is not None or inbound.phone is None:
            return lead_id
    return session.scalar(select(Lead.id).where(Lead.phone == inbound.phone, Lead.web_conversation.is_(None)))


@dataclass(frozen=True)
class UnansweredMessage:
    """One message the bot gave up on, as the partner sees it."""

    message_id: int
    lead_id: int | None
    lead_name: str | None
    phone: str  # or the business-scoped user id, when WhatsApp withholds the number
    text: str
    reason: str | None
    received_at: datetime


def unanswered_messages(session: Session, limit: int = 20) -> list[UnansweredMessage]:
    """The newest messages the bot gave up on, newest first."""
    rows = session.execute(
        select(Message, Lead.name)
        .outerjoin(Lead, Lead.id == Message.lead_id)
        .where(Message.direction == "in", Message.status == FAILED)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    )
    return [
        UnansweredMessage(
            m.id,
            m.lead_id,
            name,
            m.phone or m.whatsapp_user_id or "",
            m.body,
            m.error,
            m.status_at or m.created_at,
        )
        for m, name in rows
    ]
