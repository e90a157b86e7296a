"""Delivering replies through a channel: in order, at most once each, with retries.

Each reply row moves pending → sending → sent (or recorded / skipped / failed). The move to
``sending`` is committed *before* the provider is called, so a retried job or a worker that dies
mid-call never sends the same reply twice; a row left in ``sending`` is reported, not resent.

A reply goes to the phone number, or to the business-scoped user id when WhatsApp withholds the
number. WhatsApp refuses some kinds of message to a user id (error 131062): reply buttons or a
list are then sent again as plain text; anything else is marked failed with the reason, and the
message it answered is listed for the partner as unanswered, so it is never silently dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import brochures
from app.brochures import Brochure
from app.channels.messages import Channel, OutboundDocument, OutboundResult, SendError
from app.conversation.statuses import apply_early_statuses
from app.conversation.unanswered import mark_unanswered
from app.models import Lead, Message

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
MAX_ATTEMPTS = 5
# Kinds of message WhatsApp takes only inside the 24-hour window, never replaced by the template.
SESSION_ONLY = ("document", "visit_slots")
BACKOFF_SECONDS = (1, 4, 15, 60, 300)


@dataclass
class DeliveryReport:
    """What a delivery run did, and when to run again (``retry_in`` seconds) if at all."""

    sent: int = 0
    recorded: int = 0
    failed: int = 0
    retry_in: float | None = None


@dataclass(frozen=True)
class DeliverySettings:
    """How messages go out: the approved template used outside the 24-hour customer-service
    window (``name``, ``language``), and where a brochure's signed link points (``app.brochures``:
    PORTAL_URL, signed with SECRET_KEY)."""

    name: str | None
    language: str = "en"
    portal_url: str = ""
    secret_key: str = ""


def window_closed(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Whether WhatsApp's 24-hour customer-service window is closed: the user never wrote, or
    wrote more than 24 hours ago (then only an approved template may go)."""
    return last_inbound_at is None or now - last_inbound_at > WINDOW


def delivery_settings(config: Mapping[str, Any]) -> DeliverySettings:
    """The delivery settings (WHATSAPP_TEMPLATE_NAME, WHATSAPP_TEMPLATE_LANGUAGE, PORTAL_URL,
    SECRET_KEY)."""
    return DeliverySettings(
        config.get("WHATSAPP_TEMPLATE_NAME") or None,
        config.get("WHATSAPP_TEMPLATE_LANGUAGE", "en"),
        config.get("PORTAL_URL") or "",
        config.get("SECRET_KEY") or "",
    )


def _address(message: Message) -> str:
    """Whom a reply goes to: the phone number, else the business-scoped user id."""
    address = message.phone or message.whatsapp_user_id
    if not address:
        raise ValueError("The reply has neither a phone number nor a WhatsApp user id to go to.")
    return address


def _sender(
    session: Session, channel: Channel, message: Message, outside_window: bool, template: DeliverySettings
) -> Callable[[], OutboundResult]:
    """The provider call for ``message``, reading the row now (a commit expires it, and reading
    it again after would cost a query)."""
    to = _address(message)
    if outside_window:
        return partial(channel.send_template, to, template.name or "", template.language, ())
    interactive = message.interactive or {}
    if message.kind == "template" and interactive.get("template"):  # e.g. a broker's new-lead alert
        spec = interactive["template"]
        return partial(channel.send_template, to, spec["name"], spec["language"], tuple(spec["parameters"]))
    brochure = brochures.from_message(interactive)
    if brochure is not None:
        return partial(channel.send_document, to, _document(session, brochure, message.body, template))
    if interactive.get("buttons"):
        buttons = [tuple(b) for b in interactive["buttons"]]
        return partial(channel.send_buttons, to, message.body, buttons)
    if interactive.get("rows"):
        rows = [tuple(r) for r in interactive["rows"]]
        return partial(channel.send_list, to, message.body, interactive.get("list_button") or "Choose", rows)
    return partial(channel.send_text, to, message.body)


def _document(
    session: Session, brochure: Brochure, caption: str, template: DeliverySettings
) -> OutboundDocument:
    if not brochures.is_kept(session, brochure.document_id):
        raise ValueError(
            f"The brochure {brochure.filename} is no longer in the catalogue (it was replaced or removed)."
        )
    link = brochures.public_link(template.portal_url, template.secret_key, brochure)

    def read() -> bytes:
        stored = brochures.read_file(session, brochure.document_id)
        if stored is None:
            raise ValueError(f"The brochure {brochure.filename} is no longer in the catalogue.")
        return stored.content

    return OutboundDocument(brochure.filename, caption, link, read)


def deliver_replies(
    session: Session,
    inbound_id: int,
    channel: Channel | None,
    template: DeliverySettings,
    now: datetime | None = None,
) -> DeliveryReport:
    """Send the pending replies to one inbound message, in order. Commits as it goes."""
    ids = session.scalars(
        select(Message.id)
        .where(Message.in_reply_to_id == inbound_id, Message.direction == "out")
        .order_by(Message.sequence)
    ).all()
    return deliver_messages(session, ids, channel, template, now)


def deliver_messages(
    session: Session,
    ids: Sequence[int],
    channel: Channel | None,
    template: DeliverySettings,
    now: datetime | None = None,
) -> DeliveryReport:
    """Send outbound messages in the given order, each at most once. Commits as it goes."""
    report = DeliveryReport()
    templated: set[str] = set()  # addresses the template went to in this run
    queue = list(ids)
    while queue:
        message_id = queue.pop(0)
        now = now or datetime.now(UTC)
        message = session.scalars(
            select(Message).where(Message.id == message_id).with_for_update(skip_locked=True)
        ).one_or_none()
        if message is None or message.status not in ("pending", "retrying"):
            session.rollback()
            continue
        if channel is None:
            message.status, message.status_at = "recorded", now
            session.commit()
            if not report.recorded:
                log.info("no WhatsApp credentials: replies are recorded, not sent (docs/configuration.md)")
            report.recorded += 1
            continue
        lead = session.get(Lead, message.lead_id) if message.lead_id else None
        # A reply always follows a message from its lead; a message with no lead (a broker's
        # alert) is not a reply in a window at all.
        outside = bool(lead and lead.last_inbound_at and window_closed(lead.last_inbound_at, now))
        address = message.phone or message.whatsapp_user_id
        if outside and message.kind in SESSION_ONLY:
            # A file or buttons queued inside the window that closed before it went: the
            # template would stand in for it and it would look sent.
            message.status, message.status_at = "failed", now
            message.error = (
                "The investor's 24-hour window closed before this could go (WhatsApp takes a file or "
                "buttons only inside it): send it again once they reply."
            )
            session.commit()
            report.failed += 1
            continue
        if outside and not template.name:
            message.status, message.status_at = "skipped", now
            message.error = "Outside the 24-hour window and no WHATSAPP_TEMPLATE_NAME is configured."
            session.commit()
            report.failed += 1
            continue
        if outside and address in templated:  # one template stands in for all of them
            message.status, message.status_at = "skipped", now
            message.error = "Outside the 24-hour window: the template was sent once instead of this reply."
            session.commit()
            report.failed += 1
            continue
        try:
            send = _sender(session, channel, message, outside, template)
        except ValueError as error:  # nobody to send it to
            message.status, message.status_at, message.error = "failed", now, str(error)
            session.commit()
            report.failed += 1
            continue
        message.status, message.attempts, message.status_at = "sending", message.attempts + 1, now
        session.commit()  # the at-most-once guard: from here on this row is never sent again
        try:
            provider_id = send().provider_message_id
        except SendError as error:
            if error.user_id_refused:
                fallback = _refused_for_user_id(session, message, error, outside)
                if fallback is None:
                    report.failed += 1
                else:
                    queue.insert(0, fallback)
                continue
            retry = _after_failure(session, message, error, template)
            if retry is not None:
                report.retry_in = retry
                return report  # keep the order: later replies wait for this one
            report.failed += 1
            continue
        except ValueError as error:  # a reply the channel refuses to send as built
            message.status, message.error = "failed", str(error)
            session.commit()
            report.failed += 1
            continue
        message.status, message.provider_message_id = "sent", provider_id
        message.sent_at = message.status_at = datetime.now(UTC)
        session.commit()
        # A status WhatsApp sent before this id was known is applied now (app.conversation.statuses).
        apply_early_statuses(session, [provider_id])
        session.commit()
        report.sent += 1
        if outside:
            templated.add(address)
    return report


def _refused_for_user_id(session: Session, message: Message, error: SendError, outside: bool) -> int | None:
    """Handle WhatsApp's 131062 (this kind of message cannot go to a business-scoped user id):
    reply buttons or a list come back as a plain-text reply, to be sent next (its id returned);
    anything else fails, and the message it answered is listed as unanswered (caller counts)."""
    message.status, message.status_at, message.error_code = "failed", datetime.now(UTC), error.code
    interactive = message.interactive or {}
    if not outside and (interactive.get("buttons") or interactive.get("rows")):
        message.error = (
            "WhatsApp cannot deliver reply buttons or a list to this user, known only by a "
            f"business-scoped user id (131062); sent as plain text instead. {error}"
        )
        fallback = Message(
            lead_id=message.lead_id,
            phone=message.phone,
            whatsapp_user_id=message.whatsapp_user_id,
            direction="out",
            provider=message.provider,
            kind="text",
            body=plain_text(message.body, interactive),
            in_reply_to_id=message.in_reply_to_id,
            conversation=message.conversation,
            sequence=message.sequence,
            route=message.route,
            answered=message.answered,
            status="pending",
        )
        session.add(fallback)
        session.commit()
        return fallback.id
    what = "the template" if outside else "this reply"
    message.error = (
        f"WhatsApp refused {what} for this user, known only by a business-scoped user id (131062), "
        f"and there is no plain-text form of it to send instead: the investor is left unanswered. {error}"
    )
    if message.in_reply_to_id:
        mark_unanswered(session, message.in_reply_to_id, message.error)
    session.commit()
    log.warning("reply %s not delivered: %s", message.id, message.error)
    return None


def plain_text(body: str, interactive: Mapping[str, Any]) -> str:
    """A reply-buttons or list message as plain text: the body, then one line per option (the
    investor types their choice; the engine reads it like a tap)."""
    if interactive.get("buttons"):
        options = [f"• {title}" for _, title in interactive["buttons"]]
    else:
        options = [f"• {title}" + (f" — {about}" if about else "") for _, title, about in interactive["rows"]]
    return body + "\n\n" + "\n".join(options)


def _after_failure(
    session: Session, message: Message, error: SendError, template: DeliverySettings
) -> float | None:
    """Record a failed send; returns seconds to wait before retrying, or None when final."""
    message.error = f"{error.status or ''} {error.code or ''} {error}".strip()
    message.error_code = error.code
    message.status_at = datetime.now(UTC)
    if error.outside_window and not template.name:
        message.status = "skipped"
        message.error = "WhatsApp refused: outside the 24-hour window (131047) and no template is configured."
    elif error.retryable and message.attempts < MAX_ATTEMPTS:
        message.status = "retrying"
        session.commit()
        delay = BACKOFF_SECONDS[min(message.attempts, len(BACKOFF_SECONDS)) - 1]
        return max(delay, error.retry_after or 0)
    else:
        message.status = "failed"
    session.commit()
    log.warning("reply %s not delivered: %s", message.id, message.error)
    return None
