"""Logging deals. Commission figures come from the database's generated columns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Deal, Lead, Project, User
from app.money import format_inr, parse_inr
from app.portal.pipeline import PortalError, record
from app.portal.times import ist_today

MAX_DEAL = Decimal("10000000000")  # ₹1,000 Cr: anything above is a typo
PROJECT_REQUIRED = "Choose the project."
UNIT_TYPE_REQUIRED = "Enter the unit type, e.g. “4 BHK”."


@dataclass(frozen=True)
class DealForm:
    """What the broker typed; validated by :func:`log_deal`."""

    project: str
    unit_type: str
    value: str
    closed_on: str | None = None


def parse_deal_value(text: str) -> Decimal:
    """Rupees from "5 Cr", "50,00,000", "₹2.5 crore"; PortalError with a clear message otherwise."""
    try:
        value = parse_inr(text)
    except (ValueError, TypeError) as error:
        raise PortalError(
            f"Deal value {text!r} is not an amount: write it like “5 Cr” or “50,00,000”."
        ) from error
    if value <= 0 or value > MAX_DEAL:
        raise PortalError("Deal value must be more than ₹0 and at most ₹1,000 Cr.")
    return value


def parse_closed_on(text: str | None, today: date | None = None) -> date:
    """The closing date typed (ISO), ``today`` (India's date by default) when empty; PortalError
    when unreadable or after today."""
    today = today or ist_today()
    if not text:
        return today
    try:
        closed = date.fromisoformat(text)
    except ValueError as error:
        raise PortalError("Closing date must be a date like 2026-11-25.") from error
    if closed > today:
        raise PortalError("Closing date cannot be in the future.")
    return closed


def deal_form_errors(form: DealForm) -> dict[str, str]:
    """Every problem with ``form``, by field (project, unit_type, value, closed_on), so a form can
    show each next to its field; empty when :func:`log_deal` would accept the form."""
    errors = {}
    if not form.project.strip():
        errors["project"] = PROJECT_REQUIRED
    if not form.unit_type.strip():
        errors["unit_type"] = UNIT_TYPE_REQUIRED
    if not form.value.strip():
        errors["value"] = "Enter the deal value, e.g. “5 Cr” or “50,00,000”."
    for field, check in (("value", parse_deal_value), ("closed_on", parse_closed_on)):
        if field in errors:
            continue
        try:
            check(getattr(form, field))
        except PortalError as error:
            errors[field] = str(error)
    return errors


def lead_deals(session: Session, lead: Lead) -> list[Deal]:
    """The deals logged on ``lead``, oldest first."""
    return list(session.scalars(select(Deal).where(Deal.lead_id == lead.id).order_by(Deal.id)))


def project_names(session: Session) -> list[str]:
    """Names of the projects in the catalogue, for the deal form's suggestions."""
    return list(session.scalars(select(Project.name).order_by(Project.name)))


def _apply_form(session: Session, deal: Deal, form: DealForm) -> None:
    """Write the validated form onto ``deal`` (PortalError when it does not validate)."""
    errors = []
    if not form.project.strip():
        errors.append(PROJECT_REQUIRED)
    if not form.unit_type.strip():
        errors.append(UNIT_TYPE_REQUIRED)
    if errors:
        raise PortalError(" ".join(errors))
    deal.deal_value = parse_deal_value(form.value)
    deal.closed_on = parse_closed_on(form.closed_on)
    project = session.scalar(select(Project).where(Project.name == form.project.strip()))
    deal.project_id = project.id if project else None
    deal.project_name = form.project.strip()[:200]
    deal.unit_type = form.unit_type.strip()[:60]


def log_deal(session: Session, lead: Lead, broker: User, form: DealForm, config: Mapping[str, Any]) -> Deal:
    """Record a won deal on ``lead``; marks the lead won. Returns the deal with its commissions."""
    deal = Deal(
        lead_id=lead.id,
        broker_id=broker.id,
        broker_rate=Decimal(str(config["BROKER_COMMISSION_RATE"])),
        platform_rate=Decimal(str(config["PLATFORM_SHARE_RATE"])),
    )
    _apply_form(session, deal, form)
    session.add(deal)
    session.flush()
    session.refresh(deal)  # the generated commission columns
    lead.pipeline = "won"
    record(
        session,
        lead,
        "deal_logged",
        broker,
        deal_id=deal.id,
        deal_value=str(deal.deal_value),
        broker_commission=str(deal.broker_commission),
        platform_commission=str(deal.platform_commission),
    )
    return deal


# What an edit compares and records, before and after.
EDITED_FIELDS = ("project_name", "unit_type", "deal_value", "closed_on")


def deal_form_of(deal: Deal) -> DealForm:
    """The deal as its edit form shows it."""
    return DealForm(
        deal.project_name, deal.unit_type, format_inr(deal.deal_value), deal.closed_on.isoformat()
    )


def _shown(deal: Deal, name: str) -> str:
    """A field as the history shows it: rupees in Indian notation, dates as ISO."""
    value = getattr(deal, name)
    return format_inr(value) if name == "deal_value" else str(value)


def edit_deal(session: Session, deal: Deal, user: User, form: DealForm) -> dict[str, list[str]]:
    """Correct a deal (caller commits); the commissions follow from the database. Returns what
    changed, {field: [before, after]}, which the lead's history keeps; nothing when nothing did."""
    if deal.voided_at is not None:
        raise PortalError("This deal was voided; log a new one instead.")
    before = {name: _shown(deal, name) for name in EDITED_FIELDS}
    _apply_form(session, deal, form)
    session.flush()
    session.refresh(deal)  # the generated commission columns
    changes = {
        name: [before[name], _shown(deal, name)]
        for name in EDITED_FIELDS
        if before[name] != _shown(deal, name)
    }
    if changes and deal.lead is not None:
        record(session, deal.lead, "deal_edited", user, deal_id=deal.id, changes=changes)
    return changes


def void_deal(session: Session, deal: Deal, user: User, reason: str) -> None:
    """Void a deal with the reason (caller commits): it stays on the lead's history, counts in no
    total, and a won lead goes back to negotiating so the broker can work it again."""
    reason = " ".join(reason.split())
    if not reason:
        raise PortalError("Say why the deal is void, e.g. “the buyer withdrew before the agreement”.")
    if deal.voided_at is not None:
        raise PortalError("This deal is already void.")
    deal.voided_at, deal.void_reason, deal.voided_by_id = datetime.now(UTC), reason[:500], user.id
    lead = deal.lead
    if lead is None:
        return
    others = select(Deal.id).where(Deal.lead_id == lead.id, Deal.id != deal.id, Deal.voided_at.is_(None))
    if lead.pipeline == "won" and session.scalar(others.limit(1)) is None:
        lead.pipeline = "negotiating"
    record(
        session, lead, "deal_voided", user, deal_id=deal.id, reason=reason, deal_value=str(deal.deal_value)
    )
