"""Push: drain the outbox into Airtable with batch upserts.

Each run takes the due outbox events in id order, renders the rows they touch from the
database as it is now (so replaying an event sends today's truth, not a stale snapshot), and
upserts (``app.airtable.writer``) only the fields that differ from what Airtable last held —
brokers first, then leads, deals, and the leads' activity log. Upserts are keyed on stable
text fields the app writes ("Broker ID", "Lead ID", "Deal ID", "Activity ID"; Airtable cannot
merge on an email), at most 10 records a request, so a run that dies half-way is simply run
again: nothing is created twice.

Failures: a 429 pauses all requests to the base for ``AIRTABLE_RATE_LIMIT_PAUSE`` seconds
(Airtable's 30); a 5xx or a network error puts the events back with an exponential back-off;
after ``AIRTABLE_MAX_ATTEMPTS`` failures an event is parked as ``failed`` and shown on the
partner's sync page with a retry button. A 4xx that retrying cannot fix (a missing field) is
counted the same way, so it surfaces on the sync page instead of blocking the queue.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.airtable import state
from app.airtable.client import RateLimited, SyncError
from app.airtable.rows import Row, activity_fields, broker_fields, deal_rows, in_scope, lead_rows, normalized
from app.airtable.schema import ACTIVITY, BROKERS, DEALS, LEADS
from app.airtable.writer import Writer
from app.models import Activity, AirtableRecord, Deal, Lead, OutboxEvent, User

EVENTS_PER_ROUND = 200
ACTIVITIES_PER_ROUND = 200


@dataclass
class PushResult(state.RunResult):
    """What one push did (``skipped``: events of leads the partner does not see in Airtable)."""

    events: int = 0
    failed: int = 0
    records: dict[str, int] = field(default_factory=dict)  # records written, by table


def push(session: Session, api, config: Mapping[str, Any], *, budget_seconds: float = 40.0) -> PushResult:
    """Drain due outbox events (and the activity log of synced leads) into Airtable."""
    result = PushResult()
    now = datetime.now(UTC)
    paused = state.paused_until(session)
    if paused and paused > now:
        result.paused_until = paused
        return result
    deadline = time.monotonic() + budget_seconds
    writer = Writer(session, api, config["AIRTABLE_BASE_ID"])
    pusher = _Pusher(session, writer, config, result)
    # A failure before the events' own round (the brokers' upsert) counts against them too, so
    # events still reach their attempt limit while Airtable is down.
    pusher.current_events = [event.id for event in _due_events(session, now)]
    failure = None
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
    except SyncError as exc:
        session.rollback()
        failure = exc
    result.requests, result.records, result.error = writer.requests, writer.records, writer.error
    if failure is not None:
        _after_failure(session, config, pusher.current_events, failure, result)
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
        result.paused_until = state.pause_after_rate_limit(session, config, str(exc))
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
    """One run's pushes: what to send for the due events, through the run's writer."""

    def __init__(self, session: Session, writer: Writer, config: Mapping[str, Any], result: PushResult):
        self.session = session
        self.writer = writer
        self.result = result
        self.config = config
        self.current_events: list[int] = []

    def push_brokers(self) -> None:
        brokers = self.session.scalars(select(User).where(User.role == "broker").order_by(User.id)).all()
        self.writer.upsert(BROKERS, [Row(BROKERS, b.id, normalized(broker_fields(b))) for b in brokers])

    def push_events(self, events: list[OutboxEvent]) -> None:
        self.current_events = [e.id for e in events]
        lead_ids = {e.aggregate_id for e in events if e.aggregate == "lead"}
        leads = {lead.id: lead for lead in self.session.scalars(select(Lead).where(Lead.id.in_(lead_ids)))}
        synced = [lead for lead in leads.values() if in_scope(lead)]
        self.writer.upsert(LEADS, lead_rows(self.session, synced))
        deals = self.session.scalars(
            select(Deal).where(Deal.lead_id.in_([lead.id for lead in synced])).order_by(Deal.id)
        )
        self.writer.upsert(DEALS, deal_rows(self.session, deals))
        refused = self.writer.refused_leads
        now = datetime.now(UTC)
        for event in events:
            lead = leads.get(event.aggregate_id)
            kept = lead is not None and in_scope(lead)
            self.result.events += 1
            if kept and lead.id in refused:
                _count_failure(event, refused[lead.id], self.config, now, self.result)
                continue
            event.status = "synced" if kept else "skipped"
            event.processed_at = now
            self.result.skipped += 0 if kept else 1
        self.current_events = []

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
        self.writer.upsert(
            ACTIVITY, [Row(ACTIVITY, a.id, normalized(activity_fields(a))) for a in activities]
        )
        return len(activities) == ACTIVITIES_PER_ROUND


def retry_failed(session: Session, event_ids: list[int] | None = None) -> int:
    """Put parked (failed) events back in the queue; returns how many."""
    query = update(OutboxEvent).where(OutboxEvent.status == "failed")
    if event_ids is not None:
        query = query.where(OutboxEvent.id.in_(event_ids))
    done = session.execute(query.values(status="pending", attempts=0, next_attempt_at=None, last_error=None))
    return done.rowcount
