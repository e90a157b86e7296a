"""What every template may use, registered once for the whole app: money in Indian notation,
timestamps in India time, and fresh ids for forms that must not be recorded twice."""

from __future__ import annotations

import uuid

from flask import Flask, current_app

from app import brochures
from app.money import format_inr, format_inr_short
from app.portal.lead_labels import timeline_label
from app.portal.times import format_ist


def new_client_id() -> str:
    """A fresh id for a message form: the same form sent twice is recorded once."""
    return uuid.uuid4().hex


def brochure_link(interactive: dict | None) -> str | None:
    """A fresh signed link to the brochure a message carries (None when it carries none)."""
    brochure = brochures.from_message(interactive)
    return brochures.link_path(current_app.config["SECRET_KEY"], brochure) if brochure else None


def init_app(app: Flask) -> None:
    """Register the template filters ``inr`` ("₹10,00,000"), ``inr_short`` ("₹10 L") and ``ist``
    (a UTC timestamp in India time), and the globals ``new_client_id()`` and ``brochure_link()``."""
    app.add_template_filter(format_inr, "inr")
    app.add_template_filter(format_inr_short, "inr_short")
    app.add_template_filter(format_ist, "ist")
    app.add_template_filter(timeline_label, "timeline")
    app.add_template_global(new_client_id, "new_client_id")
    app.add_template_global(brochure_link, "brochure_link")
