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

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.channels.limits import MAX_TEXT_BODY
from app.conversation.delivery import window_closed
from app.conversation.service import WEB
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
) -> Written:
    """Record the broker's message for delivery (caller commits); PortalError says why not."""
    now = now or datetime.now(UTC)
    text = text.strip()
    if not text:
        raise PortalError("Write a message first.")
    if len(text) > MAX_TEXT_BODY:
        raise PortalError(f"WhatsApp takes at most {MAX_TEXT_BODY:,} characters in one message.")
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
        kind="text",
        body=text,
        sent_by_id=broker.id,
        status="sent" if web else "pending",
        sent_at=now if web else None,
        status_at=now if web else None,
    )
    session.add(message)
    session.flush()
    return Written(message, note, not web)
