"""Reading the partner's forms (brokers, revenue targets) and placing errors next to fields."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from werkzeug.datastructures import MultiDict

from app.blueprints.partner.listing import FieldErrors
from app.conversation.localities import LOCALITIES
from app.models import User
from app.money import parse_inr
from app.portal.accounts import BrokerForm
from app.portal.deals import MAX_DEAL

KNOWN_AREAS = tuple(locality.name for locality in LOCALITIES)


def merge_areas(selected: Iterable[str], other: str) -> list[str]:
    """Known localities ticked plus a comma-separated list typed, without repeats, in order."""
    areas: list[str] = []
    for area in [*selected, *other.split(",")]:
        area = " ".join(area.split())[:100]
        if area and area.lower() not in (a.lower() for a in areas):
            areas.append(area)
    return areas


class AreaChoices(NamedTuple):
    """A broker's areas as the form shows them: the known localities to pick from, those picked,
    and the other areas as a comma list."""

    known: tuple[str, ...]
    selected: list[str]
    other: str


def area_choices(areas: Iterable[str]) -> AreaChoices:
    """A broker's areas split into known localities and the rest, for the form."""
    selected = [a for a in areas if a in KNOWN_AREAS]
    return AreaChoices(KNOWN_AREAS, selected, ", ".join(a for a in areas if a not in selected))


def broker_form(form: MultiDict, broker: User | None) -> BrokerForm:
    """The posted broker form; the email is only read when creating an account."""
    return BrokerForm(
        name=form.get("name", ""),
        email=broker.email if broker else form.get("email", ""),
        phone=form.get("phone", ""),
        areas=merge_areas(form.getlist("areas"), form.get("other_areas", "")),
        max_active_leads=form.get("max_active_leads", "").strip(),
    )


def revenue_target(form: MultiDict) -> tuple[date | None, Decimal | None, FieldErrors]:
    """The month (first day) and amount of a revenue target, or errors for either field."""
    errors: FieldErrors = {}
    month = amount = None
    try:
        month = date.fromisoformat(form.get("month", "").strip() + "-01")
        if not 2000 <= month.year <= 2100:
            raise ValueError
    except ValueError:
        month = None
        errors["month"] = "Pick the month, e.g. 2026-11."
    try:
        amount = parse_inr(form.get("amount", ""))
        if not 0 < amount <= MAX_DEAL:
            raise ValueError
    except (ValueError, TypeError):
        amount = None
        errors["amount"] = "Target must be an amount above ₹0 and at most ₹1,000 Cr, e.g. “25 L”."
    return month, amount, errors
