"""Retrieval: which project a question is about, and which pages answer it.

Documents are searched two ways — Postgres full text (GIN) and pgvector similarity (HNSW, or an
exact scan inside one project) — and the rankings are fused with reciprocal rank fusion.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.models import Chunk, Document, Project
from app.rag.embed import Embedder
from app.rag.query import QueryAnalysis, name_matches, tokenize

RRF_K = 60
# Words that appear in many project names and so cannot identify one on their own.
COMMON_NAME_WORDS = frozenset(
    "the estate estates residences residence heights tower towers city park green project phase "
    "homes villas greens gardens one".split()
)


class UnknownProject(ValueError):
    """The caller named a project the catalog does not have."""


@dataclass
class PageHit:
    """A page that retrieval ranked for a question."""

    project_id: int
    document: str
    page: int
    text: str
    rank_score: float


def resolve_project(session: Session, question: str, name: str | None) -> Project | None:
    """The project in focus: the one named by the caller, else one the question names."""
    projects = session.scalars(select(Project).order_by(Project.name)).all()
    if name:
        wanted = name.strip().lower()
        for project in projects:
            if wanted in {project.name.lower(), project.slug, *(a.lower() for a in project.aliases)}:
                return project
        known = ", ".join(p.name for p in projects) or "none yet"
        raise UnknownProject(f"Unknown project {name!r}. Known projects: {known}.")
    return detect_project(question, projects)


def detect_project(question: str, projects: list[Project]) -> Project | None:
    """Find the project a question names, tolerating typos; None when it names none."""
    best, best_score = None, 0
    question_tokens = set(tokenize(question))
    for project in projects:
        score = name_matches(question, project.name, project.aliases or [])
        distinctive = [
            t for t in tokenize(project.name) if t not in COMMON_NAME_WORDS and not t.isdigit() and len(t) >= 4
        ]
        if distinctive and any(t in question_tokens for t in distinctive):
            score = max(score, 95)
        if score > best_score:
            best, best_score = project, score
    return best if best_score >= 90 else None


def project_words(project: Project | None) -> set[str]:
    """Words that only name the project (dropped from the search terms)."""
    if project is None:
        return set()
    words = set(tokenize(project.name))
    for alias in project.aliases or []:
        words |= set(tokenize(alias))
    return words


_vocab_lock = threading.Lock()
_vocab_cache: dict[tuple, frozenset[str]] = {}


def vocabulary(session: Session, project_id: int | None) -> frozenset[str]:
    """Words of the indexed brochures (for typo correction), cached until documents change."""
    version = session.execute(select(func.count(Document.id), func.max(Document.id))).one()
    key = (project_id, *version)
    with _vocab_lock:
        if key in _vocab_cache:
            return _vocab_cache[key]
    query = select(Chunk.text)
    if project_id is not None:
        query = query.where(Chunk.project_id == project_id)
    words: set[str] = set()
    for chunk_text in session.scalars(query):
        words.update(t for t in tokenize(chunk_text) if len(t) >= 4 and not t.isdigit())
    result = frozenset(words)
    with _vocab_lock:
        _vocab_cache[key] = result
    return result


def _tsquery_sql(analysis: QueryAnalysis, params: dict) -> str | None:
    parts = []
    for i, term in enumerate(analysis.terms):
        phrase = " ".join(term.tokens)
        if not re.search(r"[a-z0-9]", phrase):
            continue
        params[f"t{i}"] = phrase
        fn = "phraseto_tsquery" if len(term.tokens) > 1 else "plainto_tsquery"
        parts.append(f"{fn}('english', :t{i})")
    return " || ".join(parts) if parts else None


def full_text_ranking(session: Session, analysis: QueryAnalysis, project_id: int | None, limit: int) -> list[int]:
    """Chunk ids ranked by Postgres full-text relevance."""
    params: dict = {"limit": limit}
    tsquery = _tsquery_sql(analysis, params)
    if tsquery is None:
        return []
    where = "tsv @@ q"
    if project_id is not None:
        where += " AND project_id = :project_id"
        params["project_id"] = project_id
    sql = text(
        f"SELECT id FROM chunks, ({'SELECT ' + tsquery} AS q) AS query "  # noqa: S608 - terms are bound
        f"WHERE {where} ORDER BY ts_rank_cd(tsv, q, 32) DESC, id LIMIT :limit"
    )
    return list(session.scalars(sql, params))


def vector_ranking(
    session: Session, question: str, embedder: Embedder, project_id: int | None, limit: int
) -> list[int]:
    """Chunk ids ranked by embedding similarity (cosine) to the question."""
    vector = embedder.embed([question])[0]
    params = {"vec": str(vector), "dim": embedder.dimension, "name": embedder.name, "limit": limit}
    if project_id is not None:
        # One project holds at most a few thousand chunks: an exact scan is fast and never misses.
        params["project_id"] = project_id
        sql = (
            "SELECT id FROM chunks WHERE project_id = :project_id AND embedder = :name "
            "ORDER BY embedding <=> CAST(:vec AS vector) LIMIT :limit"
        )
    else:
        dim = int(embedder.dimension)
        sql = (
            f"SELECT id FROM chunks WHERE embedding_dim = {dim} AND embedder = :name "
            f"ORDER BY (embedding::vector({dim})) <=> CAST(:vec AS vector({dim})) LIMIT :limit"
        )
    return list(session.scalars(text(sql), params))


def fuse(*rankings: list[int]) -> dict[int, float]:
    """Reciprocal rank fusion of several rankings of the same ids."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, chunk_id in enumerate(ranking):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    return scores


def search_pages(
    session: Session,
    analysis: QueryAnalysis,
    embedder: Embedder,
    project_id: int | None,
    *,
    pages: int = 6,
    depth: int = 24,
) -> list[PageHit]:
    """The best pages for a question, each with its full text, best first."""
    fused = fuse(
        full_text_ranking(session, analysis, project_id, depth),
        vector_ranking(session, " ".join(t.text for t in analysis.terms) or analysis.question, embedder, project_id, depth),
    )
    if not fused:
        return []
    rows = session.execute(
        select(Chunk.id, Chunk.project_id, Chunk.document_id, Chunk.page).where(Chunk.id.in_(fused))
    ).all()
    page_scores: dict[tuple[int, int, int], float] = {}
    for chunk_id, proj_id, document_id, page in rows:
        key = (proj_id, document_id, page)
        page_scores[key] = max(page_scores.get(key, 0.0), fused[chunk_id])
    best = sorted(page_scores.items(), key=lambda item: -item[1])[:pages]
    hits = []
    for (proj_id, document_id, page), score in best:
        source = session.scalar(select(Document.source).where(Document.id == document_id))
        chunk_texts = session.scalars(
            select(Chunk.text)
            .where(Chunk.document_id == document_id, Chunk.page == page)
            .order_by(Chunk.ordinal)
        ).all()
        hits.append(PageHit(proj_id, source, page, "\n".join(chunk_texts), score))
    return hits
