"""Chat widget conversations: starting one, the token that names it, its messages and thread.

A visitor starts a conversation with a name and a phone number (the broker who calls needs one)
and agrees to be contacted; from then on a widget message takes the WhatsApp path: it is
recorded and announced to the dispatcher in one statement (``app.conversation.inbox``), a worker
runs the engine and commits the replies, and the widget polls for them. Widget replies are
committed as sent, never handed to WhatsApp (``app.conversation.service``).

The number is not verified, so each conversation gets a lead of its own
(``Lead.web_conversation``): typing someone else's number neither shows nor changes anything of
the lead WhatsApp vouched for. The conversation is named by a signed token (its id only) that the
widget page holds and sends in a header. No cookie is involved: the widget lives in an iframe on
another site, where browsers withhold cookies, and without a cookie there is no session for a
forged cross-site request to ride on.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.channels.messages import InboundMessage
from app.channels.phones import normalize_phone
from app.conversation.inbox import record_delivery
from app.conversation.names import display_name
from app.conversation.service import WEB
from app.models import Activity, Lead, Message, Project, WidgetSite
from app.models.leads import NEW

TOKEN_SALT = "investochat-widget-conversation"
TOKEN_MAX_AGE = 30 * 24 * 3600  # seconds: a visitor who comes back within a month resumes
MAX_NAME = 100
MAX_MESSAGE = 1000  # characters in one widget message
MAX_REPLY_ID = 200  # as messages.reply_id holds
THREAD_LIMIT = 200  # messages shown when a conversation is resumed
CONSENT = "An InvestoChat advisor may call or WhatsApp me about this enquiry."


class WidgetError(ValueError):
    """Input the visitor can correct; the message says how."""


@dataclass(frozen=True)
class WidgetConversation:
    """One widget thread and the lead it belongs to."""

    id: str
    lead_id: int
    phone: str  # E.164
    name: str
    verified: bool = False  # the visitor typed back the code sent to the number (app.widget.verification)


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=TOKEN_SALT)


def issue_token(secret_key: str, conversation_id: str) -> str:
    """The signed token the widget page sends with every request of the conversation. It holds
    the conversation id only: the page's storage never holds the phone number."""
    return _serializer(secret_key).dumps(conversation_id)


def read_token(secret_key: str, token: str | None) -> str | None:
    """The conversation id in a token; None when it is missing, forged or older than a month."""
    if not token:
        return None
    try:
        conversation_id = _serializer(secret_key).loads(token, max_age=TOKEN_MAX_AGE)
    except BadSignature:
        return None
    return conversation_id if isinstance(conversation_id, str) else None


def conversation_for(session: Session, conversation_id: str | None) -> WidgetConversation | None:
    """The conversation with this id, or None when there is none (any more)."""
    if not conversation_id:
        return None
    lead = session.scalars(select(Lead).where(Lead.web_conversation == conversation_id)).one_or_none()
    if lead is None:
        return None
    verified = lead.phone_verified_at is not None
    return WidgetConversation(conversation_id, lead.id, lead.phone, lead.name or "", verified)


def known_project(session: Session, name: str | None) -> Project | None:
    """The project a website names, when InvestoChat has its brochure."""
    if not name or not name.strip():
        return None
    return session.scalars(
        select(Project).where(Project.name == name.strip(), Project.archived_at.is_(None))
    ).one_or_none()


def start_conversation(
    session: Session, name: str, phone: str, project: Project | None, *, consent: bool
) -> WidgetConversation:
    """A new conversation, with a new lead (channel ``web``) that has the website's project in
    focus and a record of the consent given (caller commits)."""
    name = display_name(name) or ""
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
    conversation_id = str(uuid.uuid4())
    lead = Lead(
        phone=phone,
        name=name,
        channel=WEB,
        stage=NEW,
        project_id=project.id if project else None,
        web_conversation=conversation_id,
    )
    session.add(lead)
    session.flush()
    detail = {"source": "widget", "consent": CONSENT, "project": project.name if project else None}
    session.add(Activity(lead_id=lead.id, kind="contact_consent", detail=detail, actor="investor"))
    return WidgetConversation(conversation_id, lead.id, phone, name)


def post_message(
    connection: Connection | Session,
    conversation: WidgetConversation,
    text: str,
    client_id: str,
    reply_id: str | None = None,
) -> tuple[int, bool]:
    """Record a message the visitor sent and announce it to the dispatcher once the caller
    commits; returns (its id, whether it is new).

    ``client_id`` is the id the widget gave the form (a hex UUID): a form sent twice is recorded
    once, and the second time the id of the first comes back with ``False``.
    """
    text = text.strip()
    if not text:
        raise WidgetError("Type a question first.")
    if len(text) > MAX_MESSAGE:
        raise WidgetError(f"Please keep a message under {MAX_MESSAGE} characters.")
    if reply_id is not None and len(reply_id) > MAX_REPLY_ID:
        raise WidgetError("That option is not one I offered; pick one of the buttons or type an answer.")
    try:
        client_id = uuid.UUID(hex=client_id).hex
    except (ValueError, TypeError) as error:
        raise WidgetError("This message could not be sent; reload the chat and try again.") from error
    message_id = f"web-{conversation.id}-{client_id}"
    inbound = InboundMessage.typed(
        WEB, message_id, conversation.phone, text, reply_id, conversation=conversation.id
    )
    payload = {"conversation": conversation.id, "text": text, "reply_id": reply_id}
    recorded = record_delivery(connection, WEB, payload, [inbound], [], notify=True)
    if recorded.new_message_ids:
        return recorded.new_message_ids[0], True
    existing = connection.execute(select(Message.id).where(Message.provider_message_id == message_id))
    return existing.scalar_one(), False


def thread(session: Session, conversation_id: str) -> list[Message]:
    """The conversation's messages, oldest first (its latest ``THREAD_LIMIT``)."""
    latest = session.scalars(
        select(Message)
        .where(Message.conversation == conversation_id)
        .order_by(Message.id.desc())
        .limit(THREAD_LIMIT)
    ).all()
    return list(reversed(latest))


def option_ids(message: Message) -> list[str]:
    """The ids of the options a bot message offers: its buttons, or its list's rows."""
    interactive = message.interactive or {}
    return [option[0] for option in interactive.get("buttons") or interactive.get("rows") or []]


def chosen_options(messages: Sequence[Message]) -> dict[int, str]:
    """The option the visitor picked under each bot message that offered some (message id →
    option id), read from a thread oldest first: a pick answers the latest message before it
    that offers it. The widget shows those options spent, so one question is answered once."""
    chosen: dict[int, str] = {}
    offers: list[Message] = []
    for message in messages:
        if message.direction == "out" and option_ids(message):
            offers.append(message)
        elif message.direction == "in" and message.reply_id:
            offer = next((m for m in reversed(offers) if message.reply_id in option_ids(m)), None)
            if offer is not None:
                chosen[offer.id] = message.reply_id
    return chosen


def answered_offer(session: Session, conversation_id: str, picked: Message) -> Message | None:
    """The bot message whose option the visitor's message ``picked`` chose, as ``chosen_options``
    reads it; None for a typed message."""
    if not picked.reply_id:
        return None
    recent = session.scalars(
        select(Message)
        .where(Message.conversation == conversation_id, Message.direction == "out", Message.id < picked.id)
        .order_by(Message.id.desc())
        .limit(THREAD_LIMIT)
    )
    return next((m for m in recent if picked.reply_id in option_ids(m)), None)


def advisor_messages(session: Session, conversation_id: str, after_id: int) -> list[Message]:
    """Messages the lead's broker wrote in this conversation after message ``after_id``."""
    return list(
        session.scalars(
            select(Message)
            .where(
                Message.conversation == conversation_id,
                Message.sent_by_id.is_not(None),
                Message.id > after_id,
            )
            .order_by(Message.id)
        )
    )


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


def note_site(session: Session, project: Project, referrer: str | None, allowed: str, own: str) -> None:
    """Remember that a page of ``referrer``'s site opened the widget for ``project`` (caller
    commits): only sites the partner allowed (WIDGET_ALLOWED_ORIGINS), never our own pages."""
    if not referrer:
        return
    parts = urlsplit(referrer)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    if not parts.netloc or origin == own.lower() or origin not in {o.lower() for o in allowed.split()}:
        return
    now = datetime.now(UTC)
    session.execute(
        insert(WidgetSite)
        .values(project_id=project.id, origin=origin[:200], first_seen=now, last_seen=now)
        .on_conflict_do_update(constraint="uq_widget_sites_project_origin", set_={"last_seen": now})
    )
