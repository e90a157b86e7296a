"""``/webhooks/wati``: the shared token, exactly-once recording, and replies sent through Wati."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import func, select

from app.cli import main
from app.extensions import db
from app.models import InboundEvent, Message
from tests.fakes.wati_server import FakeWati
from tests.whatsapp_helpers import e164, empty_queue, sweep, wati_text
from workers.queues import get_queue
from workers.tasks import process_message, send_replies

TOKEN = "wati-webhook-token"
QUEUE = f"investochat-wati-{uuid.uuid4().hex[:8]}"
WA_ID = "919810000301"
SETTINGS = ("RQ_QUEUE", "WATI_WEBHOOK_TOKEN", "WHATSAPP_PROVIDER", "WATI_API_URL", "WATI_API_TOKEN")


@pytest.fixture
def wati(app_ctx):
    """The Wati webhook token configured, on a queue of this module's own; restored after."""
    config = app_ctx.config
    saved = {key: config.get(key) for key in SETTINGS}
    config.update(RQ_QUEUE=QUEUE, WATI_WEBHOOK_TOKEN=TOKEN)
    queue = get_queue(config)
    empty_queue(queue)
    yield config
    empty_queue(queue)
    config.update(saved)


def post(client, payload, *, header: str | None = None, query: str | None = None):
    url = "/webhooks/wati" + (f"?token={query}" if query is not None else "")
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["X-Wati-Token"] = header
    return client.post(url, data=json.dumps(payload), headers=headers)


def stored(message_id: str) -> list[Message]:
    return list(db.session.scalars(select(Message).where(Message.provider_message_id == message_id)))


def events() -> int:
    return db.session.scalar(select(func.count()).select_from(InboundEvent))


@pytest.mark.parametrize("how", ["header", "query"])
def test_the_right_token_stores_the_message_once_and_queues_it(client, wati, how):
    message_id = f"wamid.WATI-{how}"
    payload = wati_text(message_id, "What is the payment plan?", WA_ID)
    token = {how: TOKEN}

    first = post(client, payload, **token)
    again = post(client, payload, **token)  # Wati retries deliveries too

    assert first.status_code == 200 and first.get_json()["new"] == 1
    assert again.status_code == 200 and again.get_json() == {
        "received": 1,
        "new": 0,
        "duplicates": 1,
        "statuses": 0,
    }
    [message] = stored(message_id)
    assert message.provider == "wati" and message.phone == e164(WA_ID)
    assert message.status == "received" and message.body == "What is the payment plan?"
    assert message.interactive == {"profile_name": "Priya Sharma"}
    assert sweep(get_queue(wati)) == [message.id]
    [job] = get_queue(wati).jobs
    assert job.func is process_message and job.args == (message.id,)


@pytest.mark.parametrize(
    "token",
    [
        {},
        {"header": "wrong-token"},
        {"query": "wrong-token"},
        {"header": ""},
        {"header": "wrong-token", "query": TOKEN},  # the header is the credential when present
    ],
    ids=["missing", "wrong-header", "wrong-query", "empty-header", "wrong-header-right-query"],
)
def test_a_missing_or_wrong_token_is_refused_and_nothing_is_stored(client, wati, token):
    before = events()

    response = post(client, wati_text("wamid.WATI-REFUSED", "hello", WA_ID), **token)

    assert response.status_code == 403
    assert "Wati webhook token" in response.get_json()["message"]
    assert events() == before and stored("wamid.WATI-REFUSED") == []
    assert sweep(get_queue(wati)) == []


def test_without_a_configured_token_every_delivery_is_refused(client, wati):
    wati.update(WATI_WEBHOOK_TOKEN="")

    for token in ({}, {"header": ""}, {"query": ""}, {"header": TOKEN}):
        assert post(client, wati_text("wamid.WATI-OPEN", "hello", WA_ID), **token).status_code == 403
    assert stored("wamid.WATI-OPEN") == []


def test_a_body_that_is_not_a_wati_event_is_a_400(client, wati):
    response = post(client, {"hello": "world"}, header=TOKEN)

    assert response.status_code == 400
    assert "eventType" in response.get_json()["message"]


def test_replies_go_out_through_wati_and_its_statuses_come_back(client, wati, runner):
    assert runner.invoke(main, ["demo", "load"]).exit_code == 0
    with FakeWati() as fake:
        wati.update(fake.config(), WHATSAPP_PROVIDER="wati")
        post(
            client,
            wati_text("wamid.WATI-Q1", "What is the payment plan of Aravali Crest?", WA_ID),
            header=TOKEN,
        )
        [inbound] = stored("wamid.WATI-Q1")

        assert process_message(inbound.id) == 1  # first contact: the greeting opens the answer

        [answer] = fake.sent
        assert answer.to == WA_ID
        assert answer.path.endswith(f"/api/v1/sendSessionMessage/{WA_ID}")
        assert answer.payload["messageText"].startswith("Hello Priya!")
        assert "Source: Aravali_Crest_Brochure.pdf" in answer.payload["messageText"]
        replies = list(
            db.session.scalars(
                select(Message).where(Message.in_reply_to_id == inbound.id).order_by(Message.sequence)
            )
        )
        assert [r.provider for r in replies] == ["wati"]
        assert [r.status for r in replies] == ["sent"]
        assert [r.provider_message_id for r in replies] == [answer.message_id]

        delivered = {
            "eventType": "sentMessageDELIVERED_v2",
            "whatsappMessageId": answer.message_id,
            "waId": WA_ID,
            "timestamp": "1764064900",
        }
        assert post(client, delivered, header=TOKEN).get_json()["statuses"] == 1
        db.session.expire_all()
        assert db.session.get(Message, replies[0].id).status == "delivered"
        assert send_replies(inbound.id)["sent"] == 0 and len(fake.sent) == 1


def test_a_wati_server_error_is_retried_and_the_reply_sent_once(client, wati, runner):
    with FakeWati() as fake:
        wati.update(fake.config(), WHATSAPP_PROVIDER="wati")
        post(client, wati_text("wamid.WATI-HI", "hello", WA_ID), header=TOKEN)
        [inbound] = stored("wamid.WATI-HI")
        fake.fail_next(503)

        assert process_message(inbound.id) == 1  # a greeting only; its first send gets the 503
        [retry] = get_queue(wati).scheduled_job_registry.get_job_ids()
        assert get_queue(wati).fetch_job(retry).func is send_replies
        second = send_replies(inbound.id)

        assert second["sent"] == 1
        [greeting] = fake.sent
        assert greeting.payload["messageText"].startswith("Hello Priya!")
        assert len(fake.requests) == 2


def test_a_bsuid_message_without_a_phone_is_answered_through_wati_to_the_user_id(client, wati):
    user_id = "IN.8800776655443322"
    with FakeWati() as fake:
        wati.update(fake.config(), WHATSAPP_PROVIDER="wati")
        event = {
            **wati_text("wamid.WATI-BSUID", "hello", WA_ID, name="Farah Khan"),
            "eventType": "message_bsuid",
            "waId": None,
            "bsuid": user_id,
            "parentBsuid": "IN.ENT.1122334455",
            "username": "@farah.k",
        }

        assert post(client, event, header=TOKEN).get_json()["new"] == 1
        [inbound] = stored("wamid.WATI-BSUID")
        assert (inbound.phone, inbound.whatsapp_user_id) == (None, user_id)
        assert process_message(inbound.id) == 1

        [greeting] = fake.sent
        assert greeting.to == user_id and greeting.path.endswith(f"/api/v1/sendSessionMessage/{user_id}")
        assert greeting.payload["messageText"].startswith("Hello Farah!")
        lead = db.session.get(Message, inbound.id).lead
        assert (lead.phone, lead.whatsapp_user_id, lead.whatsapp_username) == (None, user_id, "@farah.k")
        read = {
            "eventType": "sentMessageREAD_v2_bsuid",
            "whatsappMessageId": greeting.message_id,
            "bsuid": user_id,
            "timestamp": "1764064900",
        }
        assert post(client, read, header=TOKEN).get_json()["statuses"] == 1
        db.session.expire_all()
        [reply] = db.session.scalars(select(Message).where(Message.in_reply_to_id == inbound.id))
        assert reply.status == "read"
