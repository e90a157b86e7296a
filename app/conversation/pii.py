"""Keep government ids, card data and one-time passwords out of stored chat text and model calls.

Investors sometimes paste an Aadhaar, PAN, card number, CVV or OTP into WhatsApp or the widget.
``redact_pii`` replaces each with a placeholder before a message is stored, logged, embedded or
sent to a model (``app.rag.answer.answer_question`` runs it on every question it is given), while
leaving what the conversation needs — phone numbers, prices, areas, RERA numbers, sectors,
dates — alone. ``strip_pii`` drops them outright, for names (``app.conversation.names``).

Numbers are read as people type them: Devanagari, full-width or other Unicode digits, grouped
with spaces, dots, slashes, underscores, hyphens or dashes, split over lines, or glued to their
label ("UID2345…", "card4111…"). The checksums are python-stdnum's (Verhoeff for Aadhaar, Luhn
for cards, the holder type for PAN), so an ordinary 12-digit number survives.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from stdnum import luhn
from stdnum.in_ import aadhaar, pan

PLACEHOLDERS = {
    "card": "[card removed]",
    "cvv": "[CVV removed]",
    "aadhaar": "[aadhaar removed]",
    "pan": "[PAN removed]",
    "otp": "[OTP removed]",
}


@dataclass(frozen=True)
class Redaction:
    """Text with identifiers replaced by placeholders, and which kinds were found."""

    text: str
    kinds: frozenset[str]  # subset of {"aadhaar", "pan", "card", "otp"}; a CVV counts as "card"


# -- Reading the text as typed ------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _fold(char: str) -> str:
    """What ``char`` reads as when matching: its NFKC form with every decimal digit in ASCII and
    every dash a hyphen; invisible format characters (zero-width spaces, joiners) read as nothing."""
    if unicodedata.category(char) == "Cf":
        return ""
    folded = []
    for part in unicodedata.normalize("NFKC", char):
        digit = unicodedata.decimal(part, None)
        if digit is not None:
            part = str(digit)
        elif unicodedata.category(part) == "Pd":
            part = "-"
        folded.append(part)
    return "".join(folded)


def _folded(text: str) -> tuple[str, list[int]]:
    """``text`` as matched (see ``_fold``), and for each of its characters, plus its end, the
    index in ``text`` it came from — so a match is replaced in the text as typed."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = char if char.isascii() else _fold(char)
        chars.append(folded)
        origin.extend([index] * len(folded))
    origin.append(len(text))
    return "".join(chars), origin


# -- What an identifier looks like --------------------------------------------------------------

# Between the groups of a number: up to three of space, line break, dot, slash, backslash,
# underscore or hyphen ("2345.6789.0123", "2345  6789", "2345 / 6789", "2345\r\n6789").
_SEP = r"[\s._/\\-]{0,3}"
# Labels an investor glues to the number ("UID234567890123", "card4111…", "aadhaar no2345…").
_GLUED_LABELS = ("uid", "aadhaar", "aadhar", "adhaar", "adhar", "card", "no")
# Digit runs are bounded so a match is never the middle of a longer number, of a RERA id such as
# "GGM/512/2021" or of a "+91" phone number: no letter, digit, "/", "+" or "₹" just before (but a
# glued label), no digit a separator before, and no digit glued or one separator after.
_EDGE_BEFORE = (
    "(?:" + "|".join(rf"(?<=\b{label})" for label in _GLUED_LABELS) + r"|(?<![\w/+₹]))"
    r"(?<!\d[\s._/\\-])(?<!\d[\s._/\\-]{2})(?<!\d[\s._/\\-]{3})"
)
_EDGE_AFTER = r"(?!\w)(?![._/\\-]\d)"
# Card numbers as printed: unbroken (13-19 digits), in fours (4-4-4-4, up to 19 digits) or
# Amex/Diners 4-6-5 / 4-6-4.
_CARD_RE = re.compile(
    rf"{_EDGE_BEFORE}(?:[1-9]\d{{12,18}}"
    rf"|[1-9]\d{{3}}(?:{_SEP}\d{{4}}){{2}}{_SEP}\d{{1,4}}(?:{_SEP}\d{{1,3}})?"
    rf"|[1-9]\d{{3}}{_SEP}\d{{6}}{_SEP}\d{{4,5}}){_EDGE_AFTER}",
    re.IGNORECASE,
)
_AADHAAR_RE = re.compile(rf"{_EDGE_BEFORE}[2-9]\d{{3}}{_SEP}\d{{4}}{_SEP}\d{{4}}{_EDGE_AFTER}", re.IGNORECASE)
_AADHAAR_WORD_RE = re.compile(r"aadh?aa?r|adhaa?r|\buid|आधार", re.IGNORECASE)
# Five letters, four digits, a letter; stdnum checks the fourth letter (the holder type).
_PAN_RE = re.compile(rf"\b[A-Z]{{5}}{_SEP}\d{{4}}{_SEP}[A-Z]\b", re.IGNORECASE)
_PAN_WORD_RE = re.compile(r"\bpan\b", re.IGNORECASE)
_OTP_WORDS = (
    r"(?:otp|one[\s-]*time[\s-]*(?:password|passcode|pin|code)|verification\s+code|security\s+code|"
    r"auth(?:entication)?\s+code|login\s+code|code\s+is|pin\s+is)"
)
# An OTP is a short digit run standing alone: not part of a price ("5,000"), a decimal or a longer number.
_OTP_DIGITS = r"(?<![\w.,₹])(?P<secret>\d{4,8}|\d{3}[ -]\d{3})(?![\d,]|\.\d)"
_OTP_AFTER_WORD_RE = re.compile(rf"\b{_OTP_WORDS}[^\d₹\n.]{{0,25}}?{_OTP_DIGITS}", re.IGNORECASE)
_OTP_BEFORE_WORD_RE = re.compile(
    rf"{_OTP_DIGITS}(?=\s+(?:is\s+)?(?:your|the|my)\s+{_OTP_WORDS})", re.IGNORECASE
)
# A CVV: three or four digits after "CVV", "CVC2", "card verification code" or "security code"
# (glued or not), or before "is my CVV".
_CVV_WORDS = (
    r"(?:cvv(?:2(?!\d))?|cvc(?:2(?!\d))?|cvn|card\s+verification\s+(?:value|code|number)|security\s+code)"
)
_CVV_DIGITS = r"(?P<secret>\d{3,4})(?![\d,]|\.\d)"
_CVV_AFTER_WORD_RE = re.compile(
    rf"(?<![^\W\d_]){_CVV_WORDS}[^\d₹\n]{{0,15}}?(?<![\d.,₹]){_CVV_DIGITS}", re.IGNORECASE
)
_CVV_BEFORE_WORD_RE = re.compile(
    rf"(?<![\w.,₹]){_CVV_DIGITS}(?=\s+(?:is\s+)?(?:the|my)\s+(?:cvv|cvc))", re.IGNORECASE
)


# -- Which matches are identifiers: each check returns the span to remove, or None -------------

Span = tuple[int, int]


def _card(match: re.Match[str]) -> Span | None:
    """The longest run of the match's groups, from its start, that is a Luhn-valid card number
    (so a CVV typed after the number, "4111 1111 1111 1111 123", is not read as its last group)."""
    groups = list(re.finditer(r"\d+", match.group()))
    for count in range(len(groups), 0, -1):
        digits = "".join(group.group() for group in groups[:count])
        if 13 <= len(digits) <= 19 and luhn.is_valid(digits):
            return match.start(), match.start() + groups[count - 1].end()
    return None


def _aadhaar(match: re.Match[str]) -> Span | None:
    """A valid Aadhaar (stdnum: 12 digits, Verhoeff) that is not a bare "91" + mobile number
    (919876543210) — unless the word Aadhaar (or UID) comes just before it."""
    digits = re.sub(r"\D", "", match.group())
    if not aadhaar.is_valid(digits):
        return None
    if digits.startswith("91") and digits[2] in "6789" and match.group().isdigit():
        before = match.string[max(0, match.start() - 30) : match.start()]
        return match.span() if _AADHAAR_WORD_RE.search(before) else None
    return match.span()


def _pan(match: re.Match[str]) -> Span | None:
    """A valid PAN (stdnum: holder type, serial). Typed with separators ("ABCPE 1234F") it must
    follow the word PAN, or be in capitals with P (a person) as its holder type: "suite 1204A" and
    "BLOCK 1204A" (C, a company) stay."""
    compact = re.sub(r"[\W_]", "", match.group())
    if not pan.is_valid(compact):
        return None
    if compact == match.group():
        return match.span()
    before = match.string[max(0, match.start() - 30) : match.start()]
    person = match.group().isupper() and compact[3] == "P"
    return match.span() if person or _PAN_WORD_RE.search(before) else None


def _secret(match: re.Match[str]) -> Span | None:
    """Only the digits of an OTP or a CVV: the words around them stay."""
    return match.span("secret")


_RULES: tuple[tuple[str, str, re.Pattern[str], Callable[[re.Match[str]], Span | None]], ...] = (
    # (kind reported, placeholder, pattern, check)
    ("card", PLACEHOLDERS["card"], _CARD_RE, _card),
    ("aadhaar", PLACEHOLDERS["aadhaar"], _AADHAAR_RE, _aadhaar),
    ("pan", PLACEHOLDERS["pan"], _PAN_RE, _pan),
    ("otp", PLACEHOLDERS["otp"], _OTP_AFTER_WORD_RE, _secret),
    ("otp", PLACEHOLDERS["otp"], _OTP_BEFORE_WORD_RE, _secret),
    ("card", PLACEHOLDERS["cvv"], _CVV_AFTER_WORD_RE, _secret),
    ("card", PLACEHOLDERS["cvv"], _CVV_BEFORE_WORD_RE, _secret),
)

# Every identifier above has a run of at least three digits; most text (and most strings in a
# webhook payload) has none, and is returned without running the rules.
_DIGIT_RUN_RE = re.compile(r"\d{3}")


def _found(text: str) -> list[tuple[int, int, str, str]]:
    """Each identifier in ``text``: (start, end, kind, placeholder), spans in ``text`` as typed,
    in order, none overlapping (the first rule to claim a stretch keeps it)."""
    if text.isascii():
        view, origin = text, None
    else:
        view, origin = _folded(text)
    if not _DIGIT_RUN_RE.search(view):
        return []
    claimed: list[tuple[int, int, str, str]] = []
    for kind, placeholder, pattern, check in _RULES:
        for match in pattern.finditer(view):
            span = check(match)
            if span is None or any(start < span[1] and span[0] < end for start, end, _, _ in claimed):
                continue
            claimed.append((*span, kind, placeholder))
    if origin is not None:
        claimed = [(origin[start], origin[end - 1] + 1, kind, ph) for start, end, kind, ph in claimed]
    return sorted(claimed)


def _replaced(text: str, found: list[tuple[int, int, str, str]], placeholders: bool) -> str:
    pieces, at = [], 0
    for start, end, _, placeholder in found:
        pieces += [text[at:start], placeholder if placeholders else ""]
        at = end
    return "".join([*pieces, text[at:]])


def redact_pii(text: str) -> Redaction:
    """Replace Aadhaar, PAN, payment-card numbers, CVVs and OTPs in ``text`` with placeholders.

    Aadhaar: 12 digits (4-4-4, separated or not), valid per stdnum (first digit 2-9, Verhoeff
    check digit). PAN: AAAAA9999A valid per stdnum, any case; with separators, in capitals or
    after the word PAN. Card: 13-19 digits passing Luhn. CVV: 3-4 digits beside "CVV", "CVC" or
    "security code"; OTP: 4-8 digits beside "OTP", "one time password", "verification code" or
    "code is" (only the digits are replaced). Digits in any script count; everything else in the
    text is kept as typed. Phone numbers, prices, RERA numbers, dates and numbers failing their
    checksum stay.
    """
    found = _found(text)
    if not found:
        return Redaction(text=text, kinds=frozenset())
    return Redaction(text=_replaced(text, found, True), kinds=frozenset(kind for _, _, kind, _ in found))


def strip_pii(text: str) -> str:
    """``text`` with the identifiers ``redact_pii`` finds removed outright (no placeholder): for a
    name, where "[aadhaar removed]" would be read, and greeted, as a word of it."""
    found = _found(text)
    return _replaced(text, found, False) if found else text
