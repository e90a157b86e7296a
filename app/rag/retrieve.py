"""Retrieval: which pages of the brochures answer a question.

Documents are searched two ways — Postgres full text (GIN) and pgvector similarity (HNSW, or an
exact scan inside one project) — and the rankings are fused with reciprocal rank fusion.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from itertools import combinations

from sqlalchemy import select, text, tuple_
from sqlalchemy.orm import Session

from app.models import Chunk, Document, Project
from app.rag.embed import Embedder
from app.rag.query import QueryAnalysis
from app.rag.sections import Section

RRF_K = 60
MAX_MISSING_GROUPS = 2  # a search across projects lets a question's match miss this many groups
MAX_COMBINATIONS = 45


@dataclass
class PageHit:
    """A page that retrieval ranked for a question."""

    project_id: int
    document: str
    page: int
    text: str
    rank_score: float
    document_id: int = 0


def _group_queries(analysis: QueryAnalysis, params: dict, *, required_only: bool) -> list[str]:
    """One tsquery expression per term group (its alternatives ORed), terms bound in ``params``.

    Brand words never count; with ``required_only`` the optional groups (word pairs) are left
    out too."""
    groups: dict[int, list[str]] = {}
    for i, term in enumerate(analysis.terms):
        if term.brand or (required_only and term.optional):
            continue
        phrase = " ".join(term.tokens)
        if not re.search(r"[a-z0-9]", phrase):
            continue
        params[f"t{i}"] = phrase
        fn = "phraseto_tsquery" if len(term.tokens) > 1 else "plainto_tsquery"
        groups.setdefault(term.group, []).append(f"{fn}('english', :t{i})")
    return [f"({' || '.join(parts)})" for parts in groups.values()]


def _at_least(groups: list[str], wanted: int) -> str:
    """A tsquery matching text that holds at least ``wanted`` of ``groups``: the OR of the ANDs
    of every such combination (what search engines call minimum-should-match)."""
    return " || ".join(f"({' && '.join(combo)})" for combo in combinations(groups, wanted))


def _cross_project_queries(analysis: QueryAnalysis, params: dict) -> list[str]:
    """Ever looser tsqueries for a search across every project: all of the question's groups,
    then all but one, then all but two (while that keeps two groups and a few dozen combinations).

    Across tens of thousands of chunks an any-word query matches a large share of them and
    ranking them all costs hundreds of milliseconds; a question's rarer words are what tell its
    pages apart, and the vector ranking covers what the text search misses."""
    groups = _group_queries(analysis, params, required_only=True)
    queries = []
    for missing in range(MAX_MISSING_GROUPS + 1):
        wanted = len(groups) - missing
        if wanted < 1 or (missing and wanted < 2) or math.comb(len(groups), wanted) > MAX_COMBINATIONS:
            break
        queries.append(_at_least(groups, wanted))
    return queries


def _within(section: Section | None, params: dict) -> str:
    """The SQL condition keeping one part of a bound brochure file, its values in ``params``."""
    if section is None:
        return ""
    params.update(section_document=section.document_id, first_page=section.first, last_page=section.last)
    return " AND document_id = :section_document AND page BETWEEN :first_page AND :last_page"


def full_text_ranking(
    session: Session,
    analysis: QueryAnalysis,
    project_id: int | None,
    limit: int,
    within: Section | None = None,
) -> list[int]:
    """Chunk ids ranked by Postgres full-text relevance.

    Inside one project any term may match (a few hundred chunks at most). Across all projects the
    question's term groups must all match, so only a few chunks are ranked; when none match every
    group, all but one (then all but two) must.
    """
    params: dict = {"limit": limit}
    if project_id is not None:
        groups = _group_queries(analysis, params, required_only=False)
        queries = [" || ".join(groups)] if groups else []
        params["project_id"] = project_id
        where = "tsv @@ q AND project_id = :project_id" + _within(within, params)
    else:
        queries = _cross_project_queries(analysis, params)
        where = "tsv @@ q"
    for tsquery in queries:
        sql = text(
            f"SELECT id FROM chunks, (SELECT {tsquery} AS q) AS query "  # noqa: S608 - terms are bound
            f"WHERE {where} ORDER BY ts_rank(tsv, q) DESC, id LIMIT :limit"
        )
        found = list(session.scalars(sql, params))
        if found:
            return found
    return []


def vector_ranking(
    session: Session,
    question: str,
    embedder: Embedder,
    project_id: int | None,
    limit: int,
    within: Section | None = None,
) -> list[int]:
    """Chunk ids ranked by embedding similarity (cosine) to the question."""
    vector = embedder.embed([question])[0]
    params = {"vec": str(vector), "dim": embedder.dimension, "name": embedder.name, "limit": limit}
    if project_id is not None:
        # One project holds at most a few thousand chunks: an exact scan is fast and never misses.
        params["project_id"] = project_id
        sql = (
            "SELECT id FROM chunks WHERE project_id = :project_id AND embedder = :name"
            + _within(within, params)
            + " ORDER BY embedding <=> CAST(:vec AS vector) LIMIT :limit"
        )
    else:
        # HNSW's default search width (40) misses too many neighbours of the hashing embedder.
        session.execute(text("SET LOCAL hnsw.ef_search = 100"))
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
    pages: int = 8,
    depth: int = 40,
    within: Section | None = None,
) -> list[PageHit]:
    """The best pages for a question, each with its full text, best first; ``within``: only
    the pages of one part of a bound brochure file (with ``project_id``)."""
    fused = fuse(
        full_text_ranking(session, analysis, project_id, depth, within),
        vector_ranking(
            session,
            " ".join(t.text for t in analysis.terms) or analysis.question,
            embedder,
            project_id,
            depth,
            within,
        ),
    )
    if not fused:
        return []
    rows = session.execute(
        select(Chunk.id, Chunk.project_id, Chunk.document_id, Chunk.page)
        .join(Project, Project.id == Chunk.project_id)
        .where(Chunk.id.in_(fused), Project.archived_at.is_(None))  # archived: not answered from
    ).all()
    page_scores: dict[tuple[int, int, int], float] = {}
    for chunk_id, proj_id, document_id, page in rows:
        key = (proj_id, document_id, page)
        page_scores[key] = max(page_scores.get(key, 0.0), fused[chunk_id])
    best = sorted(page_scores.items(), key=lambda item: -item[1])[:pages]
    wanted = [(document_id, page) for (_, document_id, page), _ in best]
    texts: dict[tuple[int, int], list[str]] = {}
    sources: dict[int, str] = {}
    for document_id, page, source, chunk_text in session.execute(
        select(Chunk.document_id, Chunk.page, Document.source, Chunk.text)
        .join(Document, Document.id == Chunk.document_id)
        .where(tuple_(Chunk.document_id, Chunk.page).in_(wanted))
        .order_by(Chunk.document_id, Chunk.page, Chunk.ordinal)
    ):
        texts.setdefault((document_id, page), []).append(chunk_text)
        sources[document_id] = source
    hits = [
        PageHit(
            proj_id, sources[document_id], page, "\n".join(texts[(document_id, page)]), score, document_id
        )
        for (proj_id, document_id, page), score in best
    ]
    return hits
