"""Chat widget conversations: starting one, the token that names it, its messages and thread.

A visitor starts a conversation with a name and a phone number (the broker who calls needs one),
and from then on a widget message takes the WhatsApp path: it is recorded and announced to the
dispatcher in one statement (``app.conversation.inbox``), a worker runs the engine and commits
the replies, and the widget polls for them. Replies to the widget never go to WhatsApp
(``app.conversation.delivery``).

A conversation is a random id inside a signed token that the widget page holds and sends in a
header. No cookie is involved: the widget lives in an iframe on another site, where browsers
withhold cookies, and without a cookie there is no session for a forged cross-site request to
ride on, so the token is all the authority a request carries.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.channels.base import InboundMessage
from app.channels.phones import normalize_phone
from app.conversation.delivery import WEB
from app.conversation.inbox import record_delivery
from app.models import Lead, Message, Project

TOKEN_SALT = "investochat-widget-conversation"
TOKEN_MAX_AGE = 30 * 24 * 3600  # seconds: a visitor who comes back within a month resumes
MAX_NAME = 100
MAX_MESSAGE = 1000  # characters in one widget message
THREAD_LIMIT = 200  # messages shown when a conversation is resumed


class WidgetError(ValueError):
    """Input the visitor can correct; the message says how."""


@dataclass(frozen=True)
class WidgetConversation:
    """One widget thread: its id, and the investor it belongs to."""

    id: str
    phone: str  # E.164
    name: str


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=TOKEN_SALT)


def issue_token(secret_key: str, conversation: WidgetConversation) -> str:
    """The signed token the widget page sends with every request of ``conversation``."""
    return _serializer(secret_key).dumps([conversation.id, conversation.phone, conversation.name])


def read_token(secret_key: str, token: str | None) -> WidgetConversation | None:
    """The conversation a token names; None when it is missing, forged or older than a month."""
    if not token:
        return None
    try:
        conversation_id, phone, name = _serializer(secret_key).loads(token, max_age=TOKEN_MAX_AGE)
    except (BadSignature, ValueError, TypeError):
        return None
    return WidgetConversation(str(conversation_id), str(phone), str(name))


def start_conversation(
    session: Session, name: str, phone: str, project: str | None, *, consent: bool
) -> WidgetConversation:
    """A new widget conversation for the investor at ``phone`` (caller commits).

    The lead is created now if it is new (channel ``web``), with the website's project in focus,
    so the first question is answered about that project. An investor who already wrote on
    WhatsApp keeps one lead; only this conversation's messages show in the widget.
    """
    name = " ".join(name.split())
    if not name:
        raise WidgetError("Please tell us your name.")
    if len(name) > MAX_NAME:
        raise WidgetError(f"Please keep your name under {MAX_NAME} characters.")
    try:
        phone = normalize_phone(phone)
    except ValueError as error:
        raise WidgetError(
            "That does not look like a mobile number; type it with the country code, e.g. +91 98123 45678."
        ) from error
    if not consent:
        raise WidgetError("Please agree to be contacted so an advisor can call you back.")
    project_id = session.scalar(select(Project.id).where(Project.name == project)) if project else None
    session.execute(
        insert(Lead)
        .values(phone=phone, name=name, channel=WEB, stage="new", project_id=project_id)
        .on_conflict_do_nothing(index_elements=["phone"])
    )
    lead = session.scalars(select(Lead).where(Lead.phone == phone).with_for_update()).one()
    if not lead.name:
        lead.name = name
    if lead.project_id is None and project_id is not None:
        lead.project_id = project_id
    return WidgetConversation(str(uuid.uuid4()), phone, name)


def post_message(
    connection: Connection | Session,
    conversation: WidgetConversation,
    text: str,
    client_id: str,
    reply_id: str | None = None,
) -> int:
    """Record a message the visitor sent and announce it to the dispatcher; returns its id.

    ``client_id`` is the id the widget gave this message (a hex UUID): a form sent twice is
    recorded once, and the id of the first is returned.
    """
    text = text.strip()
    if not text:
        raise WidgetError("Type a question first.")
    if len(text) > MAX_MESSAGE:
        raise WidgetError(f"Please keep a message under {MAX_MESSAGE} characters.")
    try:
        client_id = uuid.UUID(hex=client_id).hex
    except (ValueError, TypeError) as error:
        raise WidgetError("This message could not be sent; reload the chat and try again.") from error
    message_id = f"web-{conversation.id}-{client_id}"
    inbound = InboundMessage(
        provider=WEB,
        message_id=message_id,
        phone=conversation.phone,
        profile_name=conversation.name,
        sent_at=datetime.now(UTC),
        kind="button" if reply_id else "text",
        text=text,
        reply_id=reply_id,
        raw={},
        conversation=conversation.id,
    )
    payload = {"conversation": conversation.id, "text": text, "reply_id": reply_id}
    recorded = record_delivery(connection, WEB, payload, [inbound], [], notify=True)
    if recorded.new_message_ids:
        return recorded.new_message_ids[0]
    return connection.execute(
        select(Message.id).where(Message.provider_message_id == message_id)
    ).scalar_one()


def thread(session: Session, conversation_id: str) -> list[Message]:
    """The conversation's messages, oldest first (its latest ``THREAD_LIMIT``)."""
    latest = session.scalars(
        select(Message)
        .where(Message.conversation == conversation_id)
        .order_by(Message.id.desc())
        .limit(THREAD_LIMIT)
    ).all()
    return list(reversed(latest))


def replies_to(
    session: Session, conversation_id: str, message_id: int
) -> tuple[Message, list[Message]] | None:
    """A visitor's message and the replies written to it so far; None when the message is not
    this conversation's."""
    inbound = session.scalars(
        select(Message).where(
            Message.id == message_id, Message.conversation == conversation_id, Message.direction == "in"
        )
    ).one_or_none()
    if inbound is None:
        return None
    replies = session.scalars(
        select(Message)
        .where(Message.in_reply_to_id == message_id, Message.direction == "out")
        .order_by(Message.sequence)
    ).all()
    return inbound, list(replies)
