"""Inbound webhooks from WhatsApp providers (Meta Cloud API, Wati)."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__)
