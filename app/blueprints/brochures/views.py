"""The brochure download WhatsApp fetches (and a website visitor opens): no login, the signed
token is the permission (``app.brochures``)."""

from __future__ import annotations

from io import BytesIO

from flask import abort, current_app, send_file

from app import brochures
from app.blueprints.brochures import bp
from app.extensions import db


@bp.get("/brochures/<token>/<filename>")
def download(token: str, filename: str):
    """The PDF, or 410 when the link has expired and 404 when it was never ours."""
    try:
        document_id = brochures.document_for_token(
            current_app.config["SECRET_KEY"], token, brochures.link_hours(current_app.config)
        )
    except brochures.LinkExpired:
        abort(410, description="This brochure link has expired. Ask in the chat and a fresh one is sent.")
    stored = brochures.read_file(db.session, document_id) if document_id is not None else None
    if stored is None:
        abort(404)
    response = send_file(
        BytesIO(stored.content),
        mimetype="application/pdf",
        download_name=stored.filename,
        as_attachment=False,
        max_age=3600,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
