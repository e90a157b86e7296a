"""``/partner/audit``: the audit log (app.portal.audit), newest first."""

from __future__ import annotations

from flask import render_template, request

from app.blueprints.auth.access import role_required
from app.blueprints.partner import bp
from app.extensions import db
from app.portal.audit import LABELS, recent_audit


@bp.get("/audit")
@role_required("partner")
def audit():
    """The latest 200 entries, or of one kind (``?kind=login_failed``)."""
    kind = request.args.get("kind", "")
    kind = kind if kind in LABELS else ""
    return render_template(
        "partner/audit.html", events=recent_audit(db.session, kind or None), kind=kind, labels=LABELS
    )
