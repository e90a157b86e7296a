"""What lead pages show, shared by the broker and partner views."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.channels.phones import mask_phone
from app.models import Activity, Lead, Message, User
from app.money import format_inr_range
from app.portal.pipeline import PIPELINE_LABELS


def budget_label(lead: Lead) -> str:
    """"₹3 Cr – ₹5 Cr", "₹5 Cr+", "up to ₹3 Cr" or "—"."""
    return format_inr_range(lead.budget_min_inr, lead.budget_max_inr)


def phone_for(lead: Lead, user: User) -> str:
    """The phone number, masked until the viewer has claimed the lead (the partner sees it)."""
    if user.is_partner or lead.broker_id == user.id:
        return lead.phone
    return mask_phone(lead.phone)


def lead_context(session: Session, lead: Lead, user: User) -> dict:
    """Template context for a lead page: answers, transcript and timeline."""
    transcript = session.scalars(
        select(Message).where(Message.lead_id == lead.id).order_by(Message.created_at, Message.id)
    ).all()
    timeline = session.scalars(
        select(Activity)
        .where(Activity.lead_id == lead.id)
        .order_by(Activity.created_at.desc(), Activity.id.desc())
    ).all()
    return {
        "lead": lead,
        "phone": phone_for(lead, user),
        "budget": budget_label(lead),
        "stage_label": PIPELINE_LABELS.get(lead.pipeline or "", "New"),
        "transcript": transcript,
        "timeline": timeline,
        "owned": lead.broker_id == user.id,
    }
