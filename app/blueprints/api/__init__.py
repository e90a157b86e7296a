"""JSON API for machine clients (the chat widget and integrations)."""

from flask import Blueprint

bp = Blueprint("api", __name__)
