"""Retrieval: which project a question is about, and which pages answer it.

Documents are searched two ways — Postgres full text (GIN) and pgvector similarity (HNSW, or an
exact scan inside one project) — and the rankings are fused with reciprocal rank fusion.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass
from itertools import combinations

from sqlalchemy import func, select, text, tuple_
from sqlalchemy.orm import Session

from app.models import Chunk, Document, Project
from app.rag.embed import Embedder
from app.rag.query import QueryAnalysis, name_matches, normalize_token, tokenize

RRF_K = 60
BRAND_MIN_PAGES = 3
BRAND_MIN_SPREAD = 0.06
SECTION_GAP = 30
STATS_CACHE_SIZE = 512
MAX_MISSING_GROUPS = 2  # a search across projects lets a question's match miss this many groups
MAX_COMBINATIONS = 45
# Words that appear in many project names and so cannot identify one on their own.
COMMON_NAME_WORDS = frozenset(
    normalize_token(word)
    for word in (
        "the estate estates residences residence heights tower towers city park green project phase "
        "homes villas greens gardens one enclave"
    ).split()
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


@dataclass(frozen=True)
class ProjectName:
    """What project detection needs of a project (cached between questions)."""

    id: int
    name: str
    slug: str
    aliases: tuple[str, ...]


_projects_lock = threading.Lock()
_projects_cache: dict[tuple, list[ProjectName]] = {}


def _project_names(session: Session) -> list[ProjectName]:
    version = tuple(session.execute(select(func.count(Project.id), func.max(Project.id))).one())
    with _projects_lock:
        if version in _projects_cache:
            return _projects_cache[version]
    rows = session.execute(
        select(Project.id, Project.name, Project.slug, Project.aliases).order_by(Project.name)
    )
    names = [ProjectName(pid, name, slug, tuple(aliases or ())) for pid, name, slug, aliases in rows]
    with _projects_lock:
        _projects_cache.clear()
        _projects_cache[version] = names
    return names


def resolve_project(session: Session, question: str, name: str | None) -> Project | None:
    """The project in focus: the one named by the caller, else one the question names."""
    projects = _project_names(session)
    if name:
        wanted = name.strip().lower()
        for project in projects:
            if wanted in {project.name.lower(), project.slug, *(a.lower() for a in project.aliases)}:
                return session.get(Project, project.id)
        known = ", ".join(p.name for p in projects) or "none yet"
        raise UnknownProject(f"Unknown project {name!r}. Known projects: {known}.")
    found = detect_project(question, projects)
    return session.get(Project, found.id) if found else None


def detect_project(question: str, projects: list[ProjectName]) -> ProjectName | None:
    """Find the project a question names, tolerating typos; None when it names none."""
    best, best_score = None, 0
    question_tokens = set(tokenize(question))
    for project in projects:
        score = name_matches(question, project.name, list(project.aliases))
        distinctive = [
            t
            for t in tokenize(project.name)
            if t not in COMMON_NAME_WORDS and not t.isdigit() and len(t) >= 4
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


@dataclass(frozen=True)
class CorpusStats:
    """Words of the indexed brochures and on how many pages each appears."""

    vocabulary: frozenset[str]
    page_frequency: dict[str, int]
    pages: int
    token_pages: dict[str, tuple[int, ...]] | None = None  # only for one project

    def near(self, token: str, page: int, gap: int = SECTION_GAP) -> bool:
        """Whether ``page`` lies in a section where ``token`` is printed.

        A brochure file may hold several projects one after the other; the pages that print a
        name, with gaps of at most ``gap`` pages, make up that name's section.
        """
        pages = (self.token_pages or {}).get(token, ())
        start = previous = None
        for found in pages:
            if start is None or found - previous > gap:
                if start is not None and start - 3 <= page <= previous + 3:
                    return True
                start = found
            previous = found
        return start is not None and start - 3 <= page <= previous + 3

    def rarest(self, tokens: list[str]) -> str | None:
        """The token printed on the fewest pages (the most telling part of a name)."""
        known = [t for t in tokens if self.page_frequency.get(t)]
        return min(known, key=lambda t: self.page_frequency[t]) if known else None

    def mark_brands(self, analysis: QueryAnalysis) -> None:
        """Turn names printed across the brochure ("Royal Residences") into section hints."""
        groups: dict[int, list] = {}
        for term in analysis.terms:
            groups.setdefault(term.group, []).append(term)
        for terms in groups.values():
            primary = terms[0]
            if (
                primary.name
                and not primary.optional
                and all(
                    self.page_frequency.get(t, 0) >= BRAND_MIN_PAGES and self.spread(t) >= BRAND_MIN_SPREAD
                    for t in primary.tokens
                )
            ):
                for term in terms:
                    term.optional, term.brand = True, True

    def spread(self, token: str) -> float:
        """Share of the pages that carry ``token`` (brand words are on most of them)."""
        return self.page_frequency.get(token, 0) / self.pages if self.pages else 0.0


_stats_lock = threading.Lock()
_stats_cache: dict[tuple, CorpusStats] = {}


def corpus_stats(session: Session, project_id: int | None) -> CorpusStats:
    """Vocabulary and page frequencies (for typo correction and weighting), cached until the
    documents change."""
    version = session.execute(select(func.count(Document.id), func.max(Document.id))).one()
    key = (project_id, *version)
    with _stats_lock:
        if key in _stats_cache:
            return _stats_cache[key]
    query = select(Chunk.document_id, Chunk.page, Chunk.text)
    if project_id is not None:
        query = query.where(Chunk.project_id == project_id)
    pages: dict[tuple[int, int], set[str]] = {}
    for document_id, page, chunk_text in session.execute(query):
        pages.setdefault((document_id, page), set()).update(tokenize(chunk_text))
    frequency: dict[str, int] = {}
    for words in pages.values():
        for word in words:
            frequency[word] = frequency.get(word, 0) + 1
    vocab = frozenset(w for w in frequency if len(w) >= 4 and not w.isdigit())
    token_pages = None
    if project_id is not None:
        collected: dict[str, set[int]] = {}
        for (_, page), words in pages.items():
            for word in words:
                collected.setdefault(word, set()).add(page)
        token_pages = {word: tuple(sorted(found)) for word, found in collected.items()}
    stats = CorpusStats(vocab, frequency, len(pages), token_pages)
    with _stats_lock:
        stale = [k for k in _stats_cache if k[0] == project_id]  # older versions of this entry
        for old in stale:
            del _stats_cache[old]
        while len(_stats_cache) >= STATS_CACHE_SIZE:
            del _stats_cache[next(iter(_stats_cache))]  # least recently built
        _stats_cache[key] = stats
    return stats


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


def full_text_ranking(
    session: Session, analysis: QueryAnalysis, project_id: int | None, limit: int
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
        where = "tsv @@ q AND project_id = :project_id"
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
) -> list[PageHit]:
    """The best pages for a question, each with its full text, best first."""
    fused = fuse(
        full_text_ranking(session, analysis, project_id, depth),
        vector_ranking(
            session,
            " ".join(t.text for t in analysis.terms) or analysis.question,
            embedder,
            project_id,
            depth,
        ),
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
        PageHit(proj_id, sources[document_id], page, "\n".join(texts[(document_id, page)]), score)
        for (proj_id, document_id, page), score in best
    ]
    return hits
