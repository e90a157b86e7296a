"""The owner writes to the investor from the lead's page: through WhatsApp (text inside the
24-hour window, the re-open template outside it, and saying which), with each message's status
updated by WhatsApp's status webhooks; the page polls the conversation for new messages."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Lead, Message
from tests.portal_helpers import investor_wrote, make_user
from tests.test_broker_portal import Portal, make_lead, text
from tests.whatsapp_helpers import body_of, graph_for, meta_envelope, post_signed
from workers.tasks import send_lead_message


@pytest.fixture
def graph(app_ctx):
    with graph_for(app_ctx, WHATSAPP_TEMPLATE_NAME="") as fake:
        yield fake


def owned_lead(owner, **fields) -> Lead:
    values = {
        "stage": "broker_requested",
        "broker_id": owner.id,
        "last_inbound_at": datetime.now(UTC),
        **fields,
    }
    return make_lead(**values)


def write(portal: Portal, lead: Lead, message: str):
    return portal.post(f"/broker/leads/{lead.id}/messages", {"text": message}, htmx=True)


def written(lead: Lead) -> Message:
    db.session.expire_all()
    return db.session.scalars(
        select(Message).where(Message.lead_id == lead.id, Message.sent_by_id.is_not(None))
    ).one()


def test_the_owner_writes_on_whatsapp_and_sees_the_status_change(app_ctx, client, graph, owner):
    lead = owned_lead(owner)
    portal = Portal(app_ctx, owner.email)
    page = text(portal.get(f"/broker/leads/{lead.id}"))
    assert "Send on WhatsApp" in page and 'hx-trigger="every 2s"' in page

    response = write(portal, lead, "Namaste, I can show you the 4 BHK on Saturday.")
    body = text(response)
    assert response.status_code == 200 and "Sent as a WhatsApp message." in body
    assert "Ravi Anand (broker)" in body and "status-pending" in body
    message = written(lead)
    assert (message.provider, message.status, message.sent_by_id) == ("meta", "pending", owner.id)

    send_lead_message(message.id)  # the worker's job
    [sent] = graph.sent
    assert sent.payload["type"] == "text" and sent.payload["text"]["body"].startswith("Namaste, I can show")
    assert "status-sent" in text(portal.get(f"/broker/leads/{lead.id}/conversation", htmx=True))

    digits = lead.phone.lstrip("+")
    status = {"id": sent.message_id, "status": "read", "timestamp": "1764064920", "recipient_id": digits}
    assert post_signed(client, body_of(meta_envelope(statuses=[status]))).status_code == 200
    assert "status-read" in text(portal.get(f"/broker/leads/{lead.id}/conversation", htmx=True))


def test_a_failed_message_shows_whatsapps_reason(app_ctx, graph, owner):
    lead = owned_lead(owner)
    portal = Portal(app_ctx, owner.email)
    write(portal, lead, "Are you free for a call?")
    graph.fail_next(400, code=131026, message="Message undeliverable")
    send_lead_message(written(lead).id)
    thread = text(portal.get(f"/broker/leads/{lead.id}/conversation", htmx=True))
    assert "status-failed" in thread and "131026" in thread


def test_outside_the_window_the_template_goes_and_the_broker_is_told(app_ctx, graph, owner):
    app_ctx.config["WHATSAPP_TEMPLATE_NAME"] = "reopen_chat"
    lead = owned_lead(owner, last_inbound_at=datetime.now(UTC) - timedelta(days=2))
    portal = Portal(app_ctx, owner.email)
    body = text(write(portal, lead, "Following up on the site visit."))
    assert "not written in the last 24 hours" in body and "reopen_chat" in body
    send_lead_message(written(lead).id)
    [sent] = graph.sent
    assert sent.payload["type"] == "template" and sent.payload["template"]["name"] == "reopen_chat"


def test_outside_the_window_without_a_template_nothing_is_stored(app_ctx, graph, owner):
    lead = owned_lead(owner, last_inbound_at=datetime.now(UTC) - timedelta(days=2))
    portal = Portal(app_ctx, owner.email)
    response = write(portal, lead, "Following up.")
    assert response.status_code == 422 and "WHATSAPP_TEMPLATE_NAME" in text(response)
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.lead_id == lead.id)) == 0


@pytest.mark.parametrize(
    ("fields", "message", "problem"),
    [
        ({"opted_out": True}, "Hello", "opted out"),
        ({}, "   ", "Write a message first"),
        ({}, "x" * 4097, "at most 4,096 characters"),
    ],
)
def test_messages_that_cannot_go_are_refused_with_the_reason(app_ctx, graph, owner, fields, message, problem):
    lead = owned_lead(owner, **fields)
    portal = Portal(app_ctx, owner.email)
    response = write(portal, lead, message)
    assert response.status_code == 422 and problem in text(response)
    assert graph.sent == []


def test_only_the_owner_writes_or_reads_the_conversation(app_ctx, graph, owner):
    lead = owned_lead(owner)
    make_user("sunil@agency.example")
    db.session.commit()
    other = Portal(app_ctx, "sunil@agency.example")
    assert write(other, lead, "Hi, I am another broker").status_code == 404
    assert other.get(f"/broker/leads/{lead.id}/conversation", htmx=True).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.lead_id == lead.id)) == 0


def test_a_new_message_from_the_investor_shows_in_the_polled_conversation(app_ctx, graph, owner):
    lead = owned_lead(owner)
    portal = Portal(app_ctx, owner.email)
    assert "Can we meet at 5?" not in text(portal.get(f"/broker/leads/{lead.id}/conversation", htmx=True))
    investor_wrote(lead.id, lead.phone, "Can we meet at 5?")
    db.session.commit()
    assert "Can we meet at 5?" in text(portal.get(f"/broker/leads/{lead.id}/conversation", htmx=True))


def test_a_website_chat_lead_gets_the_message_in_the_chat(app_ctx, graph, owner):
    lead = owned_lead(owner, channel="web", web_conversation=str(uuid.uuid4()))
    portal = Portal(app_ctx, owner.email)
    assert "Sent in the website chat" in text(write(portal, lead, "I will call you at 5."))
    message = written(lead)
    assert (message.provider, message.status, message.conversation) == ("web", "sent", lead.web_conversation)
    assert graph.sent == []


def test_the_visitor_sees_the_brokers_message_when_the_chat_is_resumed(app_ctx, client, graph, owner):
    from app.widget.conversations import issue_token

    lead = owned_lead(owner, channel="web", web_conversation=str(uuid.uuid4()))
    write(Portal(app_ctx, owner.email), lead, "I will call you at 5.")
    token = issue_token(app_ctx.config["SECRET_KEY"], lead.web_conversation)
    chat = client.get("/widget/thread", headers={"HX-Request": "true", "X-Widget-Token": token})
    assert chat.status_code == 200 and "I will call you at 5." in chat.get_data(as_text=True)


def test_the_same_form_sent_twice_is_one_message(app_ctx, graph, owner):
    lead = owned_lead(owner)
    portal = Portal(app_ctx, owner.email)
    form = {"text": "Namaste, calling you at 5.", "mid": "form-7f3a"}
    first = portal.post(f"/broker/leads/{lead.id}/messages", form, htmx=True)
    again = portal.post(f"/broker/leads/{lead.id}/messages", form, htmx=True)
    assert first.status_code == again.status_code == 200
    assert "Already sent: this form went once." in text(again)
    count = select(func.count()).select_from(Message).where(Message.sent_by_id == owner.id)
    assert db.session.scalar(count) == 1
    fresh = portal.post(f"/broker/leads/{lead.id}/messages", {**form, "mid": "form-8b21"}, htmx=True)
    assert fresh.status_code == 200 and db.session.scalar(count) == 2  # a new form is a new message
