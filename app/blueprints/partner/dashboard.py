"""``/partner/``: the funnel, platform revenue against target, answer quality, top questions."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import render_template

from app.blueprints.auth.access import role_required
from app.blueprints.partner import bp
from app.extensions import db
from app.money import format_inr_short
from app.portal import charts, stats


def _revenue_chart(months: list[stats.MonthRevenue]):
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


@bp.get("/")
@role_required("partner")
def dashboard():
    """Cards and server-drawn charts of how the business is doing."""
    now = datetime.now(UTC)
    funnel = stats.funnel(db.session)
    months = stats.monthly_revenue(db.session, now)
    return render_template(
        "partner/dashboard.html",
        funnel=funnel,
        funnel_chart=charts.funnel_chart(
            [(step.label, step.count) for step in funnel], chart_id="funnel-chart", title="Lead funnel"
        ),
        this_month=months[-1],
        revenue_chart=_revenue_chart(months),
        answers=stats.answer_quality(db.session, now),
        questions=stats.top_questions(db.session, now),
    )
