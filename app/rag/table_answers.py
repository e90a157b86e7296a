"""The tables route: a whole payment plan or price list when the question asks for the table."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Document, DocumentTable
from app.rag.citations import Citation, CitedText
from app.rag.query import QueryAnalysis
from app.rag.retrieve import PageHit
from app.rag.sections import Section

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


# "What payment plans are offered?", "which payment plan options": the plans, not one plan's rows.
PLANS_RE = re.compile(
    r"\bpayment plans\b|\bplans? (?:are |is )?(?:offered|available|on offer)\b|\bplan options\b"
)


def _plans_offered(session: Session, hits: list[PageHit], within: Section | None) -> CitedText | None:
    """The names of the payment plans a project's brochures (or the part of a bound file
    ``within``) print, each with its page; None when they print fewer than two."""
    project_id = hits[0].project_id
    tables = session.execute(
        select(DocumentTable.caption, DocumentTable.page, Document.source, Document.id)
        .join(Document, Document.id == DocumentTable.document_id)
        .where(DocumentTable.project_id == project_id, DocumentTable.kind == "payment_plan")
        .order_by(Document.id, DocumentTable.page, DocumentTable.id)
    ).all()
    named = list(
        {
            caption.strip().lower(): (caption.strip().rstrip(":"), page, source)
            for caption, page, source, document_id in tables
            if caption.strip() and (within is None or within.holds(document_id, page))
        }.values()
    )
    if len(named) < 2:
        return None
    lines = ["Payment plans in the brochure:", *(f"• {caption} (p.{page})" for caption, page, _ in named)]
    citations: list[Citation] = []
    for _, page, source in named:
        citations.extend([Citation(source, page)] if Citation(source, page) not in citations else [])
    return "\n".join(lines), citations


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


def table_answer(
    session: Session, analysis: QueryAnalysis, hits: list[PageHit], within: Section | None = None
) -> CitedText | None:
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
    if kinds == ("payment_plan",) and not plan_hint and PLANS_RE.search(question) and hits:
        offered = _plans_offered(session, hits, within)
        if offered is not None:
            return offered
    found = _table_for(session, hits, kinds, plan_hint)
    if not found:
        return None
    table, hit = found
    return render_table(table.caption, table.rows), [Citation(hit.document, hit.page)]
