"""The broker portal: the pool of qualified leads, claiming them and working the pipeline."""

from decimal import Decimal

from flask import Blueprint

from app.money import format_inr, format_inr_short
from app.portal.times import format_ist

bp = Blueprint("broker", __name__)


@bp.app_template_filter("inr")
def inr(amount: Decimal | int) -> str:
    """``{{ amount | inr }}`` -> "₹10,00,000" (full Indian grouping)."""
    return format_inr(amount)


@bp.app_template_filter("inr_short")
def inr_short(amount: Decimal | int) -> str:
    """``{{ amount | inr_short }}`` -> "₹10 L" (the way brokers say it)."""
    return format_inr_short(amount)


bp.add_app_template_filter(format_ist, "ist")


from app.blueprints.broker import lead_views, views  # noqa: E402,F401
