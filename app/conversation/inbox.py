"""Recording what a channel received: raw events, inbound messages (once each) and statuses.

This is the fast part of a webhook request: a few inserts in one transaction. Everything slow
(answering, sending) happens in workers, which pick up the ids returned here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.channels.base import InboundMessage, StatusUpdate
from app.conversation.pii import redact_pii
from app.models import InboundEvent, Message

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
    session.add(
        InboundEvent(
            provider=provider, payload=redact_payload(payload), messages=len(messages), statuses=len(statuses)
        )
    )
    new_ids: list[int] = []
    now = datetime.now(UTC)
    for message in messages:
        redaction = redact_pii(message.text or "")
        actionable = message.kind in ACTIONABLE
        row = {
            "phone": message.phone,
            "direction": "in",
            "provider": provider,
            "provider_message_id": message.message_id,
            "kind": message.kind,
            "body": redaction.text,
            "reply_id": message.reply_id,
            "pii_removed": sorted(redaction.kinds),
            "status": "received" if actionable else "skipped",
            "status_at": message.sent_at,
            "processed_at": None if actionable else now,
            "interactive": {"profile_name": message.profile_name} if message.profile_name else None,
        }
        inserted = session.execute(
            insert(Message)
            .values(**row)
            .on_conflict_do_nothing(index_elements=["provider_message_id"])
            .returning(Message.id, Message.status)
        ).first()
        if inserted is not None and inserted.status == "received":
            new_ids.append(inserted.id)
    applied = sum(apply_status(session, status) for status in statuses)
    return Recorded(new_ids, _duplicates(messages, new_ids), applied)


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
