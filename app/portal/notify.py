"""Telling brokers about a lead that asked for a broker: in the portal and on WhatsApp."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Lead, Message, Notification
from app.portal.lead_labels import budget_label
from app.portal.pipeline import matching_brokers


def notify_brokers(session: Session, lead_id: int, provider: str, portal_url: str = "") -> list[Message]:
    """Notify every matching broker once; returns the WhatsApp messages to deliver (caller commits).

    Safe to run twice: a broker already notified about this lead is skipped.
    """
    lead = session.get(Lead, lead_id)
    if lead is None or lead.broker_id is not None:
        return []
    already = set(session.scalars(select(Notification.user_id).where(Notification.lead_id == lead_id)))
    summary = (
        f"New lead {lead.reference or lead.id}: {budget_label(lead)}, "
        f"{', '.join(lead.areas) or 'any location'}, {lead.timeline or 'timeline open'}, "
        f"{', '.join(lead.unit_kinds) or 'any home'}."
    )
    messages = []
    for broker in matching_brokers(session, lead):
        if broker.id in already:
            continue
        session.add(Notification(user_id=broker.id, lead_id=lead.id, body=summary))
        if broker.phone:
            body = summary + (
                f" Claim it: {portal_url}" if portal_url else " Claim it in the InvestoChat portal."
            )
            message = Message(
                phone=broker.phone,
                direction="out",
                provider=provider,
                kind="text",
                body=body,
                status="pending",
            )
            session.add(message)
            messages.append(message)
    session.flush()
    return messages
