"""``/partner/leads``: every lead, searchable and filterable; one lead; assigning it; CSV export."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.blueprints.auth.access import role_required
from app.blueprints.fragments import page_or_fragment, paginate, wants_fragment
from app.blueprints.lead_pages import lead_context
from app.blueprints.partner import bp
from app.blueprints.partner.listing import PER_PAGE, LeadFilters, filter_choices, lead_query
from app.blueprints.partner.responses import csv_download
from app.extensions import db
from app.models import Lead, User
from app.models.columns import parse_id
from app.portal import exports
from app.portal.alerts import alerts_for
from app.portal.audit import record_audit
from app.portal.deals import lead_deals
from app.portal.lead_labels import budget_label
from app.portal.pipeline import PortalError, assign_lead


@bp.get("/leads")
@role_required("partner")
def leads():
    """The lead list; HTMX requests get just the table (filters, sort and page applied)."""
    filters = LeadFilters.from_args(request.args)
    query, errors = lead_query(filters)
    query = query.options(joinedload(Lead.broker), joinedload(Lead.project))
    page = paginate(query, PER_PAGE, request.args.get("page"))
    return page_or_fragment(
        "partner/leads.html",
        "partner/_lead_results.html",
        filters=filters,
        errors=errors,
        page=page,
        budget_label=budget_label,
        **filter_choices(db.session),
    )


@bp.get("/leads.csv")
@role_required("partner")
def leads_csv():
    """The leads the list's filters select, as CSV."""
    query, _errors = lead_query(LeadFilters.from_args(request.args))
    return csv_download(exports.leads_csv(db.engine, query), "leads")


def _lead_or_404(lead_id: int) -> Lead:
    return db.session.get(Lead, lead_id) or abort(404)


def _lead_page_context(lead: Lead, **extra) -> dict:
    brokers = db.session.scalars(
        select(User).where(User.role == "broker", User.active.is_(True)).order_by(User.name)
    ).all()
    alerts = alerts_for(db.session, lead.id)
    deals = lead_deals(db.session, lead)
    context = lead_context(db.session, lead, current_user)
    return {**context, "brokers": brokers, "alerts": alerts, "deals": deals, **extra}


@bp.get("/leads/<int:lead_id>")
@role_required("partner")
def lead_detail(lead_id: int):
    """One lead: answers, conversation, timeline, full phone, and who works it."""
    return render_template("partner/lead.html", **_lead_page_context(_lead_or_404(lead_id)))


@bp.post("/leads/<int:lead_id>/assign")
@role_required("partner")
def assign(lead_id: int):
    """Assign the lead to a broker, move it to another, or (no broker chosen) unassign it.

    HTMX gets the assignment section back, with the timeline swapped out of band."""
    lead = _lead_or_404(lead_id)
    broker_id = request.form.get("broker_id", "").strip()
    broker = db.session.get(User, parse_id(broker_id)) if parse_id(broker_id) else None
    try:
        if broker_id and broker is None:
            raise PortalError("Choose a broker from the list.")
        assign_lead(db.session, lead, broker, current_user)
        record_audit(
            db.session,
            "lead_assigned",
            current_user,
            subject=broker,
            lead_id=lead.id,
            address=get_remote_address(),
        )
        db.session.commit()
    except PortalError as error:
        db.session.rollback()
        context = _lead_page_context(lead, assign_error=str(error))
        return page_or_fragment("partner/lead.html", "partner/_assignment.html", status=422, **context)
    message = f"Assigned to {broker.name}." if broker else "The lead is unassigned."
    if not wants_fragment():
        flash(message)
        return redirect(url_for("partner.lead_detail", lead_id=lead.id))
    context = _lead_page_context(lead, assigned=message, oob_timeline=True)
    return page_or_fragment("partner/lead.html", "partner/_assignment.html", **context)
