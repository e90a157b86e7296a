"""What the partner's dashboard and broker list report: the funnel, platform revenue by month,
answer latency and quality, the questions investors ask most, and how each broker performs.

Every figure is aggregated by PostgreSQL in one query per function, so the cost stays flat as
leads, deals and messages grow; nothing here loops over rows in Python. Months are calendar
months of UTC dates, the same dates ``app.portal.deals`` stamps on a deal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Date, Integer, Numeric, and_, cast, extract, func, literal_column, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, aliased

from app.models import Deal, Lead, Message, RevenueTarget, User
from app.portal.pipeline import OPEN_PIPELINE

# How far the dashboard looks back for answer figures and the most asked questions.
ANSWER_WINDOW = timedelta(days=30)
# A claimed lead counts as contacted promptly if the broker called within this long.
PROMPT_CONTACT = timedelta(hours=2)
SITE_VISIT_OR_LATER = ("site_visit", "negotiating", "won")


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
    """A question as investors wrote it (lower-cased, trimmed) and how often it was answered."""

    question: str
    asked: int


@dataclass(frozen=True)
class BrokerPerformance:
    """A broker's record on the leads they hold (claimed or assigned)."""

    broker_id: int
    name: str
    email: str
    phone: str | None
    areas: list[str]
    active: bool
    max_active_leads: int
    open_leads: int
    claimed: int
    contacted_within_2h: int
    won: int
    conversion: float | None  # won / claimed
    median_hours_to_contact: float | None


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
    labels = ("Conversations", "Qualified", "Asked for a broker", "Claimed by a broker", "Site visit", "Won")
    return [FunnelStep(label, count) for label, count in zip(labels, row, strict=True)]


def monthly_revenue(session: Session, now: datetime, months: int = 12) -> list[MonthRevenue]:
    """Platform commission per month for the last ``months`` months (oldest first, this month
    last), with each month's target; months without deals show ₹0."""
    last = month_start(now.date())
    first = add_months(last, -(months - 1))
    series = select(
        cast(func.generate_series(first, last, literal_column("interval '1 month'")), Date).label("month")
    ).subquery()
    deal_month = cast(func.date_trunc("month", Deal.closed_on), Date)
    earned = (
        select(deal_month.label("month"), func.sum(Deal.platform_commission).label("revenue"))
        .where(Deal.closed_on >= first, Deal.closed_on < add_months(last, 1))
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
    """Latency percentiles of brochure answers (outbound replies with a route) in the window
    ending at ``now``, and how many said the brochures do not cover the question."""
    row = session.execute(
        select(
            func.count(),
            func.percentile_cont(0.5).within_group(Message.latency_ms),
            func.percentile_cont(0.95).within_group(Message.latency_ms),
            func.count().filter(Message.answered.is_not(None)),
            func.count().filter(Message.answered.is_(False)),
        ).where(
            Message.direction == "out",
            Message.route.is_not(None),
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
    answered = (
        select(reply.id)
        .where(reply.in_reply_to_id == question.id, reply.direction == "out", reply.route.is_not(None))
        .exists()
    )
    # Count each exact body first, then normalise the (far fewer) distinct bodies.
    bodies = (
        select(question.body.label("body"), func.count().label("asked"))
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
        select(text, asked)
        .where(func.btrim(bodies.c.body) != "")
        .group_by(text)
        .order_by(asked.desc(), text)
        .limit(limit)
    ).all()
    return [TopQuestion(q, n) for q, n in rows]


def broker_performance(session: Session, broker_id: int | None = None) -> list[BrokerPerformance]:
    """Every broker (inactive ones too), or just ``broker_id``, with their record on the leads
    they hold, by name.

    A lead counts as contacted within 2 h when its first contact came no later than two hours
    after the broker got it; a contact from before a reassignment does not count for the new
    broker. The median time to contact covers the leads contacted after the broker got them.
    """
    contacted = and_(Lead.contacted_at.is_not(None), Lead.contacted_at >= Lead.claimed_at)
    hours_to_contact = extract("epoch", Lead.contacted_at - Lead.claimed_at) / 3600
    claimed = func.count(Lead.id)
    won = func.count(Lead.id).filter(Lead.pipeline == "won")
    is_open = Lead.pipeline.is_(None) | Lead.pipeline.in_(OPEN_PIPELINE[1:])
    rows = session.execute(
        select(
            User,
            func.count(Lead.id).filter(is_open),
            claimed,
            func.count(Lead.id).filter(contacted, Lead.contacted_at <= Lead.claimed_at + PROMPT_CONTACT),
            won,
            cast(won, Numeric) / func.nullif(claimed, 0),
            func.percentile_cont(0.5).within_group(hours_to_contact).filter(contacted),
        )
        .outerjoin(Lead, and_(Lead.broker_id == User.id, Lead.claimed_at.is_not(None)))
        .where(User.role == "broker", User.id == broker_id if broker_id is not None else true())
        .group_by(User.id)
        .order_by(User.name, User.id)
    ).all()
    return [
        BrokerPerformance(
            broker_id=user.id,
            name=user.name,
            email=user.email,
            phone=user.phone,
            areas=list(user.areas or []),
            active=user.active,
            max_active_leads=user.max_active_leads,
            open_leads=open_leads,
            claimed=claimed_count,
            contacted_within_2h=prompt,
            won=won_count,
            conversion=_float(conversion),
            median_hours_to_contact=_float(median),
        )
        for user, open_leads, claimed_count, prompt, won_count, conversion, median in rows
    ]


def _float(value) -> float | None:
    return float(value) if value is not None else None
