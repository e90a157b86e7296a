"""The grounding check: every figure in an answer must appear on a page it cites.

Figures are compared by value, not by spelling: Indian and Western digit grouping, lakh and crore,
percentages and rounded rupee amounts all meet their source. An LLM answer that fails the check is
replaced by the extractive one; the evaluation counts answers that fail it.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from app.money import (
    CURRENCY_PATTERN,
    NUMBER_PATTERN,
    UNIT_PATTERN,
    canonical_unit,
    number_value,
    unit_multiplier,
)
from app.rag.citations import strip_source_lines

_FIGURE_RE = re.compile(
    rf"(?:{CURRENCY_PATTERN}\s*)?"
    rf"(?<!\d)(?P<number>{NUMBER_PATTERN})(?!\d)"
    rf"(?:\s*(?:-|–|—|to)\s*(?:{CURRENCY_PATTERN}\s*)?(?P<upper>{NUMBER_PATTERN})(?!\d))?"
    rf"(?:\s*(?P<percent>%|percent(?![a-z])|per\s*cent(?![a-z]))|\s*(?P<unit>{UNIT_PATTERN}))?",
    re.IGNORECASE,
)
_UNIT_WORD_RE = re.compile(r"(?<![a-z])(?:crores?|crs?|lakhs?|lacs?)(?![a-z])", re.IGNORECASE)
# A rounded amount ("₹1.23 Cr" for 1,22,50,000) is grounded only if this close to the source.
_ROUNDING_TOLERANCE = Decimal("0.01")


@dataclass(frozen=True)
class ContextPassage:
    """A retrieved passage: the brochure file, its page and its text (shown to the model, checked
    for figures)."""

    document: str
    page: int
    text: str


@dataclass(frozen=True)
class _Figure:
    raw: str  # as written, e.g. "₹2.5 Cr"
    token: str  # normalised value, e.g. "25000000" or "2%"
    bare: str  # the written number alone, e.g. "2.5"
    unit: str | None  # canonical rupee unit ("cr", "lakh", ...) when one was written
    value: Decimal  # the amount in rupees (or the number itself)


def _plain(value: Decimal) -> str:
    """Write ``value`` without grouping, exponent or trailing zeros: 2.50 -> "2.5"."""
    return format(value.normalize(), "f")


def _figures(text: str) -> list[_Figure]:
    """Every numeric figure in ``text``, in order; a range yields both of its ends."""
    figures = []
    for match in _FIGURE_RE.finditer(text):
        raw = match.group(0).strip()
        unit = canonical_unit(match["unit"]) if match["unit"] else None
        for number in (match["number"], match["upper"]):
            if number is None:
                continue
            bare = number_value(number)
            if match["percent"]:
                figures.append(_Figure(raw, f"{_plain(bare)}%", _plain(bare), None, bare))
                continue
            value = bare * unit_multiplier(unit) if unit else bare
            figures.append(_Figure(raw, _plain(value), _plain(bare), unit, value))
    return figures


def extract_figures(text: str) -> list[str]:
    """Return every numeric figure in ``text`` as a normalised token, in order of appearance.

    Thousands separators (Indian or Western) and trailing zeros are dropped, rupee amounts
    with a unit become whole rupees ("₹2.5 Cr" -> "25000000", "50 lakh" -> "5000000") and
    percentages keep their sign ("2 per cent" -> "2%"). Ids such as 512/244/2024/61 yield one
    token per number.
    """
    return [figure.token for figure in _figures(text)]


@dataclass
class _Evidence:
    """What one source text offers for grounding."""

    keys: set[str]
    values: list[Decimal]
    units: set[str]

    @classmethod
    def of(cls, text: str) -> "_Evidence":
        figures = _figures(text)
        return cls(
            keys={figure.token for figure in figures} | {figure.bare for figure in figures},
            values=[figure.value for figure in figures],
            units={canonical_unit(word) for word in _UNIT_WORD_RE.findall(text)},
        )

    def supports(self, figure: _Figure) -> bool:
        if figure.token in self.keys:
            return True
        if figure.unit is None:
            return False
        # A table headed "Price (₹ in Cr)" lists bare 2.5 for "₹2.5 Cr".
        if figure.bare in self.keys and figure.unit in self.units:
            return True
        multiplier = unit_multiplier(figure.unit)
        return any(_rounds_to(value, figure, multiplier) for value in self.values)


def _rounds_to(value: Decimal, figure: _Figure, multiplier: Decimal) -> bool:
    """True when ``figure`` ("₹1.23 Cr") is ``value`` (1,22,50,000) rounded, within 1%."""
    if value <= 0:
        return False
    written = Decimal(figure.bare)
    places = Decimal(1).scaleb(written.as_tuple().exponent)
    rounded = (value / multiplier).quantize(places, rounding=ROUND_HALF_UP)
    return rounded == written and abs(value - figure.value) <= _ROUNDING_TOLERANCE * value


def grounding_violations(
    answer: str, passages: Sequence[ContextPassage], *, also_grounded: Iterable[str] = ()
) -> list[str]:
    """Return the figures in ``answer`` that no passage contains, as written in the answer.

    Both sides are normalised, so "₹21 lakh", "21,00,000", "21 Lakhs" and "₹21 L" are the same
    figure, as are "₹5 Cr" and "5,00,00,000" or "2.5 crore" and "250 lakh". A unit amount is
    also grounded by its bare number in a passage that names the unit ("Price in Cr: 2.5"), or
    by a passage amount it rounds to within 1% ("₹1.23 Cr" for 1,22,50,000). Trailing
    "Source: ..." lines are not checked; figures in document names ("Skyline_88.pdf") and in
    ``also_grounded`` texts (the question, the project name) count as grounded.
    """
    sources = [passage.text for passage in passages]
    sources += [passage.document for passage in passages]
    sources += list(also_grounded)
    evidence = [_Evidence.of(text) for text in sources]
    violations: list[str] = []
    for figure in _figures(strip_source_lines(answer)):
        if figure.raw in violations or any(item.supports(figure) for item in evidence):
            continue
        violations.append(figure.raw)
    return violations
