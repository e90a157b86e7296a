"""One lead's page: the answers and conversation, and working it (stage, notes, the deal)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import select

from app.blueprints.auth.access import role_required
from app.blueprints.broker import bp
from app.blueprints.broker.compose_views import composer_context
from app.blueprints.broker.forms import read_deal_form, read_stage_change
from app.blueprints.broker.rendering import render
from app.blueprints.broker.views import owned_lead
from app.blueprints.fragments import wants_fragment
from app.blueprints.lead_pages import lead_context
from app.extensions import db
from app.models import Deal, Lead
from app.models.leads import CLOSED_PIPELINE, PIPELINE_BY_HAND
from app.money import format_inr, format_inr_short
from app.portal.audit import record_audit
from app.portal.deals import (
    DealForm,
    deal_form_errors,
    deal_form_of,
    edit_deal,
    lead_deals,
    log_deal,
    project_names,
    void_deal,
)
from app.portal.inbox import mark_seen
from app.portal.lead_labels import budget_label, phone_for
from app.portal.pipeline import (
    PIPELINE_LABELS,
    PortalError,
    add_note,
    move_pipeline,
    record,
    stage_field_errors,
    visible_lead,
    was_notified,
)
from app.portal.times import ist_today

# The stage the form suggests next, from the lead's current one.
NEXT_STAGE = {None: "contacted", "contacted": "site_visit", "site_visit": "negotiating"}


@bp.get("/leads/<int:lead_id>")
@role_required("broker")
def lead_detail(lead_id: int):
    """A pool lead: masked phone, the answers and a Claim button. The broker's own lead: also the
    conversation, timeline and the forms to work it (the work area alone for HTMX)."""
    lead = visible_lead(db.session, lead_id, current_user)
    if lead is None:
        taken = db.session.get(Lead, lead_id)
        if taken is not None and was_notified(db.session, current_user, lead_id):
            # Opened from a notification after another broker claimed it: say so, kindly.
            return render_template("broker/lead_taken.html", reference=taken.reference), 410
        abort(404)
    if lead.broker_id != current_user.id:
        return render_template(
            "broker/pool_lead.html",
            lead=lead,
            phone=phone_for(lead, current_user),
            budget=budget_label(lead),
        )
    mark_seen(db.session, lead)
    db.session.commit()
    return _work(lead, **composer_context(lead, request.args.get("reply")))


@bp.post("/leads/<int:lead_id>/stage")
@role_required("broker")
def move_stage(lead_id: int):
    """Move the lead along the pipeline; a site visit needs its date, a lost lead its reason."""
    lead = owned_lead(lead_id)
    change, errors = read_stage_change(request.form)
    errors = {**stage_field_errors(change), **errors}
    if not errors:
        try:
            move_pipeline(db.session, lead, change, current_user)
        except PortalError as error:
            db.session.rollback()
            errors = {"stage": str(error)}
    if errors:
        return _work(lead, 422, stage_errors=errors, stage_form=request.form)
    db.session.commit()
    return _done(lead, f"Moved to “{PIPELINE_LABELS[change.stage]}”.")


@bp.post("/leads/<int:lead_id>/notes", endpoint="add_note")
@role_required("broker")
def add_lead_note(lead_id: int):
    """Add a note to the lead's timeline."""
    lead = owned_lead(lead_id)
    try:
        add_note(db.session, lead, current_user, request.form.get("note", ""))
    except PortalError as error:
        db.session.rollback()
        return _work(lead, 422, note_errors={"note": str(error)}, note_form=request.form)
    db.session.commit()
    return _done(lead, "Note added.")


@bp.post("/leads/<int:lead_id>/deals", endpoint="log_deal")
@role_required("broker")
def log_lead_deal(lead_id: int):
    """Log the deal that won the lead; the commissions shown are the database's figures."""
    lead = owned_lead(lead_id)
    form = read_deal_form(request.form)
    # Closed leads take no deal, so a form submitted twice cannot log the commission twice; the
    # row lock makes a concurrent second submit wait and then see the lead won.
    db.session.refresh(lead, with_for_update=True)
    errors = {"deal": f"This lead is already {lead.pipeline}."} if lead.pipeline in CLOSED_PIPELINE else {}
    errors = errors or deal_form_errors(form)
    if not errors:
        try:
            deal = log_deal(db.session, lead, current_user, form, current_app.config)
        except PortalError as error:
            db.session.rollback()
            errors = {"deal": str(error)}
    if errors:
        return _work(lead, 422, deal_errors=errors, deal_form=form)
    record_audit(
        db.session,
        "deal_logged",
        current_user,
        lead_id=lead.id,
        address=get_remote_address(),
        deal_id=deal.id,
        value=format_inr(deal.deal_value),
    )
    db.session.commit()
    return _done(
        lead,
        f"Deal logged: {format_inr(deal.deal_value)}; your commission "
        f"{format_inr(deal.broker_commission)} · {format_inr_short(deal.broker_commission)}.",
        new_deal_id=deal.id,
    )


def _owned_deal(deal_id: int) -> Deal:
    """A deal the current broker logged on a lead they still hold, locked for the change (a second
    submit waits, then finds it voided or changed); 404 otherwise."""
    deal = db.session.scalar(select(Deal).where(Deal.id == deal_id).with_for_update())
    if deal is None or deal.broker_id != current_user.id or deal.lead is None:
        abort(404)
    owned_lead(deal.lead_id)
    return deal


@bp.post("/deals/<int:deal_id>", endpoint="edit_deal")
@role_required("broker")
def edit_lead_deal(deal_id: int):
    """Correct a deal's project, unit, value or date; the change is kept on the lead's history."""
    deal = _owned_deal(deal_id)
    form = read_deal_form(request.form)
    errors = deal_form_errors(form)
    if not errors:
        try:
            changes = edit_deal(db.session, deal, current_user, form)
        except PortalError as error:
            db.session.rollback()
            errors = {"deal": str(error)}
    if errors:
        return _work(deal.lead, 422, edit_errors={deal.id: errors}, edit_forms={deal.id: form})
    if changes:
        record_audit(
            db.session,
            "deal_edited",
            current_user,
            lead_id=deal.lead_id,
            address=get_remote_address(),
            deal_id=deal.id,
            changes="; ".join(f"{k}: {a} → {b}" for k, (a, b) in changes.items()),
        )
    db.session.commit()
    return _done(deal.lead, "Deal corrected." if changes else "Nothing changed in the deal.")


@bp.post("/deals/<int:deal_id>/void", endpoint="void_deal")
@role_required("broker")
def void_lead_deal(deal_id: int):
    """Void a deal with the reason: it stays on the history and counts in no total."""
    deal = _owned_deal(deal_id)
    try:
        void_deal(db.session, deal, current_user, request.form.get("reason", ""))
    except PortalError as error:
        db.session.rollback()
        return _work(deal.lead, 422, edit_errors={deal.id: {"reason": str(error)}})
    record_audit(
        db.session,
        "deal_voided",
        current_user,
        lead_id=deal.lead_id,
        address=get_remote_address(),
        deal_id=deal.id,
        reason=deal.void_reason,
    )
    db.session.commit()
    return _done(deal.lead, "Deal voided: it stays on the history and counts in no total.")


@bp.post("/leads/<int:lead_id>/assistant", endpoint="set_assistant")
@role_required("broker")
def set_assistant(lead_id: int):
    """Pause the bot for this lead (it then answers nothing and every message comes to the
    broker as a notification) or turn it back on."""
    lead = owned_lead(lead_id)
    paused = request.form.get("paused") == "1"
    if lead.assistant_paused != paused:
        lead.assistant_paused = paused
        record(db.session, lead, "assistant_paused" if paused else "assistant_resumed", current_user)
        db.session.commit()
    message = (
        "The assistant is paused: it answers nothing, and every message comes to you."
        if paused
        else "The assistant is on: it answers brochure questions and passes the rest to you."
    )
    return _done(lead, message)


def _done(lead: Lead, message: str, **context):
    """After a change: the refreshed work area for HTMX, else back to the lead page (no resubmit)."""
    if wants_fragment():
        return _work(lead, status_message=message, **context)
    flash(message)
    return redirect(url_for("broker.lead_detail", lead_id=lead.id), 303)


def _work(lead: Lead, status: int = 200, **context):
    """The broker's own lead: the whole page, or for HTMX the work area (pipeline, deal, notes,
    timeline). ``context`` carries a form's errors and what was typed, to show them again."""
    if not wants_fragment() and "canned_replies" not in context:  # the page has the composer too
        context = {**composer_context(lead), **context}
    return render(
        "broker/lead.html",
        "broker/_work.html",
        status,
        **lead_context(db.session, lead, current_user),
        **_work_context(lead, context),
    )


def _work_context(lead: Lead, context: Mapping) -> dict:
    deals = lead_deals(db.session, lead)
    # Each standing deal's edit form: as logged, or (context) as typed with its errors.
    edit_forms = {deal.id: deal_form_of(deal) for deal in deals if not deal.voided_at}
    edit_forms.update(context.get("edit_forms", {}))
    return {
        "closed": lead.pipeline in CLOSED_PIPELINE,
        "deals": deals,
        "projects": project_names(db.session),
        "stage_choices": [(stage, PIPELINE_LABELS[stage]) for stage in PIPELINE_BY_HAND],
        "next_stage": NEXT_STAGE.get(lead.pipeline, "negotiating"),
        "today": ist_today().isoformat(),
        "stage_errors": {},
        "stage_form": {},
        "note_errors": {},
        "note_form": {},
        "deal_errors": {},
        # Pre-filled from what the investor told the bot: their project and (if one) unit type.
        "deal_form": DealForm(
            project=lead.project.name if lead.project else "",
            unit_type=lead.unit_kinds[0] if len(lead.unit_kinds or []) == 1 else "",
            value="",
        ),
        "new_deal_id": None,
        "history_oob": True,  # the fragment carries the notes and timeline out of band
        "edit_errors": {},
        "status_message": None,
        **context,
        "edit_forms": edit_forms,
    }
