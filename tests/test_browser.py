"""The portal in a real headless Chromium over HTTP: a broker claims a lead, works it to a won
deal, and the partner sees the revenue.

Playwright drives the system Chromium (no browser download); the test is skipped when Chromium
is not installed. Every step leaves a full-page screenshot in tests/artifacts/.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from app import create_app
from app.channels.phones import mask_phone
from app.extensions import db
from app.models import Deal, Lead
from app.portal.accounts import create_user
from tests.browser_support import (
    ARTIFACTS,
    NEEDS_CHROMIUM,
    headless_chromium,
    http_server,
    playwright_sync_api,
    throwaway_database,
)
from tests.portal_helpers import PASSWORD, investor_wrote

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Request, Response, Route

sync_api = playwright_sync_api()
pytestmark = NEEDS_CHROMIUM
expect = sync_api.expect

TIMEOUT_MS = 15_000
BROKER_EMAIL = "ravi@brokers.example"
PARTNER_EMAIL = "priya@partner.example"
MOBILE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LOCAL_HOSTS = ("127.0.0.1", "localhost")


# -- the server and its data ------------------------------------------------------------------------


@dataclass(frozen=True)
class SeededLead:
    id: int
    name: str
    phone: str


@dataclass(frozen=True)
class Portal:
    """The served portal and what was committed into its database before it started."""

    base_url: str
    app: Flask  # the Flask app bound to the same database, for checking what the browser did
    lead: SeededLead  # asked for a broker; the broker claims and wins it
    other_pool_lead: SeededLead  # stays in the pool
    held_lead: SeededLead  # the broker held it before the test began


def _lead(name: str, phone: str, **fields) -> Lead:
    """A lead with all four answers given, qualified and asking for a broker."""
    now = datetime.now(UTC)
    lead = Lead(
        phone=phone,
        name=name,
        stage="broker_requested",
        questions_answered=4,
        budget_text="3 to 5 crore",
        budget_min_inr=Decimal("30000000"),
        budget_max_inr=Decimal("50000000"),
        area_text="Golf Course Road",
        areas=["Golf Course Road"],
        timeline_text="in the next 2 months",
        timeline="1-3 months",
        unit_text="4 bhk",
        unit_kinds=["4 BHK"],
        qualified_at=now,
        broker_requested_at=now,
        **fields,
    )
    db.session.add(lead)
    return lead


def seed(app: Flask) -> dict[str, SeededLead]:
    """Commit the partner, a broker with areas, two pool leads and one lead the broker holds."""
    with app.app_context():
        create_user(db.session, PARTNER_EMAIL, "partner", "Priya Partner", PASSWORD)
        broker = create_user(
            db.session, BROKER_EMAIL, "broker", "Ravi Broker", PASSWORD, areas=["Golf Course Road"]
        )
        leads = {
            "lead": _lead("Asha Mehta", "+919812345678"),
            "other_pool_lead": _lead("Vikram Rao", "+919811100022"),
            "held_lead": _lead(
                "Meera Kapoor", "+919876500033", broker_id=broker.id, claimed_at=datetime.now(UTC)
            ),
        }
        db.session.commit()
        return {key: SeededLead(lead.id, lead.name, lead.phone) for key, lead in leads.items()}


@pytest.fixture(scope="module")
def portal(database_url: str, redis_url: str) -> Iterator[Portal]:
    """The portal served over HTTP from a throwaway database holding the seeded accounts and leads."""
    with throwaway_database(database_url, "investochat_browser") as url:
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": url,
                "SQLALCHEMY_DATABASE_URI": url,
                "REDIS_URL": redis_url,
                "RQ_QUEUE": f"investochat-browser-{uuid.uuid4().hex[:8]}",
                "SECRET_KEY": "browser-test-secret",
                "OPENAI_API_KEY": "",
            }
        )
        try:
            with app.app_context():
                upgrade()
            leads = seed(app)
            with http_server(app) as base_url:
                yield Portal(base_url, app, **leads)
        finally:
            with app.app_context():
                db.engine.dispose()


# -- the browser ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """The system Chromium, headless, driven by Playwright."""
    expect.set_options(timeout=TIMEOUT_MS)
    with headless_chromium(sync_api) as browser:
        yield browser


@dataclass
class Browsing:
    """Opens pages on the portal and notes what must never happen: a JavaScript error, a 5xx, a
    request leaving the machine (the portal loads nothing from a CDN), or anything the
    Content-Security-Policy had to block (an inline script or style, an eval)."""

    browser: Browser
    base_url: str
    problems: list[str] = field(default_factory=list)
    contexts: list[BrowserContext] = field(default_factory=list)

    def open(self, **options) -> Page:
        """A page in a fresh browser context (its own cookies) with ``options`` (viewport…)."""
        context = self.browser.new_context(base_url=self.base_url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.route("**/*", self._only_local)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.problems.append(f"JavaScript error on {page.url}: {error}"))
        page.on("response", self._note_server_error)
        page.on("console", lambda message: self._note_policy_violation(page, message))
        return page

    def _note_policy_violation(self, page: Page, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.problems.append(f"blocked on {page.url}: {message.text}")

    def _only_local(self, route: Route, request: Request) -> None:
        if urlsplit(request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.problems.append(f"request to another host: {request.url}")
            route.abort()

    def _note_server_error(self, response: Response) -> None:
        if response.status >= 500:
            self.problems.append(f"{response.status} from {response.request.method} {response.url}")


@pytest.fixture
def browsing(chromium, portal: Portal) -> Iterator[Browsing]:
    session = Browsing(chromium, portal.base_url)
    yield session
    for context in session.contexts:
        context.close()


@pytest.fixture(scope="module")
def shoot() -> Callable[..., Path]:
    """``shoot(page, name)``: a full-page screenshot in tests/artifacts/, checked to be non-empty."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def screenshot(page: Page, name: str) -> Path:
        path = ARTIFACTS / f"browser-{name}.png"
        path.unlink(missing_ok=True)  # a file left by an earlier run must not pass for this one
        page.screenshot(path=str(path), full_page=True)
        assert path.is_file() and path.stat().st_size > 0, f"no screenshot at {path}"
        return path

    return screenshot


def log_in(page: Page, email: str, home: str) -> None:
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(re.escape(home) + "$"))


def no_horizontal_overflow(page: Page) -> None:
    """The page fits the phone's width; on failure, name the elements that stick out."""
    layout = page.evaluate(
        """() => {
            const width = window.innerWidth;
            const wide = [...document.querySelectorAll("body *")]
                .filter((element) => element.getBoundingClientRect().right > width + 1)
                .slice(0, 8)
                .map((element) => element.tagName.toLowerCase() + (element.id ? "#" + element.id : ""));
            return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, wide};
        }"""
    )
    assert layout["innerWidth"] == MOBILE["viewport"]["width"], layout  # not zoomed out to fit
    assert layout["scrollWidth"] <= layout["innerWidth"] + 1, f"{page.url} overflows sideways: {layout}"


# -- the tests --------------------------------------------------------------------------------------


def test_broker_claims_and_wins_a_lead_and_the_partner_sees_the_revenue(portal, browsing, shoot):
    lead = portal.lead
    page = browsing.open(viewport={"width": 1280, "height": 900})

    # The broker finds the lead in the pool, phone masked.
    log_in(page, BROKER_EMAIL, "/broker/")
    row = page.locator(f"#lead-{lead.id}")
    expect(row.locator('td[data-label="Phone"]')).to_have_text(mask_phone(lead.phone))
    expect(page.locator("#pool-badge")).to_have_text("2")
    expect(page.locator("body")).not_to_contain_text(lead.phone)
    shoot(page, "01-broker-pool")

    # Claim swaps the row in place (HTMX): the page stays the pool, the badge counts again.
    row.get_by_role("button", name=f"Claim {lead.name}").click()
    expect(row).to_contain_text("Claimed")
    expect(page).to_have_url(f"{portal.base_url}/broker/")
    expect(page.locator("#pool-badge")).to_have_text("1")
    shoot(page, "02-lead-claimed")

    # The lead's own page shows the phone.
    row.get_by_role("link", name="open lead").click()
    expect(page).to_have_url(f"{portal.base_url}/broker/leads/{lead.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(lead.name)
    # The claimed lead's number in full, grouped as people read it, and one tap to call or WhatsApp.
    expect(page.locator("dl.answers").first).to_contain_text(f"+91 {lead.phone[3:8]} {lead.phone[8:]}")
    # First on the page, for a phone: the call and WhatsApp buttons.
    expect(page.locator(f'.quick-contact a[href="tel:{lead.phone}"]')).to_be_visible()
    expect(page.locator(f'.quick-contact a[href="https://wa.me/{lead.phone[1:]}"]')).to_be_visible()
    shoot(page, "03-lead-opened")

    # Site visit scheduled, with its date.
    visit = date.today() + timedelta(days=7)
    page.get_by_label("Move to").select_option(label="Site visit scheduled")
    page.get_by_label("Site visit date").fill(visit.isoformat())
    page.get_by_role("button", name="Update stage").click()
    expect(page.locator("#pipeline")).to_contain_text(f"Stage: Site visit scheduled on {visit:%d %b %Y}")
    expect(page.locator("#timeline")).to_contain_text(f"stage changed: site visit on {visit.isoformat()}")
    shoot(page, "04-site-visit-scheduled")

    # A 5 Cr deal: 2 % to the broker, a quarter of that to the platform.
    page.get_by_label("Project", exact=True).fill("Trevoc 56")
    page.get_by_label("Unit type").fill("4 BHK")
    page.get_by_label("Deal value").fill("5 Cr")
    asked: list[str] = []

    def confirm(dialog) -> None:  # "mark won" asks first
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", confirm)
    page.get_by_role("button", name="Log deal and mark won").click()
    # The deal's figures, in order: deal value, the broker's commission, the platform's.
    expect(page.locator("#deals dd.money")).to_have_text(
        ["₹5,00,00,000 · ₹5 Cr", "₹10,00,000 · ₹10 L", "₹2,50,000 · ₹2.5 L"]
    )
    expect(page.locator("#pipeline")).to_contain_text("Stage: Won")
    assert asked == ["Log this deal and mark the lead won? A won lead is closed."]
    shoot(page, "05-deal-logged")

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_have_text("You are logged out.")
    shoot(page, "06-logged-out")

    # The partner: this month's platform revenue and the funnel include the won lead.
    log_in(page, PARTNER_EMAIL, "/partner/")
    revenue = page.locator('section[aria-labelledby="card-revenue"]')
    expect(revenue.locator(".stat")).to_have_text("₹2.5 L")
    expect(revenue).to_contain_text("₹2,50,000")
    expect(page.locator("#funnel-chart desc")).to_contain_text("Won: 1 (33%)")
    expect(page.locator('section[aria-labelledby="card-conversations"]')).to_contain_text("1 won")
    shoot(page, "07-partner-dashboard")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Deals").click()
    expect(page).to_have_url(f"{portal.base_url}/partner/deals")
    deal_row = page.locator("#deal-table tbody tr").filter(has_text="Trevoc 56")
    expect(deal_row).to_have_count(1)
    for text in ("4 BHK", "Ravi Broker", lead.name, "₹5,00,00,000 · ₹5 Cr", "₹10,00,000 · ₹10 L", "₹2.5 L"):
        expect(deal_row).to_contain_text(text)
    shoot(page, "08-partner-deals")

    # What the pages showed is what the database holds.
    with portal.app.app_context():
        deal = db.session.scalars(select(Deal).where(Deal.lead_id == lead.id)).one()
        assert (deal.deal_value, deal.broker_commission, deal.platform_commission) == (
            Decimal("50000000"),
            Decimal("1000000"),
            Decimal("250000"),
        )
        assert db.session.get(Lead, lead.id).pipeline == "won"
    assert browsing.problems == []


def test_pool_and_lead_pages_fit_a_phone(portal, browsing, shoot):
    page = browsing.open(**MOBILE)
    log_in(page, BROKER_EMAIL, "/broker/")
    pool_lead = portal.other_pool_lead
    expect(page.locator(f"#lead-{pool_lead.id}")).to_contain_text(mask_phone(pool_lead.phone))
    shoot(page, "mobile-pool")
    no_horizontal_overflow(page)

    held = portal.held_lead
    page.goto(f"/broker/leads/{held.id}")
    expect(page.locator("dl.answers").first).to_contain_text(f"+91 {held.phone[3:8]} {held.phone[8:]}")
    expect(page.get_by_role("button", name="Update stage")).to_be_visible()
    shoot(page, "mobile-lead")
    no_horizontal_overflow(page)
    assert browsing.problems == []


def test_the_broker_writes_to_the_investor_and_sees_ticks_and_replies_without_reloading(
    portal, browsing, shoot
):
    import urllib.request

    from app.models import Message
    from tests.fakes.graph_server import FakeGraph
    from tests.whatsapp_helpers import APP_SECRET, body_of, meta_envelope, sign
    from workers.tasks import send_lead_message

    held = portal.held_lead
    with portal.app.app_context():
        db.session.get(Lead, held.id).last_inbound_at = datetime.now(UTC)  # inside WhatsApp's window
        db.session.commit()
    with FakeGraph() as graph:
        settings = {**graph.config(), "WHATSAPP_APP_SECRET": APP_SECRET}
        saved = {key: portal.app.config.get(key) for key in settings}
        portal.app.config.update(settings)
        try:
            page = browsing.open()
            log_in(page, BROKER_EMAIL, "/broker/")
            page.goto(f"/broker/leads/{held.id}")
            page.get_by_label(f"Write to {held.name}").fill(
                "Namaste! Saturday 11 am works for the site visit."
            )
            page.get_by_role("button", name="Send on WhatsApp").click()
            expect(page.locator("#message-status")).to_have_text("Sent as a WhatsApp message.")
            mine = page.locator(".transcript p.out").filter(has_text="Saturday 11 am")
            expect(mine.locator(".status")).to_have_text("pending")
            expect(page.get_by_label(f"Write to {held.name}")).to_have_value("")

            with portal.app.app_context():  # the worker's job
                message_id = db.session.scalar(select(Message.id).where(Message.sent_by_id.is_not(None)))
                send_lead_message(message_id)
                db.session.remove()
            [sent] = graph.sent
            assert sent.to == held.phone.lstrip("+")
            expect(mine.locator(".status")).to_have_text("sent")  # polled, no reload

            status = {
                "id": sent.message_id,
                "status": "read",
                "timestamp": "1764064920",
                "recipient_id": sent.to,
            }
            raw = body_of(meta_envelope(statuses=[status]))
            headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw)}
            request = urllib.request.Request(
                f"{portal.base_url}/webhooks/whatsapp", data=raw, headers=headers
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 200
            expect(mine.locator(".status")).to_have_text("read")

            with portal.app.app_context():  # the investor answers on WhatsApp
                investor_wrote(held.id, held.phone, "Perfect, see you then.")
                db.session.commit()
                db.session.remove()
            expect(page.locator(".transcript p.in").filter(has_text="Perfect, see you then.")).to_be_visible()
            shoot(page, "broker-thread")

            # The inbox counts what came while the conversation was folded away, not what was in view.
            inbox = f"{portal.base_url}/broker/inbox"
            assert " new</span>" not in page.request.get(inbox).text()
            page.locator("#conversation > summary").click()
            with portal.app.app_context():
                investor_wrote(held.id, held.phone, "And the parking?")
                db.session.commit()
                db.session.remove()
            page.wait_for_timeout(2500)  # a poll or more while folded
            assert ">1 new</span>" in page.request.get(inbox).text()
            page.locator("#conversation > summary").click()
            expect(page.locator(".transcript p.in").filter(has_text="And the parking?")).to_be_visible()
            page.wait_for_timeout(2500)
            assert " new</span>" not in page.request.get(inbox).text()

            # A canned reply: the partner's "Propose a site visit", with two times as buttons.
            page.get_by_label("Start from a canned reply").select_option(label="Propose a site visit")
            page.get_by_label("Time 1").fill("2030-01-04T11:00")
            page.get_by_label("Time 2").fill("2030-01-05T16:30")
            page.get_by_role("button", name="Offer the times on WhatsApp").click()
            expect(page.locator("#message-status")).to_contain_text(
                "Times offered (Fri 04 Jan 11:00, Sat 05 Jan 16:30)"
            )
            offer = page.locator(".transcript p.out").filter(has_text="Times offered: Fri 04 Jan 11:00")
            expect(offer).to_contain_text("Would you like to see")  # the starter reply, filled in
        finally:
            portal.app.config.update(saved)
    assert browsing.problems == []


def test_the_partner_invites_a_broker_who_sets_a_password_and_later_resets_it(portal, browsing, shoot):
    """Invite → the link from the mail server → the broker's own password → log in; the reset
    goes the same way; the spent invitation link is refused."""
    from urllib.parse import urlsplit

    from tests.fakes.smtp_server import FakeSMTP

    def link_in(mail: FakeSMTP, count: int) -> str:
        body = mail.wait_for(count)[count - 1].message.get_content()
        return urlsplit(re.search(r"https?://\S+", body).group(0)).path

    with FakeSMTP() as mail:
        saved = {key: portal.app.config.get(key) for key in mail.config()}
        portal.app.config.update(mail.config())
        try:
            page = browsing.open()
            log_in(page, PARTNER_EMAIL, "/partner/")
            page.goto("/partner/brokers/new")
            page.get_by_label("Name").fill("Kabir Sethi")
            page.get_by_label("Email").fill("kabir@brokers.example")
            page.get_by_role("button", name="Add broker and send the invitation").click()
            expect(page.locator(".flash")).to_contain_text("an email with a link to choose a password went")
            invitation = link_in(mail, 1)

            broker = browsing.open()  # the broker's own browser
            broker.goto(invitation)
            expect(broker.get_by_role("heading", level=1)).to_have_text("Welcome, Kabir Sethi")
            broker.get_by_label("Password", exact=True).fill("kabir picks his own 2026")
            broker.get_by_label("The same password again").fill("kabir picks his own 2026")
            broker.get_by_role("button", name="Set my password").click()
            expect(broker.locator(".flash")).to_contain_text("Your password is set")
            broker.get_by_label("Email", exact=True).fill("kabir@brokers.example")
            broker.get_by_label("Password", exact=True).fill("kabir picks his own 2026")
            broker.get_by_role("button", name="Log in").click()
            expect(broker).to_have_url(re.compile(r"/broker/$"))
            shoot(broker, "invited-broker-in")

            # Forgotten: the reset link by email, the same way.
            broker.get_by_role("button", name="Log out").click()
            broker.get_by_role("link", name="Forgot your password?").click()
            broker.get_by_label("Email").fill("kabir@brokers.example")
            broker.get_by_role("button", name="Email me a link").click()
            expect(broker.locator(".flash")).to_contain_text("a link to choose a new password is on its way")
            broker.goto(link_in(mail, 2))
            broker.get_by_label("Password", exact=True).fill("a second choice of 2026")
            broker.get_by_label("The same password again").fill("a second choice of 2026")
            broker.get_by_role("button", name="Set my password").click()
            broker.get_by_label("Email", exact=True).fill("kabir@brokers.example")
            broker.get_by_label("Password", exact=True).fill("a second choice of 2026")
            broker.get_by_role("button", name="Log in").click()
            expect(broker).to_have_url(re.compile(r"/broker/$"))

            # The old invitation is spent.
            broker.goto(invitation)
            expect(broker.get_by_role("alert")).to_contain_text("used already")
        finally:
            portal.app.config.update(saved)
    assert browsing.problems == []


def test_the_partner_uploads_a_scanned_brochure_watches_it_read_confirms_a_fact_and_it_is_answered(
    portal, browsing, shoot, tmp_path
):
    """An image-only price page the test draws itself: uploaded in the browser, read by the
    worker's job with OCR while the page shows the progress, a fact confirmed, and /api/ask
    answering from the OCR'd page with its citation."""
    from app.models import IngestJob
    from tests.test_ocr import image_only_pdf
    from workers.tasks import ingest_upload

    pdf = image_only_pdf(tmp_path / "Scan_Heights_Brochure.pdf")
    page = browsing.open()
    log_in(page, PARTNER_EMAIL, "/partner/")
    page.goto("/partner/projects")
    page.get_by_role("link", name="Add a brochure").first.click()
    page.get_by_label("New project's name").fill("Scan Heights")
    page.get_by_label("Brochure (PDF)").set_input_files(str(pdf))
    page.get_by_role("button", name="Upload and read it").click()
    expect(page.locator("#upload-status")).to_contain_text("waiting for a worker")

    with portal.app.app_context():  # the worker's job, while the page polls
        job_id = db.session.scalar(select(IngestJob.id).where(IngestJob.project_name == "Scan Heights"))
        assert ingest_upload(job_id) == "done"
        db.session.remove()
    status = page.locator("#upload-status")
    expect(status).to_contain_text("the bot answers from it now", timeout=10_000)  # no reload
    expect(status).to_contain_text("Pages read by OCR (no text layer)1")
    shoot(page, "upload-read")

    page.get_by_role("link", name="Review its facts").click()
    first = page.locator("table tbody tr").first
    first.get_by_role("button", name="Confirm").click()
    expect(page.locator(".flash")).to_contain_text("Kept as confirmed")

    answer = page.request.post(
        f"{portal.base_url}/api/ask",
        data={"question": "What is the basic sale price?", "project": "Scan Heights"},
    ).json()
    assert answer["answered"] is True and "18,500" in answer["answer"], answer
    assert {"document": "Scan_Heights_Brochure.pdf", "page": 2} in answer["citations"]
    assert browsing.problems == []


def test_the_partners_dashboard_and_catalogue_pages_fit_a_phone(portal, browsing, shoot):
    """The charts, cards and lists a partner reads on a phone: nothing sticks out sideways."""
    page = browsing.open(**MOBILE)
    log_in(page, PARTNER_EMAIL, "/partner/")
    expect(page.locator("#funnel-chart-title")).to_have_count(1)
    shoot(page, "mobile-dashboard")
    no_horizontal_overflow(page)
    for path in ("/partner/projects", "/partner/unanswered", "/partner/audit", "/partner/replies"):
        page.goto(path)
        no_horizontal_overflow(page)
    assert browsing.problems == []
