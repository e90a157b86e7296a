"""The partner portal through HTTP: dashboard, leads (full page and HTMX fragment), assignment,
CSV exports, deals and targets, brokers, and the partner-only access rule."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from flask import g
from sqlalchemy import func, select

from app.extensions import db, limiter
from app.models import Activity, OutboxEvent, Project, RevenueTarget, User
from app.portal import stats
from app.portal.times import format_ist
from tests.portal_helpers import PASSWORD, csrf_token, login, make_user
from tests.test_broker_performance import claimed, event, stage
from tests.test_stats import make_deal, make_lead, make_message

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def fresh_limits(app_ctx):
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def partner(client):
    """A logged-in partner; the value is the CSRF token for POSTs."""
    make_user("partner@example.com", "partner", name="Priya")
    db.session.commit()
    assert login(client, "partner@example.com").status_code == 302
    return csrf_token(client, "/partner/brokers/new")


def broker(name: str, **fields) -> User:
    user = make_user(f"{name.lower()}@example.com", "broker", name=name, **fields)
    db.session.commit()
    return user


def switch_to(client):
    """``client``, for the next request. The test's app context outlives requests, so what the
    last request cached in ``g`` (Flask-Login's user, Flask-WTF's CSRF token) would otherwise
    carry over from another client's session; production starts each request with a fresh ``g``."""
    for name in list(g):
        g.pop(name)
    return client


def total(response) -> int:
    """The number of leads or deals the list says match (all pages)."""
    return int(
        re.search(r"([\d,]+) (?:lead|deal)s?\b", response.get_data(as_text=True)).group(1).replace(",", "")
    )


def rows(response) -> int:
    """How many lead or deal rows a page or fragment shows."""
    return response.get_data(as_text=True).count('data-label="Lead"')


def read_csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


# --------------------------------------------------------------------------- dashboard


def test_dashboard_shows_this_months_revenue_after_a_5_crore_deal(client, partner):
    make_deal("50000000", datetime.now(UTC).date())
    make_lead(qualified_at=datetime.now(UTC))
    asked = make_message("in", "price of the 4 BHK?", created_at=datetime.now(UTC) - timedelta(seconds=1))
    make_message(
        "out",
        "From page 4: ₹4.2 Cr onwards.",
        route="rag",
        latency_ms=Decimal(40),
        answered=True,
        in_reply_to_id=asked.id,
        created_at=asked.created_at,
        sent_at=asked.created_at + timedelta(milliseconds=850),  # what the investor waited
    )
    db.session.commit()

    page = client.get("/partner/").get_data(as_text=True)

    assert "₹2.5 L" in page and "₹2,50,000" in page
    assert page.count('<svg class="chart"') == 2 and 'role="img"' in page
    assert '<title id="funnel-chart-title">Lead funnel</title>' in page
    assert "Conversations: 1 (100%); Qualified: 1 (100%)" in page  # the chart's description
    assert "850 ms" in page


# --------------------------------------------------------------------------- leads list


@pytest.fixture
def thirty_leads(app_ctx):
    """30 leads created a day apart (Investor 0 newest), budgets rising with age."""
    start = datetime(2026, 10, 30, 9, 0, tzinfo=UTC)
    leads = [
        make_lead(
            name=f"Investor {n}", created_at=start - timedelta(days=n), budget_min_inr=Decimal(n * 1000000)
        )
        for n in range(30)
    ]
    db.session.commit()
    return leads


def test_leads_paginate_25_a_page_as_full_page_and_htmx_fragment(client, partner, thirty_leads):
    full = client.get("/partner/leads")
    assert full.status_code == 200 and "<html" in full.get_data(as_text=True)
    assert 'name="q"' in full.get_data(as_text=True) and rows(full) == 25
    assert "HX-Request" in full.headers["Vary"]

    fragment = client.get("/partner/leads?page=2", headers=HTMX)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith('<div id="lead-table">')
    assert rows(fragment) == 5 and "Page 2 of 2" in body and "HX-Request" in fragment.headers["Vary"]
    assert "Investor 29" in body and "Investor 0<" not in body


def test_leads_search_by_name_phone_and_reference(client, partner, thirty_leads):
    target = thirty_leads[7]
    for q in ("investor 7", target.phone[-6:], target.reference.lower()):
        response = client.get("/partner/leads", query_string={"q": q}, headers=HTMX)
        assert rows(response) == 1 and "Investor 7<" in response.get_data(as_text=True), q
    assert rows(client.get("/partner/leads?q=%25", headers=HTMX)) == 0  # LIKE wildcards are literal


def test_leads_filters_narrow_the_list(client, partner, thirty_leads):
    asha = broker("Asha")
    project = Project(name="Partner Test Towers", slug="partner-test-towers")
    db.session.add(project)
    thirty_leads[1].stage, thirty_leads[2].stage = "qualified", "qualified"
    thirty_leads[2].broker_id, thirty_leads[2].claimed_at, thirty_leads[2].pipeline = (
        asha.id,
        datetime.now(UTC),
        "won",
    )
    thirty_leads[3].project = project
    db.session.commit()

    def count(**args) -> int:
        return total(client.get("/partner/leads", query_string=args, headers=HTMX))

    assert count(stage="qualified") == 2
    assert count(pipeline="won") == 1 and count(pipeline="none") == 29
    assert count(broker=str(asha.id)) == 1 and count(broker="none") == 29
    assert count(project=str(project.id)) == 1
    assert count(budget_min="2.5 Cr") == 5  # budgets of ₹2.5 Cr … ₹2.9 Cr
    assert count(created_from="2026-10-21", created_to="2026-10-30") == 10
    assert count(stage="qualified", broker=str(asha.id)) == 1


def test_leads_sort_by_newest_budget_and_score(client, partner, thirty_leads):
    thirty_leads[12].areas, thirty_leads[12].timeline, thirty_leads[12].unit_kinds = (
        ["Noida"],
        "3-6 months",
        ["villa"],
    )
    db.session.commit()

    def first(sort: str) -> str:
        body = client.get("/partner/leads", query_string={"sort": sort}, headers=HTMX).get_data(as_text=True)
        return re.search(r">(Investor \d+)</a>", body).group(1)

    assert first("newest") == "Investor 0"
    assert first("budget") == "Investor 29"
    assert first("score") == "Investor 12"


def test_an_unreadable_filter_is_shown_next_to_its_field_and_ignored(client, partner, thirty_leads):
    page = client.get("/partner/leads?budget_min=lots&created_from=yesterday")
    body = page.get_data(as_text=True)
    assert rows(page) == 25
    assert 'aria-invalid="true" aria-describedby="budget_min-error"' in body
    assert 'id="budget_min-error"' in body and 'id="created_from-error"' in body

    fragment = client.get("/partner/leads?budget_min=lots", headers=HTMX).get_data(as_text=True)
    assert (
        '<div id="field-budget_min" hx-swap-oob="true">' in fragment and 'id="budget_min-error"' in fragment
    )


# --------------------------------------------------------------------------- one lead, assignment


def test_lead_detail_shows_answers_transcript_timeline_and_full_phone(client, partner):
    lead = make_lead(name="Rohan", areas=["Golf Course Road"], budget_min_inr=Decimal("50000000"))
    make_message("in", "Price of 4 BHK?", lead_id=lead.id)
    db.session.add(Activity(lead_id=lead.id, kind="question_answered", detail={}, actor="bot"))
    db.session.commit()

    body = client.get(f"/partner/leads/{lead.id}").get_data(as_text=True)

    assert lead.phone in body and "₹5 Cr+" in body and "Golf Course Road" in body
    assert "Price of 4 BHK?" in body and "question answered" in body
    assert client.get("/partner/leads/999999").status_code == 404


def test_assign_reassign_and_unassign_record_activities_and_outbox_events(client, partner):
    asha, vikram = broker("Asha"), broker("Vikram")
    lead = make_lead(stage="qualified")
    db.session.commit()
    url = f"/partner/leads/{lead.id}/assign"

    assigned = client.post(url, data={"broker_id": asha.id, "csrf_token": partner}, headers=HTMX)
    body = assigned.get_data(as_text=True)
    assert assigned.status_code == 200 and body.lstrip().startswith('<section class="card" id="assignment"')
    assert "Assigned to Asha." in body and '<div id="timeline-section" hx-swap-oob="true">' in body
    assert lead.broker_id == asha.id and lead.claimed_at is not None

    moved = client.post(url, data={"broker_id": vikram.id, "csrf_token": partner})
    assert moved.status_code == 302 and moved.headers["Location"].endswith(f"/partner/leads/{lead.id}")
    assert lead.broker_id == vikram.id

    client.post(url, data={"broker_id": "", "csrf_token": partner}, headers=HTMX)
    assert lead.broker_id is None and lead.claimed_at is None

    activities = db.session.scalars(
        select(Activity).where(Activity.lead_id == lead.id).order_by(Activity.id)
    ).all()
    assert [(a.kind, a.detail["broker"]) for a in activities] == [
        ("assigned", "Asha"),
        ("assigned", "Vikram"),
        ("assigned", None),
    ]
    events = db.session.scalars(
        select(OutboxEvent).where(OutboxEvent.aggregate_id == lead.id).order_by(OutboxEvent.id)
    ).all()
    assert [(e.topic, e.payload["broker_id"]) for e in events] == [
        ("lead.assigned", asha.id),
        ("lead.assigned", vikram.id),
        ("lead.assigned", None),
    ]


def test_assigning_to_an_inactive_broker_shows_the_error_and_changes_nothing(client, partner):
    gone = broker("Gone")
    gone.active = False
    lead = make_lead()
    db.session.commit()
    url = f"/partner/leads/{lead.id}/assign"

    page = client.post(url, data={"broker_id": gone.id, "csrf_token": partner})
    assert page.status_code == 422
    body = page.get_data(as_text=True)
    assert 'aria-describedby="broker_id-error"' in body and "only be assigned to active brokers" in body
    fragment = client.post(url, data={"broker_id": "12345678", "csrf_token": partner}, headers=HTMX)
    assert fragment.status_code == 200 and "Choose a broker from the list." in fragment.get_data(as_text=True)
    assert lead.broker_id is None
    assert (
        db.session.scalar(select(func.count()).select_from(Activity).where(Activity.lead_id == lead.id)) == 0
    )


# --------------------------------------------------------------------------- CSV exports


def test_leads_csv_applies_the_filters_and_defuses_formulas(client, partner):
    make_lead(
        name='=HYPERLINK("http://evil.example","click")',
        stage="qualified",
        budget_min_inr=Decimal("30000000"),
        areas=["Noida", "Golf Course Road"],
    )
    make_lead(name="@SUM(A1:A9)", stage="qualified")
    make_lead(name="Not qualified")
    db.session.commit()

    response = client.get("/partner/leads.csv?stage=qualified&sort=budget")

    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="investochat-leads-')
    exported = read_csv(response)
    assert [r["name"] for r in exported] == ['\'=HYPERLINK("http://evil.example","click")', "'@SUM(A1:A9)"]
    first = exported[0]
    assert first["phone"].startswith("'+91") and first["budget_min_inr"] == "30000000.00"
    assert first["areas"] == "Noida; Golf Course Road" and first["stage"] == "qualified"


def test_deals_csv_writes_plain_rupees_and_applies_the_filters(client, partner):
    asha = broker("Asha")
    make_deal("50000000", date(2026, 11, 3), broker_id=asha.id, project_name="+Trevoc 56")
    make_deal("10000000", date(2026, 10, 3))
    db.session.commit()

    response = client.get(f"/partner/deals.csv?broker={asha.id}")

    assert response.headers["Content-Disposition"].startswith('attachment; filename="investochat-deals-')
    exported = read_csv(response)
    assert len(exported) == 1
    row = exported[0]
    assert (row["project"], row["broker"], row["closed_on"]) == ("'+Trevoc 56", "Asha", "2026-11-03")
    assert (row["deal_value"], row["broker_commission"], row["platform_commission"]) == (
        "50000000.00",
        "1000000.00",
        "250000.00",
    )


# --------------------------------------------------------------------------- deals and targets


def test_deals_show_values_and_commissions_in_indian_notation(client, partner):
    asha = broker("Asha")
    lead = make_lead(name="Rohan")
    make_deal("50000000", datetime.now(UTC).date(), broker_id=asha.id, lead_id=lead.id)
    db.session.commit()

    page = client.get("/partner/deals")
    body = page.get_data(as_text=True)

    assert "₹5,00,00,000 · ₹5 Cr" in body and "₹10,00,000 · ₹10 L" in body and "₹2,50,000 · ₹2.5 L" in body
    assert "Asha" in body and f'/partner/leads/{lead.id}"' in body
    assert 'id="revenue"' in body and datetime.now(UTC).strftime("%B %Y") in body
    fragment = client.get("/partner/deals?q=rohan", headers=HTMX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="deal-table">') and "₹5 Cr" in fragment


def test_set_target_saves_the_month_and_shows_it_against_actual(client, partner):
    month = datetime.now(UTC).date().replace(day=1)
    make_deal("50000000", datetime.now(UTC).date())
    db.session.commit()

    saved = client.post(
        "/partner/targets",
        data={"month": f"{month:%Y-%m}", "amount": "25 L", "csrf_token": partner},
        headers=HTMX,
    )

    body = saved.get_data(as_text=True)
    assert saved.status_code == 200 and body.lstrip().startswith('<section class="card" id="revenue"')
    assert "₹25,00,000 · ₹25 L" in body and "10%" in body
    assert db.session.get(RevenueTarget, month).target == Decimal("2500000.00")
    again = client.post(
        "/partner/targets", data={"month": f"{month:%Y-%m}", "amount": "30,00,000", "csrf_token": partner}
    )
    assert again.status_code == 302
    assert db.session.get(RevenueTarget, month).target == Decimal("3000000.00")


def test_set_target_with_bad_input_shows_errors_next_to_the_fields(client, partner):
    response = client.post(
        "/partner/targets", data={"month": "November", "amount": "lots", "csrf_token": partner}
    )

    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" in body
    assert 'aria-invalid="true" aria-describedby="month-error"' in body
    assert 'aria-invalid="true" aria-describedby="amount-error"' in body
    assert 'value="lots"' in body
    assert db.session.scalar(select(func.count()).select_from(RevenueTarget)) == 0


# --------------------------------------------------------------------------- brokers


def test_brokers_list_shows_performance(client, partner):
    asha = broker("Asha", areas=["Noida"])
    now = datetime.now(UTC)
    won = make_lead(broker_id=asha.id, claimed_at=now - timedelta(hours=5), pipeline="won")
    claimed(won, asha, now - timedelta(hours=5))
    stage(won, asha, "contacted", now - timedelta(hours=4))
    event(won, "deal_logged", now - timedelta(hours=1), asha, deal_id=1)
    claimed(make_lead(broker_id=asha.id, claimed_at=now - timedelta(hours=5)), asha, now - timedelta(hours=5))
    db.session.commit()

    body = client.get("/partner/brokers").get_data(as_text=True)

    assert 'class="responsive"' in body and 'data-label="Conversion">50%' in body
    assert (
        'data-label="Median time to contact">1.0 h' in body
        and 'data-label="Contacted within 2 h">1 (50%)' in body
    )


def test_create_broker_with_known_and_typed_areas_who_then_chooses_a_password(client, partner, app_ctx):
    response = client.post(
        "/partner/brokers/new",
        data={
            "name": "Meera Kapoor",
            "email": "Meera@Example.com",
            "phone": "98100 12345",
            "areas": ["Golf Course Road", "Noida"],
            "other_areas": "Sector 65, noida ,  Sector 66",
            "max_active_leads": "15",
            "password": "a long enough password",  # ignored: the partner never sets a password
            "csrf_token": partner,
        },
    )

    # No SMTP_URL in the tests' settings: the partner gets the link to send another way.
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "The email did not go: Email is not set up" in page
    link = re.search(r'id="invitation-link" value="([^"]+)"', page).group(1)
    assert "wa.me/919810012345" in page
    meera = db.session.scalar(select(User).where(User.email == "meera@example.com"))
    assert (meera.role, meera.phone, meera.max_active_leads) == ("broker", "+919810012345", 15)
    assert meera.areas == ["Golf Course Road", "Noida", "Sector 65", "Sector 66"]
    theirs = switch_to(app_ctx.test_client())
    assert login(theirs, "meera@example.com", "a long enough password").status_code == 401
    path = urlsplit(link).path
    token = csrf_token(theirs, path)
    chosen = {"password": "meera chooses her own 2026", "password_again": "meera chooses her own 2026"}
    assert theirs.post(path, data={**chosen, "csrf_token": token}).status_code == 302
    assert login(theirs, "meera@example.com", "meera chooses her own 2026").status_code == 302


INVALID_BROKER_FORMS = [
    pytest.param(
        dict(name="Karan", email="karan@example.com", phone="12", max_active_leads="0"),
        {"phone": "Phone must be a valid mobile number", "max_active_leads": "Max active leads must be"},
        id="phone-and-limit",
    ),
    pytest.param(
        dict(name="  ", email="taken@example.com", phone="12", max_active_leads="lots"),
        {
            "name": "Name is required.",
            "email": "An account for taken@example.com already exists.",
            "phone": "Phone must be a valid mobile number",
            "max_active_leads": "Max active leads must be a whole number",
        },
        id="every-field",
    ),
    pytest.param(
        dict(name="Meera", email="meera at example", max_active_leads="10"),
        {"email": "Enter the broker’s email address"},
        id="email-only",
    ),
]


@pytest.mark.parametrize(("form", "errors"), INVALID_BROKER_FORMS)
def test_an_invalid_broker_form_shows_each_error_next_to_its_field_and_saves_nothing(
    client, partner, form, errors
):
    broker("Taken")
    users = db.session.scalar(select(func.count()).select_from(User))

    response = client.post("/partner/brokers/new", data={**form, "csrf_token": partner})

    body = response.get_data(as_text=True)
    assert response.status_code == 422 and body.count('aria-invalid="true"') == len(errors)
    for field, message in errors.items():
        marked = rf'id="{field}"[^>]*aria-invalid="true" aria-describedby="{field}-error"'
        explained = rf'<p class="field-error" id="{field}-error" role="alert">{re.escape(message)}'
        assert re.search(marked, body) and re.search(explained, body), field
    for field, typed in form.items():
        if field not in errors:
            assert f'aria-describedby="{field}-error"' not in body, field
        if typed.strip():
            assert f'value="{typed}"' in body, field  # what was typed stays in the form
    assert 'id="password"' not in body  # the partner never types a broker's password
    assert 'id="form-error"' not in body
    assert db.session.scalar(select(func.count()).select_from(User)) == users


def test_edit_broker_changes_the_details_and_never_the_password(client, partner, app_ctx):
    asha = broker("Asha", areas=["Noida", "Sector 65"])
    form = client.get(f"/partner/brokers/{asha.id}/edit").get_data(as_text=True)
    assert "<option selected>Noida</option>" in form and 'value="Sector 65"' in form
    assert 'id="password"' not in form and "Send a password link" in form

    data = {
        "name": "Asha Rao",
        "phone": "+91 98100 99999",
        "areas": ["Noida"],
        "other_areas": "",
        "max_active_leads": "12",
        "password": "a brand new password",  # not a field any more: ignored
        "csrf_token": partner,
    }
    assert client.post(f"/partner/brokers/{asha.id}/edit", data=data).status_code == 302
    assert (asha.name, asha.phone, asha.areas, asha.max_active_leads) == (
        "Asha Rao",
        "+919810099999",
        ["Noida"],
        12,
    )
    db.session.refresh(asha)
    assert asha.check_password(PASSWORD) and not asha.check_password("a brand new password")


def test_deactivated_broker_cannot_log_in_until_reactivated(client, partner, app_ctx):
    asha = broker("Asha")
    theirs = switch_to(app_ctx.test_client())
    assert login(theirs, "asha@example.com").status_code == 302
    assert theirs.get("/partner/").status_code == 403

    row = switch_to(client).post(
        f"/partner/brokers/{asha.id}/deactivate", data={"csrf_token": partner}, headers=HTMX
    )
    assert row.get_data(as_text=True).lstrip().startswith(f'<tr id="broker-{asha.id}">')
    assert 'data-label="Status">Inactive' in row.get_data(as_text=True)

    assert switch_to(theirs).get("/partner/").status_code == 302  # logged out: was a 403 while active
    assert login(switch_to(app_ctx.test_client()), "asha@example.com").status_code == 401

    back = switch_to(client).post(f"/partner/brokers/{asha.id}/reactivate", data={"csrf_token": partner})
    assert back.status_code == 302 and back.headers["Location"].endswith("/partner/brokers") and asha.active
    assert login(switch_to(app_ctx.test_client()), "asha@example.com").status_code == 302


def test_only_brokers_can_be_edited_or_deactivated_here(client, partner):
    me = db.session.scalar(select(User).where(User.email == "partner@example.com"))
    assert client.get(f"/partner/brokers/{me.id}/edit").status_code == 404
    assert (
        client.post(f"/partner/brokers/{me.id}/deactivate", data={"csrf_token": partner}).status_code == 404
    )


# --------------------------------------------------------------------------- access

PARTNER_URLS = [
    ("get", "/partner/"),
    ("get", "/partner/leads"),
    ("get", "/partner/leads.csv"),
    ("get", "/partner/leads/{lead}"),
    ("post", "/partner/leads/{lead}/assign"),
    ("get", "/partner/deals"),
    ("get", "/partner/deals.csv"),
    ("post", "/partner/targets"),
    ("get", "/partner/brokers"),
    ("get", "/partner/brokers/new"),
    ("post", "/partner/brokers/new"),
    ("get", "/partner/brokers/{broker}/edit"),
    ("post", "/partner/brokers/{broker}/edit"),
    ("post", "/partner/brokers/{broker}/deactivate"),
    ("post", "/partner/brokers/{broker}/reactivate"),
]


@pytest.mark.parametrize(("method", "url"), PARTNER_URLS)
def test_a_broker_gets_403_on_every_partner_url(client, method, url):
    asha = broker("Asha")
    lead = make_lead()
    db.session.commit()
    token = csrf_token(client)
    assert (
        client.post(
            "/login?next=/partner/",
            data={"email": "asha@example.com", "password": PASSWORD, "csrf_token": token},
        ).status_code
        == 302
    )
    path = url.format(lead=lead.id, broker=asha.id)
    response = client.get(path) if method == "get" else client.post(path, data={"csrf_token": token})
    assert response.status_code == 403
    assert asha.active and lead.broker_id is None


@pytest.mark.parametrize(("method", "url"), PARTNER_URLS)
def test_anonymous_visitors_are_sent_to_log_in(client, method, url):
    path = url.format(lead=1, broker=1)
    response = (
        client.get(path) if method == "get" else client.post(path, data={"csrf_token": csrf_token(client)})
    )
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --------------------------------------------------------------------------- India time


def test_format_ist_shows_utc_timestamps_in_india_time():
    assert format_ist(datetime(2026, 11, 24, 20, 0, tzinfo=UTC)) == "25 Nov 2026 01:30"
    assert format_ist(datetime(2026, 11, 24, 20, 0), "%H:%M") == "01:30"  # naive means UTC
    assert format_ist(None) == ""


def test_lead_list_dates_and_date_filters_are_india_days(client, partner):
    late = make_lead(name="Late Writer", created_at=datetime(2026, 10, 30, 19, 0, tzinfo=UTC))  # 31 Oct IST
    db.session.commit()

    body = client.get("/partner/leads", headers=HTMX).get_data(as_text=True)
    assert "31 Oct 2026" in body and "30 Oct 2026" not in body
    assert (
        total(client.get("/partner/leads?created_from=2026-10-31&created_to=2026-10-31", headers=HTMX)) == 1
    )
    assert total(client.get("/partner/leads?created_to=2026-10-30", headers=HTMX)) == 0

    exported = read_csv(client.get("/partner/leads.csv"))
    assert [row["created_at"] for row in exported] == ["2026-10-31T00:30:00+05:30"]
    assert late.created_at.tzinfo is not None  # stored as it was: UTC


def test_lead_page_shows_conversation_and_timeline_in_india_time(client, partner):
    lead = make_lead(name="Night Owl")
    make_message("in", "Price?", lead_id=lead.id, created_at=datetime(2026, 11, 2, 18, 40, tzinfo=UTC))
    db.session.add(
        Activity(
            lead_id=lead.id,
            kind="note",
            detail={"note": "call back"},
            actor="bot",
            created_at=datetime(2026, 11, 2, 18, 40, tzinfo=UTC),
        )
    )
    db.session.commit()

    body = client.get(f"/partner/leads/{lead.id}").get_data(as_text=True)

    assert "03 Nov 00:10" in body and "03 Nov 2026 00:10" in body and "18:40" not in body


# --------------------------------------------------------------------------- broker form errors


# --------------------------------------------------------------------------- dashboard figures


def test_dashboard_shows_a_deal_logged_after_the_figures_were_cached(client, partner):
    assert "₹0" in client.get("/partner/").get_data(as_text=True)
    make_lead(qualified_at=datetime.now(UTC))
    make_deal("50000000", datetime.now(UTC).date())
    db.session.commit()

    page = client.get("/partner/").get_data(as_text=True)

    assert "₹2.5 L" in page and "Conversations: 1 (100%)" in page


def test_activity_figures_are_reused_until_something_new_happens(app_ctx):
    stats.forget_activity_figures()
    now = datetime.now(UTC)
    first = stats.activity_figures(db.session, now)
    assert stats.activity_figures(db.session, now) is first
    make_lead()
    db.session.flush()
    fresh = stats.activity_figures(db.session, now)
    assert fresh is not first and fresh.funnel[0].count == first.funnel[0].count + 1
    assert stats.activity_figures(db.session, now, max_age=0) is not fresh


def test_a_won_lead_stays_with_its_broker_and_its_deal_shows_on_the_partners_page(client, partner, app_ctx):
    from app.portal.deals import DealForm, log_deal

    asha, ravi = broker("Asha"), broker("Ravi")
    lead = make_lead(qualified_at=datetime.now(UTC), broker_id=asha.id, claimed_at=datetime.now(UTC))
    log_deal(db.session, lead, asha, DealForm("Saffron Ridge", "4 BHK", "5 Cr"), app_ctx.config)
    db.session.commit()
    page = client.get(f"/partner/leads/{lead.id}").get_data(as_text=True)
    assert "Saffron Ridge · 4 BHK" in page and "₹10,00,000" in page  # the deal, with the commission
    moved = client.post(
        f"/partner/leads/{lead.id}/assign", data={"broker_id": ravi.id, "csrf_token": partner}
    )
    assert moved.status_code == 422 and "stays with the broker who won it" in moved.get_data(as_text=True)
    db.session.refresh(lead)
    assert lead.broker_id == asha.id


def test_the_dashboard_reads_the_period_asked_for(client, partner):
    week = client.get("/partner/?days=7").get_data(as_text=True)
    assert "Answer time, last 7 days" in week and '<option value="7" selected>' in week
    assert "Answer time, last 30 days" in client.get("/partner/?days=12345").get_data(as_text=True)
