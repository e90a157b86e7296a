"""The chat widget through the Flask test client: starting a conversation, asking, the replies
the worker writes, options, and everything a visitor or another site could get wrong.

Processing runs the worker's own job (``process_message``) in the test's transaction; a fake
Graph API stands by to prove that no widget reply ever goes to WhatsApp.
"""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from app.cli import main
from app.extensions import db
from app.models import Activity, InboundEvent, Lead, Message, OutboxEvent
from app.widget.conversations import WidgetConversation, issue_token
from tests.fakes.graph_server import FakeGraph
from workers.tasks import process_message

PROJECT = "Aravali Crest"
PHONE = "+919811155501"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def widget(app_ctx, runner):
    """The demo project loaded, generous rate limits, and WhatsApp pointed at a fake Graph."""
    assert runner.invoke(main, ["demo", "load"]).exit_code == 0
    config = app_ctx.config
    keys = ("WIDGET_START_LIMIT", "WIDGET_MESSAGE_LIMIT", "WIDGET_ALLOWED_ORIGINS")
    saved = {key: config.get(key) for key in keys}
    with FakeGraph() as graph:
        saved |= {key: config.get(key) for key in graph.config()}
        config.update(graph.config(), WIDGET_START_LIMIT="1000/minute", WIDGET_MESSAGE_LIMIT="1000/minute")
        yield graph
    config.update(saved)


def start(client, name="Meera Kapoor", phone="98111 55501", consent="yes", project=PROJECT):
    data = {"name": name, "phone": phone, "project": project}
    if consent:
        data["consent"] = consent
    return client.post("/widget/start", data=data, headers=HTMX)


def token_of(response) -> str:
    match = re.search(r'data-token="([^"]+)"', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:500]
    return match.group(1)


def say(client, token, text, mid=None, reply_id=None):
    data = {"text": text, "mid": mid or uuid.uuid4().hex}
    if reply_id:
        data["reply_id"] = reply_id
    return client.post("/widget/messages", data=data, headers={**HTMX, "X-Widget-Token": token})


def poll(client, token, message_id):
    return client.get(f"/widget/replies/{message_id}", headers={**HTMX, "X-Widget-Token": token})


def inbound(text: str) -> Message:
    return db.session.scalars(
        select(Message).where(Message.direction == "in", Message.body == text).order_by(Message.id.desc())
    ).first()


def ask(client, token, text, reply_id=None) -> str:
    """Send ``text``, run the worker's job for it, and return the replies the widget shows."""
    sent = say(client, token, text, reply_id=reply_id)
    assert sent.status_code == 200, sent.get_data(as_text=True)
    message = inbound(text)
    assert poll(client, token, message.id).status_code == 204  # not answered yet: keep polling
    process_message(message.id)
    answered = poll(client, token, message.id)
    assert answered.status_code == 200
    return answered.get_data(as_text=True)


def test_the_widget_page_asks_who_is_asking_and_may_be_framed_only_where_allowed(client, widget):
    client.application.config["WIDGET_ALLOWED_ORIGINS"] = "https://www.developer.example"
    response = client.get(f"/widget/?project={PROJECT}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"<h1>{PROJECT}</h1>" in body and 'name="phone"' in body and 'name="consent"' in body
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'self' https://www.developer.example"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers  # the widget keeps no cookie
    assert "https://" not in re.sub(r'https://www\.developer\.example', "", body)  # nothing from a CDN


def test_starting_creates_a_web_lead_with_the_project_in_focus(client, widget):
    response = start(client)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Chatting as Meera Kapoor." in body
    assert 'hx-headers=\'{"X-Widget-Token": ' in body
    lead = db.session.scalars(select(Lead).where(Lead.phone == PHONE)).one()
    assert (lead.name, lead.channel, lead.stage, lead.project.name) == ("Meera Kapoor", "web", "new", PROJECT)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"name": "  "}, "Please tell us your name."),
        ({"phone": "12345"}, "does not look like a mobile number"),
        ({"phone": "call me maybe"}, "does not look like a mobile number"),
        ({"consent": None}, "Please agree to be contacted"),
    ],
)
def test_a_start_form_with_a_mistake_says_what_to_fix_and_creates_nothing(client, widget, fields, error):
    before = db.session.scalar(select(func.count()).select_from(Lead))
    response = start(client, **fields)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and error in body and "data-token" not in body
    assert db.session.scalar(select(func.count()).select_from(Lead)) == before
    page = client.post("/widget/start", data={"name": "", "phone": ""})  # without HTMX: the page, 422
    assert page.status_code == 422 and "<!doctype html>" in page.get_data(as_text=True)


def test_a_question_is_answered_with_its_citation_and_nothing_goes_to_whatsapp(client, widget):
    token = token_of(start(client))

    replies = ask(client, token, "What is the payment plan?")

    assert "Hello Meera!" in replies and "On booking: 10% of BSP" in replies
    assert "Source: Aravali_Crest_Brochure.pdf p.6" in replies
    message = inbound("What is the payment plan?")
    assert (message.provider, message.status, message.lead.channel) == ("web", "processed", "web")
    [reply] = db.session.scalars(select(Message).where(Message.in_reply_to_id == message.id)).all()
    assert (reply.status, reply.provider, reply.route) == ("sent", "web", "tables")
    assert reply.conversation == message.conversation is not None
    assert widget.sent == []  # the fake Graph API received nothing
    assert db.session.scalar(
        select(func.count()).select_from(InboundEvent).where(InboundEvent.provider == "web")
    ) == 1


def test_the_same_form_sent_twice_is_one_message(client, widget):
    token = token_of(start(client))
    mid = uuid.uuid4().hex

    first, second = say(client, token, "Where is it?", mid), say(client, token, "Where is it?", mid)

    assert first.status_code == second.status_code == 200
    ids = db.session.scalars(select(Message.id).where(Message.body == "Where is it?")).all()
    assert len(ids) == 1
    assert f'data-message-id="{ids[0]}"' in second.get_data(as_text=True)


def test_requests_without_a_valid_token_are_refused_and_store_nothing(client, widget):
    token = token_of(start(client))
    forged = issue_token("not-our-secret", WidgetConversation(str(uuid.uuid4()), PHONE, "Meera"))
    for headers in ({}, {"X-Widget-Token": "garbage"}, {"X-Widget-Token": forged}):
        data = {"text": "hi", "mid": uuid.uuid4().hex}
        response = client.post("/widget/messages", data=data, headers=headers)
        assert response.status_code == 403
        assert client.get("/widget/thread", headers=headers).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.body == "hi")) == 0
    assert say(client, token, "hi").status_code == 200


def test_another_conversation_cannot_read_the_replies(client, widget):
    mine = token_of(start(client))
    theirs = token_of(start(client, name="Someone Else", phone="98111 55502"))
    say(client, mine, "What is the RERA number?")
    message = inbound("What is the RERA number?")
    process_message(message.id)

    assert poll(client, theirs, message.id).status_code == 404
    assert poll(client, mine, message.id).status_code == 200
    resumed = client.get("/widget/thread", headers={**HTMX, "X-Widget-Token": theirs}).get_data(as_text=True)
    assert "RERA" not in resumed


@pytest.mark.parametrize(
    ("text", "mid", "error"),
    [
        ("   ", None, "Type a question first."),
        ("x" * 1001, None, "under 1000 characters"),
        ("hello", "not-a-uuid", "reload the chat"),
    ],
)
def test_a_message_that_cannot_be_sent_says_why_and_stores_nothing(client, widget, text, mid, error):
    token = token_of(start(client))
    before = db.session.scalar(select(func.count()).select_from(Message))
    response = say(client, token, text, mid=mid)
    assert response.status_code == 200 and error in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Message)) == before


def test_a_full_conversation_in_the_widget_qualifies_the_lead_and_hands_it_to_a_broker(client, widget):
    token = token_of(start(client))
    ask(client, token, "What is the payment plan?")
    budget_question = ask(client, token, "How far is the airport?")
    assert "What budget do you have in mind?" in budget_question
    assert 'name="reply_id" value="budget:' in budget_question  # the options are buttons

    option = re.search(r'value="(budget:[^"]*3[^"]*5[^"]*)"', budget_question)[1]
    ask(client, token, "₹3 – 5 Cr", reply_id=option)
    ask(client, token, "sec 65 ggn")
    ask(client, token, "in 2 months")
    summary = ask(client, token, "4 BHK")
    assert "Shall I connect you with an advisor" in summary
    done = ask(client, token, "YES")

    assert re.search(r"Your reference is IC-\d{6}", done)
    lead = db.session.scalars(select(Lead).where(Lead.phone == PHONE)).one()
    assert lead.qualified and lead.stage == "broker_requested" and lead.channel == "web"
    assert lead.budget_min_inr == 30_000_000 and lead.budget_max_inr == 50_000_000
    kinds = set(db.session.scalars(select(Activity.kind).where(Activity.lead_id == lead.id)))
    assert {"lead_created", "qualified", "broker_requested"} <= kinds
    topics = set(db.session.scalars(select(OutboxEvent.topic).where(OutboxEvent.aggregate_id == lead.id)))
    assert {"lead.qualified", "lead.broker_requested"} <= topics
    resumed = client.get("/widget/thread", headers={**HTMX, "X-Widget-Token": token}).get_data(as_text=True)
    assert resumed.count('class="bubble me"') == 7 and "Your reference is IC-" in resumed
    assert widget.sent == []


def test_too_many_messages_from_one_address_are_refused(client, widget):
    client.application.config["WIDGET_MESSAGE_LIMIT"] = "2 per 7 minutes"
    token = token_of(start(client))
    assert [say(client, token, f"question {n}").status_code for n in range(3)] == [200, 200, 429]
