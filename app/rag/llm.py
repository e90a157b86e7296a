"""LLM-written answers from retrieved brochure passages, and the check that keeps them honest.

``LLMComposer`` asks the model to answer only from the numbered passages; the caller then runs
``grounding_violations`` and falls back to the extractive answer when the model wrote a figure
that no passage contains.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import openai

from app.money import (
    CURRENCY_PATTERN,
    NUMBER_PATTERN,
    UNIT_PATTERN,
    canonical_unit,
    number_value,
    unit_multiplier,
)

NOT_IN_DOCUMENTS = "NOT_IN_DOCUMENTS"
ANSWER_MAX_CHARS = 600
PASSAGE_MAX_CHARS = 2500
DEFAULT_CHAT_MODEL = "gpt-4o-mini"

SYSTEM_PROMPT = f"""\
You answer questions from prospective buyers of luxury homes in Delhi NCR on WhatsApp.
Answer ONLY from the numbered brochure passages in the user's message.

Rules:
- Use only facts stated in the passages: no outside knowledge, no guesses.
- If the passages do not contain the answer (or are about a different project), reply with \
exactly {NOT_IN_DOCUMENTS} and nothing else.
- Never invent, compute or round a figure. Keep every number (prices, areas, dates, RERA \
numbers, percentages) as the passages give it; you may only rewrite a rupee amount in \
Indian notation, e.g. 2,50,00,000 -> ₹2.5 Cr, 50,00,000 -> ₹50 lakh.
- Use ₹ and lakh/crore, never millions.
- At most {ANSWER_MAX_CHARS} characters, WhatsApp style: short, warm, plain text; *bold* \
sparingly; "• " bullets for lists.
- Do not add a source line, page numbers or file names: they are appended for you."""

_FIGURE_RE = re.compile(
    rf"(?:{CURRENCY_PATTERN}\s*)?"
    rf"(?<!\d)(?P<number>{NUMBER_PATTERN})(?!\d)"
    rf"(?:\s*(?:-|–|—|to)\s*(?:{CURRENCY_PATTERN}\s*)?(?P<upper>{NUMBER_PATTERN})(?!\d))?"
    rf"(?:\s*(?P<percent>%|percent(?![a-z])|per\s*cent(?![a-z]))|\s*(?P<unit>{UNIT_PATTERN}))?",
    re.IGNORECASE,
)
_UNIT_WORD_RE = re.compile(r"(?<![a-z])(?:crores?|crs?|lakhs?|lacs?)(?![a-z])", re.IGNORECASE)
_SOURCE_LINE_RE = re.compile(r"^\W*sources?\s*:", re.IGNORECASE)
_NOT_IN_DOCUMENTS_RE = re.compile(r"NOT[_ ]IN[_ ]DOCUMENTS", re.IGNORECASE)
# A rounded amount ("₹1.23 Cr" for 1,22,50,000) is grounded only if this close to the source.
_ROUNDING_TOLERANCE = Decimal("0.01")


class LLMUnavailable(RuntimeError):
    """The LLM could not be reached or gave no usable reply; answer without it."""


@dataclass(frozen=True)
class ContextPassage:
    """A retrieved passage: the brochure file, its page and the text shown to the model."""

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


def strip_source_lines(answer: str) -> str:
    """Remove trailing "Source: X.pdf p.7" lines (and blank lines) from ``answer``."""
    lines = answer.rstrip().splitlines()
    while lines and (not lines[-1].strip() or _SOURCE_LINE_RE.match(lines[-1].strip())):
        lines.pop()
    return "\n".join(lines)


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


def _trim(text: str, limit: int = ANSWER_MAX_CHARS) -> str:
    """Cut ``text`` to ``limit`` characters, at a sentence or line end where one is near."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    sentence_end = max(head.rfind(mark) for mark in (". ", "! ", "? ", "\n"))
    if sentence_end >= limit // 2:
        return head[: sentence_end + 1].rstrip()
    word_end = head.rfind(" ")
    return (head[:word_end] if word_end > 0 else head).rstrip() + "…"


def _user_message(question: str, passages: Sequence[ContextPassage], project: str | None) -> str:
    blocks = [
        f"[{number}] {passage.document}, page {passage.page}\n{passage.text[:PASSAGE_MAX_CHARS]}"
        for number, passage in enumerate(passages, start=1)
    ]
    return (
        "Context passages:\n\n"
        + "\n\n".join(blocks)
        + f"\n\nProject in focus: {project or 'not specified'}\nQuestion: {question}"
    )


class LLMComposer:
    """Writes a short WhatsApp answer from retrieved passages with an OpenAI chat model."""

    def __init__(self, client: openai.OpenAI, model: str) -> None:
        self.client = client
        self.model = model

    def compose(self, question: str, passages: Sequence[ContextPassage], project: str | None) -> str | None:
        """Return the model's answer (≤ 600 chars, no source line), or None if not in the passages.

        Makes no API call when there are no passages. Raises ``LLMUnavailable`` when the API
        fails (after the client's retries), times out or returns no text. The caller must still
        run ``grounding_violations`` on the answer.
        """
        if not passages:
            return None
        try:
            completion = self.client.chat.completions.create(
                model=self.model,
                messages=[
                    {"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": _user_message(question, passages, project)},
                ],
                temperature=0,
                max_completion_tokens=400,
            )
        except openai.OpenAIError as exc:
            raise LLMUnavailable(
                f"OpenAI chat model {self.model!r} failed ({type(exc).__name__}): {exc}"
            ) from exc
        content = completion.choices[0].message.content if completion.choices else None
        text = strip_source_lines(content or "").strip()
        if _NOT_IN_DOCUMENTS_RE.search(text):
            return None
        if not text:
            raise LLMUnavailable(f"OpenAI chat model {self.model!r} returned an empty answer.")
        return _trim(text)


def composer_from_config(config: Mapping[str, Any]) -> LLMComposer | None:
    """Return an ``LLMComposer`` when ``OPENAI_API_KEY`` is set, else None (offline mode)."""
    api_key = config.get("OPENAI_API_KEY")
    if not api_key:
        return None
    client = openai.OpenAI(
        api_key=api_key,
        base_url=config.get("OPENAI_BASE_URL") or None,
        max_retries=2,
        timeout=float(config.get("OPENAI_TIMEOUT") or 20.0),
    )
    return LLMComposer(client, config.get("OPENAI_CHAT_MODEL") or DEFAULT_CHAT_MODEL)
