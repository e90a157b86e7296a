"""Passwords without the partner: setting one from an invitation or reset link, asking for a
reset by email, and changing one's own (app.portal.account_links)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user

from app.blueprints.auth import bp
from app.extensions import db, limiter
from app.portal import account_links
from app.portal.accounts import find_user, password_problem
from app.portal.audit import record_audit

PURPOSES = (account_links.INVITE, account_links.RESET)
SENT = (
    "If an active account has that email, a link to choose a new password is on its way. "
    "It works once, for an hour."
)


def _new_password_errors(user) -> dict[str, str]:
    password, again = request.form.get("password", ""), request.form.get("password_again", "")
    problem = password_problem(password, user.email, user.name)
    if problem:
        return {"password": problem}
    if password != again:
        return {"password_again": "The two passwords differ: type the same one twice."}
    return {}


@bp.route("/account/password/<purpose>/<token>", methods=["GET", "POST"])
def set_password(purpose: str, token: str):
    """Choose a password from an invitation or reset link; the link works once."""
    if purpose not in PURPOSES:
        abort(404)
    try:
        user = account_links.user_for(db.session, current_app.config["SECRET_KEY"], token, purpose)
    except account_links.LinkRefused as refused:
        return render_template("auth/link_refused.html", reason=str(refused), purpose=purpose), 410
    errors = _new_password_errors(user) if request.method == "POST" else {}
    if request.method == "POST" and not errors:
        user.set_password(request.form["password"])  # bumps the session version: the link is spent
        via = "an invitation" if purpose == account_links.INVITE else "a reset link"
        record_audit(db.session, "password_set", user, address=get_remote_address(), through=via)
        db.session.commit()
        flash("Your password is set. Log in with it.")
        return redirect(url_for("auth.login"))
    page = render_template("auth/set_password.html", user=user, purpose=purpose, errors=errors)
    return page, 422 if errors else 200


@bp.route("/login/forgot", methods=["GET", "POST"])
@limiter.limit("5 per 15 minutes", methods=["POST"])
def forgot_password():
    """Ask for a reset link by email; the answer is the same whether or not the account exists."""
    if request.method == "GET":
        return render_template("auth/forgot.html")
    email = request.form.get("email", "").strip()
    user = find_user(db.session, email) if email else None
    record_audit(db.session, "password_reset_requested", user, email=email, address=get_remote_address())
    if user is not None and user.active:
        token = account_links.token_for(current_app.config["SECRET_KEY"], user, account_links.RESET)
        link = url_for("auth.set_password", purpose=account_links.RESET, token=token, _external=True)
        problem = account_links.email_link(current_app.config, user, account_links.RESET, link)
        if problem:
            current_app.logger.warning("reset link for user %s not emailed: %s", user.id, problem)
    db.session.commit()
    flash(SENT)
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password (the current one first); other sessions end."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not current_user.check_password(request.form.get("current", "")):
            errors = {"current": "That is not your current password."}
        else:
            errors = _new_password_errors(current_user)
        if not errors:
            current_user.set_password(request.form["password"])
            record_audit(db.session, "password_changed", current_user, address=get_remote_address())
            db.session.commit()
            login_user(current_user)  # this session goes on with the new version; others end
            flash("Your password is changed. Other devices are logged out.")
            return redirect(url_for("auth.index"))
    return render_template("auth/change_password.html", errors=errors), 422 if errors else 200
