"""Who a WhatsApp message is from, and what else it brings: senders known only by a
business-scoped user id, numbers libphonenumber cannot place, a question in a caption, the
click-to-WhatsApp ad a lead came from.

Everything runs for real: a signed webhook stores the message, an RQ worker (in burst mode)
processes it, replies go to the fake Graph API on loopback, and the partner reads the lead page.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from app.cli import main
from app.extensions import db
from app.models import Activity, InboundEvent, Lead, Message
from tests.fakes.graph_server import FakeGraph
from tests.portal_helpers import login, make_user
from tests.whatsapp_helpers import (
    APP_SECRET,
    body_of,
    empty_queue,
    meta_envelope,
    meta_text,
    post_signed,
    sweep,
    text_message,
    user_id_text,
)
from workers.queues import get_queue
from workers.worker import build_worker

QUEUE = f"investochat-senders-{uuid.uuid4().hex[:8]}"
SETTINGS = (
    "RQ_QUEUE",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_PROVIDER",
    "WHATSAPP_API_BASE_URL",
    "WHATSAPP_API_VERSION",
    "WHATSAPP_PHONE_NUMBER_ID",
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_TEMPLATE_NAME",
)
# Invented business-scoped user ids; their digits pass the Luhn check, as a card number's do.
USER_ID = "IN.7302945518862616"
OTHER_USER_ID = "IN.4028119374650156"
QUESTION = "What is the payment plan of Aravali Crest?"
SOURCE = "Source: Aravali_Crest_Brochure.pdf"


@pytest.fixture
def graph(app_ctx) -> Iterator[FakeGraph]:
    """Meta's Graph API faked on loopback, the webhook secret set, a queue of the test's own."""
    config = app_ctx.config
    saved = {key: config.get(key) for key in SETTINGS}
    with FakeGraph() as fake:
        config.update(
            fake.config(),
            RQ_QUEUE=QUEUE,
            WHATSAPP_APP_SECRET=APP_SECRET,
            WHATSAPP_PROVIDER="meta",
            WHATSAPP_TEMPLATE_NAME="",
        )
        empty_queue(get_queue(config))
        try:
            yield fake
        finally:
            empty_queue(get_queue(config))
            config.update(saved)


@pytest.fixture
def brochures(runner) -> None:
    """The demo project and its brochure, so questions get cited answers."""
    loaded = runner.invoke(main, ["demo", "load"])
    assert loaded.exit_code == 0, loaded.output


def deliver(client, payload: dict) -> dict:
    """POST a signed webhook body; returns its JSON answer."""
    response = post_signed(client, body_of(payload))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def work(app) -> None:
    """A real RQ worker, in burst mode, on the test's queue."""
    sweep(get_queue(app.config))
    build_worker(app).work(burst=True)


def stored(message_id: str) -> Message:
    return db.session.scalars(select(Message).where(Message.provider_message_id == message_id)).one()


def texts_to(graph: FakeGraph, address: str) -> list[str]:
    return [m.payload["text"]["body"] for m in graph.sent if m.to == address and m.payload["type"] == "text"]


def partner_page(client, lead_id: int) -> str:
    make_user("partner@invest.example", role="partner")
    assert login(client, "partner@invest.example").status_code == 302
    response = client.get(f"/partner/leads/{lead_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# -- business-scoped user ids --------------------------------------------------------------------


def test_a_user_known_only_by_a_user_id_becomes_a_lead_and_is_answered_through_recipient(
    client, graph, brochures
):
    payload = user_id_text("wamid.BSUID-ASK", QUESTION, USER_ID, username="kavya.invests")

    assert deliver(client, payload)["new"] == 1
    work(client.application)

    inbound = stored("wamid.BSUID-ASK")
    assert (inbound.phone, inbound.whatsapp_user_id, inbound.status) == (None, USER_ID, "processed")
    [answer] = graph.sent
    assert answer.payload["recipient"] == USER_ID and "to" not in answer.payload
    assert (
        answer.payload["text"]["body"].startswith("Hello Kavya!") and SOURCE in answer.payload["text"]["body"]
    )
    lead = inbound.lead
    assert (lead.phone, lead.whatsapp_user_id, lead.whatsapp_username) == (None, USER_ID, "kavya.invests")
    assert lead.name == "Kavya Iyer" and lead.stage == "engaged"
    [reply] = db.session.scalars(select(Message).where(Message.in_reply_to_id == inbound.id))
    assert (reply.status, reply.whatsapp_user_id, reply.provider_message_id) == (
        "sent",
        USER_ID,
        answer.message_id,
    )
    # The raw event keeps the user id as sent, though its digits pass the card check.
    raw = db.session.scalars(select(InboundEvent.payload).order_by(InboundEvent.id.desc())).first()
    assert USER_ID in json.dumps(raw)
    page = partner_page(client, lead.id)
    assert "kavya.invests" in page and USER_ID in page and "not shared on WhatsApp" in page


def test_the_same_user_later_with_the_phone_stays_one_lead_that_now_has_the_phone(client, graph):
    deliver(client, user_id_text("wamid.BSUID-1", "Hi", USER_ID, username="kavya.invests"))
    work(client.application)
    deliver(client, user_id_text("wamid.BSUID-2", "Hello again", USER_ID, wa_id="919810008001"))
    work(client.application)

    first, second = stored("wamid.BSUID-1"), stored("wamid.BSUID-2")
    assert first.lead_id == second.lead_id
    lead = second.lead
    assert (lead.phone, lead.whatsapp_user_id, lead.phone_unrecognized) == ("+919810008001", USER_ID, False)
    assert [m.to for m in graph.sent] == [USER_ID, "919810008001"]  # the phone, once known


def test_a_lead_known_by_phone_keeps_its_conversation_when_the_phone_is_withheld(client, graph):
    deliver(client, user_id_text("wamid.PHONE-1", "Hi", OTHER_USER_ID, wa_id="919810008002"))
    work(client.application)
    deliver(client, user_id_text("wamid.PHONE-2", "Hello again", OTHER_USER_ID, username="meera_k"))
    work(client.application)

    first, second = stored("wamid.PHONE-1"), stored("wamid.PHONE-2")
    assert first.lead_id == second.lead_id and second.phone is None
    assert (second.lead.phone, second.lead.whatsapp_username) == ("+919810008002", "meera_k")
    assert [m.to for m in graph.sent] == ["919810008002", "919810008002"]
    assert db.session.scalar(select(Lead.id).where(Lead.whatsapp_user_id == OTHER_USER_ID)) == first.lead_id


# -- a number libphonenumber cannot place --------------------------------------------------------


def test_a_mexican_number_is_stored_answered_and_flagged(client, graph):
    assert deliver(client, meta_text("wamid.MX-1", "Hola, info please", "5215512345678"))["new"] == 1
    work(client.application)

    inbound = stored("wamid.MX-1")
    assert inbound.phone == "+5215512345678" and inbound.status == "processed"
    [greeting] = graph.sent
    assert greeting.to == "5215512345678"
    assert inbound.lead.phone_unrecognized is True
    page = partner_page(client, inbound.lead_id)
    assert "+5215512345678" in page and "does not recognise" in page


# -- a question in a caption -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["image", "document"])
def test_a_photo_or_document_whose_caption_is_a_question_gets_the_question_answered(
    client, graph, brochures, kind
):
    wa_id = "919810008003"
    media = {"id": "4490001", "mime_type": "image/jpeg", "caption": QUESTION}
    message = {**text_message(f"wamid.CAPTION-{kind}", "", wa_id), "type": kind, kind: media}
    del message["text"]

    deliver(client, meta_envelope(message))
    work(client.application)

    [answer] = texts_to(graph, wa_id)
    assert "only read text" not in answer
    assert "10% of BSP" in answer and answer.endswith(f"{SOURCE} p.6")


def test_a_photo_without_a_caption_still_gets_the_text_only_note(client, graph):
    wa_id = "919810008004"
    message = {**text_message("wamid.NO-CAPTION", "", wa_id), "type": "image", "image": {"id": "4490002"}}
    del message["text"]

    deliver(client, meta_envelope(message))
    work(client.application)

    [note] = texts_to(graph, wa_id)
    assert "only read text" in note


# -- click-to-WhatsApp ads ---------------------------------------------------------------------


def test_the_ad_a_lead_came_from_is_stored_and_shown_to_the_partner(client, graph):
    referral = {
        "source_url": "https://fb.me/3kQx9AdDemo",
        "source_id": "120210000000123",
        "source_type": "ad",
        "headline": "Sea-facing 4 BHK residences in Sector 65",
        "body": "Book a site visit this weekend.",
        "media_type": "image",
        "image_url": "https://scontent.example/ad.jpg",
        "ctwa_clid": "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4Xvn",
    }
    message = {**text_message("wamid.AD-1", "Is this still available?", "919810008005"), "referral": referral}

    deliver(client, meta_envelope(message, name="Arjun Rao"))
    work(client.application)

    lead = stored("wamid.AD-1").lead
    assert lead.referral["source_id"] == "120210000000123"
    assert lead.referral["ctwa_clid"] == referral["ctwa_clid"]
    assert lead.referral["headline"] == "Sea-facing 4 BHK residences in Sector 65"
    assert "image_url" not in lead.referral
    [activity] = db.session.scalars(
        select(Activity).where(Activity.lead_id == lead.id, Activity.kind == "ad_referral")
    )
    assert activity.detail["source_id"] == "120210000000123"
    page = partner_page(client, lead.id)
    assert "Came from an ad" in page and "Sea-facing 4 BHK residences in Sector 65" in page
    assert "120210000000123" in page and referral["ctwa_clid"] in page
    assert 'href="https://fb.me/3kQx9AdDemo"' in page
    assert "ad referral: “Sea-facing 4 BHK residences in Sector 65”" in page  # on the timeline
