"""Telling brokers about a lead that asked for a broker: in the portal, on WhatsApp, by email.

Every matching broker gets a portal notification and, per channel they can be reached on, an
``Alert`` whose delivery is tracked (``app.portal.alerts`` sends them):

- **WhatsApp**, to the broker's number: as the approved utility template
  ``WHATSAPP_BROKER_ALERT_TEMPLATE`` with five parameters (reference, budget, area, timeline, a
  link to the lead), which WhatsApp delivers at any time; without one, as free text, which
  WhatsApp delivers only inside the broker's own 24-hour window (error 131047 otherwise).
- **Email**, to the broker's login address, when ``SMTP_URL`` is set.

Neither carries the investor's number or name: a broker sees those after claiming the lead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Alert, Lead, Message, Notification, User
from app.portal.lead_labels import budget_label
from app.portal.pipeline import matching_brokers

# The template's parameters, in order ({{1}} … {{5}}): docs/deploy.md asks for them in this order.
TEMPLATE_PARAMETERS = ("reference", "budget", "area", "timeline", "link")


@dataclass(frozen=True)
class LeadSummary:
    """What an alert says about a lead, one value per template parameter."""

    reference: str
    budget: str
    area: str
    timeline: str
    link: str
    unit: str

    @classmethod
    def of(cls, lead: Lead, portal_url: str) -> LeadSummary:
        link = f"{portal_url.rstrip('/')}/broker/leads/{lead.id}" if portal_url else "the InvestoChat portal"
        return cls(
            reference=lead.reference or f"#{lead.id}",
            budget=budget_label(lead),
            area=", ".join(lead.areas or []) or "any location",
            timeline=lead.timeline or "timeline open",
            link=link,
            unit=", ".join(lead.unit_kinds or []) or "any home",
        )

    @property
    def line(self) -> str:
        return f"New lead {self.reference}: {self.budget}, {self.area}, {self.timeline}, {self.unit}."

    @property
    def parameters(self) -> list[str]:
        return [getattr(self, name) for name in TEMPLATE_PARAMETERS]


def notify_brokers(session: Session, lead_id: int, provider: str, config: Mapping[str, Any]) -> list[Alert]:
    """Notify every matching broker once, and create their alerts; returns the new alerts
    (caller commits, then has ``app.portal.alerts`` deliver them).

    Safe to run twice: a broker already notified about this lead is skipped.
    """
    lead = session.get(Lead, lead_id)
    if lead is None or lead.broker_id is not None:
        return []
    already = set(session.scalars(select(Notification.user_id).where(Notification.lead_id == lead_id)))
    summary = LeadSummary.of(lead, config.get("PORTAL_URL", ""))
    alerts: list[Alert] = []
    for broker in matching_brokers(session, lead):
        if broker.id in already:
            continue
        session.add(Notification(user_id=broker.id, lead_id=lead.id, body=summary.line))
        if broker.phone:
            message = _whatsapp_alert(broker, summary, provider, config)
            session.add(message)
            session.flush()
            alerts.append(
                Alert(
                    lead_id=lead.id,
                    user_id=broker.id,
                    channel="whatsapp",
                    address=broker.phone,
                    message_id=message.id,
                )
            )
        if config.get("SMTP_URL"):
            alerts.append(Alert(lead_id=lead.id, user_id=broker.id, channel="email", address=broker.email))
    session.add_all(alerts)
    session.flush()
    return alerts


def _whatsapp_alert(broker: User, summary: LeadSummary, provider: str, config: Mapping[str, Any]) -> Message:
    template = config.get("WHATSAPP_BROKER_ALERT_TEMPLATE")
    body = f"{summary.line} Claim it: {summary.link}"
    interactive = None
    if template:
        language = config.get("WHATSAPP_BROKER_ALERT_LANGUAGE") or "en"
        interactive = {"template": {"name": template, "language": language, "parameters": summary.parameters}}
    return Message(
        phone=broker.phone,
        direction="out",
        provider=provider,
        kind="template" if template else "text",
        body=body,
        interactive=interactive,
        status="pending",
    )


def email_of(lead: Lead, portal_url: str) -> tuple[str, str]:
    """The subject and text of a new-lead email."""
    summary = LeadSummary.of(lead, portal_url)
    subject = f"New lead {summary.reference}: {summary.budget}, {summary.area}"
    body = "\n".join(
        [
            "A new investor asked to talk to a broker.",
            "",
            f"Reference: {summary.reference}",
            f"Budget: {summary.budget}",
            f"Area: {summary.area}",
            f"Timeline: {summary.timeline}",
            f"Looking for: {summary.unit}",
            "",
            f"Claim it before another broker does: {summary.link}",
            "",
            "You receive this because your areas match the lead's. The investor's number is on the",
            "lead's page once you claim it.",
        ]
    )
    return subject, body
