"""India time for people: the database stores UTC, the portal shows and reads Asia/Kolkata.

Brokers and the partner work in India, so a timestamp on a page, a date typed in a filter and a
timestamp in a CSV export all mean IST (UTC+05:30, no daylight saving).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")


def to_ist(moment: datetime) -> datetime:
    """``moment`` in India time; a naive datetime is taken to be UTC, as the database stores it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(IST)


def format_ist(moment: datetime | None, pattern: str = "%d %b %Y %H:%M") -> str:
    """``{{ lead.claimed_at | ist("%d %b %H:%M") }}``: the time as India reads it; "" for None."""
    return "" if moment is None else to_ist(moment).strftime(pattern)


def ist_today(now: datetime | None = None) -> date:
    """The date in India at ``now`` (default: this moment). From midnight to 05:30 IST the UTC
    date is still yesterday's: a deal closed then, or this month's revenue, goes by India's."""
    return to_ist(now or datetime.now(UTC)).date()


def ist_day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in India, for filtering timestamps by a date typed there."""
    return datetime.combine(day, time.min, tzinfo=IST)
