"""No message is left silently unanswered: blank profile names are greeted plainly, a failing job
is tried again, and after the last try the investor is told and the partner sees the message.

Everything runs for real: a signed webhook stores the message, an RQ worker (in burst mode)
processes it, replies go to the fake Graph API. The failures are real too: a check constraint
the test adds makes the database refuse what processing writes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import Message
from tests.fakes.graph_server import FakeGraph
from tests.fakes.wati_server import FakeWati
from tests.portal_helpers import login, make_user
from tests.test_widget import poll, say, start, token_of
from tests.whatsapp_helpers import (
    APP_SECRET,
    body_of,
    e164,
    empty_queue,
    meta_text,
    post_signed,
    sweep,
    wati_text,
)
from workers import tasks
from workers.queues import get_queue
from workers.worker import build_worker

QUEUE = f"investochat-unanswered-{uuid.uuid4().hex[:8]}"
SETTINGS = (
    "RQ_QUEUE",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_PROVIDER",
    "WATI_WEBHOOK_TOKEN",
    "WATI_API_URL",
    "WATI_API_TOKEN",
    "WHATSAPP_API_BASE_URL",
    "WHATSAPP_API_VERSION",
    "WHATSAPP_PHONE_NUMBER_ID",
    "WHATSAPP_ACCESS_TOKEN",
)
BLANK_NAMES = [" ", "\u00a0", "\u3000", "\u200b", "~", "🙂🙏", "123"]
NO_NEW_LEADS = "ck_test_no_new_leads"


@pytest.fixture
def graph(app_ctx) -> Iterator[FakeGraph]:
    """Meta's Graph API faked on loopback, the webhook secret set, a queue of the test's own."""
    config = app_ctx.config
    saved = {key: config.get(key) for key in SETTINGS}
    with FakeGraph() as fake:
        config.update(fake.config(), RQ_QUEUE=QUEUE, WHATSAPP_APP_SECRET=APP_SECRET, WHATSAPP_PROVIDER="meta")
        empty_queue(get_queue(config))
        try:
            yield fake
        finally:
            empty_queue(get_queue(config))
            config.update(saved)


@pytest.fixture
def refusing_new_leads(app_ctx) -> Iterator[None]:
    """The database refuses every new conversation: processing a first message fails."""
    with db.engine.begin() as connection:
        connection.execute(
            text(
                f"ALTER TABLE activities ADD CONSTRAINT {NO_NEW_LEADS} "
                "CHECK (kind <> 'lead_created') NOT VALID"
            )
        )
    try:
        yield
    finally:
        allow_new_leads()


def allow_new_leads() -> None:
    with db.engine.begin() as connection:
        connection.execute(text(f"ALTER TABLE activities DROP CONSTRAINT IF EXISTS {NO_NEW_LEADS}"))


@pytest.fixture
def quick_retries(monkeypatch):
    """Tries again at once, so one burst of the worker runs every try (RQ requeues at once
    when the delay is 0); the number of tries is the product's own."""
    monkeypatch.setattr(tasks, "PROCESS_RETRY_DELAYS", (0,) * len(tasks.PROCESS_RETRY_DELAYS))


def deliver(client, wa_id: str, body: str, name: str = "Rohan Mehta") -> Message:
    """POST a signed webhook; returns the stored inbound message."""
    message_id = f"wamid.UNANSWERED-{uuid.uuid4().hex}"
    raw = body_of(meta_text(message_id, body, wa_id, name=name))
    response = post_signed(client, raw)
    assert response.status_code == 200, response.get_data(as_text=True)
    return db.session.scalars(select(Message).where(Message.provider_message_id == message_id)).one()


def work(app, max_jobs: int | None = None) -> None:
    """A real RQ worker, in burst mode, on the test's queue."""
    sweep(get_queue(app.config))
    build_worker(app).work(burst=True, max_jobs=max_jobs)


def sent_texts(graph: FakeGraph) -> list[str]:
    return [m.payload["text"]["body"] for m in graph.sent if m.payload.get("type") == "text"]


@pytest.mark.parametrize("name", BLANK_NAMES, ids=repr)
def test_a_profile_name_with_no_name_in_it_is_greeted_plainly(client, graph, name):
    inbound = deliver(client, "919810007001", "Hi", name=name)

    work(client.application)

    db.session.refresh(inbound)
    assert inbound.status == "processed"
    [greeting] = sent_texts(graph)
    assert greeting.startswith("Hello! I'm the InvestoChat assistant")
    assert inbound.lead.name is None  # nothing name-like was kept


def test_a_title_before_the_name_is_skipped_in_the_greeting(client, graph):
    deliver(client, "919810007002", "Hi", name="Dr. Rohan Mehta")

    work(client.application)

    [greeting] = sent_texts(graph)
    assert greeting.startswith("Hello Rohan! ")


def test_a_blank_wati_sender_name_is_greeted_plainly(client, app_ctx):
    config = app_ctx.config
    saved = {key: config.get(key) for key in SETTINGS}
    with FakeWati() as wati:
        config.update(
            wati.config(), RQ_QUEUE=QUEUE, WATI_WEBHOOK_TOKEN="wati-token", WHATSAPP_PROVIDER="wati"
        )
        try:
            payload = wati_text("wamid.UNANSWERED-WATI", "Hi", "919810007003", name=" ")
            response = client.post("/webhooks/wati?token=wati-token", json=payload)
            assert response.status_code == 200

            work(app_ctx)

            [reply] = wati.sent
            assert reply.payload["messageText"].startswith("Hello! I'm the InvestoChat assistant")
            inbound = db.session.scalars(
                select(Message).where(Message.provider_message_id == "wamid.UNANSWERED-WATI")
            ).one()
            assert inbound.status == "processed"
        finally:
            empty_queue(get_queue(config))
            config.update(saved)


def test_a_job_that_keeps_failing_tells_the_investor_and_the_partner(
    client, graph, refusing_new_leads, quick_retries
):
    inbound = deliver(client, "919810007004", "What is the payment plan?")

    work(client.application)

    db.session.refresh(inbound)
    assert inbound.status == "failed" and inbound.processed_at is None
    assert "IntegrityError" in inbound.error
    assert f"{len(tasks.PROCESS_RETRY_DELAYS) + 1} tries" in inbound.error
    [holding] = graph.sent
    assert holding.to == "919810007004"
    assert holding.payload["text"]["body"].startswith("Sorry, I couldn't answer that just now.")
    reply = db.session.scalars(select(Message).where(Message.in_reply_to_id == inbound.id)).one()
    assert reply.status == "sent"

    # Given up is final: the dispatcher's sweep and a restarted worker leave it alone.
    allow_new_leads()
    work(client.application)
    assert len(graph.sent) == 1

    make_user("partner@invest.example", role="partner")
    login(client, "partner@invest.example")
    page = client.get("/partner/").get_data(as_text=True)
    assert "Messages the bot could not answer" in page
    assert "What is the payment plan?" in page and e164("919810007004") in page
    assert "IntegrityError" in page


def test_a_job_that_fails_once_is_answered_on_its_next_try(client, graph, refusing_new_leads, quick_retries):
    inbound = deliver(client, "919810007005", "Hi")

    work(client.application, max_jobs=1)  # the first try fails and RQ queues the next one
    db.session.refresh(inbound)
    assert inbound.status == "received" and not graph.sent
    allow_new_leads()
    work(client.application)

    db.session.refresh(inbound)
    assert inbound.status == "processed"
    [greeting] = sent_texts(graph)
    assert greeting.startswith("Hello Rohan!")


def test_the_dashboard_lists_nothing_when_every_message_was_answered(client):
    make_user("partner@invest.example", role="partner")
    login(client, "partner@invest.example")

    assert "could not answer" not in client.get("/partner/").get_data(as_text=True)


def test_a_widget_visitor_whose_message_keeps_failing_sees_the_holding_reply(
    client, graph, refusing_new_leads, quick_retries
):
    token = token_of(start(client))
    assert say(client, token, "What is the payment plan?").status_code == 200
    message = db.session.scalars(select(Message).where(Message.direction == "in")).one()

    work(client.application)

    shown = poll(client, token, message.id)
    assert shown.status_code == 200
    assert "Sorry, I couldn&#39;t answer that just now." in shown.get_data(as_text=True)
    db.session.refresh(message)
    assert message.status == "failed"
    assert graph.sent == []  # the widget's reply is read by the browser, never sent to WhatsApp
