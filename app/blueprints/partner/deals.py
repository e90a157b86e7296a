"""``/partner/deals``: closed deals with commissions, monthly revenue against target, CSV export."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.blueprints.auth.access import role_required
from app.blueprints.fragments import page_or_fragment, paginate, wants_fragment
from app.blueprints.partner import bp
from app.blueprints.partner.forms import revenue_target
from app.blueprints.partner.listing import PER_PAGE, DealFilters, deal_query, filter_choices
from app.blueprints.partner.responses import csv_download
from app.extensions import db
from app.models import Deal
from app.money import format_inr_short
from app.portal import exports, stats


def _revenue_context(**extra) -> dict:
    months = stats.monthly_revenue(db.session, datetime.now(UTC))
    return {"months": list(reversed(months)), "target_form": {}, "target_errors": {}, **extra}


def _deal_list_context(args) -> dict:
    filters = DealFilters.from_args(args)
    query, errors = deal_query(filters)
    query = query.options(joinedload(Deal.broker), joinedload(Deal.lead))
    page = paginate(query, PER_PAGE, args.get("page"))
    voided = db.session.scalar(
        select(func.count()).select_from(query.where(Deal.voided_at.is_not(None)).order_by(None).subquery())
    )
    return {
        "filters": filters,
        "errors": errors,
        "page": page,
        "voided": voided,
        **filter_choices(db.session),
    }


@bp.get("/deals")
@role_required("partner")
def deals():
    """The deal list and the revenue table; HTMX requests get just the deal table."""
    context = _deal_list_context(request.args)
    if not wants_fragment():
        context.update(_revenue_context())
    return page_or_fragment("partner/deals.html", "partner/_deal_results.html", **context)


@bp.get("/deals.csv")
@role_required("partner")
def deals_csv():
    """The deals the list's filters select, as CSV."""
    query, _errors = deal_query(DealFilters.from_args(request.args))
    return csv_download(exports.deals_csv(db.engine, query), "deals")


@bp.post("/targets")
@role_required("partner")
def set_target():
    """Set a month's platform-revenue target; HTMX gets the revenue section back."""
    month, amount, errors = revenue_target(request.form)
    saved = None
    if not errors:
        stats.save_revenue_target(db.session, month, amount)
        db.session.commit()
        saved = f"Target for {month:%B %Y} set to {format_inr_short(amount)}."
        if not wants_fragment():
            flash(saved)
            return redirect(url_for("partner.deals"))
    context = _revenue_context(target_form=request.form if errors else {}, target_errors=errors, saved=saved)
    if not wants_fragment():  # the whole deals page, with the errors beside the target fields
        context.update(_deal_list_context({}))
    return page_or_fragment(
        "partner/deals.html", "partner/_revenue.html", status=422 if errors else 200, **context
    )
