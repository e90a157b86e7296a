"""Corpus statistics: the brochures' words, on how many pages each is printed and, inside one
project, on which pages (a name's section of a brochure holding several projects)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Chunk, Document, Fact
from app.rag.query import UNIT_TOKEN_RE, QueryAnalysis, tokenize
from app.rag.rows import qualifiers
from app.rag.sections import Section

BRAND_MIN_PAGES = 3
ROW_KINDS = frozenset({"phase", "tower", "block", "wing", "type"})
BRAND_MIN_SPREAD = 0.06
SECTION_GAP = 30
STATS_CACHE_SIZE = 512


@dataclass(frozen=True)
class CorpusStats:
    """Words of the indexed brochures and on how many pages each appears."""

    vocabulary: frozenset[str]
    page_frequency: dict[str, int]
    pages: int
    token_pages: dict[str, tuple[int, ...]] | None = None  # only for one project
    rows: dict[str, frozenset[str]] | None = None  # row labels printed: {"phase": {"1", "2"}}
    cities: frozenset[str] = frozenset()  # the project's own cities (its "city" facts)
    sections: tuple[Section, ...] = ()  # brochures bound in one file, only for one project
    titles: dict[tuple[int, int], str] | None = None  # (document, page) → its first line, one project

    def continued_title(self, document_id: int, page: int, text: str) -> str:
        """The title of the page a page continues, when it does; "" otherwise.

        Unit plans often face a page of their own ("UNIT PLAN – 4 BHK (TYPE C)", then
        "HIGHLIGHTS"): a page naming no unit or row, after one whose title does, in a run where
        such pages alternate (the next page names a row, or the page two before is another such
        page), is about the unit before it. A specifications page after the last plan is not."""
        titles = self.titles or {}

        def title(n: int) -> str:
            return titles.get((document_id, n), "")

        before = title(page - 1)
        if not _names_a_row(before) or _names_a_row(text):
            return ""
        alternating = _names_a_row(title(page + 1)) or (
            bool(title(page - 2)) and not _names_a_row(title(page - 2)) and _names_a_row(title(page - 3))
        )
        return before if alternating else ""

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
        """Turn names printed across the brochure ("Grand Residences") into section hints."""
        groups: dict[int, list] = {}
        for term in analysis.terms:
            groups.setdefault(term.group, []).append(term)
        # A kind of home is what is asked about, however often printed: "Sky Penthouse"; so is a
        # row the brochure labels ("Tower Ashwini", "Phase 2").
        homes = {
            token
            for term in analysis.terms
            if term.name and any(UNIT_TOKEN_RE.match(t) for t in term.tokens)
            for token in term.tokens
        }
        homes |= ROW_KINDS | {value for values in (self.rows or {}).values() for value in values}
        for terms in groups.values():
            primary = terms[0]
            if (
                primary.name
                and not primary.optional
                and not set(primary.tokens) <= homes
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


UNIT_NAME_RE = re.compile(r"\b\d(?:\.5)?\s*BHK|\bSTUDIO\b|\bPENTHOUSE\b|\bVILLA\b", re.I)


def _names_a_row(text: str) -> bool:
    return bool(qualifiers(text)) or UNIT_NAME_RE.search(text) is not None


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
        query = query.where(Chunk.project_id == project_id).order_by(
            Chunk.document_id, Chunk.page, Chunk.ordinal
        )
    pages: dict[tuple[int, int], set[str]] = {}
    rows: dict[str, set[str]] = {}
    titles: dict[tuple[int, int], str] = {}  # (document, page) → its first line
    for document_id, page, chunk_text in session.execute(query):
        pages.setdefault((document_id, page), set()).update(tokenize(chunk_text))
        if project_id is not None and (document_id, page) not in titles:  # (chunks come in order)
            titles[document_id, page] = next((line for line in chunk_text.splitlines() if line.strip()), "")
        for kind, values in qualifiers(chunk_text).items():
            rows.setdefault(kind, set()).update(values)
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
    printed = {kind: frozenset(values) for kind, values in rows.items()}
    cities = frozenset(
        session.scalars(select(Fact.value).where(Fact.project_id == project_id, Fact.key == "city"))
        if project_id is not None
        else ()
    )
    # Brochures bound in a file, found at ingest (a document ingested before parts were kept gets
    # them at its next ingest; reading them here would cost a pass over its pages per project).
    stored = (
        session.execute(select(Document.id, Document.parts).where(Document.project_id == project_id)).all()
        if project_id is not None
        else []
    )
    sections = tuple(
        Section.from_stored(document_id, part) for document_id, parts in stored for part in parts or ()
    )
    stats = CorpusStats(vocab, frequency, len(pages), token_pages, printed, cities, sections, titles or None)
    with _stats_lock:
        stale = [k for k in _stats_cache if k[0] == project_id]  # older versions of this entry
        for old in stale:
            del _stats_cache[old]
        while len(_stats_cache) >= STATS_CACHE_SIZE:
            del _stats_cache[next(iter(_stats_cache))]  # least recently built
        _stats_cache[key] = stats
    return stats
