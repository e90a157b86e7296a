"""Delivering new-lead alerts (``app.portal.notify``) and listing the ones that did not arrive.

Each alert goes out at most once: its row moves to ``sending`` (committed) before the provider
or the mail server is called, as replies do (``app.conversation.delivery``). Alerts to different
brokers are independent: one broker's failing number does not hold back another's alert. A
temporary failure (WhatsApp 5xx or rate limit, mail server unreachable or answering 4xx) is
tried again after a back-off; a permanent one (unknown template, wrong parameters, a refused
address, 131047 outside the broker's window) is kept as ``failed`` with the reason, which the
partner sees on the dashboard and the lead's page.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.channels.messages import OUTSIDE_WINDOW_CODE
from app.channels.providers import shared_channel
from app.conversation.delivery import deliver_messages, delivery_settings
from app.mail import MailError, MailSettings, build_message, send_mail
from app.models import Alert, Lead, Message
from app.portal.notify import email_of

log = logging.getLogger(__name__)

EMAIL_MAX_ATTEMPTS = 6
EMAIL_BACKOFF_SECONDS = (5, 20, 60, 300, 900)
WAITING = ("pending", "retrying")
NOT_DELIVERED = ("failed", "skipped")


def deliver_alerts(
    session: Session, lead_id: int, config: Mapping[str, Any], now: datetime | None = None
) -> float | None:
    """Send a lead's waiting alerts; returns seconds until a retry is due, or None. Commits."""
    waits = [_deliver_whatsapp(session, lead_id, config), _deliver_email(session, lead_id, config, now)]
    waits = [wait for wait in waits if wait is not None]
    return min(waits) if waits else None


def _deliver_whatsapp(session: Session, lead_id: int, config: Mapping[str, Any]) -> float | None:
    ids = session.scalars(
        select(Message.id)
        .join(Alert, Alert.message_id == Message.id)
        .where(Alert.lead_id == lead_id, Message.status.in_(WAITING))
        .order_by(Alert.id)
    ).all()
    channel, template = shared_channel(config), delivery_settings(config)
    waits = []
    for message_id in ids:  # one at a time: a broker's failing number holds back nobody else
        report = deliver_messages(session, [message_id], channel, template)
        if report.retry_in is not None:
            waits.append(report.retry_in)
        message = session.get(Message, message_id)
        if message.error_code == OUTSIDE_WINDOW_CODE and message.kind == "text":
            message.status = "failed"
            message.error = (
                "WhatsApp refused: the broker has not written in the last 24 hours (131047). "
                "Set WHATSAPP_BROKER_ALERT_TEMPLATE to an approved template so alerts arrive at any time."
            )
            session.commit()
    return min(waits) if waits else None


def _deliver_email(
    session: Session, lead_id: int, config: Mapping[str, Any], now: datetime | None
) -> float | None:
    ids = session.scalars(
        select(Alert.id).where(Alert.lead_id == lead_id, Alert.channel == "email", Alert.status.in_(WAITING))
    ).all()
    if not ids:
        return None
    try:
        settings = MailSettings.from_config(config)
    except ValueError as error:
        settings, problem = None, str(error)
    else:
        problem = None if settings else "SMTP_URL is no longer set, so no email can be sent."
    lead = session.get(Lead, lead_id)
    subject, body = email_of(lead, config.get("PORTAL_URL", ""))
    waits = []
    for alert_id in ids:
        now_ = now or datetime.now(UTC)
        alert = session.scalars(
            select(Alert).where(Alert.id == alert_id).with_for_update(skip_locked=True, of=Alert)
        ).one_or_none()
        if alert is None or alert.status not in WAITING:
            session.rollback()
            continue
        if alert.next_attempt_at and alert.next_attempt_at > now_:
            waits.append((alert.next_attempt_at - now_).total_seconds())
            session.rollback()
            continue
        if settings is None:
            _finish(session, alert, "failed", now_, problem)
            continue
        message = build_message(settings, alert.address, subject, body, to_name=alert.broker.name)
        alert.status, alert.attempts, alert.status_at = "sending", alert.attempts + 1, now_
        session.commit()  # the at-most-once guard
        try:
            send_mail(settings, message)
        except MailError as error:
            wait = _after_email_failure(session, alert, error)
            if wait is not None:
                waits.append(wait)
            continue
        alert.sent_at = datetime.now(UTC)
        _finish(session, alert, "sent", alert.sent_at, None)
    return min(waits) if waits else None


def _after_email_failure(session: Session, alert: Alert, error: MailError) -> float | None:
    now = datetime.now(UTC)
    if error.transient and alert.attempts < EMAIL_MAX_ATTEMPTS:
        delay = EMAIL_BACKOFF_SECONDS[min(alert.attempts, len(EMAIL_BACKOFF_SECONDS)) - 1]
        alert.next_attempt_at = now + timedelta(seconds=delay)
        _finish(session, alert, "retrying", now, str(error))
        return delay
    tries = f" (after {alert.attempts} tries)" if alert.attempts > 1 else ""
    _finish(session, alert, "failed", now, f"{error}{tries}")
    log.warning("email alert %s to broker %s failed: %s", alert.id, alert.user_id, error)
    return None


def _finish(session: Session, alert: Alert, status: str, at: datetime, error: str | None) -> None:
    alert.status, alert.status_at, alert.error = status, at, error
    session.commit()


def leads_with_waiting_alerts(session: Session) -> list[int]:
    """Leads with an alert still to send (a worker that starts picks them up)."""
    return list(
        session.scalars(
            select(Alert.lead_id)
            .outerjoin(Message, Alert.message_id == Message.id)
            .where(
                or_(
                    and_(Alert.channel == "email", Alert.status.in_(WAITING)),
                    Message.status.in_(WAITING),
                )
            )
            .distinct()
        )
    )


def undelivered_alerts(session: Session, limit: int = 20) -> list[Alert]:
    """The latest alerts that did not arrive, newest first, for the partner."""
    return list(
        session.scalars(
            select(Alert)
            .outerjoin(Message, Alert.message_id == Message.id)
            .where(
                or_(
                    and_(Alert.channel == "email", Alert.status == "failed"),
                    Message.status.in_(NOT_DELIVERED),
                )
            )
            .order_by(Alert.created_at.desc(), Alert.id.desc())
            .limit(limit)
        ).unique()
    )


def alerts_for(session: Session, lead_id: int) -> list[Alert]:
    return list(session.scalars(select(Alert).where(Alert.lead_id == lead_id).order_by(Alert.id)).unique())
