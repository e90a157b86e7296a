"""Central error handling: roll back the session and answer JSON or HTML by the Accept header."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from app.extensions import db

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith(("/api/", "/webhooks/")) or best == "application/json"


def init_app(app: Flask) -> None:
    """Register the error handlers on ``app``."""

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        db.session.rollback()
        if _wants_json():
            # Keep the error's own headers (Allow on 405, Retry-After on 429/503…).
            headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
            return jsonify(error=error.name, message=error.description), error.code, headers
        if error.code == 429 and request.endpoint == "auth.login":
            # Too many wrong passwords: the login form again, saying why and for how long.
            return _login_refused(error)
        return error

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return jsonify(error="Internal Server Error", message="Something went wrong on our side."), 500
        return "Something went wrong on our side. Please try again.", 500


def _login_refused(error: HTTPException):
    from app.blueprints.auth.views import login_page

    return login_page(
        error.description, 429, [(k, v) for k, v in error.get_headers() if k.lower() == "retry-after"]
    )
