"""``/partner/``: the funnel, platform revenue against target, answer quality, top questions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from flask import render_template, request
from markupsafe import Markup

from app.blueprints.auth.access import role_required
from app.blueprints.partner import bp
from app.conversation.unanswered import unanswered_messages
from app.extensions import db
from app.money import format_inr_short
from app.portal import charts, stats
from app.portal.alerts import undelivered_alerts


# Both charts are pure functions of their figures, which rarely change between two views, so the
# drawn SVG is kept for the last few sets of figures instead of being drawn on every request.
@lru_cache(maxsize=8)
def _revenue_chart(months: tuple[stats.MonthRevenue, ...]) -> Markup:
    columns = [
        charts.Column(
            label=m.month.strftime("%b %y"),
            value=m.revenue,
            value_text=format_inr_short(m.revenue),
            target=m.target,
            target_text=format_inr_short(m.target) if m.target is not None else None,
        )
        for m in months
    ]
    return charts.column_chart(
        columns, chart_id="revenue-chart", title="Platform revenue by month, last 12 months"
    )


@lru_cache(maxsize=8)
def _funnel_chart(steps: tuple[stats.FunnelStep, ...]) -> Markup:
    return charts.funnel_chart(
        [(step.label, step.count) for step in steps], chart_id="funnel-chart", title="Lead funnel"
    )


@bp.get("/")
@role_required("partner")
def dashboard():
    """Cards and server-drawn charts of how the business is doing; revenue is always current,
    the lead and answer figures at most a minute old (see ``stats.activity_figures``); messages the
    bot gave up on are listed as they stand."""
    now = datetime.now(UTC)
    days = request.args.get("days", type=int)
    days = days if days in stats.WINDOWS_DAYS else stats.ANSWER_WINDOW.days
    figures = stats.activity_figures(db.session, now, window=timedelta(days=days))
    months = stats.monthly_revenue(db.session, now)
    return render_template(
        "partner/dashboard.html",
        funnel=figures.funnel,
        funnel_chart=_funnel_chart(tuple(figures.funnel)),
        this_month=months[-1],
        revenue_chart=_revenue_chart(tuple(months)),
        answers=figures.answers,
        questions=figures.questions,
        unanswered=unanswered_messages(db.session),
        undelivered=undelivered_alerts(db.session),
        days=days,
        windows=stats.WINDOWS_DAYS,
    )
