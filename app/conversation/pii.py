"""Keep government ids, card numbers and one-time passwords out of stored chat text.

Investors sometimes paste an Aadhaar, PAN or card number (or an OTP) into WhatsApp. ``redact_pii``
replaces each with a placeholder before the message is stored, logged or sent to a model, while
leaving what the conversation needs — phone numbers, prices, RERA numbers, sectors, years — alone.
Digit runs are only redacted when their checksum holds, so an ordinary 12-digit number survives.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

PLACEHOLDERS = {
    "card": "[card removed]",
    "aadhaar": "[aadhaar removed]",
    "pan": "[PAN removed]",
    "otp": "[OTP removed]",
}


# Digit runs are bounded so a match is never the middle of a longer number, a RERA id such as
# "GGM/512/2021" or a "+91" phone number.
_EDGE_BEFORE = r"(?<![\w/+₹])(?<!\d[ -])"
_EDGE_AFTER = r"(?![ -]?\d)(?![\w/])"
# Card numbers as printed: unbroken, in fours (4-4-4-4, up to 19 digits) or Amex/Diners 4-6-5 / 4-6-4.
_CARD_RE = re.compile(
    rf"{_EDGE_BEFORE}(?:[1-9]\d{{12,18}}|[1-9]\d{{3}}(?:[ -]\d{{4}}){{2}}[ -]\d{{1,4}}(?:[ -]\d{{1,3}})?|"
    rf"[1-9]\d{{3}}[ -]\d{{6}}[ -]\d{{4,5}}){_EDGE_AFTER}"
)
_AADHAAR_RE = re.compile(rf"{_EDGE_BEFORE}[2-9]\d{{3}}[ -]?\d{{4}}[ -]?\d{{4}}{_EDGE_AFTER}")
_AADHAAR_WORD_RE = re.compile(r"aadh?aa?r|adhaa?r|\buid\b", re.IGNORECASE)
# Fourth letter: the holder type (Person, Company, HUF, Firm, AOP, Trust, BOI, Local body,
# artificial Juridical person, Government).
_PAN_RE = re.compile(r"\b[A-Z]{3}[PCHFATBLJG][A-Z]\d{4}[A-Z]\b", re.IGNORECASE)
_OTP_WORDS = (
    r"(?:otp|one[\s-]*time[\s-]*(?:password|passcode|pin|code)|verification\s+code|security\s+code|"
    r"auth(?:entication)?\s+code|login\s+code|code\s+is|pin\s+is)"
)
# An OTP is a short digit run standing alone: not part of a price ("5,000"), a decimal or a longer number.
_OTP_DIGITS = r"(?<![\w.,₹])(?P<otp>\d{4,8}|\d{3}[ -]\d{3})(?![\d,]|\.\d)"
_OTP_AFTER_WORD_RE = re.compile(rf"\b{_OTP_WORDS}[^\d₹\n.]{{0,25}}?{_OTP_DIGITS}", re.IGNORECASE)
_OTP_BEFORE_WORD_RE = re.compile(
    rf"{_OTP_DIGITS}(?=\s+(?:is\s+)?(?:your|the|my)\s+{_OTP_WORDS})", re.IGNORECASE
)


@dataclass(frozen=True)
class Redaction:
    """Text with identifiers replaced by placeholders, and which kinds were found."""

    text: str
    kinds: frozenset[str]  # subset of {"aadhaar", "pan", "card", "otp"}


def _digits(number: str) -> str | None:
    """The ASCII digits of ``number`` once spaces and hyphens are dropped; ``None`` if anything else."""
    compact = re.sub(r"[\s-]", "", number)
    return compact if re.fullmatch(r"[0-9]+", compact) else None


# Verhoeff's check digit, as UIDAI uses it for Aadhaar, multiplies in the dihedral group D5 (digits
# 0-4 are its rotations, 5-9 its reflections) after permuting each digit by its position.
def _dihedral_product(j: int, k: int) -> int:
    """``j · k`` in D5, with the digits numbered as Verhoeff numbers them."""
    turned = (j + k if j < 5 else j - k) % 5
    return turned + 5 if (j < 5) != (k < 5) else turned


def _position_permutations(step: tuple[int, ...], count: int) -> tuple[tuple[int, ...], ...]:
    """The identity, ``step``, ``step`` twice, ... : ``count`` permutations of the ten digits."""
    rows = [tuple(range(10))]
    while len(rows) < count:
        rows.append(tuple(step[digit] for digit in rows[-1]))
    return tuple(rows)


_VERHOEFF_D = tuple(tuple(_dihedral_product(j, k) for k in range(10)) for j in range(10))
# A digit's permutation repeats every eight positions.
_VERHOEFF_P = _position_permutations((1, 5, 7, 6, 2, 8, 3, 0, 9, 4), 8)


def verhoeff_valid(number: str) -> bool:
    """Whether ``number`` (digits, optionally spaced or hyphenated) ends in a valid Verhoeff check digit."""
    digits = _digits(number)
    if digits is None:
        return False
    check = 0
    for position, digit in enumerate(reversed(digits)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[position % 8][int(digit)]]
    return check == 0


def luhn_valid(number: str) -> bool:
    """Whether ``number`` (digits, optionally spaced or hyphenated) passes the Luhn (mod 10) check."""
    digits = _digits(number)
    if digits is None or len(digits) < 2:
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _is_aadhaar(match: re.Match[str]) -> bool:
    """A Verhoeff-valid 12-digit run that is not a bare "91" + mobile number (919876543210).

    Such a run is still an Aadhaar when the word Aadhaar (or UID) comes just before it.
    """
    digits = _digits(match.group()) or ""
    if not verhoeff_valid(digits):
        return False
    if digits.startswith("91") and digits[2] in "6789" and match.group().isdigit():
        return bool(_AADHAAR_WORD_RE.search(match.string[max(0, match.start() - 30) : match.start()]))
    return True


# Every identifier above has a run of at least three digits; most text (and most strings in a
# webhook payload) has none, and is returned without running the rules.
_DIGIT_RUN_RE = re.compile(r"\d{3}")

_RULES: tuple[tuple[str, re.Pattern[str], Callable[[re.Match[str]], bool]], ...] = (
    ("card", _CARD_RE, lambda match: luhn_valid(match.group())),
    ("aadhaar", _AADHAAR_RE, _is_aadhaar),
    ("pan", _PAN_RE, lambda match: True),
    ("otp", _OTP_AFTER_WORD_RE, lambda match: True),
    ("otp", _OTP_BEFORE_WORD_RE, lambda match: True),
)


def redact_pii(text: str) -> Redaction:
    """Replace Aadhaar, PAN, payment-card numbers and OTPs in ``text`` with placeholders.

    Aadhaar: 12 digits (4-4-4 with optional spaces or hyphens), first digit 2-9, valid Verhoeff
    check digit. PAN: AAAAA9999A with a valid holder-type fourth letter, any case. Card: 13-19
    digits passing Luhn. OTP: 4-8 digits beside "OTP", "one time password", "verification code"
    or "code is" (only the digits are replaced). Phone numbers, prices, RERA numbers and numbers
    failing their checksum stay.
    """
    if not _DIGIT_RUN_RE.search(text):
        return Redaction(text=text, kinds=frozenset())
    kinds: set[str] = set()
    for kind, pattern, is_valid in _RULES:
        text = pattern.sub(lambda match, k=kind, ok=is_valid: _swap(match, k, ok, kinds), text)
    return Redaction(text=text, kinds=frozenset(kinds))


def _swap(match: re.Match[str], kind: str, is_valid: Callable[[re.Match[str]], bool], kinds: set[str]) -> str:
    """The placeholder for a valid match (only its "otp" group, when it has one), else the match."""
    if not is_valid(match):
        return match.group()
    kinds.add(kind)
    start, end = match.span("otp") if "otp" in match.re.groupindex else match.span()
    offset = match.start()
    return match.group()[: start - offset] + PLACEHOLDERS[kind] + match.group()[end - offset :]
