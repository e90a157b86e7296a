"""The partner portal: dashboard, leads, deals and brokers (every view needs the partner role)."""

from flask import Blueprint

from app.money import format_inr, format_inr_short
from app.portal.times import format_ist

bp = Blueprint("partner", __name__)


@bp.record_once
def _register_filters(state) -> None:
    """``inr`` ("₹10,00,000"), ``inr_short`` ("₹10 L") and ``ist`` (a UTC timestamp in India time)
    for templates, unless the broker portal registered them first (both register the same
    functions, so either registration formats alike)."""
    filters = state.app.jinja_env.filters
    filters.setdefault("inr", format_inr)
    filters.setdefault("inr_short", format_inr_short)
    filters.setdefault("ist", format_ist)


from app.blueprints.partner import brokers, dashboard, deals, leads, sync  # noqa: E402,F401
