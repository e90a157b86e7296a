"""Inbound webhooks from WhatsApp providers (Meta Cloud API, Wati)."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__)

from app.blueprints.webhooks import views  # noqa: E402,F401
