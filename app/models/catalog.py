"""The brochure catalog: projects, their source documents, and what ingestion derives from them.

A document's pages become chunks (searched by full text and by vector), tables (payment plans,
price lists, unit areas) and facts (key/value with the page they came from). Everything derived
from a document is deleted with it, so a changed brochure is replaced in one transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    Computed,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.columns import Timestamp

# Vector indexes are partial expression indexes per embedding width, so the offline embedder
# (384) and OpenAI's text-embedding-3-small (1536) can each be indexed with HNSW.
EMBEDDING_DIMENSIONS = (384, 1536)


class Project(db.Model):
    """A real-estate project the bot can answer about."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    aliases: Mapped[list[str]] = mapped_column(ARRAY(String(200)), default=list, server_default="{}")
    city: Mapped[str | None] = mapped_column(String(100))
    locality: Mapped[str | None] = mapped_column(String(200))
    developer: Mapped[str | None] = mapped_column(String(200))
    rera_number: Mapped[str | None] = mapped_column(String(200))
    # Archived by the partner: neither answered nor offered to investors; its brochures are kept.
    archived_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())

    documents: Mapped[list[Document]] = relationship(back_populates="project")

    def __repr__(self) -> str:
        return f"<Project {self.name!r}>"


class Document(db.Model):
    """One ingested source file (a brochure PDF or its page-level JSONL)."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("project_id", "source", name="uq_documents_project_source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    page_count: Mapped[int] = mapped_column(Integer)
    image_only_pages: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list, server_default="{}")
    # Pages with no text layer whose text was read by OCR (a citation of one can say so)
    ocr_pages: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list, server_default="{}")
    # The text reader and fact extractor that read the file (see app.rag.ingest.DOCUMENT_VERSION)
    facts_version: Mapped[str | None] = mapped_column(String(16))
    # The brochures bound in the file, found at ingest (see app.rag.sections); None: not looked into
    parts: Mapped[list[dict] | None] = mapped_column(JSONB)
    ingested_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())

    project: Mapped[Project] = relationship(back_populates="documents")


class WidgetSite(db.Model):
    """A developer's site whose pages show the chat widget for a project (seen from the pages
    that opened it), for the partner's projects page."""

    __tablename__ = "widget_sites"
    __table_args__ = (UniqueConstraint("project_id", "origin", name="uq_widget_sites_project_origin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    origin: Mapped[str] = mapped_column(String(200))
    first_seen: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    last_seen: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


class DocumentVersion(db.Model):
    """An earlier version of a brochure, replaced by a newer file of the same name: kept as a
    record (what it was and when) for the partner's projects page; its text is gone."""

    __tablename__ = "document_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    page_count: Mapped[int] = mapped_column(Integer)
    ingested_at: Mapped[datetime] = mapped_column(Timestamp)
    replaced_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


class IngestJob(db.Model):
    """A brochure the partner uploaded, read by a worker (``app.rag.uploads``): the file until it
    is read, and how far reading it got, for the page that shows the progress."""

    __tablename__ = "ingest_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_name: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(300))
    size_bytes: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)  # dropped once read
    # queued → reading → storing → done, or failed (with ``error``)
    status: Mapped[str] = mapped_column(String(20), default="queued", server_default="queued")
    pages: Mapped[int | None] = mapped_column(Integer)
    ocr_pages: Mapped[int | None] = mapped_column(Integer)  # pages with no text layer, read by OCR
    chunks: Mapped[int | None] = mapped_column(Integer)
    facts: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[str | None] = mapped_column(String(40))  # added, replaced, unchanged…
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp)


class DocumentFile(db.Model):
    """The brochure PDF a document was read from, kept to send to investors (as a WhatsApp
    document or a download link in the website chat). A row of its own, so reading documents
    never loads the bytes; it goes with its document."""

    __tablename__ = "document_files"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    filename: Mapped[str] = mapped_column(String(300))
    size_bytes: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())

    document: Mapped[Document] = relationship()


class Chunk(db.Model):
    """A passage of one page (chunks never cross pages, so every citation is exact)."""

    __tablename__ = "chunks"
    __table_args__ = (
        Index("ix_chunks_tsv", "tsv", postgresql_using="gin"),
        Index("ix_chunks_project_page", "project_id", "page"),
        *(
            Index(
                f"ix_chunks_embedding_hnsw_{dim}",
                text(f"(embedding::vector({dim}))"),
                postgresql_using="hnsw",
                postgresql_ops={f"(embedding::vector({dim}))": "vector_cosine_ops"},
                postgresql_where=text(f"embedding_dim = {dim}"),
            )
            for dim in EMBEDDING_DIMENSIONS
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    page: Mapped[int] = mapped_column(Integer)
    ordinal: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    tsv: Mapped[Any] = mapped_column(
        TSVECTOR, Computed("to_tsvector('english'::regconfig, text)", persisted=True)
    )
    embedding: Mapped[Any] = mapped_column(Vector())
    embedder: Mapped[str] = mapped_column(String(100))
    embedding_dim: Mapped[int] = mapped_column(Integer)


class DocumentTable(db.Model):
    """A table found on a page: payment plan, price list, unit areas, specifications…"""

    __tablename__ = "document_tables"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    page: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    caption: Mapped[str] = mapped_column(Text, default="")
    rows: Mapped[list[list[str]]] = mapped_column(JSONB)


class Fact(db.Model):
    """A key/value fact about a project, extracted from a page or curated by the team."""

    __tablename__ = "facts"
    __table_args__ = (Index("ix_facts_project_key", "project_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(120))
    value: Mapped[str] = mapped_column(Text)
    page: Mapped[int | None] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(20))  # "extracted" | "curated"
    updated_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now(), onupdate=func.now())

    document: Mapped[Document | None] = relationship()
