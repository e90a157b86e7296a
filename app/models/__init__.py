"""SQLAlchemy models, one module per aggregate; imported here so Alembic sees every table."""

from app.models.catalog import Chunk, Document, DocumentTable, Fact, Project
from app.models.leads import Activity, InboundEvent, Lead, Message, OutboxEvent

__all__ = [
    "Activity",
    "Chunk",
    "Document",
    "DocumentTable",
    "Fact",
    "InboundEvent",
    "Lead",
    "Message",
    "OutboxEvent",
    "Project",
]
