"""``/partner/replies``: the canned replies brokers send from a lead's page (app.portal.canned)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from app.blueprints.auth.access import role_required
from app.blueprints.partner import bp
from app.extensions import db
from app.models import CannedReply
from app.portal import canned


def _read(form) -> canned.CannedForm:
    return canned.CannedForm(
        title=" ".join(form.get("title", "").split()),
        body=form.get("body", "").strip(),
        kind=form.get("kind", "text"),
    )


def _page(status: int = 200, **context):
    context = {"editing_id": None, "form": None, "errors": {}, **context}
    page = render_template(
        "partner/replies.html",
        replies=canned.all_replies(db.session),
        kinds=canned.KINDS,
        placeholders=canned.PLACEHOLDERS,
        **context,
    )
    return page, status


def _reply_or_404(reply_id: int) -> CannedReply:
    reply = db.session.get(CannedReply, reply_id)
    if reply is None:
        abort(404)
    return reply


@bp.get("/replies")
@role_required("partner")
def replies():
    """Every canned reply with its edit form, and a form for a new one."""
    return _page()


@bp.post("/replies")
@role_required("partner")
def new_reply():
    """Add a canned reply; errors are shown by the field, with what was typed."""
    return _save(None)


@bp.post("/replies/<int:reply_id>")
@role_required("partner")
def edit_reply(reply_id: int):
    """Change a canned reply."""
    return _save(_reply_or_404(reply_id))


def _save(reply: CannedReply | None):
    form = _read(request.form)
    errors = canned.form_errors(db.session, form, reply)
    if errors:
        return _page(422, editing_id=reply.id if reply else None, form=form, errors=errors)
    canned.save(db.session, form, reply)
    db.session.commit()
    flash(f"“{form.title}” is saved." if reply else f"“{form.title}” is ready for brokers.")
    return redirect(url_for("partner.replies"), 303)


@bp.post("/replies/<int:reply_id>/delete")
@role_required("partner")
def delete_reply(reply_id: int):
    """Remove a canned reply (messages already sent with it stay in their threads)."""
    reply = _reply_or_404(reply_id)
    title = reply.title
    db.session.delete(reply)
    db.session.commit()
    flash(f"“{title}” is deleted.")
    return redirect(url_for("partner.replies"), 303)
