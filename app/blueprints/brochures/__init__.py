"""``/brochures/<token>/<filename>``: a project's brochure PDF behind a signed, expiring link."""

from flask import Blueprint

bp = Blueprint("brochures", __name__)
