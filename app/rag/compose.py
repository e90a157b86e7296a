"""Extractive answers: find the lines of the retrieved pages that answer the question.

Every figure in an extractive answer is copied from the cited page, so it can never invent a
number. A question is answered only when the chosen lines cover what it asks and, for
questions that want a figure (price, distance, date…), contain a figure of that shape.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from app.rag.query import FIGURE_SHAPES, QueryAnalysis, Term, tokenize
from app.rag.retrieve import PageHit

MIN_COVERAGE = 0.6
TABLE_ROW_RE = re.compile(r"\S\s\|\s\S")
HAS_DIGIT_RE = re.compile(r"\d")
ALPHA_WORD_RE = re.compile(r"[A-Za-z]{3,}")
FIGURE_UNIT_WORDS = {"kms", "km", "min", "mins", "minutes", "sq", "ft", "sqft", "sqm", "m", "approx", "acre",
                     "acres", "lakh", "lakhs", "cr", "crore", "rs", "inr", "per", "floor", "to", "from"}


@dataclass
class Evidence:
    """Lines chosen from one page to answer a question."""

    document: str
    page: int
    project_id: int
    lines: list[str]
    score: float
    coverage: float
    from_table: bool = False
    heading: str = ""
    extra: list[str] = field(default_factory=list)


def is_figure_only(line: str) -> bool:
    """A line that is just a value ("45 mins", "200.34 sq.m.", "23 KMS (30 MINS)")."""
    if not HAS_DIGIT_RE.search(line):
        return False
    words = [w.lower() for w in ALPHA_WORD_RE.findall(line)]
    return all(w.rstrip(".") in FIGURE_UNIT_WORDS or w.endswith(("st", "nd", "rd", "th")) for w in words)


@lru_cache(maxsize=50_000)
def _close(a: str, b: str) -> bool:
    """Typo-tolerant token equality for OCR text ("posession" ~ "possession")."""
    return a == b or (min(len(a), len(b)) >= 6 and Levenshtein.distance(a, b) <= 1)


def _matches(term: Term, tokens: list[str], token_set: frozenset[str]) -> bool:
    if len(term.tokens) == 1:
        word = term.tokens[0]
        return word in token_set or (len(word) >= 6 and any(_close(word, t) for t in token_set if len(t) >= 6))
    n = len(term.tokens)
    return any(
        all(_close(term.tokens[k], tokens[i + k]) for k in range(n)) for i in range(len(tokens) - n + 1)
    )


def _group_weights(analysis: QueryAnalysis, documents: list[list[frozenset[str]]]) -> dict[int, float]:
    """Weight each term group by how rare its words are among the candidate lines (IDF)."""
    lines = [line for page in documents for line in page]
    total = max(1, len(lines))
    weights: dict[int, float] = {}
    for term in analysis.terms:
        df = sum(1 for line in lines if set(term.tokens) <= line)
        idf = math.log(1 + total / (1 + df))
        weight = term.weight * max(idf, 0.3) * (0.5 if term.optional else 1.0)
        if all(t.isdigit() and len(t) <= 2 for t in term.tokens):
            weight *= 0.4  # bare small numbers ("tower 2") say little on their own
        weights[term.group] = max(weights.get(term.group, 0.0), weight)
    return weights


def _split_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _attach_values(lines: list[str], index: int) -> list[str]:
    """A label line with its value lines ("Carpet Area" + "200.34 sq.m." + "2,156.50 sq.ft.")."""
    line = lines[index]
    if is_figure_only(line) or HAS_DIGIT_RE.search(line):
        return [line]
    after = []
    for candidate in lines[index + 1 : index + 4]:
        if not is_figure_only(candidate):
            break
        after.append(candidate)
    if after:
        return [line, *after]
    if index > 0 and is_figure_only(lines[index - 1]):
        return [lines[index - 1], line]
    return [line]


def find_evidence(analysis: QueryAnalysis, hits: list[PageHit]) -> Evidence | None:
    """The best-supported lines among ``hits``, or None when nothing answers the question."""
    if not hits or not analysis.terms:
        return None
    page_lines = [_split_lines(hit.text) for hit in hits]
    tokenized = [[tokenize(line) for line in lines] for lines in page_lines]
    token_sets = [[frozenset(tokens) for tokens in page] for page in tokenized]
    weights = _group_weights(analysis, token_sets)
    required = {t.group for t in analysis.terms if not t.optional}
    total_required = sum(weights[g] for g in required) or 1.0
    shape = FIGURE_SHAPES.get(analysis.primary_intent or "")
    best: Evidence | None = None
    top_prior = max(hit.rank_score for hit in hits) or 1.0

    for hit, lines, tokens_list, sets in zip(hits, page_lines, tokenized, token_sets, strict=True):
        page_tokens = [t for tokens in tokens_list for t in tokens]
        page_set = frozenset(page_tokens)
        page_groups = {t.group for t in analysis.terms if _matches(t, page_tokens, page_set)}
        prior = 0.5 * hit.rank_score / top_prior
        for index, line in enumerate(lines):
            unit = _attach_values(lines, index)
            unit_tokens = [t for u in unit for t in tokenize(u)]
            unit_set = frozenset(unit_tokens)
            line_groups = {t.group for t in analysis.terms if _matches(t, unit_tokens, unit_set)}
            if not line_groups & required:
                continue
            score = prior + sum(weights[g] for g in line_groups) + 0.35 * sum(
                weights[g] for g in page_groups - line_groups
            )
            if shape:
                if re.search(shape, " ".join(unit), re.I):
                    score += 1.0
                else:
                    score -= 1.0
            if analysis.bhk and analysis.bhk in page_set:
                score += 0.5
            coverage = sum(weights[g] for g in (line_groups | page_groups) & required) / total_required
            if best is None or score > best.score:
                best = Evidence(
                    document=hit.document,
                    page=hit.page,
                    project_id=hit.project_id,
                    lines=unit,
                    score=score,
                    coverage=coverage,
                    from_table=bool(TABLE_ROW_RE.search(line)),
                    heading=lines[0] if lines and lines[0] not in unit else "",
                )
    if best is None or best.coverage < MIN_COVERAGE:
        return None
    if shape and not re.search(shape, " ".join(best.lines), re.I):
        return None
    return best
