"""The audit log the partner reads: who logged in (or failed to), invitations and passwords,
changes to brokers' accounts, claims and assignments, and deals logged, corrected or voided.

Each entry names who did it (kept as an email too, so it survives the account), what, to whom
or which lead, from which address, and when. Writing one is part of the caller's transaction.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEvent, User

LABELS = {
    "login": "Logged in",
    "login_failed": "Failed login",
    "logout": "Logged out",
    "invitation_sent": "Invitation sent",
    "password_set": "Password set",
    "password_reset_requested": "Password reset asked for",
    "password_changed": "Password changed",
    "broker_added": "Broker added",
    "broker_updated": "Broker changed",
    "broker_deactivated": "Broker deactivated",
    "broker_reactivated": "Broker reactivated",
    "lead_claimed": "Lead claimed",
    "lead_assigned": "Lead assigned",
    "deal_logged": "Deal logged",
    "deal_edited": "Deal corrected",
    "deal_voided": "Deal voided",
}


def record_audit(
    session: Session,
    kind: str,
    actor: User | None,
    *,
    subject: User | None = None,
    lead_id: int | None = None,
    address: str | None = None,
    email: str | None = None,
    **detail: object,
) -> None:
    """Add an entry (caller commits). ``email``: who, when there is no account to name (a failed
    login for an unknown address)."""
    session.add(
        AuditEvent(
            kind=kind,
            actor_id=actor.id if actor else None,
            actor_email=(actor.email if actor else email or "")[:254],
            subject_id=subject.id if subject else None,
            lead_id=lead_id,
            address=(address or "")[:64],
            detail={key: str(value) for key, value in detail.items()},
        )
    )


def recent_audit(session: Session, kind: str | None = None, limit: int = 200) -> list[AuditEvent]:
    """The latest entries, newest first (of one kind when given)."""
    query = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit)
    if kind:
        query = query.where(AuditEvent.kind == kind)
    return list(session.scalars(query))
