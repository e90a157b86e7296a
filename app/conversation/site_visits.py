"""Site-visit times a broker offers as reply buttons, and the investor's pick.

A slot travels as the button's id, ``visit:2026-12-12T11:00`` (India time, to the minute), so
the reply alone says which time was chosen; its title ("Sat 12 Dec 11:00") fits WhatsApp's
20-character button. Wati returns a button's title rather than its id, so the titles of one
offer are unique and a title can be matched back to its slot (``slot_for_title``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")
PREFIX = "visit:"
# What the engine is given for a pick that cannot be booked (app.conversation.bookings).
UNAVAILABLE = PREFIX + "unavailable"
MIN_SLOTS, MAX_SLOTS = 2, 3


def slot_id(at: datetime) -> str:
    """The button id of a slot at ``at``."""
    return PREFIX + at.astimezone(IST).strftime("%Y-%m-%dT%H:%M")


def slot_title(at: datetime) -> str:
    """The button's title: "Sat 12 Dec 11:00" (India time)."""
    return at.astimezone(IST).strftime("%a %d %b %H:%M")


def slot_label(at: datetime) -> str:
    """The time in a sentence: "Sat 12 Dec 2026, 11:00 am"."""
    local = at.astimezone(IST)
    return local.strftime("%a %d %b %Y, ") + local.strftime("%I:%M %p").lstrip("0").lower()


def parse_slot(reply_id: str | None) -> datetime | None:
    """The time a slot button's id names, or None when it is not one."""
    if not reply_id or not reply_id.startswith(PREFIX):
        return None
    try:
        return datetime.strptime(reply_id[len(PREFIX) :], "%Y-%m-%dT%H:%M").replace(tzinfo=IST)
    except ValueError:
        return None


def slot_buttons(slots: Iterable[datetime]) -> list[list[str]]:
    """The offer's buttons as a message stores them: [id, title] each."""
    return [[slot_id(at), slot_title(at)] for at in slots]


def slot_for_title(interactive: Mapping[str, Any] | None, title: str) -> str | None:
    """The slot id of the button titled ``title`` in an offer (Wati replies carry titles)."""
    for button_id, button_title in (interactive or {}).get("buttons") or []:
        if button_id.startswith(PREFIX) and button_title.strip().lower() == title.strip().lower():
            return button_id
    return None
