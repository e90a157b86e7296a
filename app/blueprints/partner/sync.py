"""``/partner/sync``: the Airtable sync's health, parked events with a retry button, and
``/partner/airtable``: the partner's guide to the base (tables, fields, who owns what)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from app.airtable import state
from app.airtable.client import configured
from app.airtable.push import retry_failed
from app.airtable.schema import TABLES
from app.blueprints.auth.access import role_required
from app.blueprints.partner import bp
from app.extensions import db
from app.models import AirtableRecord, OutboxEvent
from app.models.columns import parse_id

SHOWN = 50


@bp.get("/sync")
@role_required("partner")
def sync():
    """Whether sync is on, the outbox by status, the last runs, parked events and skipped records."""
    counts = dict(
        db.session.execute(select(OutboxEvent.status, func.count()).group_by(OutboxEvent.status)).all()
    )
    failed = db.session.scalars(
        select(OutboxEvent).where(OutboxEvent.status == "failed").order_by(OutboxEvent.id.desc()).limit(SHOWN)
    ).all()
    retrying = db.session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.status == "pending", OutboxEvent.attempts > 0)
        .order_by(OutboxEvent.id)
        .limit(SHOWN)
    ).all()
    skipped = db.session.scalars(
        select(AirtableRecord)
        .where(AirtableRecord.skipped_reason.is_not(None))
        .order_by(AirtableRecord.synced_at.desc())
        .limit(SHOWN)
    ).all()
    runs = {name: _with_times(value) for name, value in state.last_runs(db.session).items()}
    return render_template(
        "partner/sync.html",
        enabled=configured(current_app.config),
        base_id=current_app.config.get("AIRTABLE_BASE_ID"),
        counts=counts,
        failed=failed,
        retrying=retrying,
        skipped=skipped,
        last_push=runs.get("last_push"),
        last_pull=runs.get("last_pull"),
        pause=runs.get("pause"),
    )


def _with_times(value: dict) -> dict:
    """The stored run summary with its ISO timestamps as datetimes (shown in India time)."""
    return {k: datetime.fromisoformat(v) if k in ("at", "until") and v else v for k, v in value.items()}


@bp.post("/sync/retry")
@role_required("partner")
def retry_sync():
    """Put one parked event (``event_id``) or all of them back in the queue."""
    event_id = request.form.get("event_id", "").strip()
    if event_id and parse_id(event_id) is None:
        flash("That is not an event number.", "error")
        return redirect(url_for("partner.sync"))
    count = retry_failed(db.session, [int(event_id)] if event_id else None)
    db.session.commit()
    flash(
        f"{count} event(s) queued again; the next push sends them."
        if count
        else "Nothing was waiting to retry."
    )
    return redirect(url_for("partner.sync"))


@bp.get("/airtable")
@role_required("partner")
def airtable_guide():
    """The base's tables and fields, and which side owns each."""
    return render_template(
        "partner/airtable_guide.html", tables=TABLES, enabled=configured(current_app.config)
    )
