"""The broker list's figures come from the activity history: every lead a broker got (claimed or
assigned) counts, including leads they released or the partner moved to someone else."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Activity, Lead, User
from app.portal.performance import broker_performance
from app.portal.pipeline import StageChange, assign_lead, claim_lead, move_pipeline, release_lead
from tests.portal_helpers import make_user
from tests.test_stats import NOW, make_broker, make_lead


def event(lead: Lead, kind: str, at, actor: User | None = None, **detail) -> None:
    """An activity on ``lead``'s timeline at ``at``, as the portal records it."""
    who = f"user:{actor.id}" if actor else "system"
    db.session.add(Activity(lead_id=lead.id, kind=kind, detail=detail, actor=who, created_at=at))
    db.session.flush()


def claimed(lead: Lead, broker: User, at) -> None:
    event(lead, "claimed", at, broker, broker=broker.name, broker_id=broker.id)


def stage(lead: Lead, broker: User, name: str, at) -> None:
    event(lead, "stage_changed", at, broker, stage=name)


def by_name(rows) -> dict[str, object]:
    return {row.name: row for row in rows}


def test_released_and_reassigned_leads_still_count_for_the_broker_who_had_them(app_ctx):
    asha, vikram = make_broker("Asha"), make_broker("Vikram")
    partner = make_broker("Priya")  # only acts as the assigner here
    start = NOW - timedelta(days=10)

    # 1: Asha claims, calls within the hour, then releases it; Vikram claims it and wins it.
    one = make_lead(broker_id=vikram.id, claimed_at=start + timedelta(days=1), pipeline="won")
    claimed(one, asha, start)
    stage(one, asha, "contacted", start + timedelta(minutes=45))
    event(one, "released", start + timedelta(hours=5), asha, previous_broker="Asha")
    claimed(one, vikram, start + timedelta(days=1))
    event(one, "deal_logged", start + timedelta(days=20), vikram, deal_id=1)
    # 2: the partner assigns it to Asha, she reaches a site visit after 3 h, then the partner
    # moves it to Vikram, who never calls: her contact is not his.
    two = make_lead(broker_id=vikram.id, claimed_at=start + timedelta(days=2), pipeline="site_visit")
    event(two, "assigned", start, partner, broker="Asha", broker_id=asha.id)
    stage(two, asha, "site_visit", start + timedelta(hours=3))
    event(two, "assigned", start + timedelta(days=2), partner, broker="Vikram", broker_id=vikram.id)
    # 3: Asha claims, calls exactly two hours later (still prompt) and wins it.
    three = make_lead(broker_id=asha.id, claimed_at=start, pipeline="won")
    claimed(three, asha, start)
    stage(three, asha, "contacted", start + timedelta(hours=2))
    stage(three, asha, "won", start + timedelta(days=9))
    # 4: an older assignment that names the broker only (before ids were recorded); she holds it.
    four = make_lead(broker_id=asha.id, claimed_at=start)
    event(four, "assigned", start, partner, broker="Asha")

    rows = by_name(broker_performance(db.session))

    a = rows["Asha"]
    assert (a.claimed, a.contacted_within_2h, a.won, a.open_leads) == (4, 2, 1, 1)
    assert a.conversion == pytest.approx(1 / 4)
    assert a.median_hours_to_contact == pytest.approx(2.0)  # of 0.75, 2 and 3 hours
    v = rows["Vikram"]
    assert (v.claimed, v.contacted_within_2h, v.won, v.open_leads) == (2, 0, 1, 1)
    assert (v.conversion, v.median_hours_to_contact) == (0.5, None)
    assert (rows["Priya"].claimed, rows["Priya"].conversion) == (0, None)


def test_a_lead_claimed_twice_by_one_broker_counts_once(app_ctx):
    asha = make_broker("Asha")
    lead = make_lead(broker_id=asha.id, claimed_at=NOW, pipeline="contacted")
    claimed(lead, asha, NOW - timedelta(days=2))
    event(lead, "released", NOW - timedelta(days=1), asha)
    claimed(lead, asha, NOW)
    stage(lead, asha, "contacted", NOW + timedelta(minutes=30))

    (row,) = broker_performance(db.session, broker_id=asha.id)

    assert (row.claimed, row.contacted_within_2h, row.open_leads) == (1, 1, 1)
    assert row.median_hours_to_contact == pytest.approx(0.5)


def test_history_written_by_the_portal_counts_for_each_broker(app_ctx):
    """Claims, releases, assignments and stage moves through the domain functions."""
    partner = make_user("partner@example.com", "partner", name="Priya")
    asha = make_user("asha@example.com", "broker", name="Asha")
    vikram = make_user("vikram@example.com", "broker", name="Vikram")
    first, second = make_lead(stage="qualified"), make_lead(stage="qualified")

    claim_lead(db.session, first.id, asha)
    move_pipeline(db.session, first, StageChange("contacted"), asha)
    release_lead(db.session, first, asha)
    claim_lead(db.session, first.id, vikram)
    claim_lead(db.session, second.id, asha)
    assign_lead(db.session, second, vikram, partner)

    rows = by_name(broker_performance(db.session))

    figures = {name: (r.claimed, r.contacted_within_2h, r.open_leads) for name, r in rows.items()}
    assert figures == {"Asha": (2, 1, 0), "Vikram": (2, 0, 2)}  # the partner is no broker
