"""Recording what a channel received: raw events, inbound messages (once each) and statuses.

This is the fast part of a webhook request: one SQL statement. Everything slow (answering,
sending) happens in workers; the statement announces the new ids to the dispatcher
(``workers.dispatch``), which queues their jobs. Statuses are read as ``app.conversation.statuses``
says; one that names no message yet is kept for when its reply has an id (a second statement).
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
from app.conversation.names import display_name
from app.conversation.pii import redact_pii
from app.conversation.statuses import apply_early_statuses, best_per_message, move_replies, status_row

# New actionable message ids go out as PostgreSQL notifications on this channel, comma-separated,
# at most NOTIFY_CHUNK per notification (int4 ids: 500 stay well under the 8000-byte limit).
INBOX_CHANNEL = "investochat_inbox"
NOTIFY_CHUNK = 500
# Kinds the engine acts on; everything else is stored and skipped.
ACTIONABLE = frozenset({"text", "button", "list", "media"})


# The raw event, every message in it and every status go to the database in one statement (the
# messages and statuses travel as JSON arrays): it runs on every webhook, where each extra round
# trip or ORM object costs more than the database work itself, and one statement is atomic even
# on an autocommit connection. A re-delivered message id inserts nothing, and is filtered out
# before the insert: ON CONFLICT alone would wait for a worker's open transaction that is
# updating that message (a worker at background priority, under load), and hold up the ack. Of
# several statuses for one message, the furthest along applies, and only if it moves the message
# forward, and the latest error among them is kept (``app.conversation.statuses``); a status
# that names no message at all is kept in ``early_statuses``. With ``notify``, the new ids are
# announced to the dispatcher (``workers.dispatch``); PostgreSQL delivers a notification only
# when its transaction commits, so no job sees an uncommitted row.
_STATUS_ROWS = """jsonb_to_recordset(:statuses) AS x(
    message_id text, status text, at timestamptz, error text, error_code int, rank int)"""
_RECORD = text(f"""
    WITH event AS (
        INSERT INTO inbound_events (provider, payload, messages, statuses)
        VALUES (:provider, :payload, :message_count, :status_count)
    ),
    statuses AS ({best_per_message(_STATUS_ROWS)}),
    moved AS ({move_replies("statuses")}),
    early AS (
        INSERT INTO early_statuses (provider_message_id, status, rank, at, error, error_code)
        SELECT s.message_id, s.status, s.rank, s.at, s.error, s.error_code FROM statuses AS s
        WHERE (SELECT true FROM messages AS known WHERE known.provider_message_id = s.message_id) IS NULL
        RETURNING provider_message_id
    ),
    inserted AS (
        INSERT INTO messages (phone, whatsapp_user_id, direction, provider, provider_message_id, kind,
                              body, reply_id, pii_removed, status, status_at, processed_at,
                              interactive, sequence, conversation)
        SELECT m.phone, m.whatsapp_user_id, 'in', :provider, m.provider_message_id, m.kind,
               m.body, m.reply_id, m.pii_removed, m.status, m.status_at, m.processed_at,
               m.interactive, 0, m.conversation
        FROM jsonb_to_recordset(:messages) AS m(
            phone text, whatsapp_user_id text, provider_message_id text, kind text, body text,
            reply_id text, pii_removed text[], status text, status_at timestamptz,
            processed_at timestamptz, interactive jsonb, conversation text)
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
           coalesce((SELECT array_agg(provider_message_id) FROM early), '{{}}') AS early_ids,
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
    # Business-scoped user ids ("IN.1648738043044942": a Luhn-valid run is common), usernames,
    # and a click-to-WhatsApp ad's ids.
    "user_id", "from_user_id", "recipient_user_id", "parent_user_id", "from_parent_user_id",
    "recipient_parent_user_id", "bsuid", "parentBsuid", "username", "source_id", "ctwa_clid",
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
    enqueue; without, the caller processes them itself (``investochat chat``). A status naming
    no message yet costs a second statement, which applies it if its reply got the id meanwhile.
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
            "statuses": [update for status in statuses if (update := status_row(status))],
        },
    ).one()
    if row.early_ids:  # after the commit above: a reply that took the id meanwhile is seen now
        apply_early_statuses(connection, row.early_ids, prune=True)
    new_ids = list(row.new_ids)  # ascending: ids grow in insertion order, the order they came in
    return Recorded(new_ids, _duplicates(messages, new_ids), row.statuses_applied)


def _message_row(message: InboundMessage, now: datetime) -> dict[str, Any]:
    """One message as a JSON object for ``_RECORD`` (PII removed from the text and the profile name)."""
    redaction = redact_pii(message.text or "")
    profile = display_name(message.profile_name)  # stored as the lead's name is: no Aadhaar in it
    actionable = message.kind in ACTIONABLE
    sender = {"profile_name": profile, "username": message.username, "referral": message.referral}
    return {
        "phone": message.phone,
        "whatsapp_user_id": message.user_id,
        "provider_message_id": message.message_id,
        "kind": message.kind,
        "body": redaction.text,
        "reply_id": message.reply_id,
        "pii_removed": sorted(redaction.kinds),
        "status": "received" if actionable else "skipped",
        "status_at": message.sent_at.isoformat(),
        "processed_at": None if actionable else now.isoformat(),
        # What the worker needs about the sender: kept here, since the raw event is not read again.
        "interactive": {key: value for key, value in sender.items() if value} or None,
        "conversation": message.conversation,
    }


def _duplicates(messages: Sequence[InboundMessage], new_ids: list[int]) -> int:
    actionable = [m for m in messages if m.kind in ACTIONABLE]
    return max(0, len(actionable) - len(new_ids))
