"""SQLAlchemy models, one module per aggregate; imported here so Alembic sees every table."""

from app.models.catalog import (
    Chunk,
    Document,
    DocumentFile,
    DocumentTable,
    DocumentVersion,
    Fact,
    IngestJob,
    Project,
    WidgetSite,
)
from app.models.leads import Activity, EarlyStatus, InboundEvent, Lead, Message, OutboxEvent
from app.models.portal import Alert, AuditEvent, CannedReply, Deal, Notification, RevenueTarget, User
from app.models.sync import AirtableRecord, SyncState

__all__ = [
    "Alert",
    "AuditEvent",
    "Activity",
    "AirtableRecord",
    "CannedReply",
    "Chunk",
    "DocumentFile",
    "DocumentVersion",
    "Deal",
    "Document",
    "DocumentTable",
    "EarlyStatus",
    "Fact",
    "IngestJob",
    "InboundEvent",
    "Lead",
    "Message",
    "Notification",
    "OutboxEvent",
    "Project",
    "RevenueTarget",
    "SyncState",
    "User",
    "WidgetSite",
]
