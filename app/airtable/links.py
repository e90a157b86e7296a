"""``AirtableRecord`` rows: which Airtable record stands for which app row."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AirtableRecord


def find(session: Session, table: str, *, record_id: str | None = None, app_id: int | None = None):
    """The link of an Airtable record (by its id) or of an app row (by its id), or None."""
    column, value = (AirtableRecord.record_id, record_id) if record_id else (AirtableRecord.app_id, app_id)
    return session.scalar(select(AirtableRecord).where(AirtableRecord.table_name == table, column == value))


def link(
    session: Session, table: str, record_id: str, app_id: int | None, known: AirtableRecord | None = None
) -> AirtableRecord:
    """The link between ``record_id`` and ``app_id``, created or corrected as needed."""
    row = known or (find(session, table, app_id=app_id) if app_id else None)
    row = row or find(session, table, record_id=record_id)
    if row is None:
        row = AirtableRecord(table_name=table, record_id=record_id, app_id=app_id, fields={})
        session.add(row)
    row.record_id, row.app_id = record_id, app_id
    return row


def record_ids(session: Session, table: str, app_ids: set[int]) -> dict[int, str]:
    """The Airtable record ids of these app rows, by app id (rows not in Airtable left out)."""
    if not app_ids:
        return {}
    rows = session.execute(
        select(AirtableRecord.app_id, AirtableRecord.record_id).where(
            AirtableRecord.table_name == table, AirtableRecord.app_id.in_(app_ids)
        )
    )
    return dict(rows.all())
