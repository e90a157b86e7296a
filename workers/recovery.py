"""What a worker does when it starts: pick up the work a dead worker left behind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.models import Alert, Message
from app.portal.alerts import leads_with_waiting_alerts
from workers.inbound_jobs import enqueue_messages, unqueued_messages
from workers.queues import get_queue, send_job_id
from workers.tasks import send_alerts, send_lead_message, send_replies

# A reply still "sending" after this long was cut off mid-send: whether it left is unknown.
STUCK_SENDING = timedelta(minutes=2)


def recover_stalled() -> dict:
    """Re-enqueue work a dead worker left behind; report replies whose send is unknown.

    Run when a worker starts: unprocessed inbound messages whose job is not waiting in the queue
    are processed again (processing is idempotent), pending replies are delivered, and a reply
    stuck in ``sending`` is marked failed rather than sent twice.
    """
    queue = get_queue(current_app.config)
    unprocessed = unqueued_messages(db.session.connection(), queue, timedelta(0), waiting_only=True)
    enqueue_messages(queue, unprocessed)
    waiting = db.session.scalars(
        select(Message.in_reply_to_id)
        .where(
            Message.direction == "out",
            Message.status.in_(("pending", "retrying")),
            Message.in_reply_to_id.is_not(None),
        )
        .distinct()
    ).all()
    for inbound_id in waiting:
        queue.enqueue(send_replies, inbound_id, job_id=send_job_id(queue.name, inbound_id))
    written = db.session.scalars(
        select(Message.id).where(Message.sent_by_id.is_not(None), Message.status.in_(("pending", "retrying")))
    ).all()
    for message_id in written:  # a broker's message from the lead's page
        queue.enqueue(send_lead_message, message_id)
    alerting = leads_with_waiting_alerts(db.session)
    for lead_id in alerting:
        queue.enqueue(send_alerts, lead_id)
    stuck_emails = db.session.execute(
        update(Alert)
        .where(Alert.status == "sending", Alert.status_at < datetime.now(UTC) - STUCK_SENDING)
        .values(status="failed", error="Delivery unknown: the worker stopped mid-send; not resent.")
    ).rowcount
    stuck = db.session.execute(
        update(Message)
        .where(
            Message.direction == "out",
            Message.status == "sending",
            Message.status_at < datetime.now(UTC) - STUCK_SENDING,
        )
        .values(
            status="failed",
            error="Delivery unknown: the worker stopped mid-send; not resent to avoid a duplicate.",
        )
    ).rowcount
    db.session.commit()
    return {
        "reprocessed": len(unprocessed),
        "redelivered": len(waiting),
        "alerts": len(alerting),
        "unknown": stuck + stuck_emails,
    }
