"""Push: drain the outbox into Airtable with batch upserts.

Each run takes the due outbox events in id order, renders the rows they touch from the
database as it is now (so replaying an event sends today's truth, not a stale snapshot), and
upserts only the fields that differ from what Airtable last held — brokers first, then leads,
deals, and the leads' activity log. Upserts are keyed on stable fields (a broker's email, "Lead
ID", "Deal ID", "Activity ID"), at most 10 records a request, so a run that dies half-way is
simply run again: nothing is created twice.

Failures: a 429 pauses all requests to the base for ``AIRTABLE_RATE_LIMIT_PAUSE`` seconds
(Airtable's 30); a 5xx or a network error puts the events back with an exponential back-off;
after ``AIRTABLE_MAX_ATTEMPTS`` failures an event is parked as ``failed`` and shown on the
partner's sync page with a retry button. A 4xx that retrying cannot fix (a missing field) is
counted the same way, so it surfaces on the sync page instead of blocking the queue.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.airtable import links, state
from app.airtable.client import RateLimited, SyncError
from app.airtable.rows import (
    activity_fields,
    broker_fields,
    deal_fields,
    in_scope,
    lead_fields,
    normalized,
    wire,
)
from app.airtable.schema import ACTIVITY, BROKERS, DEALS, LEADS, TABLES_BY_NAME
from app.models import Activity, AirtableRecord, Deal, Lead, OutboxEvent, Project, User

EVENTS_PER_ROUND = 200
ACTIVITIES_PER_ROUND = 200
BATCH = 10  # Airtable's records per request


@dataclass
class PushResult:
    """What one run did."""

    events: int = 0
    skipped: int = 0
    failed: int = 0
    requests: int = 0
    records: dict[str, int] = field(default_factory=dict)
    paused_until: datetime | None = None
    error: str | None = None

    def count(self, table: str, n: int) -> None:
        self.records[table] = self.records.get(table, 0) + n


@dataclass
class Row:
    """One record to upsert: its table, the app id it stands for and its fields (normalized)."""

    table: str
    app_id: int
    fields: dict[str, Any]
    lead_id: int | None = None  # the lead whose events are to blame if Airtable refuses the row


def push(session: Session, api, config: Mapping[str, Any], *, budget_seconds: float = 40.0) -> PushResult:
    """Drain due outbox events (and the activity log of synced leads) into Airtable."""
    result = PushResult()
    now = datetime.now(UTC)
    paused = state.paused_until(session)
    if paused and paused > now:
        result.paused_until = paused
        return result
    deadline = time.monotonic() + budget_seconds
    pusher = _Pusher(session, api, config, result)
    # A failure before the events' own round (the brokers' upsert) counts against them too, so
    # events still reach their attempt limit while Airtable is down.
    pusher.current_events = [event.id for event in _due_events(session, now)]
    try:
        pusher.push_brokers()
        after_id = 0  # each event is tried at most once a run
        while time.monotonic() < deadline:
            events = _due_events(session, datetime.now(UTC), after_id)
            if not events:
                break
            pusher.push_events(events)
            session.commit()
            after_id = events[-1].id
        while time.monotonic() < deadline and pusher.push_activities():
            session.commit()
        state.record_run(session, "push", result)
        session.commit()
    except SyncError as exc:
        session.rollback()
        _after_failure(session, config, pusher.current_events, exc, result)
        state.record_run(session, "push", result)
        session.commit()
    return result


def _due_events(session: Session, now: datetime, after_id: int = 0) -> list[OutboxEvent]:
    return list(
        session.scalars(
            select(OutboxEvent)
            .where(
                OutboxEvent.id > after_id,
                OutboxEvent.status == "pending",
                (OutboxEvent.next_attempt_at.is_(None)) | (OutboxEvent.next_attempt_at <= now),
            )
            .order_by(OutboxEvent.id)
            .limit(EVENTS_PER_ROUND)
        )
    )


def backoff(attempts: int, config: Mapping[str, Any]) -> timedelta:
    """Exponential back-off after the n-th failure: 30 s, 1 min, 2 min ... capped at 30 min (with
    the default 10 attempts an event is parked after about two hours of failures)."""
    base = float(config.get("AIRTABLE_RETRY_BASE_SECONDS") or 0)
    return timedelta(seconds=min(base * 2 ** (attempts - 1), 1800))


def _after_failure(
    session: Session, config: Mapping[str, Any], event_ids: list[int], exc: SyncError, result: PushResult
) -> None:
    """Put the events of a failed round back: paused (429), backed off, or parked as failed."""
    now = datetime.now(UTC)
    result.error = str(exc)
    if isinstance(exc, RateLimited):
        pause = float(config.get("AIRTABLE_RATE_LIMIT_PAUSE") or 30)
        result.paused_until = now + timedelta(seconds=pause)
        state.pause(session, result.paused_until, str(exc))
        return
    if not event_ids:
        return
    for event in session.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(event_ids))):
        _count_failure(event, str(exc), config, now, result)


def _count_failure(
    event: OutboxEvent, reason: str, config: Mapping[str, Any], now: datetime, result: PushResult
) -> None:
    """One more failed attempt: back off, or park the event once it has had its attempts."""
    event.attempts += 1
    event.last_error = reason[:2000]
    if event.attempts >= int(config.get("AIRTABLE_MAX_ATTEMPTS") or 10):
        event.status = "failed"
        result.failed += 1
    else:
        event.next_attempt_at = now + backoff(event.attempts, config)


class _Pusher:
    """One run's pushes, with the record ids it has learnt so far."""

    def __init__(self, session: Session, api, config: Mapping[str, Any], result: PushResult):
        self.session = session
        self.base_id = config["AIRTABLE_BASE_ID"]
        self.api = api
        self.result = result
        self.config = config
        self.current_events: list[int] = []
        self.refused_leads: dict[int, str] = {}  # lead id -> why Airtable refused one of its rows

    # -- what to send -------------------------------------------------------------------------

    def push_brokers(self) -> None:
        brokers = self.session.scalars(select(User).where(User.role == "broker").order_by(User.id)).all()
        self._upsert(BROKERS, [Row(BROKERS, b.id, normalized(broker_fields(b))) for b in brokers])

    def push_events(self, events: list[OutboxEvent]) -> None:
        self.current_events = [e.id for e in events]
        lead_ids = {e.aggregate_id for e in events if e.aggregate == "lead"}
        leads = {lead.id: lead for lead in self.session.scalars(select(Lead).where(Lead.id.in_(lead_ids)))}
        synced = [lead for lead in leads.values() if in_scope(lead)]
        projects = self._project_names({lead.project_id for lead in synced if lead.project_id})
        brokers = self.record_ids(BROKERS, {lead.broker_id for lead in synced if lead.broker_id})
        self._upsert(
            LEADS,
            [
                Row(
                    LEADS,
                    lead.id,
                    normalized(lead_fields(lead, projects.get(lead.project_id), brokers.get(lead.broker_id))),
                    lead.id,
                )
                for lead in synced
            ],
        )
        self._push_deals([lead.id for lead in synced])
        now = datetime.now(UTC)
        for event in events:
            lead = leads.get(event.aggregate_id)
            kept = lead is not None and in_scope(lead)
            self.result.events += 1
            if kept and lead.id in self.refused_leads:
                _count_failure(event, self.refused_leads[lead.id], self.config, now, self.result)
                continue
            event.status = "synced" if kept else "skipped"
            event.processed_at = now
            self.result.skipped += 0 if kept else 1
        self.current_events = []

    def _push_deals(self, lead_ids: list[int]) -> None:
        self.push_deal_rows(
            self.session.scalars(select(Deal).where(Deal.lead_id.in_(lead_ids)).order_by(Deal.id))
        )

    def push_activities(self) -> bool:
        """Push a round of activities of synced leads not yet in the Activity Log."""
        linked = select(AirtableRecord.app_id).where(
            AirtableRecord.table_name == ACTIVITY,
            AirtableRecord.app_id.is_not(None),  # NOT IN and NULL
        )
        synced_leads = select(AirtableRecord.app_id).where(AirtableRecord.table_name == LEADS)
        activities = self.session.scalars(
            select(Activity)
            .where(Activity.lead_id.in_(synced_leads), Activity.id.not_in(linked))
            .order_by(Activity.id)
            .limit(ACTIVITIES_PER_ROUND)
        ).all()
        self._upsert(ACTIVITY, [Row(ACTIVITY, a.id, normalized(activity_fields(a))) for a in activities])
        return len(activities) == ACTIVITIES_PER_ROUND

    def push_deal_rows(self, deals: Iterable[Deal]) -> None:
        """Upsert deals with their commissions (also after the pull created or changed them)."""
        deals = list(deals)
        leads = self.record_ids(LEADS, {d.lead_id for d in deals if d.lead_id})
        brokers = self.record_ids(BROKERS, {d.broker_id for d in deals if d.broker_id})
        rows = [
            Row(
                DEALS,
                d.id,
                normalized(deal_fields(d, leads.get(d.lead_id), brokers.get(d.broker_id))),
                d.lead_id,
            )
            for d in deals
        ]
        self._upsert(DEALS, rows)

    # -- how it is sent -----------------------------------------------------------------------

    def record_ids(self, table: str, app_ids: set[int]) -> dict[int, str]:
        if not app_ids:
            return {}
        rows = self.session.execute(
            select(AirtableRecord.app_id, AirtableRecord.record_id).where(
                AirtableRecord.table_name == table, AirtableRecord.app_id.in_(app_ids)
            )
        )
        return dict(rows.all())

    def _project_names(self, ids: set[int]) -> dict[int, str]:
        if not ids:
            return {}
        return dict(self.session.execute(select(Project.id, Project.name).where(Project.id.in_(ids))).all())

    def _upsert(self, table: str, rows: list[Row]) -> None:
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
        changes: list[tuple[Row, dict[str, Any]]] = []
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

        def upsert(batch: list[tuple[Row, dict[str, Any]]]) -> None:
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

        def update(batch: list[tuple[Row, dict[str, Any]]]) -> None:
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

    def _send(self, batch: list[tuple[Row, dict[str, Any]]], send) -> None:
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
            self.result.error = str(exc)
            if row.lead_id is not None:
                self.refused_leads[row.lead_id] = str(exc)

    def _sent(self, table: str, known: dict[int, AirtableRecord], done: list[tuple[Row, dict, str]]) -> None:
        self.result.requests += 1
        for row, sent, record_id in done:
            self._remember(table, row.app_id, record_id, sent, known.get(row.app_id))
        self.result.count(table, len(done))
        self.session.flush()

    def _remember(
        self, table: str, app_id: int, record_id: str, sent: dict[str, Any], known: AirtableRecord | None
    ) -> None:
        link = links.link(self.session, table, record_id, app_id, known)
        link.fields = {**(link.fields or {}), **sent}
        link.skipped_reason = None
        link.synced_at = datetime.now(UTC)


def _needs_update_by_id(link: AirtableRecord | None, key: str) -> bool:
    """A record the app knows by id but that has no key yet (one the partner created)."""
    return link is not None and not (link.fields or {}).get(key)


def retry_failed(session: Session, event_ids: list[int] | None = None) -> int:
    """Put parked (failed) events back in the queue; returns how many."""
    query = update(OutboxEvent).where(OutboxEvent.status == "failed")
    if event_ids is not None:
        query = query.where(OutboxEvent.id.in_(event_ids))
    done = session.execute(query.values(status="pending", attempts=0, next_attempt_at=None, last_error=None))
    return done.rowcount
