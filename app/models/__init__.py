"""SQLAlchemy models, one module per aggregate; imported here so Alembic sees every table."""

from app.models.catalog import Chunk, Document, DocumentTable, Fact, Project

__all__ = ["Chunk", "Document", "DocumentTable", "Fact", "Project"]
