"""What the Airtable sync remembers: which record holds which app row, and its cursors.

``AirtableRecord.fields`` is the row as it stood in Airtable after the last push or pull. It is
the common ancestor of a three-way merge: a field that differs from it in Airtable was changed
by the partner; one that differs from it in the app was changed here. It also makes pushes
idempotent: an unchanged row is not sent again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.columns import Timestamp


class AirtableRecord(db.Model):
    """An Airtable record the sync knows, and the app row it stands for."""

    __tablename__ = "airtable_records"
    __table_args__ = (
        UniqueConstraint("table_name", "record_id", name="uq_airtable_records_record"),
        UniqueConstraint("table_name", "app_id", name="uq_airtable_records_app"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    table_name: Mapped[str] = mapped_column(String(60))
    record_id: Mapped[str] = mapped_column(String(40))
    app_id: Mapped[int | None] = mapped_column(Integer)  # None: a record the app could not use
    fields: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    skipped_reason: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


class SyncState(db.Model):
    """Small named values of the sync: pull cursors, the rate-limit pause, the last run."""

    __tablename__ = "sync_state"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now(), onupdate=func.now())
