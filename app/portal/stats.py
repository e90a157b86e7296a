"""What the partner's dashboard reports: the funnel, platform revenue by month, answer latency
and quality, and the questions investors ask most.

Every figure is aggregated by PostgreSQL in one query per function, so the cost stays flat as
leads, deals and messages grow; nothing here loops over rows in Python. Months are calendar
months of deals' closing dates, which are India's dates (``app.portal.deals``), and this month
is India's month. How brokers perform
is ``app.portal.performance``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Date, Integer, bindparam, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, aliased

from app.conversation.intents import classify_reply
from app.models import Activity, Deal, Lead, Message, RevenueTarget
from app.models.leads import SITE_VISIT_OR_LATER
from app.portal.recent import RecentFigures
from app.portal.times import ist_today

# How far the dashboard looks back for answer figures and the most asked questions, and the
# windows the partner may pick instead.
ANSWER_WINDOW = timedelta(days=30)
WINDOWS_DAYS = (7, 30, 90)
# Rows read beyond the limit so that hand-off words left out still leave ``limit`` questions.
HANDOFF_ALLOWANCE = 10


@dataclass(frozen=True)
class FunnelStep:
    """One step of the lead funnel and how many leads reached it."""

    label: str
    count: int


@dataclass(frozen=True)
class MonthRevenue:
    """Platform revenue earned in one month (by closing date) and the target set for it."""

    month: date  # first day of the month
    revenue: Decimal
    target: Decimal | None

    @property
    def share_of_target(self) -> float | None:
        """Revenue as a fraction of the target (None without a target)."""
        return float(self.revenue / self.target) if self.target else None


@dataclass(frozen=True)
class AnswerQuality:
    """Brochure answers in a window: latency percentiles and how often the answer was missing."""

    replies: int
    p50_ms: float | None
    p95_ms: float | None
    judged: int  # replies whose ``answered`` is known
    not_in_brochures: int

    @property
    def not_in_brochures_share(self) -> float | None:
        """Share of judged replies that said the brochures do not say (None when there were none)."""
        return self.not_in_brochures / self.judged if self.judged else None


@dataclass(frozen=True)
class TopQuestion:
    """A question as investors wrote it (lower-cased, trimmed), how often it got a brochure
    answer, and how many of those said it is not in the brochures."""

    question: str
    asked: int
    unanswered: int = 0


def month_start(day: date) -> date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def add_months(month: date, months: int) -> date:
    """The first day of the month ``months`` after (or before, if negative) ``month``."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def funnel(session: Session) -> list[FunnelStep]:
    """How far every lead got, from first message to a won deal, counted in one pass."""
    row = session.execute(
        select(
            func.count(),
            func.count().filter(Lead.qualified_at.is_not(None)),
            func.count().filter(Lead.broker_requested_at.is_not(None)),
            func.count().filter(Lead.broker_id.is_not(None)),
            func.count().filter(Lead.pipeline.in_(SITE_VISIT_OR_LATER)),
            func.count().filter(Lead.pipeline == "won"),
        ).select_from(Lead)
    ).one()
    labels = ("Conversations", "Qualified", "Asked for a broker", "With a broker", "Site visit", "Won")
    return [FunnelStep(label, count) for label, count in zip(labels, row, strict=True)]


def monthly_revenue(session: Session, now: datetime, months: int = 12) -> list[MonthRevenue]:
    """Platform commission per month for the last ``months`` months (oldest first, this month
    in India at ``now`` last), with each month's target; months without deals show ₹0. Voided
    deals earn nothing."""
    last = month_start(ist_today(now))
    first = add_months(last, -(months - 1))
    series = select(
        cast(func.generate_series(first, last, literal_column("interval '1 month'")), Date).label("month")
    ).subquery()
    deal_month = cast(func.date_trunc("month", Deal.closed_on), Date)
    earned = (
        select(deal_month.label("month"), func.sum(Deal.platform_commission).label("revenue"))
        .where(Deal.closed_on >= first, Deal.closed_on < add_months(last, 1), Deal.voided_at.is_(None))
        .group_by(deal_month)
        .subquery()
    )
    rows = session.execute(
        select(series.c.month, func.coalesce(earned.c.revenue, 0), RevenueTarget.target)
        .outerjoin(earned, earned.c.month == series.c.month)
        .outerjoin(RevenueTarget, RevenueTarget.month == series.c.month)
        .order_by(series.c.month)
    ).all()
    return [MonthRevenue(month, Decimal(revenue), target) for month, revenue, target in rows]


def save_revenue_target(session: Session, month: date, target: Decimal) -> None:
    """Set (or replace) the platform-revenue target of ``month`` (caller commits)."""
    statement = insert(RevenueTarget).values(month=month_start(month), target=target)
    session.execute(
        statement.on_conflict_do_update(index_elements=[RevenueTarget.month], set_={"target": target})
    )


def answer_quality(session: Session, now: datetime, window: timedelta = ANSWER_WINDOW) -> AnswerQuality:
    """How long investors waited for brochure answers (outbound replies with a route) in the
    window ending at ``now``: from their message reaching us to the reply accepted by WhatsApp
    (shown in the website chat), percentiles; and how many said the brochures do not cover it."""
    question = aliased(Message)
    waited = func.extract("epoch", Message.sent_at - question.created_at) * 1000
    row = session.execute(
        select(
            func.count(),
            func.percentile_cont(0.5).within_group(waited),
            func.percentile_cont(0.95).within_group(waited),
            func.count().filter(Message.answered.is_not(None)),
            func.count().filter(Message.answered.is_(False)),
        )
        .select_from(Message)
        .outerjoin(question, question.id == Message.in_reply_to_id)
        .where(
            *_brochure_answer(Message),
            Message.created_at > now - window,
            Message.created_at <= now,
        )
    ).one()
    replies, p50, p95, judged, missing = row
    return AnswerQuality(replies, _float(p50), _float(p95), judged, missing)


def top_questions(
    session: Session, now: datetime, limit: int = 10, window: timedelta = ANSWER_WINDOW
) -> list[TopQuestion]:
    """The inbound messages (normalised: trimmed, lower-cased, inner spaces collapsed) that got
    a brochure answer (a reply with a route) most often in the window ending at ``now``."""
    question, reply = aliased(Message), aliased(Message)
    answered = select(reply.id).where(reply.in_reply_to_id == question.id, *_brochure_answer(reply)).exists()
    refused = (
        select(reply.id)
        .where(reply.in_reply_to_id == question.id, *_brochure_answer(reply), reply.answered.is_(False))
        .exists()
    )
    # Count each exact body first, then normalise the (far fewer) distinct bodies.
    bodies = (
        select(
            question.body.label("body"),
            func.count().label("asked"),
            func.count().filter(refused).label("refused"),
        )
        .where(
            question.direction == "in",
            question.created_at > now - window,
            question.created_at <= now,
            answered,
        )
        .group_by(question.body)
        .subquery()
    )
    text = func.regexp_replace(func.lower(func.btrim(bodies.c.body)), r"\s+", " ", "g")
    asked = cast(func.sum(bodies.c.asked), Integer)
    rows = session.execute(
        select(text, asked, cast(func.sum(bodies.c.refused), Integer))
        .where(func.btrim(bodies.c.body) != "")
        .group_by(text)
        .order_by(asked.desc(), text)
        .limit(limit + HANDOFF_ALLOWANCE)
    ).all()
    # "yes", "connect", "hi": hand-off and greeting words are not questions about a project.
    questions = [TopQuestion(q, n, r) for q, n, r in rows if classify_reply(q) is None]
    return questions[:limit]


def _brochure_answer(message) -> tuple:
    """An outbound reply with a route, written as ``ix_messages_answers``' WHERE (the direction a
    literal, not a bound parameter) so PostgreSQL uses that partial index in any plan."""
    out = bindparam("answer_direction", "out", literal_execute=True)
    return message.direction == out, message.route.is_not(None)


def _float(value) -> float | None:
    return float(value) if value is not None else None


# -- The dashboard's lead and answer figures, reused by a process while nothing new happened -------


@dataclass(frozen=True)
class ActivityFigures:
    """The dashboard's figures about leads and answers (revenue is read fresh every time)."""

    funnel: list[FunnelStep]
    answers: AnswerQuality
    questions: list[TopQuestion]


_figures: RecentFigures[ActivityFigures] = RecentFigures(Lead, Message, Activity, max_age=60.0)


def activity_figures(
    session: Session, now: datetime, max_age: float | None = None, window: timedelta = ANSWER_WINDOW
) -> ActivityFigures:
    """The funnel, answer quality and top questions, reused by this process for up to a minute
    (``max_age`` seconds) while no lead, message or activity is added, so a new lead, message or
    pipeline step shows at once; only the window's slide can lag. Another ``window`` than 30
    days is computed afresh."""

    def compute() -> ActivityFigures:
        return ActivityFigures(
            funnel(session),
            answer_quality(session, now, window),
            top_questions(session, now, window=window),
        )

    return _figures.get(session, compute, max_age) if window == ANSWER_WINDOW else compute()


def forget_activity_figures() -> None:
    """Drop this process's cached figures (the next dashboard computes them afresh)."""
    _figures.clear()
