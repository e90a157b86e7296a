"""Writing app rows into the base's tables, for the push and for the pull's write-back.

``Writer.upsert`` sends only the fields that differ from what Airtable last held (the record's
``AirtableRecord.fields``), 10 records a request, upserted on the table's key field ("Lead ID",
"Deal ID", "Broker ID" ...) so a run that dies half-way is simply run again; it then
records each record's id and the fields it now holds. A record Airtable refuses for a reason
retrying cannot fix is set aside and noted (``refused_leads``); one it cannot take now (a 429, a
5xx, the network) raises ``SyncError`` for the caller to retry the whole round later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.airtable import links
from app.airtable.client import SyncError
from app.airtable.rows import Row, wire
from app.airtable.schema import TABLES_BY_NAME
from app.models import AirtableRecord

BATCH = 10  # Airtable's records per request


_Change = tuple[Row, dict[str, Any]]  # a row and the fields of it to send


class Writer:
    """One run's writes to one base, with the requests they took and what Airtable refused."""

    def __init__(self, session: Session, api, base_id: str):
        self.session = session
        self.api = api
        self.base_id = base_id
        self.requests = 0
        self.records: dict[str, int] = {}  # records written, by table
        self.refused_leads: dict[int, str] = {}  # lead id -> why Airtable refused one of its rows
        self.error: str | None = None  # why Airtable last refused a record

    def upsert(self, table: str, rows: list[Row]) -> None:
        """Send the rows whose fields changed since Airtable last held them, 10 a request."""
        if not rows:
            return
        spec = TABLES_BY_NAME[table]
        known = {
            link.app_id: link
            for link in self.session.scalars(
                select(AirtableRecord).where(
                    AirtableRecord.table_name == table, AirtableRecord.app_id.in_([r.app_id for r in rows])
                )
            )
        }
        changes: list[_Change] = []
        for row in rows:
            link = known.get(row.app_id)
            if link is None:
                changed = {k: v for k, v in row.fields.items() if v is not None or k == spec.key}
            else:
                changed = {k: v for k, v in row.fields.items() if link.fields.get(k) != v}
            if changed:
                changes.append((row, {spec.key: row.fields[spec.key], **changed}))
        # A record the partner created (a deal typed into Airtable) has no key yet: it is updated
        # by its record id. Every other record is upserted on its key, which also recreates a
        # record the partner deleted.
        by_id, by_key = [], []
        for row, sent in changes:
            (by_id if _needs_update_by_id(known.get(row.app_id), spec.key) else by_key).append((row, sent))
        handle = self.api.table(self.base_id, table)

        def upsert(batch: list[_Change]) -> None:
            answer = handle.batch_upsert(
                [{"fields": {k: wire(v) for k, v in sent.items()}} for _, sent in batch],
                key_fields=[spec.key],
                typecast=True,
            )
            record_ids = {record["fields"].get(spec.key): record["id"] for record in answer["records"]}
            self._sent(table, known, [(row, sent, record_ids[row.fields[spec.key]]) for row, sent in batch])
            # A record the app had written but the partner deleted was just created again with
            # only the changed fields: complete it with the whole row.
            created = set(answer.get("createdRecords") or [])
            by_id.extend(
                (row, {k: v for k, v in row.fields.items() if v is not None})
                for row, sent in batch
                if row.app_id in known
                and record_ids[row.fields[spec.key]] in created
                and len(sent) < len(row.fields)
            )

        def update(batch: list[_Change]) -> None:
            handle.batch_update(
                [
                    {"id": known[row.app_id].record_id, "fields": {k: wire(v) for k, v in sent.items()}}
                    for row, sent in batch
                ],
                typecast=True,
            )
            self._sent(table, known, [(row, sent, known[row.app_id].record_id) for row, sent in batch])

        for start in range(0, len(by_key), BATCH):
            self._send(by_key[start : start + BATCH], upsert)
        for start in range(0, len(by_id), BATCH):
            self._send(by_id[start : start + BATCH], update)

    def set_fields(self, table: str, fields_by_record: Mapping[str, dict[str, Any]]) -> None:
        """Write ``fields`` on records known by their id, 10 a request (what the app notes for the
        partner, such as why a deal was skipped: not remembered as what Airtable holds)."""
        items = list(fields_by_record.items())
        for start in range(0, len(items), BATCH):
            self.api.table(self.base_id, table).batch_update(
                [{"id": record_id, "fields": fields} for record_id, fields in items[start : start + BATCH]]
            )
            self.requests += 1

    def _send(self, batch: list[_Change], send: Callable[[list[_Change]], None]) -> None:
        """One request. When Airtable refuses it for a reason retrying cannot fix (a 4xx, e.g. a
        record the partner duplicated), the records go one by one, so only the refused ones are
        set aside (their leads' events are counted as failed) and the rest get through."""
        try:
            send(batch)
        except SyncError as exc:
            if exc.retry:
                raise
            if len(batch) > 1:
                for item in batch:
                    self._send([item], send)
                return
            row = batch[0][0]
            self.error = str(exc)
            if row.lead_id is not None:
                self.refused_leads[row.lead_id] = str(exc)

    def _sent(self, table: str, known: dict[int, AirtableRecord], done: list[tuple[Row, dict, str]]) -> None:
        self.requests += 1
        for row, sent, record_id in done:
            link = links.link(self.session, table, record_id, row.app_id, known.get(row.app_id))
            link.fields = {**(link.fields or {}), **sent}
            link.skipped_reason = None
            link.synced_at = datetime.now(UTC)
        self.records[table] = self.records.get(table, 0) + len(done)
        self.session.flush()


def _needs_update_by_id(link: AirtableRecord | None, key: str) -> bool:
    """A record the app knows by id but that has no key yet (one the partner created)."""
    return link is not None and not (link.fields or {}).get(key)
