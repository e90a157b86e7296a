"""The broker portal: the pool, claiming, the pipeline, deals, as pages and as HTMX fragments."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest
from flask import g
from sqlalchemy import func, select

from app.channels.phones import mask_phone
from app.extensions import db
from app.models import Activity, Deal, Lead, Notification, OutboxEvent, User
from app.portal.accounts import create_user
from app.portal.deals import parse_closed_on
from app.portal.pipeline import PortalError
from app.portal.times import ist_today

PASSWORD = "correct horse battery"
HTMX = {"HX-Request": "true"}
_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
_phones = count(1)


# -- factories and helpers ------------------------------------------------------------------------


def make_user(email: str, role: str = "broker", **fields) -> User:
    user = create_user(db.session, email, role, email.split("@")[0].title(), PASSWORD, **fields)
    db.session.commit()
    return user


def make_lead(name: str = "Asha Mehta", stage: str = "qualified", **fields) -> Lead:
    """A committed lead with the four answers given (₹3–5 Cr, Golf Course Road, 1-3 months,
    4 BHK) at ``stage``; ``fields`` override any of it."""
    now = datetime.now(UTC)
    values = {
        "phone": f"+91981234{next(_phones):04d}",
        "name": name,
        "stage": stage,
        "budget_min_inr": Decimal("30000000"),
        "budget_max_inr": Decimal("50000000"),
        "areas": ["Golf Course Road"],
        "timeline": "1-3 months",
        "unit_kinds": ["4 BHK"],
        "qualified_at": now,
        "broker_requested_at": now if stage == "broker_requested" else None,
        **fields,
    }
    lead = Lead(**values)
    db.session.add(lead)
    db.session.commit()
    return lead


def fresh_globals() -> None:
    """Requests in these tests share the fixture's app context, so ``g`` would carry one request's
    logged-in user and CSRF token into the next (another browser's). Start each request clean."""
    g.__dict__.clear()


class Portal:
    """A logged-in browser: a test client plus the CSRF token its session signs."""

    def __init__(self, app, email: str):
        self.client = app.test_client()
        page = self.get("/login").get_data(as_text=True)
        self.token = _CSRF_RE.search(page).group(1)
        fresh_globals()
        response = self.client.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": self.token}
        )
        assert response.status_code == 302, response.get_data(as_text=True)

    def get(self, url: str, htmx: bool = False, headers: dict | None = None):
        fresh_globals()
        return self.client.get(url, headers={**(HTMX if htmx else {}), **(headers or {})})

    def post(self, url: str, data: dict | None = None, htmx: bool = False):
        """HTMX posts send the token as base.html's hx-headers do; plain posts in the form."""
        fresh_globals()
        if htmx:
            return self.client.post(url, data=data or {}, headers={**HTMX, "X-CSRFToken": self.token})
        return self.client.post(url, data={**(data or {}), "csrf_token": self.token})


def text(response) -> str:
    return response.get_data(as_text=True)


def activities(lead: Lead) -> list[str]:
    return list(
        db.session.scalars(select(Activity.kind).where(Activity.lead_id == lead.id).order_by(Activity.id))
    )


def outbox_topics(lead: Lead) -> list[str]:
    return list(
        db.session.scalars(
            select(OutboxEvent.topic).where(OutboxEvent.aggregate_id == lead.id).order_by(OutboxEvent.id)
        )
    )


@pytest.fixture
def broker(client) -> User:
    return make_user("ravi@brokers.example", areas=["Golf Course Road"])


@pytest.fixture
def portal(app_ctx, broker) -> Portal:
    return Portal(app_ctx, broker.email)


@pytest.fixture
def claimed(portal, broker) -> Lead:
    """A lead the logged-in broker holds."""
    lead = make_lead()
    assert portal.post(f"/broker/leads/{lead.id}/claim", htmx=True).status_code == 200
    db.session.refresh(lead)
    assert lead.broker_id == broker.id
    return lead


# -- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/broker/", "/broker/badge", "/broker/my-leads", "/broker/notifications"])
def test_pages_need_a_logged_in_broker(app_ctx, client, url):
    fresh_globals()
    assert client.get(url).status_code == 302  # to the login page
    make_user("priya@partner.example", role="partner")
    partner = Portal(app_ctx, "priya@partner.example")
    assert partner.get(url).status_code == 403


def test_post_without_csrf_token_is_refused(portal):
    lead = make_lead()
    fresh_globals()
    response = portal.client.post(f"/broker/leads/{lead.id}/claim", headers=HTMX)
    assert response.status_code == 400
    assert db.session.get(Lead, lead.id).broker_id is None


def test_another_brokers_lead_is_not_found(app_ctx, claimed):
    make_user("sunil@brokers.example")
    other = Portal(app_ctx, "sunil@brokers.example")
    assert other.get(f"/broker/leads/{claimed.id}").status_code == 404
    assert other.post(f"/broker/leads/{claimed.id}/stage", {"stage": "contacted"}).status_code == 404
    assert other.post(f"/broker/leads/{claimed.id}/notes", {"note": "mine now"}).status_code == 404
    assert other.post(f"/broker/leads/{claimed.id}/deals", {"value": "5 Cr"}).status_code == 404
    assert other.post(f"/broker/leads/{claimed.id}/release").status_code == 404
    assert portal_lead_untouched(claimed)


def test_a_notification_for_a_lead_another_broker_claimed_opens_a_friendly_page(app_ctx, claimed):
    sunil = make_user("sunil@brokers.example")
    db.session.add(Notification(user_id=sunil.id, lead_id=claimed.id, body="New lead"))
    db.session.commit()
    other = Portal(app_ctx, "sunil@brokers.example")
    response = other.get(f"/broker/leads/{claimed.id}")
    body = text(response)
    assert response.status_code == 410 and "Another broker claimed this lead" in body
    assert claimed.name not in body and claimed.phone not in body


def portal_lead_untouched(lead: Lead) -> bool:
    db.session.refresh(lead)
    return lead.pipeline is None and activities(lead) == ["claimed"]


def test_leads_outside_the_pool_are_not_found(portal):
    fresh = make_lead(stage="new")
    assert portal.get(f"/broker/leads/{fresh.id}").status_code == 404
    assert portal.post(f"/broker/leads/{fresh.id}/claim", htmx=True).status_code == 404
    assert portal.get("/broker/leads/999999").status_code == 404


# -- the pool ---------------------------------------------------------------------------------


def test_pool_shows_leads_with_masked_phones(portal):
    lead = make_lead(stage="broker_requested")
    body = text(portal.get("/broker/"))
    assert "<html" in body and 'id="pool"' in body
    assert "Asha Mehta" in body and "₹3 Cr – ₹5 Cr" in body and "Golf Course Road" in body
    assert lead.phone not in body
    assert mask_phone(lead.phone) in body


def test_the_pool_tells_a_lead_who_asked_for_a_broker_from_one_who_said_not_now(portal):
    make_lead("Asked Lead", stage="broker_requested")
    make_lead("Not Now Lead", stage="qualified")
    body = text(portal.get("/broker/"))
    asked = body[body.index("Asked Lead") :]
    asked = asked[: asked.index("</tr>")]
    waiting = body[body.index("Not Now Lead") :]
    waiting = waiting[: waiting.index("</tr>")]
    assert "Asked for a broker" in asked and "has not asked for a call" not in asked
    assert "has not asked for a call" in waiting and "Asked for a broker" not in waiting


def test_pool_answers_htmx_with_the_fragment(portal):
    make_lead()
    response = portal.get("/broker/?area=Golf+Course+Road", htmx=True)
    body = text(response)
    assert response.status_code == 200
    assert "<html" not in body and body.lstrip().startswith('<div id="pool">')
    assert "Asha Mehta" in body
    assert "HX-Request" in response.headers["Vary"]
    # A back-button history restore needs the whole page even though it comes from htmx.
    restore = portal.get("/broker/", htmx=True, headers={"HX-History-Restore-Request": "true"})
    assert "<html" in text(restore)


def test_pool_filters_by_area_budget_and_timeline(portal):
    make_lead("Golf Course Buyer", budget_min_inr=Decimal("50000000"), budget_max_inr=Decimal("80000000"))
    make_lead("Noida Buyer", areas=["Noida"], timeline="6-12 months", budget_max_inr=Decimal("20000000"))
    assert "Noida Buyer" not in text(portal.get("/broker/?area=Golf+Course+Road"))
    by_budget = text(portal.get("/broker/?min_budget=5", htmx=True))  # crores
    assert "Golf Course Buyer" in by_budget and "Noida Buyer" not in by_budget
    assert "Noida Buyer" in text(portal.get("/broker/?min_budget=50+L"))
    by_timeline = text(portal.get("/broker/?timeline=6-12+months"))
    assert "Noida Buyer" in by_timeline and "Golf Course Buyer" not in by_timeline


def test_unreadable_min_budget_is_shown_next_to_the_field(portal):
    body = text(portal.get("/broker/?min_budget=lots", htmx=True))
    assert 'aria-describedby="pool-min_budget-error"' in body
    assert 'id="pool-min_budget-error"' in body and "“lots” is not an amount" in body


def test_pool_puts_matching_areas_first_and_pages_by_25(portal):
    for number in range(26):
        make_lead(f"Noida Buyer {number}", areas=["Noida"])
    make_lead("Match Buyer")  # oldest of all, but in the broker's area
    first = text(portal.get("/broker/"))
    assert first.index("Match Buyer") < first.index("Noida Buyer")
    assert "Page 1 of 2" in first and "page=2" in first
    second = text(portal.get("/broker/?page=2"))
    assert second.count('id="lead-') == 2


def test_badge_counts_the_pool_and_unread_notifications_and_keeps_polling(portal, broker):
    make_lead()
    make_lead(stage="broker_requested")
    make_lead(stage="new")  # not qualified: not in the pool
    db.session.add(Notification(user_id=broker.id, body="A new lead matches Golf Course Road"))
    db.session.commit()
    body = text(portal.get("/broker/badge", htmx=True)).strip()
    assert body.startswith('<span id="pool-badge" class="badge"') and "<html" not in body
    assert re.search(r">2 · 1 unread</span>\n<span id=\"inbox-badge\" hx-swap-oob=\"true\"></span>$", body)
    assert 'hx-trigger="every 30s, pool-changed from:body"' in body and "load" not in body


# -- claiming and releasing -------------------------------------------------------------------


def test_claiming_reveals_the_phone_and_records_it(portal, broker):
    lead = make_lead()
    response = portal.post(f"/broker/leads/{lead.id}/claim", htmx=True)
    body = text(response)
    assert response.status_code == 200 and "<html" not in body
    assert f'<tr id="lead-{lead.id}">' in body and "Claimed" in body
    assert f'href="/broker/leads/{lead.id}">open lead</a>' in body
    assert response.headers["HX-Trigger"] == "pool-changed"
    db.session.refresh(lead)
    assert lead.broker_id == broker.id
    assert activities(lead) == ["claimed"] and outbox_topics(lead) == ["lead.claimed"]
    page = text(portal.get(f"/broker/leads/{lead.id}"))
    assert lead.phone in page
    assert lead.phone in text(portal.get("/broker/my-leads"))
    assert "Asha Mehta" not in text(portal.get("/broker/"))


def test_claiming_without_javascript_redirects_to_the_lead(portal):
    lead = make_lead()
    response = portal.post(f"/broker/leads/{lead.id}/claim")
    assert response.status_code == 303 and response.location.endswith(f"/broker/leads/{lead.id}")
    assert "Lead claimed" in text(portal.get(response.location))


def test_unclaimed_lead_page_shows_answers_and_claim_only(portal):
    lead = make_lead()
    body = text(portal.get(f"/broker/leads/{lead.id}"))
    assert mask_phone(lead.phone) in body and lead.phone not in body
    assert f'action="/broker/leads/{lead.id}/claim"' in body
    assert "Conversation" not in body and 'id="lead-work"' not in body


def test_a_lead_from_the_website_chat_warns_that_its_number_is_unverified(portal):
    whatsapp = text(portal.get(f"/broker/leads/{make_lead().id}"))
    web = make_lead("Kabir Sethi", channel="web", web_conversation=str(uuid.uuid4()))
    body = text(portal.get(f"/broker/leads/{web.id}"))
    assert "the website chat" in body and "not verified" in body
    assert "<dd>WhatsApp</dd>" in whatsapp and "not verified" not in whatsapp
    web.phone_verified_at = datetime.now(UTC)
    db.session.commit()
    verified = text(portal.get(f"/broker/leads/{web.id}"))
    assert "number verified by a code" in verified and "not verified" not in verified


def test_second_broker_gets_409_already_claimed(app_ctx, claimed):
    make_user("sunil@brokers.example")
    other = Portal(app_ctx, "sunil@brokers.example")
    response = other.post(f"/broker/leads/{claimed.id}/claim", htmx=True)
    assert response.status_code == 409
    assert "already claimed" in text(response).lower() and f'<tr id="lead-{claimed.id}">' in text(response)
    plain = other.post(f"/broker/leads/{claimed.id}/claim")
    assert plain.status_code == 303 and plain.location.endswith("/broker/")
    assert "already claimed" in text(other.get(plain.location)).lower()
    db.session.refresh(claimed)
    assert activities(claimed) == ["claimed"]


def test_claiming_twice_is_harmless(portal, claimed):
    response = portal.post(f"/broker/leads/{claimed.id}/claim", htmx=True)
    assert response.status_code == 200 and "open lead" in text(response)
    assert activities(claimed) == ["claimed"]


def test_max_active_leads_is_enforced(app_ctx):
    make_user("new@brokers.example", max_active_leads=1)
    portal = Portal(app_ctx, "new@brokers.example")
    first, second = make_lead("First Buyer"), make_lead("Second Buyer")
    assert portal.post(f"/broker/leads/{first.id}/claim", htmx=True).status_code == 200
    response = portal.post(f"/broker/leads/{second.id}/claim", htmx=True)
    assert response.status_code == 409
    assert "You already hold 1 active leads" in text(response)
    assert db.session.get(Lead, second.id).broker_id is None


def test_release_returns_the_lead_to_the_pool(portal, claimed):
    response = portal.post(f"/broker/leads/{claimed.id}/release")
    assert response.status_code == 303 and response.location.endswith("/broker/my-leads")
    db.session.refresh(claimed)
    assert claimed.broker_id is None and claimed.claimed_at is None
    assert activities(claimed) == ["claimed", "released"]
    assert outbox_topics(claimed)[-1] == "lead.released"
    pool = text(portal.get("/broker/"))
    assert "Asha Mehta" in pool and claimed.phone not in pool


# -- the pipeline -----------------------------------------------------------------------------


def test_stage_changes_record_activities_and_outbox_events(portal, claimed):
    url = f"/broker/leads/{claimed.id}/stage"
    response = portal.post(url, {"stage": "contacted", "note": "Called, keen on 4 BHK"}, htmx=True)
    body = text(response)
    assert response.status_code == 200 and "<html" not in body and 'id="lead-work"' in body
    assert "Stage: <strong>Contacted</strong>" in body and "Called, keen on 4 BHK" in body

    visit = date.today() + timedelta(days=3)
    assert (
        portal.post(url, {"stage": "site_visit", "site_visit_on": str(visit)}, htmx=True).status_code == 200
    )
    assert portal.post(url, {"stage": "negotiating"}).status_code == 303  # without JavaScript
    assert portal.post(url, {"stage": "lost", "lost_reason": "Bought elsewhere"}).status_code == 303

    db.session.refresh(claimed)
    assert claimed.pipeline == "lost" and claimed.lost_reason == "Bought elsewhere"
    assert claimed.site_visit_on == visit and claimed.contacted_at is not None
    assert activities(claimed) == ["claimed"] + ["stage_changed"] * 4
    assert outbox_topics(claimed) == ["lead.claimed"] + ["lead.stage_changed"] * 4
    events = db.session.scalars(
        select(OutboxEvent.payload).where(OutboxEvent.topic == "lead.stage_changed").order_by(OutboxEvent.id)
    ).all()
    assert [e["stage"] for e in events] == ["contacted", "site_visit", "negotiating", "lost"]
    assert events[1]["site_visit_on"] == visit.isoformat() and events[3]["reason"] == "Bought elsewhere"
    closed = text(portal.get(f"/broker/leads/{claimed.id}"))
    assert "This lead is closed." in closed and 'name="stage"' not in closed


def test_a_site_visit_cannot_be_scheduled_in_the_past(portal, claimed):
    url = f"/broker/leads/{claimed.id}/stage"
    yesterday = date.today() - timedelta(days=2)
    response = portal.post(url, {"stage": "site_visit", "site_visit_on": str(yesterday)}, htmx=True)
    assert response.status_code == 422 and "pick today or a later date" in text(response)
    db.session.refresh(claimed)
    assert claimed.pipeline is None and claimed.site_visit_on is None


def test_the_owners_page_dials_and_whatsapps_in_one_tap_and_prefills_the_deal(portal, claimed):
    body = text(portal.get(f"/broker/leads/{claimed.id}"))
    digits = claimed.phone.lstrip("+")
    assert f'href="tel:{claimed.phone}"' in body and f'href="https://wa.me/{digits}"' in body
    assert f"+91 {digits[2:7]} {digits[7:]}" in body  # the number grouped as people read it
    assert (
        'id="deal-unit_type" name="unit_type" placeholder="4 BHK" maxlength="60"\n           value="4 BHK"'
        in body
    )
    assert 'hx-confirm="Log this deal and mark the lead won?' in body
    assert 'data-for-stage="site_visit"' in body and 'min="' in body


def test_site_visit_needs_a_date_shown_next_to_the_field(portal, claimed):
    url = f"/broker/leads/{claimed.id}/stage"
    response = portal.post(url, {"stage": "site_visit"}, htmx=True)
    body = text(response)
    assert response.status_code == 422 and "<html" not in body
    assert 'aria-describedby="stage-site_visit_on-hint stage-site_visit_on-error" aria-invalid="true"' in body
    assert 'id="stage-site_visit_on-error">Pick the date of the site visit.</p>' in body
    bad_date = portal.post(url, {"stage": "site_visit", "site_visit_on": "soon"})
    assert bad_date.status_code == 422 and "<html" in text(bad_date)
    assert "“soon” is not a date" in text(bad_date)
    db.session.refresh(claimed)
    assert claimed.pipeline is None and activities(claimed) == ["claimed"]


def test_lost_needs_a_reason(portal, claimed):
    url = f"/broker/leads/{claimed.id}/stage"
    response = portal.post(url, {"stage": "lost", "lost_reason": "  "}, htmx=True)
    assert response.status_code == 422
    assert 'id="stage-lost_reason-error">Say why the lead was lost.</p>' in text(response)
    db.session.refresh(claimed)
    assert claimed.pipeline is None


def test_won_is_not_a_stage_the_form_takes(portal, claimed):
    response = portal.post(f"/broker/leads/{claimed.id}/stage", {"stage": "won"}, htmx=True)
    assert response.status_code == 422 and "won by logging its deal" in text(response)
    db.session.refresh(claimed)
    assert claimed.pipeline is None


def test_notes_go_on_the_timeline(portal, claimed):
    response = portal.post(f"/broker/leads/{claimed.id}/notes", {"note": "Prefers a high floor"}, htmx=True)
    assert response.status_code == 200 and "“Prefers a high floor”" in text(response)
    assert activities(claimed) == ["claimed", "note"]
    empty = portal.post(f"/broker/leads/{claimed.id}/notes", {"note": " "}, htmx=True)
    assert empty.status_code == 422 and 'id="note-note-error">Write a note first.' in text(empty)


# -- deals ------------------------------------------------------------------------------------


def test_a_deal_closed_after_midnight_in_india_carries_india_s_date():
    assert ist_today(datetime(2026, 11, 30, 18, 29, tzinfo=UTC)) == date(2026, 11, 30)  # 23:59 IST
    assert ist_today(datetime(2026, 11, 30, 19, 30, tzinfo=UTC)) == date(2026, 12, 1)  # 01:00 IST
    india_today = date(2026, 12, 1)  # while the UTC date is still 30 November
    assert parse_closed_on(None, today=india_today) == india_today
    assert parse_closed_on("2026-12-01", today=india_today) == india_today
    with pytest.raises(PortalError, match="cannot be in the future"):
        parse_closed_on("2026-12-02", today=india_today)


def test_logging_a_5_crore_deal_shows_database_commissions_and_wins_the_lead(portal, broker, claimed):
    data = {"project": "Trevoc 56", "unit_type": "4 BHK", "value": "5 Cr"}
    response = portal.post(f"/broker/leads/{claimed.id}/deals", data, htmx=True)
    body = text(response)
    assert response.status_code == 200 and "<html" not in body
    deal = db.session.scalars(select(Deal).where(Deal.lead_id == claimed.id)).one()
    assert deal.deal_value == Decimal("50000000")
    assert deal.broker_commission == Decimal("1000000.00")
    assert deal.platform_commission == Decimal("250000.00")
    assert deal.broker_id == broker.id and deal.closed_on == ist_today()
    assert "₹5,00,00,000 · ₹5 Cr" in body
    assert "₹10,00,000 · ₹10 L" in body
    assert "₹2,50,000 · ₹2.5 L" in body
    db.session.refresh(claimed)
    assert claimed.pipeline == "won"
    assert outbox_topics(claimed)[-1] == "lead.deal_logged"
    # The deal stands on the page; the lead takes no second deal (a double submit logs nothing).
    page = text(portal.get(f"/broker/leads/{claimed.id}"))
    assert "₹10,00,000 · ₹10 L" in page and 'id="deal-value"' not in page  # only the correction form
    again = portal.post(f"/broker/leads/{claimed.id}/deals", data, htmx=True)
    assert again.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Deal)) == 1


def test_deal_without_javascript_redirects_to_the_lead(portal, claimed):
    data = {"project": "Godrej SORA", "unit_type": "3 BHK", "value": "50,00,000", "closed_on": "2025-01-15"}
    response = portal.post(f"/broker/leads/{claimed.id}/deals", data)
    assert response.status_code == 303
    page = text(portal.get(response.location))
    assert "Deal logged: ₹50,00,000" in page and "₹1,00,000 · ₹1 L" in page and "₹25,000 · ₹25,000" in page
    assert "15 Jan 2025" in page


def test_deal_errors_show_next_to_fields_and_save_nothing(portal, claimed):
    data = {"project": "", "unit_type": "4 BHK", "value": "five-ish", "closed_on": "2999-01-01"}
    response = portal.post(f"/broker/leads/{claimed.id}/deals", data, htmx=True)
    body = text(response)
    assert response.status_code == 422
    assert 'id="deal-project-error">Choose the project.</p>' in body
    assert 'id="deal-value-error">Deal value' in body and "is not an amount" in body
    assert 'id="deal-closed_on-error">Closing date cannot be in the future.</p>' in body
    assert 'aria-describedby="deal-value-hint deal-value-error" aria-invalid="true"' in body
    assert 'value="five-ish"' in body  # what was typed stays in the form
    assert db.session.scalar(select(func.count()).select_from(Deal)) == 0
    db.session.refresh(claimed)
    assert claimed.pipeline is None


# -- full pages and fragments -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fragment_id"),
    [
        ("/broker/", "pool"),
        ("/broker/my-leads", "my-leads"),
        ("/broker/notifications", "notifications"),
        ("/broker/leads/{lead}", "lead-work"),
    ],
)
def test_htmx_gets_the_fragment_and_browsers_the_page(portal, claimed, path, fragment_id):
    url = path.format(lead=claimed.id)
    page, fragment = portal.get(url), portal.get(url, htmx=True)
    assert page.status_code == fragment.status_code == 200
    assert "<html" in text(page) and f'id="{fragment_id}"' in text(page)
    assert "<html" not in text(fragment) and f'id="{fragment_id}"' in text(fragment)
    assert "HX-Request" in page.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]


def test_notifications_are_listed_and_marked_read(portal, broker):
    lead = make_lead()
    db.session.add(Notification(user_id=broker.id, lead_id=lead.id, body="New lead on Golf Course Road"))
    db.session.commit()
    body = text(portal.get("/broker/notifications"))
    assert "New lead on Golf Course Road" in body and '<span class="badge">new</span>' in body
    assert f'href="/broker/leads/{lead.id}"' in body
    unread = select(func.count()).select_from(Notification).where(Notification.read_at.is_(None))
    assert db.session.scalar(unread) == 0
    assert '<span class="badge">new</span>' not in text(portal.get("/broker/notifications"))


# -- India time -------------------------------------------------------------------------------


def test_pool_my_leads_and_timeline_show_india_time(portal, broker):
    asked = datetime(2026, 11, 24, 20, 15, tzinfo=UTC)  # 25 Nov 01:45 in India
    make_lead("Late Asker", stage="broker_requested", broker_requested_at=asked)
    assert "25 Nov 01:45" in text(portal.get("/broker/")) and "24 Nov 20:15" not in text(
        portal.get("/broker/")
    )

    lead = make_lead("Claimed Late")
    assert portal.post(f"/broker/leads/{lead.id}/claim", htmx=True).status_code == 200
    db.session.refresh(lead)
    lead.claimed_at = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)
    db.session.execute(
        Activity.__table__.update()
        .where(Activity.lead_id == lead.id)
        .values(created_at=datetime(2026, 11, 24, 19, 0, tzinfo=UTC))
    )
    db.session.commit()
    assert "25 Nov 00:30" in text(portal.get("/broker/my-leads"))
    assert "25 Nov 2026 00:30</span> — claimed" in text(portal.get(f"/broker/leads/{lead.id}"))
