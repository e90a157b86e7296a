"""Canned replies: messages the partner writes once for every broker to send from a lead's page.

A reply's text may carry placeholders, filled from the lead and the broker when a broker picks
it: ``{name}`` (the investor's first name), ``{project}``, ``{broker}`` (the broker's name) and
``{reference}``. Its kind says what goes with the text: nothing, the project's brochure PDF, or
site-visit times as buttons (``app.portal.thread``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.channels.limits import MAX_CAPTION, MAX_INTERACTIVE_BODY, MAX_TEXT_BODY
from app.conversation.names import first_name
from app.models import CannedReply, Lead, User

KINDS = {
    "text": "Text",
    "brochure": "The project's brochure (PDF) with this text",
    "site_visit": "Site-visit times as buttons, after this text",
}
# What each kind's text may hold (WhatsApp's limit for that kind of message).
LIMITS = {"text": MAX_TEXT_BODY, "brochure": MAX_CAPTION, "site_visit": MAX_INTERACTIVE_BODY}
PLACEHOLDERS = ("name", "project", "broker", "reference")
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
MAX_TITLE = 60


@dataclass(frozen=True)
class CannedForm:
    title: str
    body: str
    kind: str


def fill(body: str, lead: Lead, broker: User) -> str:
    """``body`` with its placeholders filled for ``lead`` and ``broker``; a value the lead does not
    have yet becomes a neutral word ("there", "the project"), never an empty gap."""
    values = {
        "name": first_name(lead.name) if lead.name else "there",
        "project": lead.project.name if lead.project else "the project",
        "broker": broker.name,
        "reference": lead.reference or "your enquiry",
    }
    return _PLACEHOLDER_RE.sub(lambda match: values.get(match.group(1).strip(), match.group(0)), body)


def form_errors(session: Session, form: CannedForm, editing: CannedReply | None = None) -> dict[str, str]:
    """What is wrong with a canned reply as typed, by field."""
    errors = {}
    if not form.title:
        errors["title"] = "Give the reply a short title brokers will recognise."
    elif len(form.title) > MAX_TITLE:
        errors["title"] = f"Keep the title within {MAX_TITLE} characters."
    else:
        same = select(CannedReply.id).where(func.lower(CannedReply.title) == form.title.lower())
        if editing is not None:
            same = same.where(CannedReply.id != editing.id)
        if session.scalar(same) is not None:
            errors["title"] = "Another canned reply has this title."
    if form.kind not in KINDS:
        errors["kind"] = "Pick what goes with the text."
    unknown = sorted({p.strip() for p in _PLACEHOLDER_RE.findall(form.body)} - set(PLACEHOLDERS))
    if not form.body:
        errors["body"] = "Write the message."
    elif unknown:
        allowed = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        errors["body"] = f"Unknown placeholder {{{unknown[0]}}}: use {allowed}."
    elif len(form.body) > LIMITS.get(form.kind, MAX_TEXT_BODY):
        errors["body"] = f"WhatsApp takes at most {LIMITS[form.kind]:,} characters in this kind of message."
    return errors


def save(session: Session, form: CannedForm, reply: CannedReply | None = None) -> CannedReply:
    """Create or update a canned reply that passed :func:`form_errors` (caller commits)."""
    reply = reply or CannedReply()
    reply.title, reply.body, reply.kind = form.title, form.body, form.kind
    session.add(reply)
    session.flush()
    return reply


def all_replies(session: Session) -> list[CannedReply]:
    """Every canned reply, by title."""
    return list(session.scalars(select(CannedReply).order_by(func.lower(CannedReply.title))))
