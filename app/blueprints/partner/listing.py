"""The filters of the partner's lead and deal lists, shared by the pages and their CSV exports.

Filters arrive as the query string's text. Each list turns them into a ``select`` and a map of
field errors for the values it could not read; an unreadable filter is left out rather than
failing the page, and its error is shown next to the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from app.models import Deal, Lead, Project, User
from app.models.columns import parse_id
from app.models.leads import BROKER_REQUESTED, ENGAGED, NEW, PIPELINE, PROFILED, QUALIFIED, QUALIFYING
from app.money import parse_inr
from app.portal.pipeline import PIPELINE_LABELS
from app.portal.times import ist_day_start

PER_PAGE = 25
STAGE_LABELS = {
    NEW: "New",
    ENGAGED: "Engaged",
    QUALIFYING: "Qualifying",
    PROFILED: "Profiled",
    QUALIFIED: "Qualified",
    BROKER_REQUESTED: "Asked for a broker",
}
PIPELINE_CHOICES = {"none": "Not started", **PIPELINE_LABELS}
LEAD_SORTS = {"newest": "Newest first", "budget": "Highest budget", "score": "Highest score"}
FieldErrors = dict[str, str]


class _Filters:
    """Filters read from, and written back to, a query string."""

    @classmethod
    def from_args(cls, args: Mapping[str, str]):
        """The filters found in a query string (unknown keys ignored, text trimmed)."""
        return cls(**{f.name: (args.get(f.name) or f.default).strip() for f in fields(cls)})

    def as_args(self) -> dict[str, str]:
        """The filters set to something other than their default, for links that keep them."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) != f.default}


@dataclass(frozen=True)
class LeadFilters(_Filters):
    """The lead list's search, filters and sort, as typed."""

    q: str = ""
    stage: str = ""
    pipeline: str = ""  # "none" (claimed or not, no stage yet) or a pipeline stage
    broker: str = ""  # "none" (unassigned) or a broker's id
    project: str = ""
    budget_min: str = ""
    created_from: str = ""
    created_to: str = ""
    sort: str = "newest"


@dataclass(frozen=True)
class DealFilters(_Filters):
    """The deal list's search and filters, as typed."""

    q: str = ""
    broker: str = ""
    closed_from: str = ""
    closed_to: str = ""


def _date(text: str, label: str, errors: FieldErrors, key: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[key] = f"{label} must be a date like 2026-11-25."
        return None


def _search(q: str) -> ColumnElement[bool]:
    """Name or reference containing ``q``, or a phone containing its digits (3 or more)."""
    conditions = [Lead.name.icontains(q, autoescape=True), Lead.reference.icontains(q, autoescape=True)]
    digits = re.sub(r"\D", "", q)
    if len(digits) >= 3:
        conditions.append(Lead.phone.contains(digits, autoescape=True))
    return or_(*conditions)


def _id_filter(column, value: str, label: str, errors: FieldErrors, key: str) -> ColumnElement[bool] | None:
    if value == "none":
        return column.is_(None)
    if (row_id := parse_id(value)) is not None:
        return column == row_id
    errors[key] = f"Choose a {label} from the list."
    return None


def lead_query(filters: LeadFilters) -> tuple[Select, FieldErrors]:
    """The leads matching ``filters`` in the chosen order, and errors for unreadable filters."""
    errors: FieldErrors = {}
    conditions: list[ColumnElement[bool] | None] = []
    if filters.q:
        conditions.append(_search(filters.q))
    if filters.stage in STAGE_LABELS:
        conditions.append(Lead.stage == filters.stage)
    if filters.pipeline == "none":
        conditions.append(Lead.pipeline.is_(None))
    elif filters.pipeline in PIPELINE:
        conditions.append(Lead.pipeline == filters.pipeline)
    if filters.broker:
        conditions.append(_id_filter(Lead.broker_id, filters.broker, "broker", errors, "broker"))
    if filters.project:
        conditions.append(_id_filter(Lead.project_id, filters.project, "project", errors, "project"))
    if filters.budget_min:
        try:
            conditions.append(
                func.coalesce(Lead.budget_max_inr, Lead.budget_min_inr) >= parse_inr(filters.budget_min)
            )
        except (ValueError, TypeError):
            errors["budget_min"] = "Minimum budget must be an amount like “3 Cr” or “75,00,000”."
    start = _date(filters.created_from, "From", errors, "created_from")
    end = _date(filters.created_to, "To", errors, "created_to")
    if start:
        conditions.append(Lead.created_at >= ist_day_start(start))
    if end:
        conditions.append(Lead.created_at < ist_day_start(end + timedelta(days=1)))
    order = {
        "budget": (func.coalesce(Lead.budget_max_inr, Lead.budget_min_inr).desc().nulls_last(),),
        "score": (Lead.score.desc(), Lead.created_at.desc()),
    }.get(filters.sort, (Lead.created_at.desc(),))
    query = select(Lead).where(*(c for c in conditions if c is not None)).order_by(*order, Lead.id.desc())
    return query, errors


def deal_query(filters: DealFilters) -> tuple[Select, FieldErrors]:
    """The deals matching ``filters``, most recently closed first, and errors for unreadable filters."""
    errors: FieldErrors = {}
    conditions: list[ColumnElement[bool] | None] = []
    if filters.q:
        conditions.append(
            or_(
                Deal.project_name.icontains(filters.q, autoescape=True),
                Deal.unit_type.icontains(filters.q, autoescape=True),
                Deal.lead.has(_search(filters.q)),
            )
        )
    if filters.broker:
        conditions.append(_id_filter(Deal.broker_id, filters.broker, "broker", errors, "broker"))
    start = _date(filters.closed_from, "From", errors, "closed_from")
    end = _date(filters.closed_to, "To", errors, "closed_to")
    if start:
        conditions.append(Deal.closed_on >= start)
    if end:
        conditions.append(Deal.closed_on <= end)
    query = select(Deal).where(*(c for c in conditions if c is not None))
    return query.order_by(Deal.closed_on.desc(), Deal.id.desc()), errors


def filter_choices(session: Session) -> dict:
    """Options for the filter menus as (value, text): every broker (inactive ones marked), every
    project, the stages, pipeline stages and sort orders."""
    brokers = session.execute(
        select(User.id, User.name, User.active).where(User.role == "broker").order_by(User.name)
    )
    projects = session.execute(select(Project.id, Project.name).order_by(Project.name))
    return {
        "brokers": [(str(id_), name if active else f"{name} (inactive)") for id_, name, active in brokers],
        "projects": [(str(id_), name) for id_, name in projects],
        "stages": STAGE_LABELS,
        "pipelines": PIPELINE_CHOICES,
        "sorts": LEAD_SORTS,
    }
