"""WhatsApp's business-scoped user ids (BSUIDs): who wrote when the phone number is withheld.

Since April 2026 Meta adds a business-scoped user id (``user_id``, e.g. ``IN.1648738043044942``)
to every webhook, and for users who adopt a WhatsApp username it may leave the phone number out
(no ``from`` / ``wa_id``). A BSUID is a two-letter country code, a dot, and up to 128 letters and
digits; a *parent* BSUID, shared by the businesses of one portfolio, has ``ENT.`` after the
country. Both are kept and sent back exactly as received: a reply goes to the phone number when
one is known, else to the BSUID (Meta's ``recipient``). Meta refuses some kinds of message to a
BSUID (authentication templates) with error 131062.
"""

from __future__ import annotations

import re

_USER_ID = re.compile(r"[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}")
MAX_LENGTH = 2 + len(".ENT.") + 128


def is_user_id(value: object) -> bool:
    """True for a business-scoped user id (or a parent one), e.g. ``IN.1648738043044942``."""
    return isinstance(value, str) and _USER_ID.fullmatch(value) is not None


def user_id_or_none(value: object) -> str | None:
    """``value`` when it is a business-scoped user id; None for anything else (absent, blank,
    a phone number, a placeholder)."""
    return value if is_user_id(value) else None
