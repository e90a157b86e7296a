"""What every lead page shows, for the broker's and the partner's views alike."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.channels.phones import dial_links
from app.models import Lead, User
from app.portal.lead_history import timeline, transcript
from app.portal.lead_labels import budget_label, phone_for
from app.portal.pipeline import PIPELINE_LABELS


def lead_context(session: Session, lead: Lead, user: User) -> dict:
    """Template context for a lead page: the answers, transcript and timeline, as ``user`` may
    see them."""
    phone = phone_for(lead, user)
    links = dial_links(phone) if lead.phone and phone == lead.phone else None
    return {
        "lead": lead,
        "phone": links[0] if links else phone,
        "call_link": links[1] if links else None,
        "whatsapp_link": links[2] if links else None,
        "budget": budget_label(lead),
        "stage_label": PIPELINE_LABELS.get(lead.pipeline or "", "New"),
        "transcript": transcript(session, lead.id),
        "timeline": timeline(session, lead.id),
        "owned": lead.broker_id == user.id,
    }
