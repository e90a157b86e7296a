"""The structured answer routes: curated/extracted facts, whole tables, and cross-project SQL."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.models import Document, DocumentTable, Fact, Project
from app.rag.query import QueryAnalysis
from app.rag.retrieve import CorpusStats, PageHit

if TYPE_CHECKING:
    from app.rag.answer import Citation

# (intent or None, question pattern, fact key, sentence template)
FACT_RULES: list[tuple[str | None, str, str, str]] = [
    (
        "rera",
        r"\b(h?rera|registration)\b.*\b(no|number|id)\b"
        r"|\bh?rera (registered|registration)\b|\bregistered with\b",
        "rera_number",
        "The RERA registration number is {value}.",
    ),
    ("developer", r"", "developer", "The developer is {value}."),
    ("possession", r"\bwhen\b|\bdate\b|\bexpected\b", "possession", "Possession: {value}."),
    ("count", r"\btowers?\b", "towers", "Towers: {value}."),
    ("count", r"\b(units|apartments|homes|residences)\b", "units", "Units: {value}."),
    ("count", r"\b(floors|storeys|stories)\b", "floors", "Floors: {value}."),
    ("location", r"\b(where|located|location|address)\b", "location", "Location: {value}."),
    (
        None,
        r"\b(unit types|configurations?|typolog\w*|unit mix|bhk options|types of (units|apartments|homes))\b",
        "unit_types",
        "Unit types: {value}.",
    ),
    ("location", r"\bsector\b", "sector", "It is in {value}."),
    (
        "area",
        r"\b(land|site|plot) (area|size)\b|\bhow big is the (project|land|site)\b|\bproject land\b",
        "land_area",
        "Land area: {value}.",
    ),
    ("area", r"\bclub(house)?\b", "club_size", "Clubhouse: {value}."),
    ("area", r"\bcarpet\b", "carpet_area", "Carpet area: {value}."),
]

TABLE_KIND_WORDS = {
    "payment",
    "plan",
    "price",
    "list",
    "schedule",
    "pricing",
    "cost",
    "sheet",
    "structure",
    "detail",
}
PLAN_NAMES = {"clp": ("clp", "construction linked"), "plp": ("plp", "possession linked", "posession linked")}


def _citation(document: str, page: int) -> Citation:
    from app.rag.answer import Citation

    return Citation(document, page)


def _settle(facts: list[Fact]) -> Fact | None:
    """One fact from candidates: the only value, a list holding all the others, or the values
    of one page together ("128.68 sq m / 1385 sq ft"); None when they disagree."""
    values = {f.value.strip().lower() for f in facts}
    if len(values) == 1:
        return facts[0]
    if not facts:
        return None
    as_sets = [({v.strip() for v in f.value.lower().split(",")}, f) for f in facts]
    widest = max(as_sets, key=lambda item: len(item[0]))
    if all(other <= widest[0] for other, _ in as_sets):
        return widest[1]
    pages = {(f.document_id, f.page) for f in facts}
    if len(pages) == 1:
        merged = Fact(
            key=facts[0].key,
            value=" / ".join(dict.fromkeys(f.value.strip() for f in facts)),
            page=facts[0].page,
            origin=facts[0].origin,
        )
        merged.document = facts[0].document
        return merged
    return None


def _unit_facts(session: Session, project_id: int, analysis: QueryAnalysis) -> list[Fact]:
    """Carpet-area facts of the unit the question names ("3 BHK Type B")."""
    if not analysis.bhk:
        return []
    wanted = analysis.bhk.upper()
    facts = session.scalars(
        select(Fact)
        .where(Fact.project_id == project_id, Fact.key.like("carpet_area:%"))
        .order_by(Fact.page, Fact.id)
    ).all()
    matching = []
    for fact in facts:
        unit = fact.key.split(":", 1)[1].upper()
        if not unit.replace(" ", "").startswith(wanted):
            continue
        variant = re.search(r"TYPE\s*([A-Z0-9]+)", unit)
        if analysis.unit_variant and (
            not variant or variant.group(1).lower().lstrip("0") != analysis.unit_variant.lstrip("0")
        ):
            continue
        if not analysis.unit_variant and "+" in unit and "+" not in analysis.question:
            continue
        matching.append(fact)
    return matching


def _facts(session: Session, project_id: int, key: str) -> list[Fact]:
    query = (
        select(Fact)
        .where(Fact.project_id == project_id, Fact.key == key)
        .order_by(Fact.origin.asc(), Fact.page, Fact.id)  # "curated" sorts before "extracted"
    )
    return list(session.scalars(query))


def fact_answer(
    session: Session, analysis: QueryAnalysis, project_id: int, stats: CorpusStats | None = None
) -> tuple[str, list] | None:
    """Answer from a single unambiguous fact, curated facts first.

    When a brochure holds several projects (several values for one key), names in the
    question ("Royal Residences") pick the value printed in that project's pages.
    """
    question = analysis.question.lower()
    for intent, pattern, key, template in FACT_RULES:
        if intent and intent not in analysis.intents:
            continue
        if pattern and not re.search(pattern, question):
            continue
        facts = _facts(session, project_id, key)
        curated = [f for f in facts if f.origin == "curated"]
        if key == "carpet_area":
            facts = _unit_facts(session, project_id, analysis)
        chosen = curated[:1] or facts
        brand = (
            stats.rarest([t.tokens[0] for t in analysis.terms if t.brand and len(t.tokens) == 1])
            if stats
            else None
        )
        if len(chosen) > 1 and brand:
            chosen = [f for f in chosen if f.page and stats.near(brand, f.page)] or chosen
        chosen = _settle(chosen)
        if chosen is None:
            continue  # nothing known, or several different values: let the documents decide
        fact = chosen
        citations = []
        if fact.page is not None and fact.document is not None:
            citations = [_citation(fact.document.source, fact.page)]
        elif fact.page is not None:
            continue  # a curated fact without a document cannot be cited by page
        body = template.format(value=fact.value.strip().rstrip("."))
        if not citations:
            body += " (confirmed by our team)"
        return body, citations
    return None


def _table_for(session: Session, hits: list[PageHit], kinds: tuple[str, ...], plan_hint: str | None):
    candidates = []
    for rank, hit in enumerate(hits):
        tables = session.scalars(
            select(DocumentTable)
            .join(Document, Document.id == DocumentTable.document_id)
            .where(
                DocumentTable.project_id == hit.project_id,
                DocumentTable.page == hit.page,
                Document.source == hit.document,
                DocumentTable.kind.in_(kinds),
            )
        ).all()
        for table in tables:
            bonus = 0
            if plan_hint:
                context = (table.caption + " " + hit.text[:300]).lower()
                bonus = -10 if any(name in context for name in PLAN_NAMES[plan_hint]) else 0
            candidates.append((bonus + rank, table, hit))
    return min(candidates, key=lambda c: c[0])[1:] if candidates else None


def render_table(caption: str, rows: list[list[str]]) -> str:
    """A table as WhatsApp-friendly lines: 'Milestone: value'."""
    lines = [caption.strip().rstrip(":") + ":"] if caption.strip() else []
    if len(rows) > 2 and not any(re.search(r"\d", cell or "") for cell in rows[0]):
        rows = rows[1:]  # a header row ("Milestone | Amount") says nothing on WhatsApp
    for row in rows:
        cells = [c.strip() for c in row if c and c.strip()]
        if not cells:
            continue
        if len(cells) == 1:
            lines.append(cells[0])
        else:
            lines.append(f"• {' '.join(cells[:-1])}: {cells[-1]}")
    return "\n".join(lines)


def table_answer(session: Session, analysis: QueryAnalysis, hits: list[PageHit]) -> tuple[str, list] | None:
    """A whole payment plan or price list, when the question asks for the table itself."""
    question = analysis.question.lower()
    if re.search(r"payment (plan|schedule)|\b(clp|plp)\b|linked plan", question):
        kinds: tuple[str, ...] = ("payment_plan",)
    elif re.search(r"price (list|sheet)|pricing", question):
        kinds = ("price_list",)
    else:
        return None
    specific = [
        t
        for t in analysis.terms
        if not t.optional
        and len(t.tokens) == 1
        and t.tokens[0] not in TABLE_KIND_WORDS
        and t.tokens[0] not in {"clp", "plp", "linked", "construction", "possession"}
    ]
    if specific:
        return None  # a question about one row ("booking amount") is answered line by line
    plan_hint = next((name for name, words in PLAN_NAMES.items() if any(w in question for w in words)), None)
    found = _table_for(session, hits, kinds, plan_hint)
    if not found:
        return None
    table, hit = found
    return render_table(table.caption, table.rows), [_citation(hit.document, hit.page)]


PagesByProject = dict[int, tuple[str, int]]  # project id -> (document, page) to cite
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
            "SELECT DISTINCT ON (c.project_id) c.project_id, d.source, c.page FROM chunks c "
            f"JOIN documents d ON d.id = c.document_id WHERE {where} "  # noqa: S608 - bound
            "ORDER BY c.project_id, c.page"
        ),
        params,
    ).all()
    found = {project_id: (source, page) for project_id, source, page in rows}
    if fact_pattern:
        facts = session.execute(
            select(Fact.project_id, Document.source, Fact.page)
            .join(Document, Document.id == Fact.document_id)
            .where(Fact.key == "sector", Fact.value.op("~*")(fact_pattern))
        ).all()
        for project_id, source, page in facts:
            if among is None or project_id in among:
                found.setdefault(project_id, (source, page))
    return found


_listing_lock = threading.Lock()
_listing_cache: OrderedDict[tuple, list[PagesByProject]] = OrderedDict()
LISTING_CACHE_SIZE = 256


def _catalog_version(session: Session) -> tuple:
    """Changes whenever a document or a fact is added, replaced or removed."""
    return tuple(
        session.execute(
            text(
                "SELECT (SELECT count(*) FROM documents), (SELECT max(id) FROM documents), "
                "(SELECT count(*) FROM facts), (SELECT max(id) FROM facts)"
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


def cross_project_answer(session: Session, analysis: QueryAnalysis) -> tuple[str, list] | None:
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
    ordered = sorted(project_ids, key=lambda pid: names[pid])
    citations = [_citation(*found[pid]) for pid in ordered for found in criteria]
    parts = [
        f"with {analysis.bhk.upper()}" if analysis.bhk else "",
        f"in Sector {sector.group(1).upper()}" if sector else "",
    ]
    return f"Projects {' '.join(filter(None, parts))}: {', '.join(names[pid] for pid in ordered)}.", citations
