"""Reading the broker portal's query strings and forms into the domain's types.

These functions take the request's ``args`` / ``form`` mappings and never touch ``request``, so
they are easy to test on their own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from app.conversation.localities import LOCALITIES
from app.conversation.parsers import TIMELINES
from app.models.leads import PIPELINE_BY_HAND
from app.money import parse_inr
from app.portal.deals import DealForm
from app.portal.pipeline import StageChange

AREAS = tuple(locality.name for locality in LOCALITIES)
_PLAIN_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class PoolFilters:
    """The pool's filters as typed, with the minimum budget read into rupees."""

    area: str = ""
    timeline: str = ""
    min_budget_text: str = ""
    min_budget: Decimal | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def query_args(self) -> dict[str, str]:
        """The filters as query-string arguments, for page links."""
        args = {"area": self.area, "min_budget": self.min_budget_text, "timeline": self.timeline}
        return {name: value for name, value in args.items() if value}


def read_pool_filters(args: Mapping[str, str]) -> PoolFilters:
    """Filters from the query string; unknown areas and timelines are ignored."""
    area = args.get("area", "").strip()
    timeline = args.get("timeline", "").strip()
    text = args.get("min_budget", "").strip()
    errors, min_budget = {}, None
    if text:
        try:
            # A bare number is in crores, the unit the field asks for.
            min_budget = parse_inr(f"{text} Cr" if _PLAIN_NUMBER.fullmatch(text) else text)
        except ValueError:
            errors["min_budget"] = (
                f"Minimum budget “{text}” is not an amount: write crores like “5” or “2.5”, or “50 L”."
            )
    return PoolFilters(
        area=area if area in AREAS else "",
        timeline=timeline if timeline in TIMELINES else "",
        min_budget_text=text,
        min_budget=min_budget,
        errors=errors,
    )


def read_stage_change(form: Mapping[str, str]) -> tuple[StageChange, dict[str, str]]:
    """The stage change asked for, and the problems reading it (by field).

    Only the field the chosen stage needs is kept: without JavaScript the form shows the date and
    the reason together, and a date typed before choosing "Negotiating" must not be recorded.
    """
    stage = form.get("stage", "").strip()
    errors = {}
    if stage not in PIPELINE_BY_HAND:
        errors["stage"] = (
            "Choose contacted, site visit, negotiating or lost; a lead is won by logging its deal."
        )
    visit_on = None
    visit_text = form.get("site_visit_on", "").strip()
    if stage == "site_visit" and visit_text:
        try:
            visit_on = date.fromisoformat(visit_text)
        except ValueError:
            errors["site_visit_on"] = f"Site visit date “{visit_text}” is not a date like 2026-11-25."
    reason = form.get("lost_reason", "").strip() if stage == "lost" else ""
    note = form.get("note", "").strip()
    change = StageChange(stage=stage, site_visit_on=visit_on, lost_reason=reason or None, note=note or None)
    return change, errors


def read_deal_form(form: Mapping[str, str]) -> DealForm:
    """The deal as typed."""
    return DealForm(
        project=form.get("project", ""),
        unit_type=form.get("unit_type", ""),
        value=form.get("value", ""),
        closed_on=form.get("closed_on", "").strip() or None,
    )
