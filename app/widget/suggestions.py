"""The questions a chat opens with: three that its host project's brochure answers.

The widget is embedded on one project's website (``conversations.known_project``), so it
suggests questions about that project only, never about another developer's. A question is
suggested only when what answers it was ingested for the project with a page to cite: a fact the
facts route reads (``app.rag.fact_answers``: one value, or a curated one) or a table of the kind
the tables route reads. The questions name no project: the conversation starts with the host
project in focus, and the engine answers them for it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import DocumentTable, Fact, Project

SHOWN = 3  # questions a chat opens with


@dataclass(frozen=True)
class Suggestion:
    """A question and what must have been ingested for a project to answer it with a page."""

    question: str
    facts: tuple[str, ...] = ()  # fact keys; one ending in ":" stands for every key it starts
    tables: tuple[str, ...] = ()  # table kinds (``app.rag.tables``)


# What investors ask first, first.
SUGGESTIONS: tuple[Suggestion, ...] = (
    Suggestion("What is the price per sq ft?", tables=("price_list",)),
    Suggestion("What is the payment plan?", tables=("payment_plan",)),
    Suggestion("When is possession expected?", facts=("possession",)),
    # (the unit types are also read off the carpet areas printed for each type)
    Suggestion("What unit types are available?", facts=("unit_types", "carpet_area:")),
    Suggestion("Where is the project located?", facts=("location",)),
    Suggestion("What is the RERA registration number?", facts=("rera_number",)),
    Suggestion("What are the unit sizes?", tables=("unit_areas",)),
    Suggestion("How many towers are there?", facts=("towers",)),
    Suggestion("How big is the clubhouse?", facts=("club_size",)),
)


def suggested_questions(session: Session, project: Project | None) -> list[str]:
    """Up to ``SHOWN`` questions ``project``'s brochure answers with a page, the likeliest first;
    none without a project or when nothing citable was ingested for it."""
    if project is None:
        return []
    facts = _citable_fact_keys(session, project.id)
    tables = set(
        session.scalars(select(DocumentTable.kind).where(DocumentTable.project_id == project.id).distinct())
    )
    found = [s.question for s in SUGGESTIONS if _answerable(s, facts, tables)]
    return found[:SHOWN]


def _answerable(suggestion: Suggestion, facts: set[str], tables: set[str]) -> bool:
    if tables.intersection(suggestion.tables):
        return True
    return any(
        key in facts or (key.endswith(":") and any(fact.startswith(key) for fact in facts))
        for key in suggestion.facts
    )


def _citable_fact_keys(session: Session, project_id: int) -> set[str]:
    """The keys of the project's facts that answer with a page: one value on every page that
    gives it, or a curated value (the facts route prefers it). A key whose pages disagree is left
    to the documents route, which may not answer it."""
    rows = session.execute(
        select(Fact.key, Fact.value, Fact.origin).where(
            Fact.project_id == project_id, Fact.page.is_not(None), Fact.document_id.is_not(None)
        )
    )
    values: dict[str, set[str]] = defaultdict(set)
    curated: set[str] = set()
    for key, value, origin in rows:
        values[key].add(" ".join(value.lower().split()).rstrip("."))
        if origin == "curated":
            curated.add(key)
    return {key for key, found in values.items() if len(found) == 1 or key in curated}
