"""The pool, claiming and releasing leads, the broker's own leads and notifications."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user

from app.blueprints.auth.access import role_required
from app.blueprints.broker import bp
from app.blueprints.broker.forms import AREAS, read_pool_filters
from app.blueprints.broker.rendering import lead_rows, render
from app.blueprints.fragments import page_number, paginate, wants_fragment
from app.conversation.parsers import TIMELINES
from app.extensions import db
from app.models import Lead
from app.portal.audit import record_audit
from app.portal.inbox import inbox_page, unread_total
from app.portal.pipeline import (
    PIPELINE_LABELS,
    PortalError,
    claim_lead,
    mark_notifications_read,
    my_leads_query,
    recent_notifications,
    release_lead,
    unread_notification_count,
    visible_lead,
)
from app.portal.pool import pool_count, pool_page, pool_query

PER_PAGE = 25
# Tells the nav badge (which listens for this event) to count the pool again.
POOL_CHANGED = {"HX-Trigger": "pool-changed"}


@bp.get("/")
@role_required("broker")
def pool():
    """Leads waiting for a broker, best match and newest first; filters and results alone for HTMX."""
    filters = read_pool_filters(request.args)
    query = pool_query(
        current_user,
        area=filters.area or None,
        min_budget=filters.min_budget,
        timeline=filters.timeline or None,
    )
    page = pool_page(db.session, query, page_number(request.args.get("page")), PER_PAGE)
    return render(
        "broker/pool.html",
        "broker/_pool.html",
        filters=filters,
        page=page,
        rows=lead_rows(page.items, current_user),
        areas=AREAS,
        timelines=TIMELINES,
    )


@bp.get("/badge")
@role_required("broker")
def badge():
    """The nav badge: leads in the pool and unread notifications; it keeps polling itself."""
    return render_template(
        "broker/_badge.html",
        pool=pool_count(db.session, current_user),
        unread=unread_notification_count(db.session, current_user),
        inbox_unread=unread_total(db.session, current_user),
    )


@bp.get("/inbox")
@role_required("broker")
def inbox():
    """The broker's conversations, newest message first, with the investor's unread messages
    counted; the list polls itself so a new message moves its lead to the top."""
    page = inbox_page(db.session, current_user, page_number(request.args.get("page")), PER_PAGE)
    return render("broker/inbox.html", "broker/_inbox.html", page=page)


@bp.post("/leads/<int:lead_id>/claim")
@role_required("broker")
def claim(lead_id: int):
    """Take a lead from the pool; 409 with the reason when another broker was first or the
    broker already holds as many leads as allowed."""
    lead = db.session.get(Lead, lead_id)
    # Someone else's lead falls through to claim_lead, which refuses it as already claimed.
    if lead is None or (lead.broker_id is None and visible_lead(db.session, lead_id, current_user) is None):
        abort(404)
    if lead.broker_id != current_user.id:  # a second click on Claim is not an error
        try:
            claim_lead(db.session, lead_id, current_user)
        except PortalError as error:
            db.session.rollback()
            return _claim_refused(lead_id, str(error))
        record_audit(db.session, "lead_claimed", current_user, lead_id=lead_id, address=get_remote_address())
        db.session.commit()
    if wants_fragment():
        result = render_template("broker/_claim_result.html", lead_id=lead_id, claimed=True)
        return result, 200, POOL_CHANGED
    flash("Lead claimed: the phone number is now visible.")
    return redirect(url_for("broker.lead_detail", lead_id=lead_id), 303)


def _claim_refused(lead_id: int, message: str):
    if wants_fragment():
        return (
            render_template("broker/_claim_result.html", lead_id=lead_id, claimed=False, message=message),
            409,
            POOL_CHANGED,
        )
    flash(message)
    return redirect(url_for("broker.pool"), 303)


@bp.post("/leads/<int:lead_id>/release")
@role_required("broker")
def release(lead_id: int):
    """Put one of the broker's leads back in the pool."""
    lead = owned_lead(lead_id)
    try:
        release_lead(db.session, lead, current_user)
    except PortalError as error:
        db.session.rollback()
        flash(str(error))
        return redirect(url_for("broker.lead_detail", lead_id=lead_id), 303)
    db.session.commit()
    flash(f"{lead.name or 'The lead'} is back in the pool for other brokers.")
    return redirect(url_for("broker.my_leads"), 303)


@bp.get("/my-leads")
@role_required("broker")
def my_leads():
    """The broker's claimed leads with their pipeline stage, open ones first."""
    page = paginate(my_leads_query(current_user), PER_PAGE, request.args.get("page"))
    return render(
        "broker/my_leads.html",
        "broker/_my_leads_table.html",
        page=page,
        rows=lead_rows(page.items, current_user),
        labels=PIPELINE_LABELS,
    )


@bp.get("/notifications")
@role_required("broker")
def notifications():
    """The broker's latest notifications; showing them marks them read."""
    items = recent_notifications(db.session, current_user)
    unread_ids = {item.id for item in items if item.read_at is None}
    mark_notifications_read(db.session, current_user)
    db.session.commit()
    return render(
        "broker/notifications.html", "broker/_notifications_list.html", items=items, unread_ids=unread_ids
    )


def owned_lead(lead_id: int) -> Lead:
    """The lead if the current broker holds it; 404 otherwise (other brokers' leads stay hidden)."""
    lead = visible_lead(db.session, lead_id, current_user)
    if lead is None or lead.broker_id != current_user.id:
        abort(404)
    return lead
