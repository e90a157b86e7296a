"""The partner portal: dashboard, leads, deals and brokers (every view needs the partner role)."""

from flask import Blueprint

from app.money import format_inr, format_inr_short

bp = Blueprint("partner", __name__)


@bp.record_once
def _register_money_filters(state) -> None:
    """``inr`` ("₹10,00,000") and ``inr_short`` ("₹10 L") for templates, unless the broker portal
    registered them first (both come from ``app.money``, so either registration formats alike)."""
    filters = state.app.jinja_env.filters
    filters.setdefault("inr", format_inr)
    filters.setdefault("inr_short", format_inr_short)


from app.blueprints.partner import brokers, dashboard, deals, leads  # noqa: E402,F401
