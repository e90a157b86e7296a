"""Recording what a channel received: raw events, inbound messages (once each) and statuses.

This is the fast part of a webhook request: one SQL statement. Everything slow (answering,
sending) happens in workers; the statement announces the new ids to the dispatcher
(``workers.dispatch``), which queues their jobs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from app.channels.messages import InboundMessage, StatusUpdate
from app.conversation.pii import redact_pii

# New actionable message ids go out as PostgreSQL notifications on this channel, comma-separated,
# at most NOTIFY_CHUNK per notification (int4 ids: 500 stay well under the 8000-byte limit).
INBOX_CHANNEL = "investochat_inbox"
NOTIFY_CHUNK = 500
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


# The raw event, every message in it and every status go to the database in one statement (the
# messages and statuses travel as JSON arrays): it runs on every webhook, where each extra round
# trip or ORM object costs more than the database work itself, and one statement is atomic even
# on an autocommit connection. A re-delivered message id inserts nothing, and is filtered out
# before the insert: ON CONFLICT alone would wait for a worker's open transaction that is
# updating that message (a worker at background priority, under load), and hold up the ack. Of
# several statuses for one message, the furthest along applies, and only if it moves the message
# forward. With ``notify``, the new ids are announced to the dispatcher (``workers.dispatch``);
# PostgreSQL delivers a notification only when its transaction commits, so no job sees an
# uncommitted row.
_CURRENT_RANK = "CASE m.status {} ELSE 0 END".format(
    " ".join(f"WHEN '{status}' THEN {rank}" for status, rank in STATUS_RANK.items())
)
_RECORD = text(f"""
    WITH event AS (
        INSERT INTO inbound_events (provider, payload, messages, statuses)
        VALUES (:provider, :payload, :message_count, :status_count)
    ),
    moved AS (
        UPDATE messages AS m
        SET status = s.status, status_at = s.at, error = coalesce(s.error, m.error)
        FROM (SELECT DISTINCT ON (message_id) message_id, status, at, error, rank
              FROM jsonb_to_recordset(:statuses)
                   AS x(message_id text, status text, at timestamptz, error text, rank int)
              ORDER BY message_id, rank DESC, at DESC) AS s
        WHERE m.provider_message_id = s.message_id AND m.direction = 'out'
          AND {_CURRENT_RANK} < s.rank
        RETURNING 1
    ),
    inserted AS (
        INSERT INTO messages (phone, direction, provider, provider_message_id, kind, body, reply_id,
                              pii_removed, status, status_at, processed_at, interactive, sequence,
                              conversation)
        SELECT m.phone, 'in', :provider, m.provider_message_id, m.kind, m.body, m.reply_id,
               m.pii_removed, m.status, m.status_at, m.processed_at, m.interactive, 0,
               m.conversation
        FROM jsonb_to_recordset(:messages) AS m(
            phone text, provider_message_id text, kind text, body text, reply_id text,
            pii_removed text[], status text, status_at timestamptz, processed_at timestamptz,
            interactive jsonb, conversation text)
        -- a correlated scalar subquery always runs as one index lookup per message; NOT EXISTS
        -- may be planned as an anti-join over the whole table
        WHERE (SELECT true FROM messages AS known
               WHERE known.provider_message_id = m.provider_message_id) IS NULL
        ON CONFLICT (provider_message_id) DO NOTHING
        RETURNING id, status
    )
    SELECT coalesce((SELECT array_agg(id ORDER BY id) FROM inserted WHERE status = 'received'),
                    '{{}}') AS new_ids,
           (SELECT count(*) FROM moved) AS statuses_applied,
           -- selected so that it runs; the count itself is not needed
           (SELECT count(pg_notify(:channel, ids))
            FROM (SELECT string_agg(id::text, ',' ORDER BY id) AS ids
                  FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / {NOTIFY_CHUNK} AS chunk
                        FROM inserted WHERE status = 'received' AND :notify) AS numbered
                  GROUP BY chunk) AS chunks) AS notifications
""").bindparams(
    bindparam("payload", type_=JSONB), bindparam("messages", type_=JSONB), bindparam("statuses", type_=JSONB)
)


@dataclass
class Recorded:
    """What one webhook delivery added."""

    new_message_ids: list[int]
    duplicates: int
    statuses_applied: int


# Keys of Meta's and Wati's payloads whose values are identifiers, never text a person wrote. They
# are kept as they are: a message id with a Luhn-valid digit run, or a sender's number that passes
# the Aadhaar check (a UAE number such as 9715..., for instance), would otherwise be stored
# rewritten and the raw event would no longer match its message.
IDENTIFIER_KEYS = frozenset({
    "id", "wa_id", "from", "recipient_id", "phone_number_id", "display_phone_number", "timestamp",
    "waId", "whatsappMessageId", "localMessageId", "conversationId", "ticketId", "created",
})  # fmt: skip


def redact_payload(value: Any, key: str | None = None) -> Any:
    """A copy of a JSON value with PII removed from every string in it, except identifiers."""
    if isinstance(value, str):
        return value if key in IDENTIFIER_KEYS else redact_pii(value).text
    if isinstance(value, list):
        return [redact_payload(item, key) for item in value]
    if isinstance(value, dict):
        return {name: redact_payload(item, name) for name, item in value.items()}
    return value


def record_delivery(
    connection: Connection | Session,
    provider: str,
    payload: Any,
    messages: Sequence[InboundMessage],
    statuses: Sequence[StatusUpdate],
    *,
    notify: bool = False,
) -> Recorded:
    """Store the raw event, insert each new message keyed by its provider id, apply statuses.

    One statement: on an autocommit connection it is its own transaction (the webhook's case);
    otherwise the caller commits. A re-delivered message id is a no-op. With ``notify`` the new
    ids are announced on ``INBOX_CHANNEL`` when the transaction commits, for the dispatcher to
    enqueue; without, the caller processes them itself (``investochat chat``).
    """
    now = datetime.now(UTC)
    row = connection.execute(
        _RECORD,
        {
            "provider": provider,
            "channel": INBOX_CHANNEL,
            "notify": notify,
            "payload": redact_payload(payload),
            "message_count": len(messages),
            "status_count": len(statuses),
            "messages": [_message_row(message, now) for message in messages],
            "statuses": [update for status in statuses if (update := _status_row(status))],
        },
    ).one()
    new_ids = list(row.new_ids)  # ascending: ids grow in insertion order, the order they came in
    return Recorded(new_ids, _duplicates(messages, new_ids), row.statuses_applied)


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
        "conversation": message.conversation,
    }


def _duplicates(messages: Sequence[InboundMessage], new_ids: list[int]) -> int:
    actionable = [m for m in messages if m.kind in ACTIONABLE]
    return max(0, len(actionable) - len(new_ids))


def _status_row(status: StatusUpdate) -> dict[str, Any] | None:
    """One status as a JSON object for ``_RECORD``; None for a status we do not track."""
    rank = STATUS_RANK.get(status.status)
    if rank is None:
        return None
    error = "; ".join(str(e.get("title") or e.get("message") or e) for e in status.errors) or None
    return {
        "message_id": status.message_id,
        "status": status.status,
        "at": status.at.isoformat(),
        "error": error,
        "rank": rank,
    }
