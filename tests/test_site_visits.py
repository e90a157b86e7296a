"""Proposing a site visit: the broker offers two or three times as reply buttons from the lead's
page; the investor's tap (its button id on Meta and in the website chat, its title on Wati) books
the visit on the lead, tells the broker, and confirms to the investor."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.conversation import site_visits
from app.conversation.service import process_inbound
from app.extensions import db
from app.models import Activity, Lead, Message, Notification, OutboxEvent
from tests.test_broker_portal import Portal, make_lead, text
from tests.whatsapp_helpers import body_of, graph_for, meta_envelope, post_signed
from workers.tasks import process_message, send_lead_message

IST = site_visits.IST


@pytest.fixture
def graph(app_ctx):
    with graph_for(app_ctx) as fake:
        yield fake


def slot(days: int, hour: int) -> str:
    """A datetime-local value ``days`` ahead at ``hour``:00, India time."""
    day = datetime.now(IST).date() + timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00"


def offer(portal: Portal, lead: Lead, *slots: str, message: str = "Would one of these suit you?"):
    return portal.post(f"/broker/leads/{lead.id}/visit", {"text": message, "slot": list(slots)}, htmx=True)


def tap(client, lead: Lead, button_id: str, title: str) -> Message:
    """The investor taps a reply button on WhatsApp (Meta): the signed webhook, then the worker."""
    message_id = f"wamid.{uuid.uuid4().hex}"
    tapped = {
        "from": lead.phone.lstrip("+"),
        "id": message_id,
        "timestamp": str(int(time.time())),
        "type": "interactive",
        "interactive": {"type": "button_reply", "button_reply": {"id": button_id, "title": title}},
    }
    assert post_signed(client, body_of(meta_envelope(tapped))).status_code == 200
    inbound = db.session.scalar(select(Message).where(Message.provider_message_id == message_id))
    process_message(inbound.id)
    db.session.expire_all()
    return inbound


def test_the_investor_taps_a_time_and_the_visit_is_booked(app_ctx, client, graph, owner):
    lead = make_lead(stage="broker_requested", broker_id=owner.id, last_inbound_at=datetime.now(UTC))
    portal = Portal(app_ctx, owner.email)
    composer = text(portal.get(f"/broker/leads/{lead.id}"))
    assert 'type="datetime-local"' not in composer  # the blank message comes first

    response = offer(portal, lead, slot(3, 16), slot(2, 11))
    assert response.status_code == 200, text(response)
    assert "Times offered" in text(response)
    sent = db.session.scalar(select(Message).where(Message.kind == "visit_slots"))
    send_lead_message(sent.id)
    [payload] = [s.payload for s in graph.sent]
    buttons = payload["interactive"]["action"]["buttons"]
    ids = [b["reply"]["id"] for b in buttons]
    assert payload["interactive"]["type"] == "button" and len(ids) == 2
    assert ids == [f"visit:{slot(2, 11)}", f"visit:{slot(3, 16)}"]  # earliest first

    first = buttons[0]["reply"]
    tap(client, lead, first["id"], first["title"])
    db.session.refresh(lead)
    assert lead.pipeline == "site_visit" and lead.site_visit_on == datetime.now(IST).date() + timedelta(
        days=2
    )
    assert lead.contacted_at is not None
    [booked] = db.session.scalars(
        select(Activity.detail).where(Activity.lead_id == lead.id, Activity.kind == "site_visit_booked")
    ).all()
    assert booked["label"].endswith("11:00 am")
    [note] = db.session.scalars(select(Notification.body).where(Notification.user_id == owner.id)).all()
    assert "Picked the site visit on" in note
    assert db.session.scalar(
        select(OutboxEvent.id).where(
            OutboxEvent.aggregate_id == lead.id, OutboxEvent.topic == "lead.stage_changed"
        )
    )
    confirmation = graph.sent[-1].payload
    assert confirmation["type"] == "text" and confirmation["text"]["body"].startswith(
        "Booked: your site visit on"
    )


@pytest.mark.parametrize(
    ("slots", "problem"),
    [
        ((slot(2, 11),), "Offer 2 or 3 different times"),
        ((slot(2, 11), slot(2, 11)), "Offer 2 or 3 different times"),
        ((slot(-1, 11), slot(2, 11)), "later than now"),
        ((slot(2, 11), "next tuesday"), "date and time picker"),
    ],
)
def test_times_that_cannot_be_offered_are_refused_with_the_reason(app_ctx, graph, owner, slots, problem):
    lead = make_lead(stage="broker_requested", broker_id=owner.id, last_inbound_at=datetime.now(UTC))
    response = offer(Portal(app_ctx, owner.email), lead, *slots)
    assert response.status_code == 422 and problem in text(response)
    assert 'type="datetime-local"' in text(response)  # the same form again, with what was typed
    assert db.session.scalar(select(Message.id).where(Message.kind == "visit_slots")) is None


def test_outside_the_window_buttons_are_refused(app_ctx, graph, owner):
    stale = datetime.now(UTC) - timedelta(days=3)
    lead = make_lead(stage="broker_requested", broker_id=owner.id, last_inbound_at=stale)
    response = offer(Portal(app_ctx, owner.email), lead, slot(2, 11), slot(3, 11))
    assert response.status_code == 422 and "within 24 hours" in text(response)


def test_a_wati_reply_carries_the_title_and_still_books_the_visit(app_ctx, owner):
    from app.conversation.service import build_engine

    lead = make_lead(stage="broker_requested", broker_id=owner.id, last_inbound_at=datetime.now(UTC))
    at = datetime.now(IST).replace(second=0, microsecond=0) + timedelta(days=4)
    buttons = site_visits.slot_buttons([at, at + timedelta(hours=3)])
    db.session.add(
        Message(lead_id=lead.id, phone=lead.phone, direction="out", provider="wati", kind="visit_slots",
                body="Which suits you?", interactive={"buttons": buttons}, status="sent")
    )  # fmt: skip
    reply = Message(lead_id=None, phone=lead.phone, direction="in", provider="wati", body=buttons[1][1],
                    status="received", provider_message_id=f"wati-{uuid.uuid4().hex}")  # fmt: skip
    db.session.add(reply)
    db.session.commit()
    process_inbound(db.session, reply.id, build_engine(db.session, app_ctx.config))
    db.session.commit()
    db.session.refresh(lead)
    assert lead.pipeline == "site_visit" and lead.site_visit_on == (at + timedelta(hours=3)).date()


def test_a_lead_already_negotiating_keeps_its_stage_and_gets_the_date(app_ctx, owner):
    from app.conversation.service import book_site_visit

    lead = make_lead(stage="broker_requested", broker_id=owner.id, pipeline="negotiating")
    at = datetime(2030, 3, 9, 10, 30, tzinfo=IST)
    book_site_visit(db.session, lead, at)
    assert (lead.pipeline, lead.site_visit_on.isoformat()) == ("negotiating", "2030-03-09")


def test_slot_ids_and_titles_fit_whatsapp_and_read_back():
    at = datetime(2030, 3, 9, 4, 30, tzinfo=UTC)  # 10:00 in India
    assert site_visits.slot_id(at) == "visit:2030-03-09T10:00"
    assert site_visits.slot_title(at) == "Sat 09 Mar 10:00" and len(site_visits.slot_title(at)) <= 20
    assert site_visits.parse_slot("visit:2030-03-09T10:00") == at
    assert site_visits.parse_slot("visit:soon") is None and site_visits.parse_slot("connect") is None


def offered(owner, lead: Lead, *times: datetime) -> list[list[str]]:
    """An offer of ``times`` the broker sent the lead (stored as the lead's page stores it)."""
    buttons = site_visits.slot_buttons(times)
    db.session.add(
        Message(lead_id=lead.id, phone=lead.phone, direction="out", provider="meta", kind="visit_slots",
                body="Which suits you?", interactive={"buttons": buttons}, sent_by_id=owner.id, status="sent")
    )  # fmt: skip
    db.session.commit()
    return buttons


@pytest.mark.parametrize("case", ["forged", "past", "older offer", "nobody holds the lead", "lead won"])
def test_a_time_that_cannot_be_booked_is_refused_and_books_nothing(app_ctx, client, graph, owner, case):
    lead = make_lead(stage="broker_requested", broker_id=owner.id, last_inbound_at=datetime.now(UTC))
    ahead = datetime.now(IST).replace(second=0, microsecond=0) + timedelta(days=2)
    old = offered(owner, lead, ahead, ahead + timedelta(hours=2))
    new = offered(owner, lead, ahead + timedelta(days=1), ahead + timedelta(days=1, hours=2))
    button = {
        "forged": [site_visits.slot_id(ahead + timedelta(days=9)), "Mon 01 Jan 10:00"],
        "past": [site_visits.slot_id(datetime.now(IST) - timedelta(days=1)), "Yesterday"],
        "older offer": old[0],
    }.get(case, new[0])
    if case == "past":  # offered once, and the time has since passed
        offered(owner, lead, datetime.now(IST) - timedelta(days=1), ahead)
    if case == "nobody holds the lead":
        lead.broker_id = None
    if case == "lead won":
        lead.pipeline = "won"
    db.session.commit()

    tap(client, lead, *button)
    db.session.refresh(lead)
    assert lead.site_visit_on is None and lead.pipeline in (None, "won")
    reply = graph.sent[-1].payload
    assert reply["text"]["body"] == "That time is no longer available. Your advisor will send new times."


def test_a_booking_is_a_stage_change_on_the_timeline(app_ctx, client, graph, owner):
    lead = make_lead(stage="broker_requested", broker_id=owner.id, last_inbound_at=datetime.now(UTC))
    ahead = datetime.now(IST).replace(second=0, microsecond=0) + timedelta(days=2)
    [first, _] = offered(owner, lead, ahead, ahead + timedelta(hours=2))
    tap(client, lead, *first)
    kinds = db.session.scalars(select(Activity.kind).where(Activity.lead_id == lead.id).order_by(Activity.id))
    assert list(kinds)[-2:] == ["site_visit_booked", "stage_changed"]
