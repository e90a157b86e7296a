"""The cross-project listing route: "Which projects have 4 BHK in Sector 63A?" answered by SQL
over every project, each project cited by a page that shows it matches."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.models import Document, Fact, Project
from app.rag.citations import Citation, CitedText
from app.rag.query import QueryAnalysis
from app.rag.sections import Section

PagesByProject = dict[int, tuple[str, int, int]]  # project id -> (document, page, document id) to cite
SECTOR_RE = re.compile(r"\bsector[\s-]*(\d{1,3}[a-z]?)\b", re.I)


def _first_pages(
    session: Session,
    tsquery: str,
    params: dict,
    fact_pattern: str | None = None,
    among: set[int] | None = None,
) -> PagesByProject:
    """For each project, the first (document, page) whose text matches ``tsquery`` — one indexed
    query over all projects, or over the projects ``among`` (plus sector facts, which also know
    "63A Gurugram" without "Sector")."""
    where = f"c.tsv @@ ({tsquery})"
    if among is not None:
        where += " AND c.project_id = ANY(:among)"
        params = {**params, "among": sorted(among)}
    rows = session.execute(
        text(
            "SELECT DISTINCT ON (c.project_id) c.project_id, d.source, c.page, d.id FROM chunks c "
            "JOIN documents d ON d.id = c.document_id "
            "JOIN projects p ON p.id = c.project_id AND p.archived_at IS NULL "
            f"WHERE {where} "  # noqa: S608 - bound
            "ORDER BY c.project_id, c.page"
        ),
        params,
    ).all()
    found = {project_id: (source, page, document_id) for project_id, source, page, document_id in rows}
    if fact_pattern:
        facts = session.execute(
            select(Fact.project_id, Document.source, Fact.page, Document.id)
            .join(Document, Document.id == Fact.document_id)
            .join(Project, Project.id == Fact.project_id)
            .where(Fact.key == "sector", Fact.value.op("~*")(fact_pattern), Project.archived_at.is_(None))
        ).all()
        for project_id, source, page, document_id in facts:
            if among is None or project_id in among:
                found.setdefault(project_id, (source, page, document_id))
    return found


_listing_lock = threading.Lock()
_listing_cache: OrderedDict[tuple, list[PagesByProject]] = OrderedDict()
LISTING_CACHE_SIZE = 256


def _catalog_version(session: Session) -> tuple:
    """Changes whenever a document or a fact is added, replaced or removed, or a project is
    archived or brought back."""
    return tuple(
        session.execute(
            text(
                "SELECT (SELECT count(*) FROM documents), (SELECT max(id) FROM documents), "
                "(SELECT count(*) FROM facts), (SELECT max(id) FROM facts), "
                "(SELECT string_agg(id::text, ',' ORDER BY id) FROM projects WHERE archived_at IS NOT NULL)"
            )
        ).one()
    )


def _listing_matches(session: Session, sector: str | None, bhk: str | None) -> list[PagesByProject]:
    """Per criterion (sector, then unit type), the projects that match it with a page to cite.

    The sector is looked up first: it names few projects, and the unit type is then searched
    in those only. Across every project "3 BHK" is printed on a large share of all pages, so
    those answers are kept (until the catalog changes) rather than searched again."""
    key = (_catalog_version(session), sector, bhk)
    with _listing_lock:
        if key in _listing_cache:
            _listing_cache.move_to_end(key)
            return _listing_cache[key]
    criteria: list[PagesByProject] = []
    among = None
    if sector:
        found = _first_pages(
            session,
            "phraseto_tsquery('english', :sector)",
            {"sector": f"sector {sector}"},
            rf"sector[\s-]*{re.escape(sector)}\y",  # \y: a word boundary in Postgres
        )
        criteria.append(found)
        among = set(found)
    if bhk and (among is None or among):
        digit = bhk[0]
        criteria.append(
            _first_pages(
                session,
                "plainto_tsquery('english', :joined) || phraseto_tsquery('english', :spaced)",
                {"joined": f"{digit}bhk", "spaced": f"{digit} bhk"},
                among=among,
            )
        )
    with _listing_lock:
        _listing_cache[key] = criteria
        while len(_listing_cache) > LISTING_CACHE_SIZE:
            _listing_cache.popitem(last=False)
    return criteria


def cross_project_answer(session: Session, analysis: QueryAnalysis) -> CitedText | None:
    """'Which projects have 4 BHK in Sector 63A?' answered across every project."""
    question = analysis.question.lower()
    if not re.search(r"\b(which|what|list|show|any)\b.*\bprojects?\b", question):
        return None
    sector = SECTOR_RE.search(question)
    if not sector and not analysis.bhk:
        return None
    criteria = _listing_matches(session, sector.group(1).lower() if sector else None, analysis.bhk)
    project_ids = set.intersection(*(set(found) for found in criteria))
    if not project_ids:
        return None
    names = dict(session.execute(select(Project.id, Project.name).where(Project.id.in_(project_ids))).all())
    # A brochure file holding two projects: the one whose pages match is named too (its parts
    # were found at ingest).
    cited = {criteria[0][pid][2] for pid in project_ids}
    parts = dict(session.execute(select(Document.id, Document.parts).where(Document.id.in_(cited))).all())
    for pid in project_ids:
        _, page, document_id = criteria[0][pid]
        bound = [Section.from_stored(document_id, part) for part in parts.get(document_id) or ()]
        part = next((s for s in bound if s.holds(document_id, page)), None)
        if part is not None and part.title:
            names[pid] = f"{names[pid]} ({part.title})"
    ordered = sorted(project_ids, key=lambda pid: names[pid])
    citations = [Citation(*found[pid][:2]) for pid in ordered for found in criteria]
    parts = [
        f"with {analysis.bhk.upper()}" if analysis.bhk else "",
        f"in Sector {sector.group(1).upper()}" if sector else "",
    ]
    return f"Projects {' '.join(filter(None, parts))}: {', '.join(names[pid] for pid in ordered)}.", citations
