"""``/partner/brokers``: brokers with their performance; adding, editing, (de)activating them."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user

from app.blueprints.auth.access import role_required
from app.blueprints.fragments import page_or_fragment, wants_fragment
from app.blueprints.partner import bp
from app.blueprints.partner.forms import area_choices, broker_form
from app.channels.phones import dial_links
from app.extensions import db
from app.models import User
from app.portal import account_links
from app.portal.accounts import BrokerForm, BrokerFormInvalid, apply_broker_form
from app.portal.audit import record_audit
from app.portal.performance import broker_performance
from app.portal.pipeline import PortalError


def _broker_or_404(broker_id: int) -> User:
    broker = db.session.get(User, broker_id)
    if broker is None or broker.role != "broker":
        abort(404)
    return broker


def _saved_form(broker: User | None) -> BrokerForm:
    if broker is None:
        return BrokerForm(name="", email="")
    return BrokerForm(
        name=broker.name,
        email=broker.email,
        phone=broker.phone or "",
        areas=list(broker.areas),
        max_active_leads=str(broker.max_active_leads),
    )


@bp.get("/brokers")
@role_required("partner")
def brokers():
    """Every broker with leads held, prompt contacts, wins, conversion and time to contact."""
    return render_template("partner/brokers.html", brokers=broker_performance(db.session))


def _broker_page(broker: User | None):
    """The create/edit form: on POST save and go back to the list, or show errors by field."""
    form, errors = _saved_form(broker), {}
    if request.method == "POST":
        form = broker_form(request.form, broker)
        try:
            saved = apply_broker_form(db.session, broker, form)
            record_audit(
                db.session,
                "broker_updated" if broker else "broker_added",
                current_user,
                subject=saved,
                address=get_remote_address(),
            )
            db.session.commit()
            if broker is None:
                return _invite(saved, account_links.INVITE)
            flash(f"{saved.name} is saved.")
            return redirect(url_for("partner.brokers"))
        except BrokerFormInvalid as invalid:
            db.session.rollback()
            errors = invalid.errors
        except PortalError as error:  # e.g. the same email added a moment ago in another tab
            db.session.rollback()
            errors = {"form": str(error)}
    page = render_template(
        "partner/broker_form.html", broker=broker, form=form, errors=errors, areas=area_choices(form.areas)
    )
    return page, (422 if errors else 200)


@bp.route("/brokers/new", methods=["GET", "POST"])
@role_required("partner")
def new_broker():
    """Add a broker account (name, email, phone, areas, lead limit); they get an invitation to
    choose their password."""
    return _broker_page(None)


@bp.route("/brokers/<int:broker_id>/edit", methods=["GET", "POST"])
@role_required("partner")
def edit_broker(broker_id: int):
    """Change a broker's details (never their password: "Send a password link")."""
    return _broker_page(_broker_or_404(broker_id))


def _invite(broker: User, purpose: str):
    """Email the broker a link to choose their password; without email (or when the mail server
    refuses), show the partner the link to send another way (WhatsApp). Commits."""
    token = account_links.token_for(current_app.config["SECRET_KEY"], broker, purpose)
    link = url_for("auth.set_password", purpose=purpose, token=token, _external=True)
    problem = account_links.email_link(current_app.config, broker, purpose, link, inviter=current_user.name)
    record_audit(
        db.session,
        "invitation_sent",
        current_user,
        subject=broker,
        address=get_remote_address(),
        by="email" if problem is None else "link shown to the partner",
    )
    db.session.commit()
    if problem is None:
        flash(
            f"{broker.name} is added: an email with a link to choose a password went to {broker.email}."
            if purpose == account_links.INVITE
            else f"A password link went to {broker.email}."
        )
        return redirect(url_for("partner.brokers"))
    links = dial_links(broker.phone) if broker.phone else None
    whatsapp = links[2] if links else None
    return render_template(
        "partner/invitation.html",
        broker=broker,
        link=link,
        problem=problem,
        whatsapp=whatsapp,
        hours=account_links.HOURS[purpose],
    )


@bp.post("/brokers/<int:broker_id>/invite")
@role_required("partner")
def invite_broker(broker_id: int):
    """A new link for the broker to choose a password (a lost invitation, a forgotten password)."""
    broker = _broker_or_404(broker_id)
    return _invite(broker, account_links.INVITE if broker.last_login_at is None else account_links.RESET)


def _set_active(broker_id: int, active: bool):
    broker = _broker_or_404(broker_id)
    broker.active = active
    if not active:
        broker.end_sessions()  # so a copied cookie does not come back on reactivation
    record_audit(
        db.session,
        "broker_reactivated" if active else "broker_deactivated",
        current_user,
        subject=broker,
        address=get_remote_address(),
    )
    db.session.commit()
    if not wants_fragment():
        flash(f"{broker.name} can log in again." if active else f"{broker.name} can no longer log in.")
        return redirect(url_for("partner.brokers"))
    row = broker_performance(db.session, broker_id=broker.id)[0]
    return page_or_fragment("partner/brokers.html", "partner/_broker_row.html", b=row)


@bp.post("/brokers/<int:broker_id>/deactivate")
@role_required("partner")
def deactivate_broker(broker_id: int):
    """Stop a broker logging in (their current session ends too); their leads stay with them."""
    return _set_active(broker_id, False)


@bp.post("/brokers/<int:broker_id>/reactivate")
@role_required("partner")
def reactivate_broker(broker_id: int):
    """Let a deactivated broker log in again."""
    return _set_active(broker_id, True)
