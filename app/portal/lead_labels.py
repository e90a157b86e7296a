"""How a lead reads to the person viewing it: its budget as a range, and its phone number
masked until the viewer holds the lead."""

from __future__ import annotations

from app.channels.phones import mask_phone
from app.models import Lead, User
from app.money import format_inr_range

# The buying timelines (app.conversation.parsers.TIMELINES) as people say them.
TIMELINE_LABELS = {
    "immediate": "Immediately",
    "1-3 months": "1-3 months",
    "3-6 months": "3-6 months",
    "6-12 months": "6-12 months",
    "12+ months": "12+ months",
    "exploring": "Just exploring",
}


def timeline_label(timeline: str | None) -> str:
    """ "Immediately" for "immediate"; "—" when unknown."""
    return TIMELINE_LABELS.get(timeline or "", timeline or "—")


def budget_label(lead: Lead) -> str:
    """The budget as an advisor says it: "₹3 Cr – ₹5 Cr", "₹5 Cr+", "up to ₹3 Cr" or "—"."""
    return format_inr_range(lead.budget_min_inr, lead.budget_max_inr)


NO_PHONE = "not shared on WhatsApp"


def phone_for(lead: Lead, user: User) -> str:
    """The phone number, masked until the viewer has claimed the lead (the partner sees it);
    ``NO_PHONE`` for a WhatsApp user whose number WhatsApp withholds."""
    if lead.phone is None:
        return NO_PHONE
    if user.is_partner or lead.broker_id == user.id:
        return lead.phone
    return mask_phone(lead.phone)
