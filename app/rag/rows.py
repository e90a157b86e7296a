"""Rows of one brochure: the phase, tower, block or unit type a line or a question is about."""

from __future__ import annotations

import re

# Labels that tell rows of one brochure apart: "Phase 2", "Tower B", "Towers T4 & T5", "Type C",
# "Block 3", "Tower Marquise". A line whose labels of a kind the question names differ from the
# question's is about another row.
# (the 3 of "which towers 3 BHK…" is a number of bedrooms, not a tower)
QUALIFIER_RE = re.compile(
    r"\b(phase|tower|block|wing|type)s?(?:\s*[-:#]\s*|\s+)(\d{1,2}|[a-z])\b(?!\s*(?:\.5\s*)?-?\s*bhk)", re.I
)
TOWER_CODE_RE = re.compile(r"\bt-?(\d{1,2})\b", re.I)
NAMED_TOWER_RE = re.compile(r"\btower(?:\s*[:–-]\s*|\s+)([a-z]{3,})\b", re.I)  # "Tower: Jal" in a table
NOT_A_NAME = frozenset(
    "with having which that where when from near each every their these those the and for are has "
    "its one two six ten all any has was will can".split()
)


def qualifiers(text: str) -> dict[str, set[str]]:
    """The row labels in ``text``: kind → values ({"phase": {"2"}, "tower": {"4", "5"}})."""
    found: dict[str, set[str]] = {}
    for kind, value in QUALIFIER_RE.findall(text):
        found.setdefault(kind.lower(), set()).add(_value(value))
    for value in TOWER_CODE_RE.findall(text):
        found.setdefault("tower", set()).add(_value(value))
    for value in NAMED_TOWER_RE.findall(text):
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
