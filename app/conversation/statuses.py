"""Delivery statuses of our replies: how far along each one counts, the error a failure carries,
and statuses that arrive before the reply they name has its id.

WhatsApp reports a reply's progress (sent, delivered, read, failed) by the id its send returned.
The inbox (``app.conversation.inbox``) applies them as webhooks bring them; a status only moves a
reply forward, a failure's error (its words and code) is kept whatever comes after, and a status
that names no message we know yet — the provider can report a reply before our send has returned
its id — is kept in ``early_statuses`` and applied once delivery (``app.conversation.delivery``)
records that id.

Both sides write first and then look for the other with a fresh snapshot (``apply_early_statuses``
runs as a statement of its own after the webhook's, and after delivery has committed the id), so
whichever commits last finds what the other wrote: an early status is never lost between them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import String

from app.channels.messages import StatusUpdate

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
# An early status no reply claimed within this long was for a message that is not ours (one
# sent from the provider's own inbox, say): a send returns its id within seconds.
EARLY_STATUS_KEPT = "1 day"

_CURRENT_RANK = "CASE m.status {} ELSE 0 END".format(
    " ".join(f"WHEN '{status}' THEN {rank}" for status, rank in STATUS_RANK.items())
)


def best_per_message(source: str) -> str:
    """SQL selecting, from ``source`` (rows of message_id, status, rank, at, error, error_code),
    one row per message: the furthest status along (the latest of equals), and the latest error."""
    return f"""
        SELECT message_id,
               (array_agg(status ORDER BY rank DESC, at DESC))[1] AS status,
               (array_agg(at ORDER BY rank DESC, at DESC))[1] AS at,
               max(rank) AS rank,
               (array_agg(error ORDER BY at DESC) FILTER (WHERE error IS NOT NULL))[1] AS error,
               (array_agg(error_code ORDER BY at DESC) FILTER (WHERE error IS NOT NULL))[1] AS error_code
        FROM {source}
        GROUP BY message_id"""


def move_replies(statuses: str) -> str:
    """SQL updating our replies named in ``statuses`` (a CTE of ``best_per_message`` rows): the
    status when it moves the reply forward, the error whenever one came."""
    return f"""
        UPDATE messages AS m
        SET status = CASE WHEN {_CURRENT_RANK} < s.rank THEN s.status ELSE m.status END,
            status_at = CASE WHEN {_CURRENT_RANK} < s.rank THEN s.at ELSE m.status_at END,
            error = coalesce(s.error, m.error),
            error_code = CASE WHEN s.error IS NOT NULL THEN s.error_code ELSE m.error_code END
        FROM {statuses} AS s
        WHERE m.provider_message_id = s.message_id AND m.direction = 'out'
          AND ({_CURRENT_RANK} < s.rank OR s.error IS NOT NULL)
        RETURNING 1"""


_APPLY_EARLY = text(f"""
    WITH due AS (
        DELETE FROM early_statuses AS e
        WHERE e.provider_message_id = ANY(:ids)
          AND (SELECT true FROM messages AS known
               WHERE known.provider_message_id = e.provider_message_id) IS NOT NULL
        RETURNING e.provider_message_id AS message_id, e.status, e.rank, e.at, e.error, e.error_code
    ),
    best AS ({best_per_message("due")}),
    moved AS ({move_replies("best")}),
    expired AS (
        DELETE FROM early_statuses
        WHERE :prune AND received_at < now() - interval '{EARLY_STATUS_KEPT}'
    )
    SELECT count(*) FROM moved
""").bindparams(bindparam("ids", type_=ARRAY(String)))


def apply_early_statuses(
    connection: Connection | Session, message_ids: Iterable[str], *, prune: bool = False
) -> int:
    """Apply (and delete) the early statuses of ``message_ids`` whose reply now has that id;
    returns how many replies moved. With ``prune``, also drop early statuses no reply claimed
    within ``EARLY_STATUS_KEPT``. The caller commits."""
    ids = sorted(set(message_ids))
    if not ids:
        return 0
    return connection.execute(_APPLY_EARLY, {"ids": ids, "prune": prune}).scalar_one()


def status_row(status: StatusUpdate) -> dict[str, Any] | None:
    """One status as a JSON object for the inbox's statement; None for a status we do not track."""
    rank = STATUS_RANK.get(status.status)
    if rank is None:
        return None
    error, code = describe_errors(status.errors)
    return {
        "message_id": status.message_id,
        "status": status.status,
        "at": status.at.isoformat(),
        "error": error,
        "error_code": code,
        "rank": rank,
    }


def describe_errors(errors: Sequence[Mapping[str, Any]]) -> tuple[str | None, int | None]:
    """The provider's errors as one text — each title with its details, e.g. "Re-engagement
    message: Message failed to send because more than 24 hours have passed…" — and the first
    error's numeric code; (None, None) without errors."""
    texts: list[str] = []
    code: int | None = None
    for error in errors:
        title = str(error.get("title") or error.get("message") or "").strip()
        data = error.get("error_data")
        details = str(data.get("details") or "").strip() if isinstance(data, Mapping) else ""
        value = error.get("code")
        described = f"{title}: {details}" if title and details and details != title else title or details
        texts.append(described or (f"Error {value}" if value not in (None, "") else ""))
        if code is None and (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
            code = int(value)
    described = "; ".join(filter(None, texts))
    return described or None, code
