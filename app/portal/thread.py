"""A broker writing to the investor from the lead's page, through the lead's own channel.

On WhatsApp (Meta or Wati) the text goes as it is inside the 24-hour customer-service window;
outside it WhatsApp accepts only an approved template, so the re-open template
(``WHATSAPP_TEMPLATE_NAME``) goes instead, and the broker is told so before anything is sent.
The message is delivered by a worker (``workers.tasks.send_lead_message``) with the replies'
at-most-once rules and retries; its status (sent, delivered, read, failed with the reason)
arrives with WhatsApp's status webhooks and shows on the page. A website-chat lead's message
is stored in the chat's thread: an open chat polls for it (every 5 s), a closed one shows it
when the visitor next opens it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import brochures
from app.channels.limits import MAX_CAPTION, MAX_INTERACTIVE_BODY, MAX_TEXT_BODY
from app.conversation import site_visits
from app.conversation.delivery import window_closed
from app.conversation.state import WEB
from app.models import Lead, Message, User
from app.portal.pipeline import PortalError


@dataclass(frozen=True)
class Written:
    message: Message
    note: str  # what happens to it, in the broker's words
    to_send: bool  # a worker must deliver it (WhatsApp); the widget's is already there


def write_to_investor(
    session: Session,
    lead: Lead,
    broker: User,
    text: str,
    config: Mapping[str, Any],
    now: datetime | None = None,
    *,
    kind: str = "text",
    interactive: dict[str, Any] | None = None,
    client_id: str | None = None,
) -> Written:
    """Record the broker's message for delivery (caller commits); PortalError says why not.

    ``kind`` other than text (the brochure as a "document", site-visit "visit_slots" buttons)
    carries ``interactive``; WhatsApp takes those only inside the 24-hour window. ``client_id``
    (the form's own id) makes a second send of the same form return the first message.
    """
    now = now or datetime.now(UTC)
    if client_id:
        earlier = session.scalar(select(Message).where(Message.client_id == client_id))
        if earlier is not None and earlier.lead_id == lead.id:
            return Written(earlier, "Already sent: this form went once.", False)
    text = text.strip()
    limit = MAX_TEXT_BODY if kind == "text" else (MAX_CAPTION if kind == "document" else MAX_INTERACTIVE_BODY)
    if not text:
        raise PortalError("Write a message first.")
    if len(text) > limit:
        raise PortalError(f"WhatsApp takes at most {limit:,} characters in this message.")
    if lead.opted_out:
        raise PortalError("The investor opted out (STOP): no message may go to them until they write START.")
    web = lead.channel == WEB
    if not web and not (lead.phone or lead.whatsapp_user_id):
        raise PortalError("This lead has no WhatsApp number or user id to write to.")
    note = (
        "Sent in the website chat: it appears within seconds while the visitor has it open, "
        "or when they next open it."
        if web
        else "Sent as a WhatsApp message."
    )
    if not web and kind != "text" and window_closed(lead.last_inbound_at, now):
        raise PortalError(
            "The investor has not written in the last 24 hours, and WhatsApp takes a file or buttons only "
            "within 24 hours of their last message. Write a text first (it goes as the re-open template); "
            "send this once they reply."
        )
    if not web and window_closed(lead.last_inbound_at, now):
        template = config.get("WHATSAPP_TEMPLATE_NAME")
        if not template:
            raise PortalError(
                "The investor has not written in the last 24 hours, so WhatsApp accepts only an approved "
                "template, and none is configured (WHATSAPP_TEMPLATE_NAME). Call them instead."
            )
        note = (
            f"The investor has not written in the last 24 hours: WhatsApp gets the approved template "
            f"“{template}” instead of this text, inviting them to reply; write again once they do."
        )
    message = Message(
        lead_id=lead.id,
        phone=lead.phone,
        whatsapp_user_id=lead.whatsapp_user_id,
        conversation=lead.web_conversation if web else None,
        direction="out",
        provider=WEB if web else config.get("WHATSAPP_PROVIDER", "meta"),
        kind=kind,
        body=text,
        interactive=interactive,
        sent_by_id=broker.id,
        client_id=client_id or None,
        status="sent" if web else "pending",
        sent_at=now if web else None,
        status_at=now if web else None,
    )
    session.add(message)
    session.flush()
    return Written(message, note, not web)


def send_brochure(
    session: Session,
    lead: Lead,
    broker: User,
    project_id: int | None,
    caption: str,
    config: Mapping[str, Any],
    now: datetime | None = None,
    client_id: str | None = None,
) -> Written:
    """The project's brochure PDF to the investor, with ``caption`` (caller commits)."""
    brochure = brochures.brochure_for(session, project_id)
    meta = lead.channel != WEB and config.get("WHATSAPP_PROVIDER", "meta") == "meta"
    if meta and not config.get("PORTAL_URL"):
        raise PortalError(
            "WhatsApp fetches a brochure from a public link, and PORTAL_URL (the portal's public "
            "address) is not set: ask the partner to set it."
        )
    if brochure is None:
        raise PortalError(
            "There is no brochure PDF for that project: ingest its PDF (investochat ingest) to send it."
        )
    written = write_to_investor(
        session,
        lead,
        broker,
        caption,
        config,
        now,
        kind="document",
        interactive=brochure.stored(),
        client_id=client_id,
    )
    return Written(written.message, f"{brochure.filename} {_sent_note(written)}", written.to_send)


def offer_site_visit(
    session: Session,
    lead: Lead,
    broker: User,
    text: str,
    slots: Sequence[datetime],
    config: Mapping[str, Any],
    now: datetime | None = None,
    client_id: str | None = None,
) -> Written:
    """Two or three site-visit times as reply buttons; the investor's pick books the visit
    (``app.conversation.service.book_site_visit``). Caller commits."""
    now = now or datetime.now(UTC)
    slots = sorted(set(slots))
    if not site_visits.MIN_SLOTS <= len(slots) <= site_visits.MAX_SLOTS:
        raise PortalError(
            f"Offer {site_visits.MIN_SLOTS} or {site_visits.MAX_SLOTS} different times for the visit."
        )
    if slots[0] <= now:
        raise PortalError("A site visit is offered ahead: pick times later than now.")
    buttons = site_visits.slot_buttons(slots)
    if len({title for _, title in buttons}) < len(buttons):
        raise PortalError("Two of the times fall in the same minute: pick different times.")
    written = write_to_investor(
        session,
        lead,
        broker,
        text,
        config,
        now,
        kind="visit_slots",
        interactive={"buttons": buttons},
        client_id=client_id,
    )
    times = ", ".join(title for _, title in buttons)
    return Written(written.message, f"Times offered ({times}): {_sent_note(written)}", written.to_send)


def _sent_note(written: Written) -> str:
    return written.note[0].lower() + written.note[1:]
