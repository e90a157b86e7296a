"""The catalogue as the partner runs it: projects (names investors use, location, archived or
not), their brochures, and the facts read from them, which the partner corrects, confirms or
removes (a curated fact wins over what was read: ``app.rag.curation``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from app.models import Document, DocumentFile, DocumentVersion, Fact, Project, WidgetSite
from app.portal.pipeline import PortalError
from app.rag.curation import set_curated_fact

MAX_ALIASES = 10


@dataclass(frozen=True)
class ProjectRow:
    project: Project
    documents: list[Document]
    kept_pdfs: set[int]  # ids of the documents whose PDF is kept (sendable)
    facts: int
    versions: list[DocumentVersion]  # earlier versions of its brochures, newest first
    sites: list[WidgetSite]  # the developers' sites that show its chat


def project_rows(session: Session) -> list[ProjectRow]:
    """Every project, active first, with its documents, their earlier versions and how many
    facts it has."""
    projects = list(
        session.scalars(
            select(Project)
            .options(joinedload(Project.documents))
            .order_by(Project.archived_at.is_not(None), Project.name)
        ).unique()
    )
    facts = dict(
        session.execute(
            select(Fact.project_id, func.count())
            .where(~Fact.key.startswith("answer:"))  # the team's answers are on the unanswered page
            .group_by(Fact.project_id)
        ).all()
    )
    kept = kept_pdfs(session)
    versions: dict[int, list[DocumentVersion]] = {}
    for version in session.scalars(select(DocumentVersion).order_by(DocumentVersion.replaced_at.desc())):
        versions.setdefault(version.project_id, []).append(version)
    sites: dict[int, list[WidgetSite]] = {}
    for site in session.scalars(select(WidgetSite).order_by(WidgetSite.last_seen.desc())):
        sites.setdefault(site.project_id, []).append(site)
    return [
        ProjectRow(
            p,
            sorted(p.documents, key=lambda d: d.ingested_at, reverse=True),
            kept,
            facts.get(p.id, 0),
            versions.get(p.id, []),
            sites.get(p.id, []),
        )
        for p in projects
    ]


def kept_pdfs(session: Session) -> set[int]:
    """Ids of the documents whose PDF is kept (to send, and to show a page of)."""
    return set(session.scalars(select(DocumentFile.document_id)))


def update_project(
    session: Session, project: Project, *, aliases: str, city: str, locality: str, developer: str
) -> None:
    """The names investors use for it (comma-separated) and where it is (caller commits)."""
    names = [" ".join(a.split())[:200] for a in aliases.split(",") if a.strip()]
    if len(names) > MAX_ALIASES:
        raise PortalError(f"Give at most {MAX_ALIASES} other names.")
    taken = {name.lower() for name in session.scalars(select(Project.name).where(Project.id != project.id))}
    clash = next((a for a in names if a.lower() in taken), None)
    if clash:
        raise PortalError(f"“{clash}” is the name of another project.")
    project.aliases = list(dict.fromkeys(names))
    project.city = city.strip()[:100] or None
    project.locality = locality.strip()[:200] or None
    project.developer = developer.strip()[:200] or None


def set_archived(project: Project, archived: bool) -> None:
    """Archive (no longer answered or offered) or bring back a project (caller commits)."""
    project.archived_at = datetime.now(UTC) if archived else None


def project_facts(session: Session, project: Project) -> list[Fact]:
    """Its facts, curated ones first within a key, by key and page (team answers aside)."""
    return list(
        session.scalars(
            select(Fact)
            .options(joinedload(Fact.document))
            .where(Fact.project_id == project.id, ~Fact.key.startswith("answer:"))
            .order_by(Fact.key, Fact.origin != "curated", Fact.page, Fact.id)
        )
    )


def confirm_fact(session: Session, fact: Fact, value: str | None = None) -> Fact:
    """Keep ``fact`` (with ``value`` when corrected) as a curated fact on the same page; the
    curated one wins over what the brochure reader finds (caller commits)."""
    value = (value if value is not None else fact.value).strip()
    if not value:
        raise PortalError("A fact needs a value; delete it instead.")
    document = fact.document.source if fact.document else None
    try:
        project = session.get(Project, fact.project_id)
        return set_curated_fact(session, project, fact.key, value, page=fact.page, document=document)
    except ValueError as error:
        raise PortalError(str(error)) from error


def delete_fact(session: Session, fact: Fact) -> None:
    """Remove a fact (caller commits). One read from a brochure comes back when that brochure
    is read again; a curated one is gone."""
    session.delete(fact)


PREVIEW_SCALE = 0.75  # about 450 px wide for an A4 page: enough to check a figure against


def page_preview(session: Session, project: Project, document_id: int, page: int) -> bytes | None:
    """A PNG of one page of the project's kept brochure PDF, to check a fact against; None when
    there is no such page or no PDF was kept (a JSONL-only brochure)."""
    import io

    import pypdfium2 as pdfium

    document = session.get(Document, document_id)
    stored = (
        session.get(DocumentFile, document_id) if document and document.project_id == project.id else None
    )
    if stored is None or not 1 <= page <= document.page_count:
        return None
    pdf = pdfium.PdfDocument(stored.content)
    try:
        if page > len(pdf):
            return None
        image = pdf[page - 1].render(scale=PREVIEW_SCALE).to_pil()
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        return buffer.getvalue()
    finally:
        pdf.close()
