"""Phone numbers in E.164 (``+919812345678``), via Google's libphonenumber (``phonenumbers``).

Two strictnesses:

* ``strict=True`` (the default, for numbers people type: forms, the broker portal) accepts only
  numbers libphonenumber knows to be *valid* for their country.
* ``strict=False`` (for ids WhatsApp itself hands us, and for sending) accepts any *possible*
  number (right length for the country). libphonenumber's range tables lag behind newly issued
  number series, and dropping a real lead's message over stale metadata is worse than storing
  an odd-looking number that WhatsApp already vouches for.

Beyond even that, a WhatsApp id that libphonenumber cannot place at all (Mexico's mobile ids
still carry the old ``1`` after ``52``: ``5215512345678``) is kept as WhatsApp gave it, in E.164
form, and replies go back to exactly those digits; ``is_recognized`` tells the two apart, so the
lead can be flagged for the broker to check the number.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

# Digits and the usual separators only: no letters, so "1-800-FLOWERS" style vanity numbers
# (which libphonenumber would happily convert) and placeholders like "<PHONE>" are refused.
_PHONE_CHARS = re.compile(r"\(?\+?[\d\s().\-/]+")
_DIGITS = re.compile(r"\D")
# E.164: at most 15 digits; fewer than 7 is no one's phone number.
_WA_ID = re.compile(r"\+?[1-9]\d{6,14}")
MASK = "•"


def normalize_phone(raw: str, default_region: str = "IN", *, strict: bool = True) -> str:
    """Return ``raw`` as an E.164 string, or raise ValueError saying why it is not a phone number.

    ``+91 98123 45678``, ``09812345678`` and ``9812345678`` (national, in ``default_region``),
    ``00919812345678`` and bare international digits such as WhatsApp's ``919812345678`` all
    give ``+919812345678``. Bare digits are read as a national number first and, failing that,
    as international digits without the ``+``.
    """
    text = raw.strip() if isinstance(raw, str) else ""
    digits = _DIGITS.sub("", text)
    if not _PHONE_CHARS.fullmatch(text) or len(digits) < 6:
        raise ValueError(
            f"{raw!r} is not a phone number; give digits with the country code, e.g. +919812345678."
        )
    if text.startswith("00"):
        text = "+" + text[2:].lstrip()
    national = _parse(text, default_region)
    international = None
    if not text.lstrip("( ").startswith(("+", "0")):
        international = _parse("+" + digits, None)
    # Valid beats possible; among possible readings, bare digits are most likely a WhatsApp-style
    # international id, so that reading goes first.
    for number in (national, international):
        if number is not None and phonenumbers.is_valid_number(number):
            return _e164(number)
    if not strict:
        for number in (international, national):
            if number is not None and phonenumbers.is_possible_number(number):
                return _e164(number)
    raise ValueError(
        f"{raw!r} is not a valid phone number for region {default_region}; "
        "check the digits and include the country code (e.g. +91)."
    )


@lru_cache(maxsize=4096)
def from_wa_id(wa_id: str) -> str:
    """A WhatsApp id (international digits without ``+``, e.g. ``919812345678``) as E.164.

    Lenient (``strict=False``): WhatsApp already proved the number exists. An id libphonenumber
    cannot place (7 to 15 digits, no leading zero) is returned as ``+`` and its digits unchanged
    rather than refused (see ``is_recognized``). Cached, because a webhook batch repeats the same
    few senders many times.
    """
    if not isinstance(wa_id, str) or not wa_id.strip().lstrip("+").isdigit():
        raise ValueError(f"{wa_id!r} is not a WhatsApp id; expected international digits like 919812345678.")
    digits = wa_id.strip().lstrip("+")
    try:
        return normalize_phone("+" + digits, strict=False)
    except ValueError:
        if _WA_ID.fullmatch(digits):
            return "+" + digits
        raise


def is_recognized(phone: str) -> bool:
    """Whether libphonenumber accepts ``phone`` as a possible number (``from_wa_id`` keeps some
    WhatsApp ids it does not)."""
    try:
        normalize_phone(phone, strict=False)
    except ValueError:
        return False
    return True


def phone_or_id(wa_id: object) -> str | None:
    """E.164 for a WhatsApp id that is a phone number; any other id (a group) as given; else None."""
    if not isinstance(wa_id, str) or not wa_id:
        return None
    try:
        return from_wa_id(wa_id)
    except ValueError:
        return wa_id


def to_wa_id(phone: str, default_region: str = "IN") -> str:
    """The digits WhatsApp APIs want in ``to``/``whatsappNumber``: E.164 without the ``+``.

    A number libphonenumber cannot place but given in full international form (``+`` and 7 to 15
    digits, as ``from_wa_id`` keeps WhatsApp's own ids) goes back as those digits.
    """
    try:
        return normalize_phone(phone, default_region, strict=False)[1:]
    except ValueError:
        text = phone.strip() if isinstance(phone, str) else ""
        if text.startswith("+") and _WA_ID.fullmatch(text):
            return text[1:]
        raise


def dial_links(e164: str) -> tuple[str, str, str] | None:
    """The number as people read it ("+91 98123 45678"), a ``tel:`` link and a ``wa.me`` link;
    None for a number the phone library cannot place (shown as stored, without links)."""
    number = _parse(e164, None)
    if number is None or not phonenumbers.is_possible_number(number):
        return None
    shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    digits = e164.lstrip("+")
    return shown, f"tel:{e164}", f"https://wa.me/{digits}"


def mask_phone(e164: str) -> str:
    """A phone number safe for logs and screens: ``+919812345678`` -> ``+91 98•••••678``.

    Never raises: something that does not parse is masked down to its last two digits.
    """
    try:
        number = phonenumbers.parse(e164, None)
    except (phonenumbers.NumberParseException, TypeError):
        digits = _DIGITS.sub("", e164 if isinstance(e164, str) else "")
        return MASK * max(len(digits) - 2, 3) + digits[-2:]
    national = phonenumbers.national_significant_number(number)
    head = 2 if len(national) >= 8 else 0
    tail = 3 if len(national) >= 7 else 2
    hidden = max(len(national) - head - tail, 1)
    return f"+{number.country_code} {national[:head]}{MASK * hidden}{national[-tail:]}"


def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
