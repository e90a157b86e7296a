"""Answers the team gives to questions the brochures did not answer (the partner's unanswered
questions page): each is a curated fact pointing at a page, kept with the question it answers,
and the next investor asking that question (in other words too) gets it, cited.

A question matches when, set aside the words every question has ("what", "is", "the"…), it asks
about the same words ("Is there a helipad?" and "helipad available?"), or nearly the same ones
(a typo). Anything looser would answer a different question with the team's words.
"""

from __future__ import annotations

import hashlib

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.models import Fact, Project
from app.rag.citations import Citation, CitedText
from app.rag.curation import set_curated_fact
from app.rag.query import _STOPWORDS_NORMALISED, tokenize

PREFIX = "answer:"
MIN_SIMILARITY = 90  # rapidfuzz ratio of the questions' words, sorted


def asked_words(question: str) -> str:
    """What a question asks about: its words without the ones every question has, sorted."""
    return " ".join(sorted({t for t in tokenize(question) if t not in _STOPWORDS_NORMALISED}))


def same_question(one: str, other: str) -> bool:
    """Whether two questions ask about the same words (or nearly, a typo apart)."""
    a, b = asked_words(one), asked_words(other)
    return bool(a) and (a == b or fuzz.ratio(a, b) >= MIN_SIMILARITY)


def add_team_answer(
    session: Session, project: Project, question: str, answer: str, page: int, document: str | None = None
) -> Fact:
    """Record the team's answer to ``question`` with the page it is on (caller commits);
    ValueError says what is wrong (no such page, several documents and none named…)."""
    if not asked_words(question):
        raise ValueError("That question asks nothing the answer could be kept for.")
    key = PREFIX + hashlib.sha1(asked_words(question).encode()).hexdigest()[:16]
    fact = set_curated_fact(session, project, key, answer, page=page, document=document)
    if fact.document_id is None:
        raise ValueError(f"{project.name} has no brochure to point at: ingest one first.")
    fact.evidence = question.strip()[:500]
    session.flush()
    return fact


def team_answers(session: Session, project_id: int) -> list[Fact]:
    """The team's answers for a project, with their documents."""
    return list(
        session.scalars(
            select(Fact)
            .options(joinedload(Fact.document))
            .where(Fact.project_id == project_id, Fact.origin == "curated", Fact.key.startswith(PREFIX))
        )
    )


def team_answer(session: Session, project_id: int, question: str) -> CitedText | None:
    """The team's answer to ``question``, cited by its page, if the team answered it."""
    for fact in team_answers(session, project_id):
        if fact.document is not None and fact.page and same_question(question, fact.evidence):
            return fact.value, [Citation(fact.document.source, fact.page)]
    return None
