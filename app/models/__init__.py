"""SQLAlchemy models, one module per aggregate; imported here so Alembic sees every table."""

from app.models.catalog import Chunk, Document, DocumentTable, Fact, Project
from app.models.leads import Activity, EarlyStatus, InboundEvent, Lead, Message, OutboxEvent
from app.models.portal import Alert, Deal, Notification, RevenueTarget, User
from app.models.sync import AirtableRecord, SyncState

__all__ = [
    "Alert",
    "Activity",
    "AirtableRecord",
    "Chunk",
    "Deal",
    "Document",
    "DocumentTable",
    "EarlyStatus",
    "Fact",
    "InboundEvent",
    "Lead",
    "Message",
    "Notification",
    "OutboxEvent",
    "Project",
    "RevenueTarget",
    "SyncState",
    "User",
]
