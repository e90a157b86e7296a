"""Rows of one brochure: the phase, tower, block or unit type a line or a question is about."""

from __future__ import annotations

import re

# Labels that tell rows of one brochure apart: "Phase 2", "Tower B", "Towers T4 & T5", "Type C",
# "Block 3", "Tower Marquise". A line whose labels of a kind the question names differ from the
# question's is about another row.
# (the 3 of "which towers 3 BHK…" is a number of bedrooms, not a tower)
# (a phase may be numbered in Roman numerals: "PHASE II" is Phase 2)
QUALIFIER_RE = re.compile(
    r"\b(phase|tower|block|wing|type)s?(?:\s*[-:#]\s*|\s+)(\d{1,2}|[a-z]|ii|iii|iv|vi)\b"
    r"(?!\s*(?:\.5\s*)?-?\s*bhk)",
    re.I,
)
ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6"}
TOWER_CODE_RE = re.compile(r"\bt-?(\d{1,2})\b", re.I)
# "Tower Orchid"; a three-letter name only as a label ("Tower: Jal", "TOWER JAL - JULY 2031"),
# not "the tower gym"
NAMED_TOWER_RE = re.compile(
    r"\btower(?:\s*[:–-]\s*([a-z]{3,})\b|\s+([a-z]{4,})\b|\s+([a-z]{3})\b(?=\s*(?:[-–:|&,/]|$)))", re.I | re.M
)
NOT_A_NAME = frozenset(
    "with having which that where when from near each every their these those the and for are has "
    "its one two six ten all any was will can incl".split()
)


# WhatsApp shorthand for a row: "ph2", "ph-1", "twr B".
ROW_SHORTHAND_RE = re.compile(r"\b(ph|twr|blk)\.?\s*-?\s*(\d{1,2}|(?<!ph\.)(?<!ph)[a-z])\b", re.I)
ROW_SHORTHAND = {"ph": "phase", "twr": "tower", "blk": "block"}


def expand_row_shorthand(text: str) -> str:
    """ "ph2 psf?" as "phase 2 psf?"."""
    return ROW_SHORTHAND_RE.sub(lambda m: f"{ROW_SHORTHAND[m.group(1).lower()]} {m.group(2)}", text)


def qualifiers(text: str) -> dict[str, set[str]]:
    """The row labels in ``text``: kind → values ({"phase": {"2"}, "tower": {"4", "5"}})."""
    text = expand_row_shorthand(text)
    found: dict[str, set[str]] = {}
    for kind, value in QUALIFIER_RE.findall(text):
        kind = kind.lower()
        value = ROMAN.get(value.lower(), value) if kind == "phase" else value
        found.setdefault(kind, set()).add(_value(value))
    for value in TOWER_CODE_RE.findall(text):
        found.setdefault("tower", set()).add(_value(value))
    for labelled, named, short in NAMED_TOWER_RE.findall(text):
        value = labelled or named or short
        if value.lower() not in NOT_A_NAME:
            found.setdefault("tower", set()).add(value.lower())
    return found


def _value(value: str) -> str:
    """ "Tower 03" and "Tower 3" are one tower."""
    value = value.lower()
    return value.lstrip("0") or "0" if value.isdigit() else value


def missing_rows(printed: dict[str, frozenset[str]], question: str) -> list[str]:
    """Rows the question names that the brochures (``printed``: the row labels on their pages)
    label others of the same kind but never this one: "Phase 3" where the brochure has Phases 1
    and 2. Such a question rests on a premise the brochure does not support, and no line of
    another row answers it."""
    return [
        f"{kind} {value}"
        for kind, values in qualifiers(question).items()
        if printed.get(kind)
        for value in sorted(values - printed[kind])
    ]
