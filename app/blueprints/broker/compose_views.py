"""The owner writing to the investor from the lead's page: a message of their own or a canned
reply, the project's brochure, or site-visit times as buttons (``app.portal.thread``), and the
conversation the page polls."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError

from app import brochures
from app.blueprints.auth.access import role_required
from app.blueprints.broker import bp
from app.blueprints.broker.views import owned_lead
from app.blueprints.fragments import wants_fragment
from app.conversation.site_visits import IST, MAX_SLOTS
from app.extensions import db
from app.models import CannedReply, Lead
from app.models.columns import parse_id
from app.portal import canned
from app.portal.inbox import mark_seen
from app.portal.lead_history import transcript
from app.portal.pipeline import PortalError
from app.portal.thread import Written, offer_site_visit, send_brochure, write_to_investor
from workers.queues import get_queue
from workers.tasks import send_lead_message

SLOT_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends, read as India time


def composer_context(lead: Lead, reply_id: str | None = None, **typed) -> dict:
    """What the composer under the conversation shows: the canned replies to pick from and, for
    the one picked, its form filled in for this lead (``typed`` puts back what was typed)."""
    chosen = db.session.get(CannedReply, parse_id(reply_id)) if parse_id(reply_id) else None
    kind = chosen.kind if chosen else "text"
    projects = [(project.id, project.name) for project in brochures.projects_with_brochures(db.session)]
    return {
        "canned_replies": canned.all_replies(db.session),
        "chosen": chosen,
        "compose_kind": typed.pop("compose_kind", kind),
        "compose_text": typed.pop(
            "compose_text", canned.fill(chosen.body, lead, current_user) if chosen else ""
        ),
        "brochure_projects": projects,
        "brochure_project_id": typed.pop("brochure_project_id", lead.project_id),
        "slot_values": typed.pop("slot_values", [""] * MAX_SLOTS),
        "slot_min": datetime.now(IST).strftime(SLOT_FORMAT),
        "compose_error": typed.pop("compose_error", None),
    }


@bp.get("/leads/<int:lead_id>/compose", endpoint="compose")
@role_required("broker")
def compose(lead_id: int):
    """The composer for the canned reply picked (or a blank message)."""
    lead = owned_lead(lead_id)
    return render_template(
        "broker/_composer.html", lead=lead, **composer_context(lead, request.args.get("reply"))
    )


@bp.post("/leads/<int:lead_id>/messages", endpoint="write_message")
@role_required("broker")
def write_message(lead_id: int):
    """The owner writes to the investor through the lead's channel."""
    lead = owned_lead(lead_id)
    text, mid = request.form.get("text", ""), request.form.get("mid")
    return _sent(
        lead,
        lambda: write_to_investor(db.session, lead, current_user, text, current_app.config, client_id=mid),
        compose_text=text,
    )


@bp.post("/leads/<int:lead_id>/brochure", endpoint="send_brochure")
@role_required("broker")
def send_lead_brochure(lead_id: int):
    """The project's brochure PDF, with a caption."""
    lead = owned_lead(lead_id)
    caption, project_id = request.form.get("text", ""), parse_id(request.form.get("project_id"))
    return _sent(
        lead,
        lambda: send_brochure(
            db.session,
            lead,
            current_user,
            project_id,
            caption,
            current_app.config,
            client_id=request.form.get("mid"),
        ),
        compose_kind="brochure",
        compose_text=caption,
        brochure_project_id=project_id,
    )


@bp.post("/leads/<int:lead_id>/visit", endpoint="offer_visit")
@role_required("broker")
def offer_visit(lead_id: int):
    """Two or three site-visit times as buttons; the investor's tap books the visit."""
    lead = owned_lead(lead_id)
    text, typed = request.form.get("text", ""), request.form.getlist("slot")[:MAX_SLOTS]
    typed += [""] * (MAX_SLOTS - len(typed))
    context = {"compose_kind": "site_visit", "compose_text": text, "slot_values": typed}

    def offer() -> Written:
        try:
            slots = [datetime.strptime(value, SLOT_FORMAT).replace(tzinfo=IST) for value in typed if value]
        except ValueError as error:
            raise PortalError("Pick each time with the date and time picker.") from error
        return offer_site_visit(
            db.session, lead, current_user, text, slots, current_app.config, client_id=request.form.get("mid")
        )

    return _sent(lead, offer, **context)


@bp.get("/leads/<int:lead_id>/conversation", endpoint="conversation")
@role_required("broker")
def conversation(lead_id: int):
    """The conversation as it stands (the lead's page polls it: new messages and ticks). What it
    shows counts as read in the broker's inbox when the page says the broker can see it
    (``seen=1``: the tab in front, the conversation unfolded; static/js/portal.js)."""
    lead = owned_lead(lead_id)
    if request.args.get("seen") == "1":
        mark_seen(db.session, lead)
        db.session.commit()
    return _thread(lead)


def _sent(lead: Lead, write, **typed):
    """Record a message with ``write``, commit, and hand it to a worker; on a refusal, the
    composer again with the reason and what was typed."""
    try:
        written = write()
        db.session.commit()
    except IntegrityError:  # the same form, sent twice at once: the other request sent it
        db.session.rollback()
        return _thread(lead, 200, composer_context(lead), message_note="Already sent: this form went once.")
    except PortalError as error:
        db.session.rollback()
        if not wants_fragment():
            flash(str(error), "error")
            return redirect(url_for("broker.lead_detail", lead_id=lead.id), 303)
        composer = composer_context(lead, request.form.get("reply"), compose_error=str(error), **typed)
        return _thread(lead, 422, composer, message_note=str(error), message_error=True)
    if written.to_send:
        try:
            get_queue(current_app.config).enqueue(send_lead_message, written.message.id)
        except RedisError:  # kept as pending: a worker sends it when it starts (workers.recovery)
            current_app.logger.warning("queue unavailable: message %s waits for a worker", written.message.id)
    if not wants_fragment():
        flash(written.note)
        return redirect(url_for("broker.lead_detail", lead_id=lead.id), 303)
    return _thread(lead, 200, composer_context(lead), message_note=written.note)


def _thread(lead: Lead, status: int = 200, composer: dict | None = None, **context):
    """The conversation; with ``composer`` (a composer_context) also the composer, out of band."""
    page = render_template(
        "broker/_thread.html",
        lead=lead,
        transcript=transcript(db.session, lead.id),
        show_composer=composer is not None,
        **(composer or {}),
        **context,
    )
    return page, status
