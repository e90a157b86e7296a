"""Background jobs. Each takes ids, commits its own work and is safe to run twice."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from flask import current_app
from redis import Redis
from rq import Retry
from rq.job import Job
from sqlalchemy import select

from app.channels.providers import shared_channel
from app.conversation.delivery import deliver_messages, deliver_replies, delivery_settings
from app.conversation.ratelimit import SenderLimiter
from app.conversation.service import build_engine, process_inbound
from app.conversation.unanswered import give_up_on
from app.extensions import db
from app.models import Lead, Message
from workers.queues import get_queue, send_job_id

log = logging.getLogger(__name__)
# Seconds before each new try of a ``process_message`` job that raised; after the last, the bot
# gives up on the message (``process_message_failed``).
PROCESS_RETRY_DELAYS = (5, 30, 120)


def _limiter() -> SenderLimiter:
    cache = current_app.extensions.setdefault("investochat", {})
    if "limiter" not in cache:
        cache["limiter"] = SenderLimiter(
            current_app.config["REDIS_URL"], current_app.config["SENDER_RATE_LIMIT"]
        )
    return cache["limiter"]


def process_message(message_id: int) -> int:
    """Run the conversation engine for one inbound message, then send its replies right away.

    The replies are committed as ``pending`` together with the processed message before any is
    sent, so a worker that dies in between leaves them for ``workers.recovery.recover_stalled``; a send that
    fails with a retryable error reschedules itself as a ``send_replies`` job.
    """
    sender = db.session.execute(
        select(Message.phone, Message.whatsapp_user_id).where(Message.id == message_id)
    ).one_or_none()
    if sender is None or not any(sender):
        return 0
    rate_limited = not _limiter().allow(sender.phone or sender.whatsapp_user_id)
    engine = build_engine(db.session, current_app.config)
    now = datetime.now(UTC)
    replies = process_inbound(db.session, message_id, engine, rate_limited=rate_limited, now=now)
    lead = db.session.get(Lead, replies[0].lead_id) if replies else None
    asked_for_broker = lead is not None and lead.broker_requested_at == now
    lead_id = lead.id if lead is not None else None
    to_send = any(reply.status == "pending" for reply in replies)  # the widget's are read, not sent
    db.session.commit()
    if asked_for_broker:
        get_queue(current_app.config).enqueue(notify_brokers, lead_id, job_id=f"notify-{lead_id}")
    if to_send:
        _send_now(message_id)
    return len(replies)


def process_retry() -> Retry:
    """How RQ tries a ``process_message`` job again: after each of ``PROCESS_RETRY_DELAYS``."""
    return Retry(max=len(PROCESS_RETRY_DELAYS), interval=list(PROCESS_RETRY_DELAYS))


def process_message_failed(job: Job, connection: Redis, exc_type: type, exc: BaseException, tb) -> None:
    """RQ's failure callback of ``process_message`` (runs after every failed try).

    RQ tries the job again after each of ``PROCESS_RETRY_DELAYS``; after the last try the bot
    gives up on the message: it is marked ``failed`` where the partner sees it (the dashboard),
    and the investor gets a holding reply instead of silence. Only the error's type is kept or
    logged: its text may quote the message or the sender's number.
    """
    [message_id] = job.args
    if job.retries_left:
        log.warning(
            "processing message %s failed (%s); RQ tries again (%d tries left)",
            message_id,
            exc_type.__name__,
            job.retries_left,
        )
        return
    db.session.rollback()
    tries = len(PROCESS_RETRY_DELAYS) + 1
    reason = f"The bot failed to process it ({exc_type.__name__}) on each of {tries} tries."
    reply = give_up_on(db.session, message_id, reason)
    to_send = reply is not None and reply.status == "pending"
    db.session.commit()
    log.error(
        "gave up on message %s after %d tries (%s); the investor was told",
        message_id,
        tries,
        exc_type.__name__,
    )
    if to_send:
        _send_now(message_id)


def _send_now(inbound_id: int) -> None:
    """Deliver the replies in this job; any surprise hands them to a ``send_replies`` job."""
    try:
        send_replies(inbound_id)
    except Exception:  # the replies are committed: a separate job can still send them once
        log.exception("sending the replies to message %s failed; queued a send job", inbound_id)
        db.session.rollback()
        queue = get_queue(current_app.config)
        queue.enqueue(send_replies, inbound_id, job_id=send_job_id(queue.name, inbound_id))


def notify_brokers(lead_id: int) -> int:
    """Tell matching brokers about a lead that asked for one: in the portal, on WhatsApp and by
    email; returns how many alerts it created (none when run again)."""
    from app.portal.notify import notify_brokers as notify

    config = current_app.config
    alerts = notify(db.session, lead_id, config.get("WHATSAPP_PROVIDER", "meta"), config)
    db.session.commit()
    if alerts:
        send_alerts(lead_id)
    return len(alerts)


def send_alerts(lead_id: int) -> None:
    """Deliver a lead's waiting broker alerts; schedules itself again for the ones to retry."""
    from app.portal.alerts import deliver_alerts

    config = current_app.config
    retry_in = deliver_alerts(db.session, lead_id, config)
    if retry_in is not None:
        get_queue(config).enqueue_in(timedelta(seconds=retry_in), send_alerts, lead_id)


def send_lead_message(message_id: int) -> None:
    """Deliver a message a broker wrote from the lead's page; schedules itself again to retry."""
    config = current_app.config
    report = deliver_messages(db.session, [message_id], shared_channel(config), delivery_settings(config))
    if report.retry_in is not None:
        get_queue(config).enqueue_in(timedelta(seconds=report.retry_in), send_lead_message, message_id)


def send_replies(inbound_id: int) -> dict:
    """Deliver the replies to one inbound message; reschedules itself after a retryable error."""
    config = current_app.config
    report = deliver_replies(db.session, inbound_id, shared_channel(config), delivery_settings(config))
    if report.retry_in is not None:
        get_queue(config).enqueue_in(timedelta(seconds=report.retry_in), send_replies, inbound_id)
    return {
        "sent": report.sent,
        "recorded": report.recorded,
        "failed": report.failed,
        "retry_in": report.retry_in,
    }


def ingest_upload(job_id: int) -> str:
    """Read a brochure the partner uploaded (app.rag.uploads); its progress is on its row."""
    from app.rag.uploads import read_upload

    return read_upload(db.session, job_id, current_app.config)
