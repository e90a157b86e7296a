"""A lead's history: the conversation with the investor and the timeline of what happened."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.models import Activity, Message


def transcript(session: Session, lead_id: int) -> Sequence[Message]:
    """Every message in and out of the lead's conversation, oldest first."""
    return session.scalars(
        select(Message)
        .options(joinedload(Message.sent_by))
        .where(Message.lead_id == lead_id)
        .order_by(Message.created_at, Message.id)
    ).all()


def timeline(session: Session, lead_id: int) -> Sequence[Activity]:
    """What happened to the lead (claims, stage changes, notes, deals ...), newest first."""
    return session.scalars(
        select(Activity)
        .where(Activity.lead_id == lead_id)
        .order_by(Activity.created_at.desc(), Activity.id.desc())
    ).all()
