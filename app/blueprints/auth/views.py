"""``/login``, ``/logout`` and ``/`` (which sends each role to its home page)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.exceptions import HTTPException

from app.blueprints.auth import bp
from app.extensions import db, limiter, login_manager
from app.models import User
from app.portal.accounts import any_account, authenticate


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The logged-in user for a session, if still active."""
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


@login_manager.unauthorized_handler
def unauthorized():
    """Send the browser to the login page; an HTMX request is redirected as a whole page."""
    target = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
    if request.headers.get("HX-Request") == "true":
        return "", 401, {"HX-Redirect": target}
    flash(login_manager.login_message)
    return redirect(target)


def _safe_next(target: str) -> bool:
    """Only a same-site path that answers GET (never a form's POST-only URL)."""
    if not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return False
    try:
        current_app.url_map.bind("").match(urlsplit(target).path, method="GET")
    except HTTPException:
        return False
    return True


def _home_for(user: User) -> str:
    return url_for("partner.dashboard") if user.is_partner else url_for("broker.pool")


def _failed_login(response) -> bool:
    return response.status_code != 302


def _login_account() -> str:
    return "login:" + (request.form.get("email") or "").strip().lower()


@bp.get("/")
def index():
    """Logged in: your home page; otherwise the login form."""
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    "5 per 5 minutes",
    key_func=_login_account,
    methods=["POST"],
    deduct_when=_failed_login,
    error_message="Too many failed logins for this account. Wait a few minutes and try again.",
)
@limiter.limit(
    "30 per 5 minutes",
    methods=["POST"],
    deduct_when=_failed_login,
    error_message="Too many failed logins from your network. Wait a few minutes and try again.",
)
def login():
    """The login form; on success go to the page asked for (same site only) or home."""
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    error = None
    if request.method == "POST":
        email = request.form.get("email", "")
        user = authenticate(db.session, email, request.form.get("password", ""))
        if user is not None:
            login_user(user, remember=bool(request.form.get("remember")))
            user.last_login_at = datetime.now(UTC)
            db.session.commit()
            target = request.args.get("next", "")
            return redirect(target if _safe_next(target) else _home_for(user))
        error = "Email or password is not right."
    status = 401 if error else 200
    return render_template(
        "auth/login.html",
        error=error,
        email=request.form.get("email", ""),
        first_account_needed=not any_account(db.session),
    ), status


@bp.post("/logout")
@login_required
def logout():
    """End the session."""
    logout_user()
    flash("You are logged out.")
    return redirect(url_for("auth.login"))
