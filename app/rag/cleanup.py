"""Clean OCR and markup text of a brochure page without ever rewriting a figure.

Cleaning removes markup, image placeholders and OCR repetitions (a line, or a short block of
lines, printed again and again), mends letters OCR read as digits inside a word when that makes
an English word ("P0SSESSION", "HIGHL1GHTS"; a code such as "SCO10B" stays) and normalises
whitespace; figures, commas, ₹ and % stay as printed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import unescape

from spellchecker import SpellChecker

_MAX_REPEAT_BLOCK = 10  # longest line block we look for when collapsing OCR loops

_PLACEHOLDER_RE = re.compile(
    r"<!--.*?-->|!\[[^\]]*\]\([^)]*\)|<img\b[^>]*>"
    r"|\[(?:image|img|figure|picture|photo|logo)\b[^\]\n]*\]",
    re.IGNORECASE | re.DOTALL,
)
_BREAK_TAG_RE = re.compile(r"<br\s*/?>|</?(?:p|div|li|ul|ol|h[1-6]|tr)\b[^>]*>", re.IGNORECASE)
_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
# A 0 or 1 between letters, in a word of letters only: an O or an I/l that OCR misread.
_OCR_DIGIT_WORD_RE = re.compile(r"\b[A-Za-z]+(?:[01]+[A-Za-z]+)+\b")
_SPACE_RE = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def clean_text(raw: str) -> str:
    """Return ``raw`` without markup, image placeholders or OCR repetitions.

    Line breaks between lines are kept (runs of blank lines become one), spaces inside a
    line are collapsed, and a line repeated consecutively, or a short block of lines
    repeated three or more times in a row, is kept once. Figures are never changed.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\u200b", "")
    text = _PLACEHOLDER_RE.sub("", text)
    text = _BREAK_TAG_RE.sub("\n", text)
    text = _TAG_RE.sub("", text)
    text = unescape(text).replace("**", "").replace("__", "")
    lines = [_SPACE_RE.sub(" ", line).strip() for line in text.split("\n")]
    lines = [_OCR_DIGIT_WORD_RE.sub(_mend_letters, re.sub(r"^#{1,6} ", "", line)) for line in lines]
    out: list[str] = []
    for line in _collapse_repeats(lines):
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def _mend_letters(match: re.Match) -> str:
    """A word with its misread 0/1 read as letters, when that makes an English word; a code
    ("SCO10B", "A1B") stays as printed."""
    word = match.group()
    upper = re.sub(r"[01]", "", word).isupper()
    mended = word.replace("0", "O" if upper else "o").replace("1", "I" if upper else "l")
    return mended if len(mended) >= 4 and is_english_word(mended.lower()) else word


@lru_cache(maxsize=1)
def _dictionary() -> SpellChecker:
    return SpellChecker()


def is_english_word(word: str) -> bool:
    """Whether ``word`` (lower case) is in the English word list, however rare ("cushion")."""
    return _dictionary()[word] > 0 or _dictionary()[word.rstrip("s")] > 0


def word_count(word: str) -> int:
    """How often ``word`` (lower case) occurs in the English word list's corpus (0: not a word)."""
    return _dictionary()[word]


def clean_one_line(raw: str) -> str:
    """``clean_text`` of ``raw`` with its line breaks turned into single spaces."""
    return _SPACE_RE.sub(" ", clean_text(raw).replace("\n", " "))


def _collapse_repeats(lines: list[str]) -> list[str]:
    """Keep once a line repeated consecutively or a line block repeated 3+ times in a row."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        loop = _repeat_end(lines, i) if lines[i] else None
        if loop is None:
            out.append(lines[i])
            i += 1
        else:
            size, end = loop
            out.extend(lines[i : i + size])
            i = end
    return out


def _repeat_end(lines: list[str], i: int) -> tuple[int, int] | None:
    """Return (block size, index after the repeats) when an OCR loop starts at ``i``."""
    for size in range(1, _MAX_REPEAT_BLOCK + 1):
        block = lines[i : i + size]
        if len(block) < size:
            return None
        reps = 1
        while lines[i + reps * size : i + (reps + 1) * size] == block:
            reps += 1
        if reps >= (2 if size == 1 else 3):
            j = i + reps * size
            k = 0  # the loop often stops part-way through the block, cut off mid-line
            while j < len(lines) and k < size and lines[j] == block[k]:
                j, k = j + 1, k + 1
            if j < len(lines) and k < size and lines[j] and block[k].startswith(lines[j]):
                j += 1
            return size, j
    return None
