"""Brochure ingestion: parse every file first, then write each document in one transaction.

Re-ingesting the same bytes adds nothing; a changed file replaces its previous version (the old
document and everything derived from it are deleted in the same transaction as the insert).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.models import Chunk, Document, DocumentFile, DocumentTable, DocumentVersion, Fact, Project
from app.rag import chunking, cleanup, ocr, readers, tables, word_breaks
from app.rag.chunking import chunk_page
from app.rag.embed import Embedder
from app.rag.facts import FACTS_VERSION, extract_facts
from app.rag.readers import IngestError, SourceDocument, read_document
from app.rag.sections import find_sections

log = logging.getLogger(__name__)

_Row = TypeVar("_Row", Chunk, DocumentTable, Fact)

SUPPORTED_SUFFIXES = (".pdf", ".jsonl")


def _reader_version() -> str:
    """A fingerprint of the code that turns a file into page text and chunks: when it changes,
    files already ingested are read again on their next ingest."""
    digest = hashlib.sha256()
    modules = (readers, cleanup, chunking, tables, ocr, word_breaks)
    for module in (module.__file__ for module in modules):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()[:8]


READ_VERSION = _reader_version()
# What a document records of the code that read it: the reader's fingerprint, then the fact
# extractor's.
DOCUMENT_VERSION = READ_VERSION + FACTS_VERSION[:8]


@dataclass
class ParsedFile:
    """A source file read and validated, ready to be written."""

    path: Path
    sha256: str
    document: SourceDocument
    # The brochure PDF to keep for sending: the file itself, or the PDF beside a JSONL
    # transcription of the same name (see ``expand_paths``).
    pdf: Path | None = None


@dataclass
class IngestResult:
    """What ingesting one file did."""

    source: str
    status: str  # "added" | "replaced" | "unchanged" | "facts refreshed" | "text refreshed"
    pages: int = 0
    chunks: int = 0
    tables: int = 0
    facts: int = 0
    image_only_pages: list[int] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)  # pages read by OCR (no text layer)


def slugify(name: str) -> str:
    """Lower-case URL-safe slug of a project name."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "project"


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files to ingest: each given file, and every PDF/JSONL inside given directories."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES))
        elif path.is_file():
            files.append(path)
        else:
            raise IngestError(path, None, "no such file or directory")
    if not files:
        raise IngestError(Path(*[str(p) for p in paths][:1] or ["."]), None, "no PDF or JSONL files found")
    # A PDF beside a JSONL of the same name is the brochure that JSONL transcribes: it is kept to
    # send (parse_file), not read a second time.
    transcribed = {f.with_suffix(".pdf") for f in files if f.suffix.lower() == ".jsonl"}
    return [f for f in files if f not in transcribed]


def parse_file(path: Path) -> ParsedFile:
    """Read and validate one file; raises :class:`IngestError` naming the file and line/page."""
    data = path.read_bytes()
    if not data.strip():
        raise IngestError(path, None, "the file is empty")
    beside = path.with_suffix(".pdf")
    pdf = path if path.suffix.lower() == ".pdf" else (beside if beside.is_file() else None)
    return ParsedFile(path, hashlib.sha256(data).hexdigest(), read_document(path), pdf)


def parse_files(paths: Iterable[Path]) -> Iterator[ParsedFile]:
    """Parse files one by one (a generator, so callers can show progress)."""
    for path in paths:
        yield parse_file(path)


def get_or_create_project(session: Session, name: str) -> Project:
    """Find a project by name (case-insensitive) or create it."""
    name = name.strip()
    if not name:
        raise ValueError("a project name is required (use --project NAME)")
    project = session.scalar(select(Project).where(func.lower(Project.name) == name.lower()))
    if project is None:
        project = Project(name=name, slug=slugify(name), aliases=[])
        session.add(project)
        session.flush()
    return project


def _refresh_facts(
    session: Session, project: Project, document: Document, parsed: ParsedFile
) -> IngestResult:
    """The same file read by an older fact extractor: its extracted facts are read again (chunks,
    tables and curated facts stay as they are)."""
    session.execute(delete(Fact).where(Fact.document_id == document.id, Fact.origin == "extracted"))
    facts = [
        _derived_row(Fact, document, origin="extracted", **asdict(fact))
        for fact in extract_facts(parsed.document)
    ]
    session.add_all(facts)
    document.facts_version = DOCUMENT_VERSION
    session.flush()
    _fill_project_profile(session, project)
    return IngestResult(document.source, "facts refreshed", pages=document.page_count, facts=len(facts))


def _parts(document_id: int, doc: SourceDocument) -> list[dict]:
    return [
        part.stored() for part in find_sections(document_id, {page.number: page.text for page in doc.pages})
    ]


def store_document(
    session: Session, project: Project, parsed: ParsedFile, embedder: Embedder
) -> IngestResult:
    """Write one parsed file for ``project`` (caller commits). Idempotent by content hash."""
    doc = parsed.document
    result = _store_document(session, project, parsed, embedder)
    document = session.scalar(
        select(Document).where(Document.project_id == project.id, Document.source == doc.source)
    )
    if parsed.pdf is not None and document is not None:
        keep_pdf(session, document, parsed.pdf)
    return result


def keep_pdf(session: Session, document: Document, pdf: Path) -> None:
    """Store (or replace) the brochure PDF ``document`` was read from, for sending."""
    content = pdf.read_bytes()
    stored = session.get(DocumentFile, document.id)
    if stored is not None and stored.content == content:
        return
    if stored is None:
        stored = DocumentFile(document_id=document.id)
        session.add(stored)
    stored.filename, stored.size_bytes, stored.content = pdf.name, len(content), content
    session.flush()


def _store_document(
    session: Session, project: Project, parsed: ParsedFile, embedder: Embedder
) -> IngestResult:
    doc = parsed.document
    same_bytes = session.scalar(
        select(Document).where(Document.project_id == project.id, Document.sha256 == parsed.sha256)
    )
    if same_bytes is not None and same_bytes.parts is None:  # ingested before parts were found
        same_bytes.parts = _parts(same_bytes.id, doc)
    if same_bytes is not None:
        if same_bytes.facts_version == DOCUMENT_VERSION:
            return IngestResult(doc.source, "unchanged", pages=same_bytes.page_count)
        if (same_bytes.facts_version or "").startswith(READ_VERSION):
            return _refresh_facts(session, project, same_bytes, parsed)
    # The same file read by an older reader is read again whole, as a changed file would be
    # (and a file of that name holding other bytes is replaced with it).
    by_name = session.scalar(
        select(Document).where(Document.project_id == project.id, Document.source == doc.source)
    )
    if same_bytes is not None and by_name is not None and by_name.id != same_bytes.id:
        session.delete(by_name)
        session.flush()
    previous = same_bytes or by_name
    status = "added"
    curated: list[int] = []
    if previous is not None:
        # Curated facts are the team's work, not derived from the file: detach them so the
        # cascade below spares them, and point them at the new version once it exists.
        curated = list(
            session.scalars(select(Fact.id).where(Fact.document_id == previous.id, Fact.origin == "curated"))
        )
        if curated:
            session.execute(update(Fact).where(Fact.id.in_(curated)).values(document_id=None))
        status = "text refreshed" if previous is same_bytes else "replaced"
        if status == "replaced":  # the partner's projects page lists a brochure's earlier versions
            session.add(
                DocumentVersion(
                    project_id=project.id,
                    source=previous.source,
                    sha256=previous.sha256,
                    page_count=previous.page_count,
                    ingested_at=previous.ingested_at,
                )
            )
        session.delete(previous)  # chunks, tables, extracted facts go too (ON DELETE CASCADE)
        session.flush()

    image_only = [page.number for page in doc.pages if page.image_only]
    ocr_pages = [page.number for page in doc.pages if page.ocr]
    document = Document(
        project_id=project.id,
        source=doc.source,
        sha256=parsed.sha256,
        facts_version=DOCUMENT_VERSION,
        page_count=len(doc.pages),
        image_only_pages=image_only,
        ocr_pages=ocr_pages,
    )
    session.add(document)
    session.flush()
    # Brochures bound in the file, found once here so a listing can name them without reading it.
    document.parts = _parts(document.id, doc)
    if curated:
        _reattach_curated_facts(session, curated, document)
    result = IngestResult(
        doc.source, status, pages=len(doc.pages), image_only_pages=image_only, ocr_pages=ocr_pages
    )

    chunk_rows = [
        (page.number, ordinal, text) for page in doc.pages for ordinal, text in enumerate(chunk_page(page))
    ]
    vectors = embedder.embed([text for _, _, text in chunk_rows]) if chunk_rows else []
    chunks = [
        _derived_row(
            Chunk,
            document,
            page=page,
            ordinal=ordinal,
            text=text,
            embedding=vector,
            embedder=embedder.name,
            embedding_dim=embedder.dimension,
        )
        for (page, ordinal, text), vector in zip(chunk_rows, vectors, strict=True)
    ]
    tables = [
        _derived_row(
            DocumentTable, document, page=page.number, kind=table.kind, caption=table.caption, rows=table.rows
        )
        for page in doc.pages
        for table in page.tables
    ]
    facts = [
        _derived_row(Fact, document, origin="extracted", **asdict(fact))  # key, value, page, evidence
        for fact in extract_facts(doc)
    ]
    session.add_all(chunks + tables + facts)
    result.chunks, result.tables, result.facts = len(chunks), len(tables), len(facts)
    session.flush()
    _fill_project_profile(session, project)
    return result


def _derived_row(model: type[_Row], document: Document, **columns: object) -> _Row:
    """A chunk, table or fact read from ``document``: it carries the ids of the document and of
    its project, so it goes when either is deleted."""
    return model(document_id=document.id, project_id=document.project_id, **columns)


def _reattach_curated_facts(session: Session, fact_ids: list[int], document: Document) -> None:
    """Point curated facts at the new version; a page it no longer has is dropped, not the fact."""
    session.execute(update(Fact).where(Fact.id.in_(fact_ids)).values(document_id=document.id))
    beyond = (Fact.id.in_(fact_ids), Fact.page > document.page_count)
    gone = session.scalars(select(Fact.key).where(*beyond)).all()
    if gone:
        log.warning(
            "%s now has %d pages; curated facts %s lost their page citation",
            document.source,
            document.page_count,
            ", ".join(gone),
        )
        session.execute(update(Fact).where(*beyond).values(page=None))


_PROFILE_FIELDS = {
    "rera_number": "rera_number",
    "developer": "developer",
    "city": "city",
    "sector": "locality",
}


def _fill_project_profile(session: Session, project: Project) -> None:
    """Fill empty project fields from the first fact of the matching key."""
    for key, attribute in _PROFILE_FIELDS.items():
        if getattr(project, attribute):
            continue
        value = session.scalar(
            select(Fact.value)
            .where(Fact.project_id == project.id, Fact.key == key)
            .order_by(Fact.origin.desc(), Fact.page, Fact.id)
            .limit(1)
        )
        if value:
            setattr(project, attribute, value[:200])


def index_embedder(session: Session) -> str | None:
    """Name of the embedder the stored chunks were built with (None when there are none)."""
    return session.scalar(select(Chunk.embedder).limit(1))


def reembed_all(session: Session, embedder: Embedder, batch_size: int = 256) -> int:
    """Re-embed every chunk with ``embedder`` so the index never mixes embedders."""
    ids = session.scalars(select(Chunk.id).where(Chunk.embedder != embedder.name).order_by(Chunk.id)).all()
    for start in range(0, len(ids), batch_size):
        batch = session.execute(
            select(Chunk.id, Chunk.text).where(Chunk.id.in_(ids[start : start + batch_size]))
        ).all()
        vectors = embedder.embed([text for _, text in batch])
        for (chunk_id, _), vector in zip(batch, vectors, strict=True):
            session.execute(
                update(Chunk)
                .where(Chunk.id == chunk_id)
                .values(embedding=vector, embedder=embedder.name, embedding_dim=embedder.dimension)
            )
    return len(ids)


def delete_project_documents(session: Session, project: Project) -> None:
    """Remove every document of ``project`` (and what was derived from them)."""
    session.execute(delete(Document).where(Document.project_id == project.id))
