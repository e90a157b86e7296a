"""Dashboard and broker-performance figures, computed by PostgreSQL on seeded leads, deals and
messages (the tables are emptied after each test)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Deal, Lead, Message, RevenueTarget, User
from app.portal import stats

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
_serial = itertools.count(1)


def make_lead(**fields) -> Lead:
    """A lead with a unique phone and reference; ``fields`` override anything."""
    n = next(_serial)
    values = {"phone": f"+91981{n:07d}", "name": f"Investor {n}", "reference": f"IC-T{n:06d}", **fields}
    lead = Lead(**values)
    db.session.add(lead)
    db.session.flush()
    return lead


def make_broker(name: str = "Broker", **fields) -> User:
    """A broker account (no usable password: these tests never log in)."""
    n = next(_serial)
    user = User(email=f"broker{n}@example.com", name=name, role="broker", password_hash="-", **fields)
    db.session.add(user)
    db.session.flush()
    return user


def make_deal(value: str, closed_on: date, **fields) -> Deal:
    """A deal at the standard rates (2 % broker, 25 % of that to the platform)."""
    deal = Deal(
        project_name=fields.pop("project_name", "Aravali Crest"),
        unit_type=fields.pop("unit_type", "4 BHK"),
        deal_value=Decimal(value),
        broker_rate=Decimal("0.02"),
        platform_rate=Decimal("0.25"),
        closed_on=closed_on,
        **fields,
    )
    db.session.add(deal)
    db.session.flush()
    return deal


def make_message(direction: str, body: str = "", *, created_at: datetime = NOW, **fields) -> Message:
    """A message in or out, stamped ``created_at``."""
    message = Message(
        phone="+919810000000",
        direction=direction,
        provider="meta",
        body=body,
        status="received" if direction == "in" else "sent",
        created_at=created_at,
        **fields,
    )
    db.session.add(message)
    db.session.flush()
    return message


def test_the_funnel_counts_each_step(app_ctx):
    broker = make_broker()
    claimed = {"qualified_at": NOW, "broker_requested_at": NOW, "broker_id": broker.id, "claimed_at": NOW}
    for _ in range(4):
        make_lead()  # just talking
    for _ in range(3):
        make_lead(qualified_at=NOW)
    make_lead(qualified_at=NOW, broker_requested_at=NOW)  # waiting in the pool
    make_lead(broker_requested_at=NOW)  # asked for a broker before qualifying
    for pipeline in (None, "contacted", "lost", "site_visit", "negotiating", "won", "won"):
        make_lead(**claimed, pipeline=pipeline)

    steps = stats.funnel(db.session)

    assert [(s.label, s.count) for s in steps] == [
        ("Conversations", 16),
        ("Qualified", 11),
        ("Asked for a broker", 9),
        ("With a broker", 7),
        ("Site visit", 4),
        ("Won", 2),
    ]


def test_monthly_revenue_sums_platform_commission_by_closing_month_with_targets(app_ctx):
    make_deal("50000000", date(2026, 11, 3))  # ₹5 Cr → ₹10 L broker → ₹2.5 L platform
    make_deal("10000000", date(2026, 9, 30))  # ₹1 Cr → ₹50,000 platform
    make_deal("20000000", date(2026, 9, 1))  # ₹2 Cr → ₹1,00,000 platform
    make_deal("90000000", date(2025, 11, 30))  # 12 months back: outside the window
    stats.save_revenue_target(db.session, date(2026, 11, 1), Decimal("2500000"))
    stats.save_revenue_target(db.session, date(2026, 11, 20), Decimal("2000000"))  # replaces it

    months = stats.monthly_revenue(db.session, NOW)

    assert [m.month for m in months] == [stats.add_months(date(2025, 12, 1), i) for i in range(12)]
    by_month = {m.month: m for m in months}
    assert by_month[date(2026, 11, 1)].revenue == Decimal("250000.00")
    assert by_month[date(2026, 11, 1)].target == Decimal("2000000.00")
    assert by_month[date(2026, 11, 1)].share_of_target == pytest.approx(0.125)
    assert by_month[date(2026, 9, 1)].revenue == Decimal("150000.00")
    assert by_month[date(2026, 9, 1)].target is None
    assert sum(m.revenue for m in months) == Decimal("400000.00")
    assert db.session.scalar(
        select(RevenueTarget.target).where(RevenueTarget.month == date(2026, 11, 1))
    ) == (Decimal("2000000.00"))


def test_this_month_is_india_s_month_from_midnight_ist(app_ctx):
    make_deal("50000000", date(2026, 12, 1))  # closed at 00:10 IST on the 1st

    months = stats.monthly_revenue(db.session, datetime(2026, 11, 30, 19, 0, tzinfo=UTC))  # 00:30 IST

    assert months[-1].month == date(2026, 12, 1)
    assert months[-1].revenue == Decimal("250000.00")
    assert months[0].month == date(2026, 1, 1)


def test_month_arithmetic_crosses_years(app_ctx):
    assert stats.add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert stats.add_months(date(2025, 12, 1), 1) == date(2026, 1, 1)
    assert stats.add_months(date(2026, 11, 1), -11) == date(2025, 12, 1)


def test_answer_time_is_what_the_investor_waited_and_not_in_brochures_share(app_ctx):
    for n, waited in enumerate(range(100, 1001, 100)):
        asked = make_message("in", "question", created_at=NOW - timedelta(days=n))
        make_message(
            "out",
            "answer",
            route="rag",
            latency_ms=Decimal(1),  # the server's own time: not what the investor waited
            answered=n >= 3,
            in_reply_to_id=asked.id,
            created_at=asked.created_at,
            sent_at=asked.created_at + timedelta(milliseconds=waited),
        )
    make_message("out", "pending judgement", route="fact", answered=None)  # counted, not judged
    make_message(
        "out",
        "old",
        route="rag",
        latency_ms=Decimal(99999),
        answered=False,
        created_at=NOW - timedelta(days=31),
    )
    make_message("out", "greeting", latency_ms=Decimal(5000))  # no route: not an answer
    make_message("in", "question", latency_ms=Decimal(7000))

    quality = stats.answer_quality(db.session, NOW)

    assert quality.replies == 11
    assert quality.p50_ms == pytest.approx(550.0)
    assert quality.p95_ms == pytest.approx(955.0)
    assert (quality.judged, quality.not_in_brochures) == (10, 3)
    assert quality.not_in_brochures_share == pytest.approx(0.3)


def test_answer_quality_without_answers_is_empty_not_an_error(app_ctx):
    quality = stats.answer_quality(db.session, NOW)
    assert (quality.replies, quality.p50_ms, quality.p95_ms, quality.not_in_brochures_share) == (
        0,
        None,
        None,
        None,
    )


def test_top_questions_are_normalised_and_only_count_answered_ones(app_ctx):
    def asked(body: str, route: str | None = "rag", replies: int = 1, days_ago: int = 1) -> None:
        question = make_message("in", body, created_at=NOW - timedelta(days=days_ago))
        for sequence in range(replies):
            make_message("out", "reply", route=route, in_reply_to_id=question.id, sequence=sequence)

    for body in ("  What is the price? ", "what is the   price?", "WHAT IS THE PRICE?"):
        asked(body)
    asked("Payment plan?", replies=2)  # two replies to one question count once
    asked("payment plan?")
    asked("Is there a clubhouse?")
    for _ in range(4):
        asked("hello", route=None)  # greeted, not answered from the brochures
    asked("what is the price?", days_ago=40)  # outside the window
    make_message("in", "unanswered question")

    top = stats.top_questions(db.session, NOW)

    assert [(q.question, q.asked) for q in top] == [
        ("what is the price?", 3),
        ("payment plan?", 2),
        ("is there a clubhouse?", 1),
    ]
    assert len(stats.top_questions(db.session, NOW, limit=2)) == 2


def test_top_questions_leave_out_hand_off_words_and_say_which_went_unanswered(app_ctx):
    def asked(body: str, answered: bool = True) -> None:
        question = make_message("in", body, created_at=NOW - timedelta(hours=1))
        make_message("out", "reply", route="rag", answered=answered, in_reply_to_id=question.id)

    for _ in range(5):
        asked("yes")  # a hand-off answered with a brochure line once: still not a question
    for _ in range(2):
        asked("Is there a helipad?", answered=False)
    asked("is there a helipad?")
    asked("Payment plan?")

    top = stats.top_questions(db.session, NOW)

    assert [(q.question, q.asked, q.unanswered) for q in top] == [
        ("is there a helipad?", 3, 2),
        ("payment plan?", 1, 0),
    ]
    assert stats.top_questions(db.session, NOW, window=timedelta(minutes=30)) == []
