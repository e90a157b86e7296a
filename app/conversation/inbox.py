"""Recording what a channel received: raw events, inbound messages (once each) and statuses.

This is the fast part of a webhook request: a few inserts in one transaction. Everything slow
(answering, sending) happens in workers, which pick up the ids returned here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, case, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from app.channels.base import InboundMessage, StatusUpdate
from app.conversation.pii import redact_pii
from app.models import Message

# Kinds the engine acts on; everything else is stored and skipped.
ACTIONABLE = frozenset({"text", "button", "list", "media"})
# A status only moves forward: a late "delivered" never overwrites "read".
STATUS_RANK = {
    "pending": 0,
    "retrying": 0,
    "sending": 1,
    "recorded": 1,
    "sent": 2,
    "failed": 3,
    "delivered": 4,
    "read": 5,
}


# The raw event and every message in it go to the database in one statement (the messages
# travel as a JSON array): it runs on every webhook, where each extra round trip or ORM object
# costs more than the database work itself. A re-delivered message id inserts nothing.
_RECORD = text("""
    WITH event AS (
        INSERT INTO inbound_events (provider, payload, messages, statuses)
        VALUES (:provider, :payload, :message_count, :status_count)
    )
    INSERT INTO messages (phone, direction, provider, provider_message_id, kind, body, reply_id,
                          pii_removed, status, status_at, processed_at, interactive, sequence)
    SELECT m.phone, 'in', :provider, m.provider_message_id, m.kind, m.body, m.reply_id,
           m.pii_removed, m.status, m.status_at, m.processed_at, m.interactive, 0
    FROM jsonb_to_recordset(:messages) AS m(
        phone text, provider_message_id text, kind text, body text, reply_id text,
        pii_removed text[], status text, status_at timestamptz, processed_at timestamptz,
        interactive jsonb)
    ON CONFLICT (provider_message_id) DO NOTHING
    RETURNING id, status
""").bindparams(bindparam("payload", type_=JSONB), bindparam("messages", type_=JSONB))


@dataclass
class Recorded:
    """What one webhook delivery added."""

    new_message_ids: list[int]
    duplicates: int
    statuses_applied: int


def redact_payload(value: Any) -> Any:
    """A copy of a JSON value with PII removed from every string in it."""
    if isinstance(value, str):
        return redact_pii(value).text
    if isinstance(value, list):
        return [redact_payload(item) for item in value]
    if isinstance(value, dict):
        return {key: redact_payload(item) for key, item in value.items()}
    return value


def record_delivery(
    session: Session,
    provider: str,
    payload: Any,
    messages: Sequence[InboundMessage],
    statuses: Sequence[StatusUpdate],
) -> Recorded:
    """Store the raw event, insert each new message keyed by its provider id, apply statuses.

    A re-delivered message id is a no-op. The caller commits, then enqueues the new ids.
    """
    now = datetime.now(UTC)
    inserted = session.execute(
        _RECORD,
        {
            "provider": provider,
            "payload": redact_payload(payload),
            "message_count": len(messages),
            "status_count": len(statuses),
            "messages": [_message_row(message, now) for message in messages],
        },
    ).all()
    # Ids grow in insertion order: sorted, they keep the order the messages came in.
    new_ids = sorted(row.id for row in inserted if row.status == "received")
    applied = sum(apply_status(session, status) for status in statuses)
    return Recorded(new_ids, _duplicates(messages, new_ids), applied)


def _message_row(message: InboundMessage, now: datetime) -> dict[str, Any]:
    """One message as a JSON object for ``_RECORD`` (PII removed from the text)."""
    redaction = redact_pii(message.text or "")
    actionable = message.kind in ACTIONABLE
    return {
        "phone": message.phone,
        "provider_message_id": message.message_id,
        "kind": message.kind,
        "body": redaction.text,
        "reply_id": message.reply_id,
        "pii_removed": sorted(redaction.kinds),
        "status": "received" if actionable else "skipped",
        "status_at": message.sent_at.isoformat(),
        "processed_at": None if actionable else now.isoformat(),
        "interactive": {"profile_name": message.profile_name} if message.profile_name else None,
    }


def _duplicates(messages: Sequence[InboundMessage], new_ids: list[int]) -> int:
    actionable = [m for m in messages if m.kind in ACTIONABLE]
    return max(0, len(actionable) - len(new_ids))


def apply_status(session: Session, status: StatusUpdate) -> int:
    """Move an outbound message's status forward (never backwards); returns rows changed."""
    rank = STATUS_RANK.get(status.status)
    if rank is None:
        return 0
    current_rank = case(STATUS_RANK, value=Message.status, else_=0)
    error = "; ".join(str(e.get("title") or e.get("message") or e) for e in status.errors) or None
    values: dict[str, Any] = {"status": status.status, "status_at": status.at}
    if error:
        values["error"] = error
    result = session.execute(
        update(Message)
        .where(
            Message.provider_message_id == status.message_id, Message.direction == "out", current_rank < rank
        )
        .values(**values)
    )
    return result.rowcount or 0
