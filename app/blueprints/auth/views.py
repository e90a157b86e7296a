"""``/login``, ``/logout`` and ``/`` (which sends each role to its home page)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.exceptions import HTTPException

from app.blueprints.auth import bp
from app.extensions import db, limiter, login_manager
from app.models import User
from app.portal.accounts import any_account, authenticate, find_user
from app.portal.audit import record_audit


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The logged-in user for a session or remember-me cookie (``"<id>:<session version>"``), if
    still active and the version is current: logout, a password change and deactivation bump it."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


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


def _wrong_password(response) -> bool:
    """Only a refused password counts against a limit: not a success, and not the 429 a limit
    itself answers (or an address would lock itself out by retrying)."""
    return response.status_code == 401


def _account_and_address() -> str:
    """Guesses at one account from one address: the limit that stops a password being guessed
    does not lock the account's owner out from anywhere else."""
    email = (request.form.get("email") or "").strip().lower()
    return f"login:{email}:{get_remote_address()}"


@bp.get("/")
def index():
    """Logged in: your home page; otherwise the login form."""
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    "5 per 5 minutes",
    key_func=_account_and_address,
    methods=["POST"],
    deduct_when=_wrong_password,
    error_message="Too many failed logins for this account. Wait a few minutes and try again.",
)
@limiter.limit(
    "30 per 5 minutes",
    methods=["POST"],
    deduct_when=_wrong_password,
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
            record_audit(db.session, "login", user, address=get_remote_address())
            db.session.commit()
            target = request.args.get("next", "")
            return redirect(target if _safe_next(target) else _home_for(user))
        error = "Email or password is not right."
        known = find_user(db.session, email)
        record_audit(db.session, "login_failed", known, email=email.strip(), address=get_remote_address())
        db.session.commit()
    return login_page(error, 401 if error else 200)


def login_page(error: str | None, status: int, headers=()):
    """The login form, with the email typed so far and, if any, what went wrong."""
    page = render_template(
        "auth/login.html",
        error=error,
        email=request.form.get("email", ""),
        first_account_needed=not any_account(db.session),
    )
    return page, status, list(headers)


@bp.post("/logout")
@login_required
def logout():
    """End the session, and every other session and remember-me cookie of this account."""
    current_user.end_sessions()
    record_audit(db.session, "logout", current_user, address=get_remote_address())
    db.session.commit()
    logout_user()
    flash("You are logged out.")
    return redirect(url_for("auth.login"))
