"""The chat widget in a real headless Chromium: embedded on a developer's page on another site,
started, asked a question that the real dispatcher and RQ worker answer, and resumed after a
reload; and refused a frame on a site it does not know.

InvestoChat is served over HTTP (as ``localhost``) from a throwaway database, the developer's
page by a second server (as ``127.0.0.1``), so the widget runs as the third-party iframe it is
in production; the dispatcher and the worker run as the `investochat` processes they are in
production. Skipped without Chromium, like the portal's browser test; screenshots go to
tests/artifacts/.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from app import create_app
from app.commands.catalog import DEMO_DIR, DEMO_PROJECT, ingest_files
from app.extensions import db
from app.models import Lead
from tests.browser_support import (
    ARTIFACTS,
    NEEDS_CHROMIUM,
    headless_chromium,
    http_server,
    playwright_sync_api,
    throwaway_database,
)
from tests.fakes.graph_server import FakeGraph

sync_api = playwright_sync_api()
pytestmark = NEEDS_CHROMIUM
expect = sync_api.expect
ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_MS = 20_000
LOCAL_HOSTS = ("127.0.0.1", "localhost")
PHONE = "+919811166601"


@dataclass(frozen=True)
class Site:
    developer_page: str  # a developer's page on another site, with the widget embedded
    unknown_page: str  # the same page, served from an origin WIDGET_ALLOWED_ORIGINS leaves out
    app: Flask  # InvestoChat, to check what was stored


def developer_site(widget_origin: str) -> Flask:
    """A developer's website: one page about the project, embedding the widget with its tag."""
    site = Flask("developer_site")

    @site.get("/")
    def home():
        return (
            "<!doctype html><html lang=en><head><meta charset=utf-8><title>Aravali Crest</title>"
            '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
            f"<body><h1>{DEMO_PROJECT}</h1><p>Luxury residences.</p>"
            f'<script src="{widget_origin}/static/widget/embed.js" data-project="{DEMO_PROJECT}" defer>'
            "</script></body></html>"
        )

    return site


@pytest.fixture(scope="module")
def site(database_url: str, redis_url: str, tmp_path_factory) -> Iterator[Site]:
    """InvestoChat on a throwaway database with the demo project, the dispatcher and a worker
    running against it, and a developer's page on another site embedding it."""
    with throwaway_database(database_url, "investochat_widget") as url:
        config = {
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "RQ_QUEUE": f"investochat-widget-{uuid.uuid4().hex[:8]}",
            "SECRET_KEY": "widget-browser-secret",
            "OPENAI_API_KEY": "",
        }
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, **config})
        with app.app_context():
            upgrade()
            ingest_files(DEMO_PROJECT, [str(DEMO_DIR)], progress=False)
            db.session.remove()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "WATI_"))},
            **config,
            "INVESTOCHAT_DATA_DIR": str(tmp_path_factory.mktemp("widget-data")),
        }
        logs = tmp_path_factory.mktemp("widget-logs")
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "app", role],
                env=env,
                cwd=ROOT,
                stdout=(logs / f"{role}.log").open("w"),
                stderr=subprocess.STDOUT,
            )
            for role in ("dispatch", "worker")
        ]
        try:
            with http_server(app) as base_url:
                widget_origin = base_url.replace("127.0.0.1", "localhost")
                with http_server(developer_site(widget_origin)) as developer:
                    app.config["WIDGET_ALLOWED_ORIGINS"] = developer
                    unknown = developer.replace("127.0.0.1", "localhost")
                    yield Site(f"{developer}/", f"{unknown}/", app)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                # How promptly the worker stops is tested in test_worker.py; here only that
                # nothing is left running.
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)
            with app.app_context():
                db.engine.dispose()


@pytest.fixture(scope="module")
def chromium():
    expect.set_options(timeout=TIMEOUT_MS)
    with headless_chromium(sync_api) as browser:
        yield browser


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"widget-{name}.png"
    path.unlink(missing_ok=True)
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0


@dataclass
class Browsing:
    """A browser context that notes what must never happen: a JavaScript error, a 5xx, a request
    leaving the machine; and what the console said (a refused frame is reported there)."""

    context: object
    problems: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def page(self):
        page = self.context.new_page()
        page.on("pageerror", lambda error: self.problems.append(f"JavaScript error: {error}"))
        page.on("response", lambda r: r.status >= 500 and self.problems.append(f"{r.status} from {r.url}"))
        page.on("console", lambda message: self.console.append(message.text))
        return page


@pytest.fixture
def browsing(chromium) -> Iterator[Browsing]:
    context = chromium.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    session = Browsing(context)

    def only_local(route, request):
        if urlsplit(request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            session.problems.append(f"request to another host: {request.url}")
            route.abort()

    context.route("**/*", only_local)
    yield session
    context.close()


def start_chat(site: Site, browsing: Browsing, name: str, number: str):
    """Open the developer's page, open the widget and start a chat; the page and the chat frame."""
    page = browsing.page()
    page.goto(site.developer_page)
    page.get_by_role("button", name="Ask about this project").click()
    chat = page.frame_locator("iframe[data-investochat=frame]")
    chat.get_by_label("Your name").fill(name)
    chat.get_by_label("Mobile number").fill(number)
    chat.get_by_label("An InvestoChat advisor may call").check()
    chat.get_by_role("button", name="Start chatting").click()
    return page, chat


def test_an_investor_chats_in_the_embedded_widget_and_resumes_after_a_reload(site, browsing):
    page, chat = start_chat(site, browsing, "Meera Kapoor", "98111 66601")
    expect(chat.get_by_text("Chatting as Meera Kapoor")).to_be_visible()

    chat.get_by_label("Your message").fill("What is the payment plan?")
    chat.get_by_role("button", name="Send").click()
    answer = chat.locator(".bubble.bot").filter(has_text="Source: Aravali_Crest_Brochure.pdf p.6")
    expect(answer).to_be_visible()
    expect(answer).to_contain_text("On booking: 10% of BSP")
    expect(chat.get_by_label("Your message")).to_have_value("")  # a fresh box for the next one
    shoot(page, "answered")

    page.reload()
    page.get_by_role("button", name="Ask about this project").click()
    expect(chat.locator(".bubble.me")).to_have_text(["What is the payment plan?"])
    expect(chat.get_by_role("heading", name=DEMO_PROJECT)).to_be_visible()
    expect(chat.locator(".bubble.bot").filter(has_text="On booking: 10% of BSP")).to_be_visible()
    shoot(page, "resumed")

    chat.get_by_text("Not you? Start over").click()  # asks first
    expect(chat.get_by_text("Start a new chat?")).to_be_visible()
    chat.get_by_role("button", name="Keep chatting").click()
    expect(chat.get_by_text("Start a new chat?")).to_be_hidden()
    expect(chat.locator(".bubble.me")).to_have_count(1)
    chat.get_by_text("Not you? Start over").click()
    chat.get_by_role("button", name="Yes, start over").click()
    expect(chat.get_by_label("Your name")).to_be_visible()
    assert browsing.problems == []
    with site.app.app_context():
        lead = db.session.scalars(select(Lead).where(Lead.phone == PHONE)).one()
        assert (lead.name, lead.channel, lead.project.name) == ("Meera Kapoor", "web", DEMO_PROJECT)
        assert lead.questions_answered == 1
        db.session.remove()


def test_a_suggested_question_gets_its_cited_answer_and_an_advisor_is_a_button_away(site, browsing):
    page, chat = start_chat(site, browsing, "Anika Rao", "98111 66604")
    suggested = chat.get_by_role("group", name="Suggested questions").get_by_role("button")
    expect(suggested).to_have_count(3)

    chat.get_by_role("button", name="When is possession expected?").click()
    expect(chat.locator(".bubble.me")).to_have_text(["When is possession expected?"])
    answer = chat.locator(".bubble.bot").filter(has_text="Source: Aravali_Crest_Brochure.pdf p.2")
    expect(answer).to_contain_text("December 2029")
    expect(chat.get_by_role("button", name="When is possession expected?")).to_be_disabled()
    expect(chat.get_by_role("button", name="What is the payment plan?")).to_be_enabled()

    chat.get_by_role("button", name="Talk to an advisor").click()
    expect(chat.locator(".bubble.me").last).to_have_text("Talk to an advisor")
    budget = chat.get_by_role("group", name="Pick an answer").last
    expect(budget.get_by_role("button", name="₹3 – 5 Cr")).to_be_visible()
    budget.get_by_role("button", name="₹3 – 5 Cr").click()
    expect(chat.get_by_text("Which locations interest you?")).to_be_visible()
    expect(chat.get_by_role("button", name="₹3 – 5 Cr")).to_be_disabled()  # spent with its group
    expect(chat.get_by_role("button", name="Up to ₹3 Cr")).to_be_disabled()
    thread = chat.locator("#thread").inner_text()
    assert "CONNECT" not in thread and "Reply " not in thread and "STOP" not in thread
    shoot(page, "advisor-button")
    assert browsing.problems == []


def test_on_a_phone_the_chat_fills_the_screen_and_its_close_button_closes_it(site, chromium):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        session = Browsing(context)
        page, chat = start_chat(site, session, "Ishaan Gill", "98111 66605")
        frame = page.locator("iframe[data-investochat=frame]")
        expect(chat.get_by_text("Chatting as Ishaan Gill")).to_be_visible()
        assert frame.bounding_box() == {"x": 0, "y": 0, "width": 390, "height": 844}
        launcher = page.locator("button[data-investochat=open]")
        expect(launcher).to_be_hidden()  # it would cover the box to type in
        close = chat.get_by_role("button", name="Close chat")
        expect(close).to_be_visible()
        shoot(page, "phone")

        close.click()
        expect(frame).to_be_hidden()
        expect(launcher).to_have_text("Ask about this project")
        launcher.click()  # the same chat again
        expect(chat.get_by_text("Chatting as Ishaan Gill")).to_be_visible()
        assert session.problems == []
    finally:
        context.close()


def test_with_a_code_template_the_visitor_proves_the_number_before_asking(site, browsing):
    with FakeGraph() as graph:
        graph.authentication_templates.add("login_code")
        settings = {**graph.config(), "WHATSAPP_OTP_TEMPLATE": "login_code"}
        saved = {key: site.app.config.get(key) for key in settings}
        site.app.config.update(settings)
        try:
            page, chat = start_chat(site, browsing, "Kabir Sethi", "98111 66602")
            expect(chat.get_by_text("number ending 6602")).to_be_visible()
            expect(chat.get_by_label("Your message")).to_have_count(0)
            [sent] = graph.wait_for(1)
            assert sent.to == "919811166602"
            [body] = [c for c in sent.payload["template"]["components"] if c["type"] == "body"]
            shoot(page, "code")

            chat.get_by_label("Code from WhatsApp").fill(body["parameters"][0]["text"])
            chat.get_by_role("button", name="Confirm").click()
            expect(chat.get_by_text("your number is confirmed")).to_be_visible()
            chat.get_by_label("Your message").fill("What is the payment plan?")
            chat.get_by_role("button", name="Send").click()
            expect(chat.locator(".bubble.bot").filter(has_text="On booking: 10% of BSP")).to_be_visible()
        finally:
            site.app.config.update(saved)
    assert browsing.problems == []
    with site.app.app_context():
        lead = db.session.scalars(select(Lead).where(Lead.phone == "+919811166602")).one()
        assert lead.phone_verified_at is not None
        db.session.remove()


def test_a_brokers_message_appears_in_the_open_chat(site, browsing):
    from app.portal.accounts import create_user
    from app.portal.thread import write_to_investor

    page, chat = start_chat(site, browsing, "Rohan Verma", "98111 66603")
    expect(chat.get_by_text("Chatting as Rohan Verma")).to_be_visible()
    with site.app.app_context():
        lead = db.session.scalars(select(Lead).where(Lead.phone == "+919811166603")).one()
        broker = create_user(
            db.session, "ravi@agency.example", "broker", "Ravi Anand", "a long broker password 1"
        )
        text = "Namaste, I am your advisor. Shall I call at 5?"
        write_to_investor(db.session, lead, broker, text, site.app.config)  # as the lead's page does
        db.session.commit()
        db.session.remove()
    bubble = chat.locator(".bubble.bot").filter(has_text="Shall I call at 5?")
    expect(bubble).to_be_visible()  # without a reload: the chat polls for the advisor's messages
    expect(bubble).to_contain_text("Your advisor, Ravi Anand")
    page.wait_for_timeout(6000)  # another poll: still one bubble
    expect(bubble).to_have_count(1)
    shoot(page, "advisor")
    assert browsing.problems == []


def test_the_visitor_taps_a_time_the_broker_offered_and_the_visit_is_booked(site, browsing):
    from app.conversation.site_visits import IST
    from app.portal.accounts import create_user
    from app.portal.thread import offer_site_visit

    page, chat = start_chat(site, browsing, "Kavya Rao", "98111 66606")
    expect(chat.get_by_text("Chatting as Kavya Rao")).to_be_visible()
    day = datetime.now(IST).replace(hour=11, minute=0, second=0, microsecond=0) + timedelta(days=3)
    with site.app.app_context():
        lead = db.session.scalars(select(Lead).where(Lead.phone == "+919811166606")).one()
        broker = create_user(
            db.session, "meera@agency.example", "broker", "Meera Das", "a long broker password 2"
        )
        lead.broker_id = broker.id
        offer_site_visit(
            db.session, lead, broker, "Which time suits you?", [day, day + timedelta(hours=5)], {}
        )
        db.session.commit()
        lead_id = lead.id
        db.session.remove()
    offer = chat.locator(".bubble.bot").filter(has_text="Which time suits you?")
    expect(offer).to_contain_text("Your advisor, Meera Das")  # polled in, no reload
    offer.get_by_role("button", name=day.strftime("%a %d %b %H:%M")).click()
    expect(chat.locator(".bubble.bot").filter(has_text="Booked: your")).to_be_visible(timeout=20_000)
    expect(
        offer.get_by_role("button", name=(day + timedelta(hours=5)).strftime("%a %d %b %H:%M"))
    ).to_be_disabled()
    with site.app.app_context():
        booked = db.session.get(Lead, lead_id)
        assert (booked.pipeline, booked.site_visit_on) == ("site_visit", day.date())
        db.session.remove()
    shoot(page, "site-visit-booked")
    assert browsing.problems == []


def test_a_site_the_partner_has_not_allowed_cannot_frame_the_widget(site, browsing):
    page = browsing.page()
    page.goto(site.unknown_page)
    page.get_by_role("button", name="Ask about this project").click()

    expect(page.locator("iframe[data-investochat=frame]")).to_be_visible()
    page.wait_for_timeout(1000)
    refused = [line for line in browsing.console if "frame-ancestors" in line]
    assert refused, browsing.console
    assert page.frame_locator("iframe[data-investochat=frame]").get_by_label("Your name").count() == 0
