"""Correcting and voiding a deal from the lead's page: the change is kept on the lead's history,
the commissions follow, and a voided deal counts in no revenue, win or export total."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import Activity, Deal
from app.portal.performance import broker_performance
from app.portal.stats import monthly_revenue
from tests.portal_helpers import make_user
from tests.test_broker_portal import Portal, make_lead, text

DEAL = {"project": "Saffron Ridge", "unit_type": "4 BHK", "value": "5 Cr"}


def won_lead(app_ctx, owner):
    """A lead ``owner`` claimed and won with a ₹5 Cr deal through the lead's page."""
    lead = make_lead(stage="broker_requested")
    portal = Portal(app_ctx, owner.email)
    assert portal.post(f"/broker/leads/{lead.id}/claim", htmx=True).status_code == 200
    assert portal.post(f"/broker/leads/{lead.id}/deals", DEAL, htmx=True).status_code == 200
    deal = db.session.scalar(select(Deal).where(Deal.lead_id == lead.id))
    return portal, lead, deal


def history(lead) -> list[Activity]:
    return list(db.session.scalars(select(Activity).where(Activity.lead_id == lead.id).order_by(Activity.id)))


def test_a_corrected_deal_recomputes_commissions_and_keeps_the_before_and_after(app_ctx, owner):
    portal, lead, deal = won_lead(app_ctx, owner)
    page = text(portal.get(f"/broker/leads/{lead.id}"))
    assert "Correct or void this deal" in page and 'value="₹5,00,00,000"' in page

    form = {**DEAL, "value": "4.5 Cr", "closed_on": deal.closed_on.isoformat()}
    response = portal.post(f"/broker/deals/{deal.id}", form, htmx=True)
    assert response.status_code == 200 and "Deal corrected." in text(response)
    db.session.refresh(deal)
    assert deal.deal_value == Decimal("45000000")
    assert (deal.broker_commission, deal.platform_commission) == (Decimal("900000.00"), Decimal("225000.00"))
    [edited] = [a for a in history(lead) if a.kind == "deal_edited"]
    assert edited.detail["changes"] == {"deal_value": ["₹5,00,00,000", "₹4,50,00,000"]}
    assert re.search(r"deal value\s+₹5,00,00,000 → ₹4,50,00,000", text(response))

    same = portal.post(f"/broker/deals/{deal.id}", form, htmx=True)
    assert "Nothing changed in the deal." in text(same)
    assert len([a for a in history(lead) if a.kind == "deal_edited"]) == 1


def test_a_bad_correction_shows_its_error_and_changes_nothing(app_ctx, owner):
    portal, lead, deal = won_lead(app_ctx, owner)
    response = portal.post(f"/broker/deals/{deal.id}", {**DEAL, "value": "lots"}, htmx=True)
    assert response.status_code == 422 and "is not an amount" in text(response)
    assert 'value="lots"' in text(response)  # what was typed, to fix
    db.session.refresh(deal)
    assert deal.deal_value == Decimal("50000000")


def test_a_voided_deal_reopens_the_lead_and_counts_in_no_total(app_ctx, owner):
    portal, lead, deal = won_lead(app_ctx, owner)
    now = datetime.now(UTC)
    assert monthly_revenue(db.session, now)[-1].revenue == Decimal("250000.00")
    [before] = [row for row in broker_performance(db.session) if row.name == owner.name]
    assert before.won == 1

    refused = portal.post(f"/broker/deals/{deal.id}/void", {"reason": "  "}, htmx=True)
    assert refused.status_code == 422 and "Say why the deal is void" in text(refused)
    response = portal.post(f"/broker/deals/{deal.id}/void", {"reason": "Buyer withdrew"}, htmx=True)
    assert response.status_code == 200 and "Deal voided" in text(response)
    assert "Buyer withdrew" in text(response) and "Correct or void this deal" not in text(response)

    db.session.refresh(deal)
    db.session.refresh(lead)
    assert (
        deal.voided_at is not None and deal.void_reason == "Buyer withdrew" and deal.voided_by_id == owner.id
    )
    assert lead.pipeline == "negotiating"  # worked again; a new deal can be logged
    assert monthly_revenue(db.session, now)[-1].revenue == Decimal("0")
    [after] = [row for row in broker_performance(db.session) if row.name == owner.name]
    assert after.won == 0
    assert [a.detail["reason"] for a in history(lead) if a.kind == "deal_voided"] == ["Buyer withdrew"]
    again = portal.post(f"/broker/deals/{deal.id}/void", {"reason": "Twice"}, htmx=True)
    assert again.status_code == 422 and "already void" in text(again)


def test_the_partner_sees_a_voided_deal_marked_in_the_list_and_the_csv(app_ctx, owner):
    portal, lead, deal = won_lead(app_ctx, owner)
    assert portal.post(f"/broker/deals/{deal.id}/void", {"reason": "Logged twice"}).status_code == 303
    make_user("priya@partner.example", role="partner")
    db.session.commit()
    partner = Portal(app_ctx, "priya@partner.example")
    listing = text(partner.get("/partner/deals"))
    assert "Void: Logged twice" in listing and "1 deal (1 void, counted in no total)" in listing
    csv_text = text(partner.get("/partner/deals.csv"))
    header, row = csv_text.splitlines()[:2]
    assert header.endswith(",void_reason") and row.endswith(",Logged twice")


def test_only_the_deals_broker_may_correct_or_void_it(app_ctx, owner):
    _, _, deal = won_lead(app_ctx, owner)
    make_user("meera@agency.example", name="Meera Das")
    db.session.commit()
    other = Portal(app_ctx, "meera@agency.example")
    assert other.post(f"/broker/deals/{deal.id}", {**DEAL, "value": "1 Cr"}).status_code == 404
    assert other.post(f"/broker/deals/{deal.id}/void", {"reason": "Mine now"}).status_code == 404
    db.session.refresh(deal)
    assert deal.deal_value == Decimal("50000000") and deal.voided_at is None
