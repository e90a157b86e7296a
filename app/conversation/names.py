"""People's names as WhatsApp, Wati and the widget hand them to us, made fit to greet with.

A profile name is whatever the investor typed into their phone: blank, a lone title ("Dr."), a
symbol ("~", "."), emoji, a full name with a title in front, or a name in Devanagari. A greeting
uses the first word that is really a name, or none at all ("Hello!").
"""

from __future__ import annotations

import unicodedata

from app.conversation.pii import strip_pii

# Titles people put before their name; greeting someone as "Dr." or "Shri" reads as a bug.
TITLES = frozenset(
    {
        "adv", "advocate", "ar", "brig", "ca", "capt", "cdr", "col", "dr", "er", "gen", "justice",
        "kumari", "lt", "maj", "madam", "miss", "mr", "mrs", "ms", "mx", "prof", "shri", "shrimati",
        "smt", "sir", "sri", "sh", "km", "late",
        "श्री", "श्रीमती", "डॉ", "कुमारी", "सुश्री",
    }
)  # fmt: skip
LONGEST_FIRST_NAME = 24  # characters; longer "words" are handles or pasted text, not a name


def _is_edge_noise(char: str) -> bool:
    # Punctuation, symbols (emoji among them), separators and invisible format characters. Not
    # marks: Devanagari vowel signs end many names ("रवि").
    return unicodedata.category(char)[0] in "PSZC"


def _trim(word: str) -> str:
    start, end = 0, len(word)
    while start < end and _is_edge_noise(word[start]):
        start += 1
    while end > start and _is_edge_noise(word[end - 1]):
        end -= 1
    return word[start:end]


def display_name(raw: str | None) -> str | None:
    """``raw`` with any Aadhaar, PAN or card number typed into it removed, blank space and
    invisible characters trimmed; None when nothing that could be a name is left (blank, "~",
    only emoji or digits)."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", strip_pii(raw))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip()
    if not any(ch.isalpha() for ch in text):
        return None
    return " ".join(text.split())


def first_name(raw: str | None) -> str | None:
    """The word to greet someone by: the first word of their name that has letters and is not
    a title ("Dr. Rohan Mehta" → "Rohan"), capitalised when typed all in one case; None when
    there is none."""
    name = display_name(raw)
    if name is None:
        return None
    for word in name.split():
        title, dot, rest = word.partition(".")
        if dot and rest and title.casefold() in TITLES:  # "Dr.Rohan"
            word = rest
        word = _trim(word)
        letters = sum(ch.isalpha() for ch in word)
        if letters == 0 or word.casefold().rstrip(".") in TITLES or len(word) > LONGEST_FIRST_NAME:
            continue
        if letters == 1 and len(word) <= 2:  # an initial ("A." or "K")
            continue
        return word.capitalize() if word.islower() or word.isupper() else word
    return None
