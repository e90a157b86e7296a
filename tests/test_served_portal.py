"""The partner portal through a real `investochat serve` tree (gunicorn): a full page, an HTMX
fragment, and CSV exports of 1,000 leads streamed to the end, by HTTP and by a browser download.

The exports once sent only their header under gunicorn: the request's session was closed
before the server read the streamed body. Only a real WSGI server reading the body after the
view returned shows that, so these tests go through one.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app import brochures
from app.models import Lead, Project
from app.portal.accounts import create_user
from app.portal.deals import DealForm, log_deal
from tests.browser_support import chromium_path, headless_chromium
from tests.portal_helpers import PASSWORD
from tests.served import DEMO_PROJECT, CookieClient, ServedTree, demo_databases, served_env, serving

LEADS = 1000
DEALS = 3
PARTNER = "partner@served.example"
BROKER = "broker@served.example"
RATES = {"BROKER_COMMISSION_RATE": "0.02", "PLATFORM_SHARE_RATE": "0.25"}


def seed(database: str) -> None:
    """A partner, a broker, 1,000 qualified leads and three won deals, committed."""
    engine = create_engine(database, poolclass=NullPool)
    with Session(engine) as session:
        create_user(session, PARTNER, "partner", "Pooja Partner", PASSWORD)
        broker = create_user(session, BROKER, "broker", "Bharat Broker", PASSWORD)
        now = datetime.now(UTC)
        session.execute(
            insert(Lead),
            [
                {
                    "phone": f"+9198{n:08d}",
                    "name": f"Investor {n:04d}",
                    "stage": "qualified",
                    "budget_min_inr": Decimal("30000000"),
                    "budget_max_inr": Decimal("50000000"),
                    "qualified_at": now,
                }
                for n in range(LEADS)
            ],
        )
        session.flush()
        for n, lead in enumerate(session.scalars(select(Lead).order_by(Lead.id).limit(DEALS)).all()):
            log_deal(session, lead, broker, DealForm(DEMO_PROJECT, "4 BHK", f"{5 + n} Cr"), RATES)
        session.commit()
    engine.dispose()


@pytest.fixture(scope="module")
def portal(database_url, redis_url, tmp_path_factory) -> Iterator[ServedTree]:
    """The served portal over a database holding the seeded leads."""
    data_dir = tmp_path_factory.mktemp("served-portal")
    with demo_databases(database_url, redis_url, data_dir) as databases:
        database = databases()
        seed(database)
        with serving(served_env(database, redis_url, data_dir), data_dir / "serve.log") as tree:
            yield tree


@pytest.fixture(scope="module")
def partner(portal) -> CookieClient:
    browser = CookieClient(portal)
    assert browser.log_in(PARTNER).endswith("/partner/")  # redirected to the dashboard
    return browser


def rows_of(body: bytes) -> list[dict[str, str]]:
    assert body.startswith("\ufeff".encode()), "the byte-order mark Excel needs"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_serve_gives_no_first_account_hint_once_accounts_exist(portal):
    assert "InvestoChat is running at" in portal.log.read_text()
    assert "No portal account yet" not in portal.log.read_text()


def test_the_lead_list_is_a_full_page(partner):
    status, headers, body = partner.get("/partner/leads")

    page = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert re.search(r"Investor \d{4}", page) and f"{LEADS:,}" in page  # rows, and how many match
    assert "HX-Request" in headers["Vary"]


def test_an_htmx_request_gets_only_the_table(partner):
    status, headers, body = partner.get("/partner/leads?q=Investor+0999", **{"HX-Request": "true"})

    fragment = body.decode()
    assert status == 200 and "<html" not in fragment.lower()
    assert "Investor 0999" in fragment and "Investor 0998" not in fragment
    assert "HX-Request" in headers["Vary"]


def test_the_leads_csv_streams_every_lead_through_gunicorn(partner):
    status, headers, body = partner.get("/partner/leads.csv")

    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert re.match(
        r'attachment; filename="investochat-leads-\d{4}-\d{2}-\d{2}\.csv"', headers["Content-Disposition"]
    )
    rows = rows_of(body)
    assert len(rows) == LEADS
    assert {row["name"] for row in rows} == {f"Investor {n:04d}" for n in range(LEADS)}
    assert all(row["phone"].startswith("'+9198") for row in rows)  # kept as text, not a number


def test_the_deals_csv_streams_every_deal_with_exact_rupees(partner):
    status, _headers, body = partner.get("/partner/deals.csv")

    rows = rows_of(body)
    assert status == 200 and len(rows) == DEALS
    assert sorted(row["deal_value"] for row in rows) == ["50000000.00", "60000000.00", "70000000.00"]
    assert {row["platform_commission"] for row in rows} == {"250000.00", "300000.00", "350000.00"}


def test_a_filtered_export_sends_only_what_the_filters_select(partner):
    _status, _headers, body = partner.get("/partner/leads.csv?q=Investor+01")

    assert sorted(row["name"] for row in rows_of(body)) == [f"Investor {n:04d}" for n in range(100, 200)]


@pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed: `make browser` installs it.")
def test_a_browser_download_of_the_leads_csv_completes(portal, tmp_path: Path):
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed: run `make install`."
    )
    with headless_chromium(sync_api) as chromium:
        context = chromium.new_context(accept_downloads=True)
        page = context.new_page()
        page.goto(portal.url("/login"))
        page.fill("input[name=email]", PARTNER)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/partner/")
        page.goto(portal.url("/partner/leads"))

        with page.expect_download() as started:
            page.get_by_role("link", name="Download CSV").click()
        download = started.value
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        assert download.failure() is None
        context.close()

    assert re.fullmatch(r"investochat-leads-\d{4}-\d{2}-\d{2}\.csv", saved.name)
    assert len(rows_of(saved.read_bytes())) == LEADS


def test_a_brochure_link_serves_the_pdf_through_gunicorn(portal):
    """The signed link WhatsApp fetches a brochure from, answered by the served tree."""
    engine = create_engine(portal.env["DATABASE_URL"], poolclass=NullPool)
    with Session(engine) as session:
        project_id = session.scalar(select(Project.id).where(Project.name == DEMO_PROJECT))
        brochure = brochures.brochure_for(session, project_id)
    engine.dispose()
    path = brochures.link_path(portal.env["SECRET_KEY"], brochure)
    status, headers, body = CookieClient(portal).get(path)  # no login: the signature is the permission
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert body == (Path(__file__).parents[1] / "app/demo/aravali_crest.pdf").read_bytes()
