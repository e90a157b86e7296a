"""Delivering replies through the real Meta channel against a fake Graph API on loopback.

Retries and backoff, Retry-After, the 24-hour window and templates, read timeouts (never
retried), ordering, the no-credentials mode and the recovery of replies left in ``sending``;
replies to a user known only by a business-scoped user id (and WhatsApp's 131062), and a status
WhatsApp reports before the send has returned the reply's id.
``deliver_replies`` commits as it goes, as in a worker; the tables are emptied after each test.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from rq.job import Job
from sqlalchemy import select

from app.channels.providers import channel_from_config
from app.conversation.delivery import MAX_ATTEMPTS, DeliverySettings, deliver_messages, deliver_replies
from app.conversation.unanswered import unanswered_messages
from app.extensions import db
from app.models import EarlyStatus, Lead, Message
from tests.fakes.graph_server import FakeGraph
from tests.whatsapp_helpers import APP_SECRET, body_of, empty_queue, meta_envelope, post_signed
from workers.queues import get_queue
from workers.recovery import recover_stalled
from workers.tasks import send_replies

QUEUE = f"investochat-delivery-{uuid.uuid4().hex[:8]}"
NO_TEMPLATE = DeliverySettings(None)
PHONE = "+919810000201"
WA_ID = PHONE.removeprefix("+")
USER_ID = "IN.5500112233445566"  # a business-scoped user id (invented)
WHATSAPP_KEYS = (
    "RQ_QUEUE",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_PROVIDER",
    "WHATSAPP_API_BASE_URL",
    "WHATSAPP_API_VERSION",
    "WHATSAPP_PHONE_NUMBER_ID",
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_TEMPLATE_NAME",
    "WHATSAPP_TEMPLATE_LANGUAGE",
)


@pytest.fixture
def graph():
    """A fake Graph API for one test."""
    with FakeGraph() as fake:
        yield fake


@pytest.fixture
def settings(app_ctx, graph):
    """The app's settings pointed at ``graph``, on a queue of this module's own; restored after."""
    config = app_ctx.config
    saved = {key: config.get(key) for key in WHATSAPP_KEYS}
    config.update(graph.config(), RQ_QUEUE=QUEUE, WHATSAPP_PROVIDER="meta", WHATSAPP_TEMPLATE_NAME="")
    queue = get_queue(config)
    empty_queue(queue)
    yield config
    empty_queue(queue)
    config.update(saved)


def conversation(
    *replies: str | dict,
    phone: str | None = PHONE,
    user_id: str | None = None,
    last_inbound_at: datetime | None = None,
) -> int:
    """A processed inbound message with pending replies (given in sequence order); its id.

    A reply is its body, or a dict of Message fields. Rows are inserted last-first, so row ids
    run against the sequence and only ``sequence`` can put them in order. A lead known only by a
    business-scoped user id has ``phone=None, user_id=...``.
    """
    now = datetime.now(UTC)
    lead = Lead(
        phone=phone,
        whatsapp_user_id=user_id,
        name="Rohan Mehta",
        stage="engaged",
        last_inbound_at=last_inbound_at or now,
    )
    db.session.add(lead)
    db.session.flush()
    inbound = Message(
        lead_id=lead.id,
        phone=phone,
        whatsapp_user_id=user_id,
        direction="in",
        provider="meta",
        provider_message_id=f"wamid.IN-{uuid.uuid4().hex}",
        kind="text",
        body="What is the payment plan?",
        status="processed",
        status_at=lead.last_inbound_at,
        processed_at=now,
    )
    db.session.add(inbound)
    db.session.flush()
    for sequence, reply in reversed(list(enumerate(replies))):
        fields = {"body": reply} if isinstance(reply, str) else dict(reply)
        fields.setdefault("status", "pending")
        db.session.add(
            Message(
                lead_id=lead.id,
                phone=phone,
                whatsapp_user_id=user_id,
                direction="out",
                provider="meta",
                kind="text",
                in_reply_to_id=inbound.id,
                sequence=sequence,
                **fields,
            )
        )
    db.session.flush()
    return inbound.id


def replies_to(inbound_id: int) -> list[Message]:
    """The replies to one inbound message, fresh from the database, in sequence order."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Message).where(Message.in_reply_to_id == inbound_id).order_by(Message.sequence)
        )
    )


def bodies(graph: FakeGraph) -> list[str]:
    """The text bodies the fake accepted, in order."""
    return [m.payload["text"]["body"] for m in graph.sent]


def test_a_500_is_retried_later_and_the_reply_delivered_once(settings, graph):
    inbound_id = conversation("Payment plan: 10% on booking.")
    graph.fail_next(500)
    before = datetime.now(UTC).replace(microsecond=0)

    first = send_replies(inbound_id)

    [reply] = replies_to(inbound_id)
    assert first["sent"] == 0 and first["retry_in"] > 0
    assert reply.status == "retrying" and reply.attempts == 1
    assert "500" in reply.error
    assert graph.sent == [] and len(graph.requests) == 1
    # The task scheduled its own retry, for the same inbound message, after the backoff.
    scheduled = get_queue(settings).scheduled_job_registry
    [job_id] = scheduled.get_job_ids()
    job = Job.fetch(job_id, connection=scheduled.connection)
    assert job.func is send_replies and job.args == (inbound_id,)
    assert scheduled.get_scheduled_time(job_id) >= before + timedelta(seconds=first["retry_in"])

    second = job.func(*job.args, **job.kwargs)  # what the scheduler will run

    [reply] = replies_to(inbound_id)
    assert second["sent"] == 1 and second["retry_in"] is None
    assert reply.status == "sent" and reply.attempts == 2
    assert bodies(graph) == ["Payment plan: 10% on booking."]
    assert reply.provider_message_id == graph.sent[0].message_id
    assert send_replies(inbound_id)["sent"] == 0  # a third run finds nothing left to send
    assert len(graph.sent) == 1 and len(graph.requests) == 2


def test_retry_after_is_honoured_and_the_row_shows_the_error(settings, graph):
    inbound_id = conversation("Possession is expected in December 2029.")
    graph.fail_next(429, retry_after=7)
    before = datetime.now(UTC).replace(microsecond=0)

    report = send_replies(inbound_id)

    [reply] = replies_to(inbound_id)
    assert report["retry_in"] >= 7
    assert reply.status == "retrying"
    assert "429" in reply.error and "130429" in reply.error
    scheduled = get_queue(settings).scheduled_job_registry
    [job_id] = scheduled.get_job_ids()
    assert scheduled.get_scheduled_time(job_id) >= before + timedelta(seconds=7)


def test_a_reply_that_keeps_failing_is_marked_failed_after_max_attempts(app_ctx, graph):
    inbound_id = conversation("The clubhouse has an indoor pool.")
    channel = graph.channel()
    graph.fail_next(429, retry_after=7)
    graph.fail_next(500, times=MAX_ATTEMPTS - 1)

    reports = [deliver_replies(db.session, inbound_id, channel, NO_TEMPLATE) for _ in range(MAX_ATTEMPTS)]

    assert all(r.retry_in is not None for r in reports[:-1])
    assert reports[-1].retry_in is None and reports[-1].failed == 1
    [reply] = replies_to(inbound_id)
    assert reply.status == "failed" and reply.attempts == MAX_ATTEMPTS
    assert "500" in reply.error and "refused the message" in reply.error
    # Final: another run does not call the API again.
    assert deliver_replies(db.session, inbound_id, channel, NO_TEMPLATE).failed == 0
    assert len(graph.requests) == MAX_ATTEMPTS and graph.sent == []


def test_outside_the_window_without_a_template_is_skipped_with_a_reason_and_not_resent(app_ctx, graph):
    inbound_id = conversation("Payment plan: 10% on booking.")
    channel = graph.channel()
    graph.fail_next(400, code=131047, message="Re-engagement message")

    report = deliver_replies(db.session, inbound_id, channel, NO_TEMPLATE)

    [reply] = replies_to(inbound_id)
    assert report.failed == 1 and report.retry_in is None
    assert reply.status == "skipped"
    assert "24-hour window" in reply.error and "131047" in reply.error and "template" in reply.error
    deliver_replies(db.session, inbound_id, channel, NO_TEMPLATE)
    assert len(graph.requests) == 1 and graph.sent == []


def test_a_lead_silent_for_a_day_without_a_template_is_not_messaged(app_ctx, graph):
    inbound_id = conversation("Hello!", last_inbound_at=datetime.now(UTC) - timedelta(hours=25))

    report = deliver_replies(db.session, inbound_id, graph.channel(), NO_TEMPLATE)

    [reply] = replies_to(inbound_id)
    assert report.failed == 1
    assert reply.status == "skipped" and "WHATSAPP_TEMPLATE_NAME" in reply.error
    assert graph.requests == []


def test_a_lead_silent_for_a_day_gets_the_template_once_instead(settings, graph):
    settings.update(WHATSAPP_TEMPLATE_NAME="investochat_follow_up", WHATSAPP_TEMPLATE_LANGUAGE="en_US")
    inbound_id = conversation(
        "Hello! I'm the InvestoChat assistant.",
        "Payment plan: 10% on booking.",
        last_inbound_at=datetime.now(UTC) - timedelta(hours=25),
    )

    report = send_replies(inbound_id)

    [template] = graph.sent
    assert template.to == WA_ID and template.payload["type"] == "template"
    assert template.payload["template"] == {"name": "investochat_follow_up", "language": {"code": "en_US"}}
    first, second = replies_to(inbound_id)
    assert report["sent"] == 1
    assert first.status == "sent" and first.provider_message_id == template.message_id
    # One template re-opens the conversation; sending it again for every reply would be spam.
    assert second.status == "skipped" and "template" in second.error
    assert send_replies(inbound_id)["sent"] == 0 and len(graph.sent) == 1


def test_each_silent_lead_gets_its_own_template(app_ctx, graph):
    day_ago = datetime.now(UTC) - timedelta(hours=25)
    first = conversation("Hello!", "Payment plan: 10% on booking.", last_inbound_at=day_ago)
    second = conversation("Hello!", phone="+919810000203", last_inbound_at=day_ago)
    ids = [r.id for r in replies_to(first) + replies_to(second)]

    report = deliver_messages(db.session, ids, graph.channel(), DeliverySettings("investochat_follow_up"))

    assert report.sent == 2 and report.failed == 1
    assert [m.to for m in graph.sent] == [WA_ID, "919810000203"]
    assert {m.payload["type"] for m in graph.sent} == {"template"}
    assert [r.status for r in replies_to(first)] == ["sent", "skipped"]
    assert [r.status for r in replies_to(second)] == ["sent"]


def test_a_read_timeout_is_not_retried_and_fails_with_a_clear_error(app_ctx):
    # The fake answers after 4 s, the client gives up after 1 s: the message may have gone out
    # (here it did: the fake accepts it), so resending could deliver it twice.
    with FakeGraph(latency=4.0) as graph:
        channel = graph.channel(timeout=1.0)
        inbound_id = conversation("Payment plan: 10% on booking.")

        report = deliver_replies(db.session, inbound_id, channel, NO_TEMPLATE)

        [reply] = replies_to(inbound_id)
        assert report.failed == 1 and report.retry_in is None
        assert reply.status == "failed" and reply.attempts == 1
        assert "did not answer" in reply.error and "not retried" in reply.error
        graph.wait_for(1, timeout=60)
        graph.latency = 0  # a second request, if one were made, would now succeed and show
        again = deliver_replies(db.session, inbound_id, channel, NO_TEMPLATE)
        assert again.sent == 0 and again.failed == 0
        assert len(graph.requests) == 1
        assert replies_to(inbound_id)[0].status == "failed"


def test_replies_go_out_in_sequence_and_later_ones_wait_for_a_retrying_one(app_ctx, graph):
    buttons = {"buttons": [["connect", "Yes, connect me"], ["not_now", "Not now"]]}
    rows = {"list_button": "Choose", "rows": [["budget:3-5", "₹3 – 5 Cr", None], ["skip", "Skip", None]]}
    inbound_id = conversation(
        "Hello! I'm the InvestoChat assistant.",
        {"body": "Shall I connect you with an advisor?", "interactive": buttons},
        {"body": "What budget do you have in mind?", "interactive": rows},
    )
    channel = graph.channel()
    graph.fail_next(500)

    first = deliver_replies(db.session, inbound_id, channel, NO_TEMPLATE)

    assert first.retry_in is not None and first.sent == 0
    assert [r.status for r in replies_to(inbound_id)] == ["retrying", "pending", "pending"]
    [refused] = graph.requests
    assert refused.body["text"]["body"] == "Hello! I'm the InvestoChat assistant."

    second = deliver_replies(db.session, inbound_id, channel, NO_TEMPLATE)

    assert second.sent == 3
    greeting, ask_to_connect, budget = graph.sent
    assert greeting.payload["text"]["body"] == "Hello! I'm the InvestoChat assistant."
    assert ask_to_connect.payload["interactive"]["type"] == "button"
    assert [b["reply"]["id"] for b in ask_to_connect.payload["interactive"]["action"]["buttons"]] == [
        "connect",
        "not_now",
    ]
    assert budget.payload["interactive"]["type"] == "list"
    assert budget.payload["interactive"]["action"]["sections"][0]["rows"][0]["id"] == "budget:3-5"
    replies = replies_to(inbound_id)
    assert [r.status for r in replies] == ["sent", "sent", "sent"]
    assert [r.provider_message_id for r in replies] == [m.message_id for m in graph.sent]


def test_without_credentials_replies_are_recorded_and_nothing_is_sent(settings, graph):
    settings.update(WHATSAPP_ACCESS_TOKEN="")  # the Graph URL still points at the fake
    inbound_id = conversation("Hello!", "Payment plan: 10% on booking.")

    report = send_replies(inbound_id)

    assert channel_from_config(settings) is None
    assert report == {"sent": 0, "recorded": 2, "failed": 0, "retry_in": None}
    assert [r.status for r in replies_to(inbound_id)] == ["recorded", "recorded"]
    assert graph.requests == []


def test_a_reply_left_in_sending_is_marked_failed_by_recovery_and_never_sent(settings, graph):
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    just_now = datetime.now(UTC) - timedelta(seconds=5)
    stuck_id = conversation(
        {"body": "Payment plan: 10% on booking.", "status": "sending", "status_at": long_ago, "attempts": 1},
        "Would you like an advisor to call you?",
    )
    in_flight_id = conversation(
        {"body": "Possession: December 2029.", "status": "sending", "status_at": just_now, "attempts": 1},
        phone="+919810000202",
    )

    recovered = recover_stalled()

    assert recovered["unknown"] >= 1
    stuck, waiting = replies_to(stuck_id)
    assert stuck.status == "failed" and "not resent" in stuck.error
    assert waiting.status == "pending"
    [in_flight] = replies_to(in_flight_id)
    assert in_flight.status == "sending"  # may still be on its way: left alone
    # Recovery queued delivery of what is still pending, and that delivery skips the unknown one.
    queued = [job.args for job in get_queue(settings).jobs if job.func is send_replies]
    assert (stuck_id,) in queued and (in_flight_id,) not in queued

    report = send_replies(stuck_id)

    assert report["sent"] == 1
    assert bodies(graph) == ["Would you like an advisor to call you?"]
    assert [r.status for r in replies_to(stuck_id)] == ["failed", "sent"]


# -- a user known only by a business-scoped user id ------------------------------------------------

REFUSED_FOR_USER_IDS = "Business-scoped User ID (BSUID) recipients are not supported for this message."


def test_a_reply_to_a_user_known_only_by_a_user_id_goes_to_recipient(settings, graph):
    inbound_id = conversation("Payment plan: 10% on booking.", phone=None, user_id=USER_ID)

    report = send_replies(inbound_id)

    [sent] = graph.sent
    assert report["sent"] == 1 and sent.to == USER_ID
    assert sent.payload["recipient"] == USER_ID and "to" not in sent.payload
    [reply] = replies_to(inbound_id)
    assert reply.status == "sent" and reply.provider_message_id == sent.message_id


def test_buttons_refused_for_a_user_id_are_sent_again_as_plain_text(settings, graph):
    buttons = {"buttons": [["timeline:immediate", "Immediately"], ["timeline:1-3 months", "In 1-3 months"]]}
    inbound_id = conversation(
        {"body": "When are you planning to buy?", "interactive": buttons}, phone=None, user_id=USER_ID
    )
    graph.fail_next(400, code=131062, message=REFUSED_FOR_USER_IDS)

    report = send_replies(inbound_id)

    refused, plain = sorted(replies_to(inbound_id), key=lambda reply: reply.id)
    assert (refused.status, refused.error_code) == ("failed", 131062)
    assert "sent as plain text instead" in refused.error and REFUSED_FOR_USER_IDS in refused.error
    [sent] = graph.sent
    assert sent.payload["recipient"] == USER_ID and sent.payload["type"] == "text"
    assert sent.payload["text"]["body"] == "When are you planning to buy?\n\n• Immediately\n• In 1-3 months"
    assert (plain.status, plain.provider_message_id, plain.sequence) == (
        "sent",
        sent.message_id,
        refused.sequence,
    )
    assert report == {"sent": 1, "recorded": 0, "failed": 0, "retry_in": None}
    assert db.session.get(Message, inbound_id).status == "processed"  # the investor was answered


def test_a_template_refused_for_a_user_id_fails_and_the_partner_sees_the_message(settings, graph):
    settings.update(WHATSAPP_TEMPLATE_NAME="visit_code")
    graph.authentication_templates.add("visit_code")
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    inbound_id = conversation(
        "Your site visit is confirmed.", phone=None, user_id=USER_ID, last_inbound_at=two_days_ago
    )

    report = send_replies(inbound_id)

    [reply] = replies_to(inbound_id)
    assert report["failed"] == 1 and graph.sent == []
    assert (reply.status, reply.error_code) == ("failed", 131062)
    assert "131062" in reply.error and "left unanswered" in reply.error
    inbound = db.session.get(Message, inbound_id)
    assert inbound.status == "failed" and "131062" in inbound.error
    assert [m.message_id for m in unanswered_messages(db.session)] == [inbound_id]
    assert send_replies(inbound_id)["failed"] == 0 and len(graph.requests) == 1  # final, not retried


# -- a status that arrives before the send has returned the reply's id ---------------------------


def test_a_status_reported_before_the_send_returns_is_applied_once_the_id_is_known(settings, graph, client):
    settings.update(WHATSAPP_APP_SECRET=APP_SECRET)
    inbound_id = conversation("Possession is expected in December 2029.")
    acknowledged = []

    def report_delivery_at_once(message) -> None:
        """WhatsApp reports the message delivered before our send has its answer."""
        status = {"id": message.message_id, "status": "delivered", "timestamp": str(int(time.time()))}
        answer = post_signed(client, body_of(meta_envelope(statuses=[{**status, "recipient_id": WA_ID}])))
        acknowledged.append(answer.get_json())

    graph.on_accept = report_delivery_at_once

    report = send_replies(inbound_id)

    assert acknowledged == [{"received": 0, "new": 0, "duplicates": 0, "statuses": 1}]
    [reply] = replies_to(inbound_id)
    assert report["sent"] == 1 and reply.provider_message_id == graph.sent[0].message_id
    assert reply.status == "delivered"
    assert db.session.scalars(select(EarlyStatus)).all() == []


def test_an_early_status_nobody_claims_is_dropped_after_a_day(settings, graph, client):
    settings.update(WHATSAPP_APP_SECRET=APP_SECRET)
    long_ago = datetime.now(UTC) - timedelta(days=2)
    db.session.add(
        EarlyStatus(
            provider_message_id="wamid.NOT-OURS", status="read", rank=5, at=long_ago, received_at=long_ago
        )
    )
    db.session.commit()
    status = {"id": "wamid.NOT-OURS-EITHER", "status": "sent", "timestamp": str(int(time.time()))}

    post_signed(client, body_of(meta_envelope(statuses=[status])))

    db.session.expire_all()
    kept = db.session.scalars(select(EarlyStatus.provider_message_id)).all()
    assert kept == ["wamid.NOT-OURS-EITHER"]
