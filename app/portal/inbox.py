"""A broker's inbox: the leads they hold, the conversation with the newest message first, each
with its last message and how many of the investor's messages the broker has not seen.

"Seen" is the newest message that was on the broker's screen (``Lead.broker_seen_message_id``,
moved on whenever the lead's page or its polled conversation is rendered); only the investor's
messages after the claim count, so taking over a lead does not open with the whole bot
conversation marked unread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Select, func, select, true, update
from sqlalchemy.orm import Session

from app.models import Lead, Message, User

PREVIEW_CHARS = 90


class InboxRow(NamedTuple):
    lead: Lead
    last_body: str | None
    last_direction: str | None
    last_at: datetime | None
    last_by_broker: bool
    unread: int

    @property
    def preview(self) -> str:
        """The last message on one line, cut to fit a phone's row."""
        text = " ".join((self.last_body or "").split())
        return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1].rstrip() + "…"


def _unread_messages(lead=Lead):
    """Conditions on Message: the investor's messages to ``lead`` its broker has not seen."""
    return (
        Message.lead_id == lead.id,
        Message.direction == "in",
        Message.id > func.coalesce(lead.broker_seen_message_id, 0),
        Message.created_at >= lead.claimed_at,
    )


def inbox_query(broker: User) -> Select:
    """The broker's leads with their last message and unread count, newest conversation first."""
    last = (
        select(Message.body, Message.direction, Message.created_at, Message.sent_by_id)
        .where(Message.lead_id == Lead.id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
        .lateral("last_message")
    )
    unread = select(func.count().label("count")).where(*_unread_messages()).lateral("unread")
    return (
        select(
            Lead,
            last.c.body,
            last.c.direction,
            last.c.created_at,
            last.c.sent_by_id.is_not(None),
            unread.c.count,
        )
        .select_from(Lead)
        .outerjoin(last, true())
        .join(unread, true())
        .where(Lead.broker_id == broker.id)
        .order_by(
            last.c.created_at.desc().nulls_last(),
            Lead.claimed_at.desc().nulls_last(),
            Lead.id.desc(),
        )
    )


@dataclass(frozen=True)
class InboxPage:
    """One page of the inbox, with what the pager shows (as Flask-SQLAlchemy's pages have)."""

    items: list[InboxRow]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int:
        return self.page + 1


def inbox_page(session: Session, broker: User, page: int, per_page: int) -> InboxPage:
    """One page of the broker's inbox; a page past the end is the last page."""
    total = session.scalar(select(func.count()).select_from(Lead).where(Lead.broker_id == broker.id))
    page = min(max(page, 1), max(1, -(-total // per_page)))
    query = inbox_query(broker).limit(per_page).offset((page - 1) * per_page)
    return InboxPage([InboxRow(*row) for row in session.execute(query)], page, per_page, total)


def unread_total(session: Session, broker: User) -> int:
    """The investor messages the broker has not seen, over all the leads they hold."""
    return session.scalar(
        select(func.count())
        .select_from(Lead)
        .join(Message, Message.lead_id == Lead.id)
        .where(Lead.broker_id == broker.id, *_unread_messages())
    )


def mark_seen(session: Session, lead: Lead) -> None:
    """Everything in ``lead``'s conversation is now on its broker's screen (caller commits).

    Only moves forward, and writes only when there is something new, so the page's 2-second
    poll costs a read and no write while nothing arrives.
    """
    newest = select(func.max(Message.id)).where(Message.lead_id == lead.id).scalar_subquery()
    session.execute(
        update(Lead)
        .where(Lead.id == lead.id, func.coalesce(Lead.broker_seen_message_id, 0) < newest)
        # Reading is not a change to the lead: updated_at (Airtable's conflict rule) stays.
        .values(broker_seen_message_id=newest, updated_at=Lead.updated_at)
        .execution_options(synchronize_session=False)
    )
