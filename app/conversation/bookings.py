"""A site-visit time the investor picked (``app.conversation.site_visits``): checked against what
was offered, then booked on the lead.

A pick counts only when it is one of the times of the newest offer sent to this lead, still
ahead, on a lead a broker holds and that is not closed; anything else (a forged reply, a time
from an older offer, one that has passed) is answered "no longer available" and books nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.channels.limits import MAX_BUTTON_TITLE
from app.channels.wati import PROVIDER as WATI
from app.conversation import site_visits
from app.models import Activity, Lead, Message
from app.models.leads import CLOSED_PIPELINE


def _newest_offer(session: Session, lead: Lead) -> dict[str, Any] | None:
    return session.scalar(
        select(Message.interactive)
        .where(Message.lead_id == lead.id, Message.direction == "out", Message.kind == "visit_slots")
        .order_by(Message.id.desc())
        .limit(1)
    )


def checked_reply(session: Session, lead: Lead, inbound: Message, now: datetime) -> str | None:
    """The reply id the engine should see: a slot's id when the reply picks a time that can be
    booked, ``site_visits.UNAVAILABLE`` when it picks one that cannot, else the reply as it came.
    Wati replies carry a button's title, not its id: the title is matched to the newest offer."""
    reply_id = inbound.reply_id
    title_only = inbound.provider == WATI and not reply_id and 0 < len(inbound.body or "") <= MAX_BUTTON_TITLE
    if not title_only and not (reply_id or "").startswith(site_visits.PREFIX):
        return reply_id
    offer = _newest_offer(session, lead)
    if title_only:
        reply_id = site_visits.slot_for_title(offer, inbound.body or "")
        if reply_id is None:
            return inbound.reply_id  # an ordinary short message
    at = site_visits.parse_slot(reply_id)
    offered = {button[0] for button in (offer or {}).get("buttons") or []}
    bookable = lead.broker_id is not None and lead.pipeline not in CLOSED_PIPELINE
    if at is None or reply_id not in offered or at <= now or not bookable:
        return site_visits.UNAVAILABLE
    return reply_id


def book_site_visit(session: Session, lead: Lead, at: datetime) -> dict[str, Any]:
    """The investor's pick lands on the lead: the visit's date, and the pipeline at "site visit"
    (a stage change on the timeline) unless the lead is already negotiating. Returns what the
    stage-change event carries."""
    lead.site_visit_on = at.astimezone(site_visits.IST).date()
    detail = {"stage": "site_visit", "site_visit_on": lead.site_visit_on.isoformat(), "by": "the investor"}
    if lead.pipeline in (None, "contacted"):
        lead.pipeline = "site_visit"
        lead.contacted_at = lead.contacted_at or datetime.now(UTC)
        session.add(Activity(lead_id=lead.id, kind="stage_changed", detail=detail, actor="bot"))
    return {**detail, "stage": lead.pipeline, "broker_id": lead.broker_id, "pipeline": lead.pipeline}
