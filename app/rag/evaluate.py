"""Evaluation of answers against a question set with expected substrings and citation pages."""

from __future__ import annotations

import json
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Chunk, Document
from app.rag.answer import Answer
from app.rag.grounding import ContextPassage, grounding_violations


@dataclass
class Question:
    """One line of an eval file."""

    id: str
    project: str | None
    question: str
    answerable: bool
    expect_any: list[str]
    expect_all: list[str]
    pages: list[int]
    category: str
    style: str = "plain"
    source: str = ""  # the question set (file name without extension) it came from


@dataclass
class Outcome:
    """How one answer scored."""

    question: Question
    answer: Answer
    correct: bool
    violations: list[str] = field(default_factory=list)


def load_questions(path: Path) -> list[Question]:
    """Read an eval JSONL file; a bad line raises ValueError naming it."""
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            questions.append(
                Question(
                    id=str(raw["id"]),
                    project=raw.get("project"),
                    question=raw["question"],
                    answerable=bool(raw["answerable"]),
                    expect_any=list(raw.get("expect_any") or []),
                    expect_all=list(raw.get("expect_all") or []),
                    pages=[int(p) for p in raw.get("pages") or []],
                    category=raw.get("category") or "other",
                    style=raw.get("style") or "plain",
                    source=path.stem,
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path.name} line {number}: not a valid question ({exc})") from exc
    return questions


def corpus_projects(corpus_dir: Path) -> dict[str, str]:
    """File name → project name, from the table in the corpus folder's README.md and from a
    ``projects.json`` object (``{"file": "project name"}``) in the folder, which wins."""
    mapping = _readme_projects(corpus_dir)
    listing = corpus_dir / "projects.json"
    if listing.exists():
        try:
            names = json.loads(listing.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ValueError(f"{listing}: not valid JSON ({exc})") from exc
        if not isinstance(names, dict):
            raise ValueError(f"{listing}: expected an object of file name → project name")
        mapping.update({str(k): str(v) for k, v in names.items()})
    return mapping


def _readme_projects(corpus_dir: Path) -> dict[str, str]:
    readme = corpus_dir / "README.md"
    if not readme.exists():
        readme = corpus_dir.parent / "README.md"
    mapping: dict[str, str] = {}
    if readme.exists():
        for line in readme.read_text(encoding="utf-8").splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) >= 2 and cells[0].endswith((".jsonl", ".pdf")):
                mapping[cells[0]] = cells[1]
    return mapping


def page_text(session: Session, document: str, page: int, project_name: str | None = None) -> str:
    """All chunk text of one cited page."""
    query = (
        select(Chunk.text)
        .join(Document, Document.id == Chunk.document_id)
        .where(Document.source == document, Chunk.page == page)
    )
    return "\n".join(session.scalars(query.order_by(Chunk.ordinal)))


def score(session: Session, question: Question, answer: Answer) -> Outcome:
    """Judge one answer: expected text present and a citation on an accepted page."""
    text = answer.answer.lower()
    if question.answerable:
        has_any = not question.expect_any or any(e.lower() in text for e in question.expect_any)
        has_all = all(e.lower() in text for e in question.expect_all)
        cited = not question.pages or any(c.page in question.pages for c in answer.citations)
        correct = answer.answered and has_any and has_all and cited
    else:
        correct = not answer.answered
    passages = [
        ContextPassage(c.document, c.page, page_text(session, c.document, c.page)) for c in answer.citations
    ]
    # Source lines and "(p.N)" are citations, not claims (a multi-part answer has a Source line
    # per part, an overview a page per line).
    body = re.sub(r"(?m)^Source: .*$|\(p\.\d+\)", "", answer.answer.strip()).strip()
    violations = grounding_violations(body, passages) if answer.answered else grounding_violations(body, [])
    return Outcome(question, answer, correct, violations)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def report(outcomes: Iterable[Outcome]) -> dict:
    """Overall figures, then the same row per question set, category and style.

    A row: ``correct`` is the share of answerable questions answered with the expected text and
    an accepted citation; ``wrong`` the share of all questions answered but not correctly (an
    answer to an unanswerable question is wrong too); ``refused_answerable`` the share of
    answerable questions refused; ``refused`` the share of unanswerable questions refused;
    ``ungrounded`` the number of answers with a figure that is not on a cited page.
    """
    outcomes = list(outcomes)
    latencies = [o.answer.latency_ms for o in outcomes]
    overall = _row(outcomes)
    return {
        "questions": len(outcomes),
        "answer_accuracy": overall["correct"],
        "refusal_accuracy": overall["refused"],
        "wrong": overall["wrong"],
        "refused_answerable": overall["refused_answerable"],
        "grounding_violations": overall["ungrounded"],
        "latency_ms_p50": round(statistics.median(latencies), 1) if latencies else 0.0,
        "latency_ms_p95": round(percentile(latencies, 95), 1),
        "overall": overall,
        "sets": _rows_by(outcomes, lambda q: q.source),
        "categories": _rows_by(outcomes, lambda q: q.category),
        "styles": _rows_by(outcomes, lambda q: q.style),
    }


def _rows_by(outcomes: list[Outcome], key) -> dict[str, dict]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        groups[key(outcome.question)].append(outcome)
    return {name: _row(items) for name, items in sorted(groups.items())}


def _row(items: list[Outcome]) -> dict:
    answerable = [o for o in items if o.question.answerable]
    unanswerable = [o for o in items if not o.question.answerable]
    wrong = [o for o in items if o.answer.answered and not o.correct]
    refused = [o for o in answerable if not o.answer.answered]
    return {
        "n": len(items),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "accuracy": _ratio(items),
        "correct": _ratio(answerable),
        "wrong": round(len(wrong) / len(items), 3) if items else None,
        "refused_answerable": round(len(refused) / len(answerable), 3) if answerable else None,
        "refused": _ratio(unanswerable),
        "ungrounded": sum(1 for o in items if o.violations),
    }


def _ratio(items: list[Outcome]) -> float | None:
    return round(sum(o.correct for o in items) / len(items), 3) if items else None
