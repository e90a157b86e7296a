"""Proving a website visitor's phone number: a one-time code sent to it on WhatsApp.

With ``WHATSAPP_OTP_TEMPLATE`` set (an approved authentication template), starting a chat sends
a six-digit code to the number typed, and the chat takes questions only once the visitor types it
back: a hostile page cannot make its visitors' browsers create leads for numbers they do not
hold. The lead keeps only an HMAC of the code, for ``CODE_LIFETIME``, and allows ``MAX_TRIES``
guesses per code. A number proved this way is marked verified on the lead, and the investor's
WhatsApp lead for the same number (if any) records that this website chat is theirs. Without the
setting, chats start at once and their leads show the number as typed, not verified.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.channels.messages import SendError
from app.channels.providers import shared_channel
from app.conversation.service import WEB
from app.models import Activity, Lead
from app.widget.conversations import WidgetConversation

CODE_LIFETIME = timedelta(minutes=10)
MAX_TRIES = 5
CODE_DIGITS = 6

VERIFIED, WRONG, EXPIRED, TOO_MANY = "verified", "wrong", "expired", "too_many"


class CodeNotSent(RuntimeError):
    """The code could not be sent; the message says why, in words for the visitor."""


def enabled(config: Mapping[str, Any]) -> bool:
    return bool(config.get("WHATSAPP_OTP_TEMPLATE"))


def _digest(secret: str, lead_id: int, code: str) -> str:
    return hmac.new(secret.encode(), f"{lead_id}:{code}".encode(), hashlib.sha256).hexdigest()


def send_code(config: Mapping[str, Any], session: Session, conversation: WidgetConversation) -> None:
    """Send a new code to the conversation's number (any earlier code stops working); the caller
    commits. Raises CodeNotSent when WhatsApp is not set up or refuses the message."""
    channel = shared_channel(config)
    if channel is None:
        raise CodeNotSent("WhatsApp is not connected, so no code can be sent. Please try again later.")
    lead = session.get(Lead, conversation.lead_id, with_for_update=True)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    language = config.get("WHATSAPP_OTP_LANGUAGE") or "en"
    try:
        channel.send_code(conversation.phone, config["WHATSAPP_OTP_TEMPLATE"], language, code)
    except SendError as error:
        raise CodeNotSent(
            "We could not send a code to this number on WhatsApp. Check the number, or try again in a minute."
        ) from error
    lead.phone_code_digest = _digest(config["SECRET_KEY"], lead.id, code)
    lead.phone_code_tries = 0
    lead.phone_code_expires_at = datetime.now(UTC) + CODE_LIFETIME


def check_code(
    config: Mapping[str, Any], session: Session, conversation: WidgetConversation, typed: str
) -> str:
    """VERIFIED, WRONG, EXPIRED or TOO_MANY; the caller commits (the tries count too)."""
    lead = session.get(Lead, conversation.lead_id, with_for_update=True)
    if lead.phone_verified_at is not None:
        return VERIFIED
    expires = lead.phone_code_expires_at
    if lead.phone_code_digest is None or expires is None or expires <= datetime.now(UTC):
        return EXPIRED
    lead.phone_code_tries = (lead.phone_code_tries or 0) + 1
    if lead.phone_code_tries > MAX_TRIES:
        lead.phone_code_digest = None
        return TOO_MANY
    code = "".join(ch for ch in typed if ch.isdigit())
    if not hmac.compare_digest(_digest(config["SECRET_KEY"], lead.id, code), lead.phone_code_digest):
        return WRONG
    lead.phone_code_digest = lead.phone_code_expires_at = None
    lead.phone_verified_at = datetime.now(UTC)
    _record_verified(session, lead)
    return VERIFIED


def tries_left(session: Session, conversation: WidgetConversation) -> int:
    tries = session.scalar(select(Lead.phone_code_tries).where(Lead.id == conversation.lead_id)) or 0
    return max(MAX_TRIES - tries, 0)


def _record_verified(session: Session, lead: Lead) -> None:
    """The website lead says its number is proved; the investor's WhatsApp lead for the same
    number, if there is one, says which website chat is theirs."""
    whatsapp_lead = session.scalars(
        select(Lead).where(Lead.phone == lead.phone, Lead.channel != WEB).order_by(Lead.id.desc()).limit(1)
    ).first()
    detail = {"source": "widget", "whatsapp_lead_id": whatsapp_lead.id if whatsapp_lead else None}
    session.add(Activity(lead_id=lead.id, kind="phone_verified", detail=detail, actor="investor"))
    if whatsapp_lead is not None:
        detail = {"web_lead_id": lead.id, "conversation": lead.web_conversation}
        session.add(Activity(lead_id=whatsapp_lead.id, kind="website_chat", detail=detail, actor="investor"))
