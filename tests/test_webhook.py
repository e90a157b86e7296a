"""``/webhooks/whatsapp``: signatures, exactly-once recording, statuses, and the reply path."""

import json

import pytest
from sqlalchemy import func, select

from app.cli import main
from app.conversation.statuses import apply_early_statuses
from app.extensions import db
from app.models import Activity, EarlyStatus, InboundEvent, Lead, Message, OutboxEvent
from tests.shared_data import PAYLOADS_DIR, require
from tests.whatsapp_helpers import meta_envelope, meta_text, post_signed, sign, sweep, text_message
from workers.inbound_jobs import job_id
from workers.queues import get_queue
from workers.tasks import process_message, send_replies

SECRET = "test-app-secret"
LEAD = "919812345678"


@pytest.fixture
def whatsapp(app_ctx):
    """Webhook settings for the test, and an empty queue."""
    config = app_ctx.config
    saved = {k: config.get(k) for k in ("WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN")}
    config.update(WHATSAPP_APP_SECRET=SECRET, WHATSAPP_VERIFY_TOKEN="verify-me")
    queue = get_queue(config)
    queue.empty()
    yield app_ctx
    queue.empty()
    config.update(saved)


def post(client, payload, signature=True, raw: bytes | None = None):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if signature:
        headers["X-Hub-Signature-256"] = sign(body, SECRET) if signature is True else signature
    return client.post("/webhooks/whatsapp", data=body, headers=headers)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_verification_handshake_echoes_the_challenge(client, whatsapp):
    ok = client.get(
        "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444"
    )
    assert ok.status_code == 200 and ok.data == b"1158201444" and ok.mimetype == "text/plain"
    bad = client.get("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1")
    assert bad.status_code == 403


@pytest.mark.parametrize("signature", [False, "sha256=" + "0" * 64, "garbage"])
def test_unsigned_or_wrongly_signed_posts_are_refused_and_nothing_is_stored(client, whatsapp, signature):
    events_before = count(InboundEvent)
    response = post(client, meta_text("wamid.UNSIGNED", "hello", LEAD), signature=signature)
    assert response.status_code == 403
    assert count(InboundEvent) == events_before
    assert count(Message, Message.provider_message_id == "wamid.UNSIGNED") == 0


def test_without_an_app_secret_every_post_is_refused_saying_what_is_missing(client, whatsapp):
    whatsapp.config["WHATSAPP_APP_SECRET"] = ""
    response = post(client, meta_text("wamid.NOSECRET", "hello", LEAD))
    assert response.status_code == 403
    assert "WHATSAPP_APP_SECRET is not set" in response.get_data(as_text=True)
    assert count(Message, Message.provider_message_id == "wamid.NOSECRET") == 0


def test_signed_text_is_stored_once_and_queued_once_even_when_delivered_three_times(client, whatsapp):
    payload = meta_text("wamid.ONCE", "What is the payment plan?", LEAD)
    bodies = [post(client, payload).get_json() for _ in range(3)]
    assert [b["new"] for b in bodies] == [1, 0, 0]
    assert [b["duplicates"] for b in bodies] == [0, 1, 1]
    assert count(Message, Message.provider_message_id == "wamid.ONCE") == 1
    queue = get_queue(whatsapp.config)
    assert queue.count == 0  # the request never waits for Redis: the dispatcher enqueues
    message_id = db.session.scalar(select(Message.id).where(Message.provider_message_id == "wamid.ONCE"))
    assert sweep(queue) == [message_id]
    assert sweep(queue) == []  # its job is queued: a second sweep leaves it
    assert queue.job_ids == [job_id(queue.name, message_id)]


def test_malformed_json_is_a_400_and_nothing_is_stored(client, whatsapp):
    before = count(InboundEvent)
    response = post(client, None, raw=b'{"object": "whatsapp_business_account", "entry": [')
    assert response.status_code == 400
    assert "JSON" in response.get_json()["message"]
    assert count(InboundEvent) == before


def test_body_over_four_megabytes_is_a_413(client, whatsapp):
    raw = b'{"pad": "' + b"x" * (4 * 1024 * 1024 + 10) + b'"}'
    assert post(client, None, raw=raw).status_code == 413


def test_every_kind_of_update_in_the_shared_payloads_is_accepted(client, whatsapp):
    folder = require(PAYLOADS_DIR)
    for path in sorted(folder.glob("*.json")):
        for variant, envelope in json.loads(path.read_text()).items():
            response = post(client, envelope)
            assert response.status_code == 200, (path.name, variant, response.get_json())


def test_pii_is_redacted_before_storage(client, whatsapp):
    post(client, meta_text("wamid.PII", "my PAN is ABCPE1234F and card 4111 1111 1111 1111", LEAD))
    message = db.session.scalars(select(Message).where(Message.provider_message_id == "wamid.PII")).one()
    assert "ABCPE1234F" not in message.body and "4111" not in message.body
    assert set(message.pii_removed) == {"pan", "card"}
    raw = json.dumps(
        db.session.scalars(select(InboundEvent.payload).order_by(InboundEvent.id.desc())).first()
    )
    assert "ABCPE1234F" not in raw


def sent_reply(message_id: str, status: str = "sent") -> Message:
    """A reply we sent, as the provider knows it (``message_id``)."""
    return Message(
        phone="+919812345678",
        direction="out",
        provider="meta",
        body="hi",
        provider_message_id=message_id,
        status=status,
    )


def test_statuses_update_the_reply_and_never_move_backwards(client, whatsapp):
    db.session.add(sent_reply("wamid.OUT1"))
    db.session.flush()

    def status(value):
        update = {"id": "wamid.OUT1", "status": value, "timestamp": "1764064900", "recipient_id": LEAD}
        assert post(client, meta_envelope(statuses=[update])).status_code == 200
        return db.session.scalar(select(Message.status).where(Message.provider_message_id == "wamid.OUT1"))

    assert status("read") == "read"
    assert status("delivered") == "read"  # arrived late: ignored
    assert status("sent") == "read"


def test_several_statuses_in_one_delivery_apply_the_furthest_along_once(client, whatsapp):
    db.session.add_all([sent_reply("wamid.OUTA"), sent_reply("wamid.OUTB", "read"), sent_reply("wamid.OUTC")])
    db.session.flush()

    def update(message_id, status, at, errors=None):
        row = {"id": message_id, "status": status, "timestamp": str(at), "recipient_id": LEAD}
        return row | ({"errors": errors} if errors else {})

    statuses = [
        update("wamid.OUTA", "read", 1764064930),  # out of order in the batch: read, then delivered
        update("wamid.OUTA", "delivered", 1764064920),
        update("wamid.OUTB", "delivered", 1764064920),  # already read: stays read
        update("wamid.OUTC", "failed", 1764064920, [{"code": 131047, "title": "Re-engagement message"}]),
        update("wamid.OUTC", "deleted", 1764064925),  # a status we do not track
        update("wamid.UNKNOWN", "read", 1764064920),  # not one of ours
    ]

    body = post(client, meta_envelope(statuses=statuses)).get_json()

    assert body == {"received": 0, "new": 0, "duplicates": 0, "statuses": 6}
    rows = dict(
        db.session.execute(
            select(Message.provider_message_id, Message.status).where(
                Message.provider_message_id.in_(["wamid.OUTA", "wamid.OUTB", "wamid.OUTC"])
            )
        ).all()
    )
    assert rows == {"wamid.OUTA": "read", "wamid.OUTB": "read", "wamid.OUTC": "failed"}
    error = db.session.scalar(select(Message.error).where(Message.provider_message_id == "wamid.OUTC"))
    assert error == "Re-engagement message"
    assert count(InboundEvent, InboundEvent.statuses == 6) == 1


OUTSIDE_WINDOW = {
    "code": 131047,
    "title": "Re-engagement message",
    "message": "Re-engagement message",
    "error_data": {
        "details": "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number."
    },
}
OUTSIDE_WINDOW_TEXT = (
    "Re-engagement message: Message failed to send because more than 24 hours have passed since the "
    "customer last replied to this number."
)


def status_update(message_id: str, status: str, at: int, errors: list | None = None) -> dict:
    row = {"id": message_id, "status": status, "timestamp": str(at), "recipient_id": LEAD}
    return row | ({"errors": errors} if errors else {})


def reply_row(message_id: str) -> Message:
    db.session.expire_all()
    return db.session.scalars(select(Message).where(Message.provider_message_id == message_id)).one()


def test_a_delivered_after_a_failure_keeps_the_failures_code_and_details(client, whatsapp):
    db.session.add(sent_reply("wamid.OUTF"))
    db.session.flush()

    post(
        client, meta_envelope(statuses=[status_update("wamid.OUTF", "failed", 1764064900, [OUTSIDE_WINDOW])])
    )
    failed = reply_row("wamid.OUTF")
    assert (failed.status, failed.error, failed.error_code) == ("failed", OUTSIDE_WINDOW_TEXT, 131047)
    post(client, meta_envelope(statuses=[status_update("wamid.OUTF", "delivered", 1764064960)]))

    reply = reply_row("wamid.OUTF")
    assert (reply.status, reply.error, reply.error_code) == ("delivered", OUTSIDE_WINDOW_TEXT, 131047)


def test_a_failure_and_a_delivery_in_one_batch_keep_the_failure(client, whatsapp):
    db.session.add(sent_reply("wamid.OUTG"))
    db.session.flush()
    statuses = [
        status_update("wamid.OUTG", "failed", 1764064900, [OUTSIDE_WINDOW]),
        status_update("wamid.OUTG", "delivered", 1764064960),
    ]

    post(client, meta_envelope(statuses=statuses))

    reply = reply_row("wamid.OUTG")
    assert (reply.status, reply.error, reply.error_code) == ("delivered", OUTSIDE_WINDOW_TEXT, 131047)


def test_a_failure_reported_after_read_is_still_recorded(client, whatsapp):
    db.session.add(sent_reply("wamid.OUTH", "read"))
    db.session.flush()

    post(
        client, meta_envelope(statuses=[status_update("wamid.OUTH", "failed", 1764064990, [OUTSIDE_WINDOW])])
    )

    reply = reply_row("wamid.OUTH")
    assert (reply.status, reply.error, reply.error_code) == ("read", OUTSIDE_WINDOW_TEXT, 131047)


def test_a_status_for_no_message_yet_is_kept_for_when_one_has_its_id(client, whatsapp):
    post(client, meta_envelope(statuses=[status_update("wamid.LATER", "read", 1764064990)]))

    kept = db.session.scalars(
        select(EarlyStatus).where(EarlyStatus.provider_message_id == "wamid.LATER")
    ).one()
    assert (kept.status, kept.rank) == ("read", 5)
    db.session.add(sent_reply("wamid.LATER"))
    db.session.commit()
    assert apply_early_statuses(db.session, ["wamid.LATER"]) == 1
    db.session.commit()
    assert reply_row("wamid.LATER").status == "read"
    assert count(EarlyStatus) == 0


def test_the_raw_event_loses_pii_from_text_but_keeps_ids_and_numbers_that_look_like_it(client, whatsapp):
    # A UAE sender whose number passes the Aadhaar check, and a message id with a card-like run.
    wa_id, message_id = "971501234569", "wamid.4111111111111111"
    payload = meta_text(message_id, "My card is 4111 1111 1111 1111, call me", wa_id)

    assert post(client, payload).get_json()["new"] == 1

    raw = db.session.scalars(select(InboundEvent.payload).order_by(InboundEvent.id.desc())).first()
    value = raw["entry"][0]["changes"][0]["value"]
    [message], [contact] = value["messages"], value["contacts"]
    assert (message["id"], message["from"], contact["wa_id"]) == (message_id, wa_id, wa_id)
    assert message["text"]["body"] == "My card is [card removed], call me"
    stored = db.session.scalars(select(Message).where(Message.provider_message_id == message_id)).one()
    assert stored.phone == "+971501234569" and stored.body == "My card is [card removed], call me"


def test_webhooks_open_no_cookie_session(client, whatsapp):
    response = post(client, meta_text("wamid.NOCOOKIE", "Hello", LEAD))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    # People still get their session (the login form needs it for its CSRF token).
    assert "session=" in client.get("/login").headers.get("Set-Cookie", "")


def test_the_app_records_in_one_committed_statement_on_its_autocommit_pool(app):
    """The webhook writes through the autocommit pool: the rows are committed when the response
    is sent (another connection sees them), and a re-delivery is still a no-op."""
    message_id = "wamid.COMMITTED.AUTOCOMMIT-POOL"  # no digit runs: PII redaction leaves it whole
    saved = app.config.get("WHATSAPP_APP_SECRET")
    app.config["WHATSAPP_APP_SECRET"] = SECRET
    body = json.dumps(meta_text(message_id, "What is the payment plan?", "919800000077")).encode()
    try:
        http = app.test_client()
        first = post_signed(http, body, SECRET).get_json()
        again = post_signed(http, body, SECRET).get_json()
        assert (first["new"], again["new"], again["duplicates"]) == (1, 0, 1)
        with app.app_context(), db.engine.connect() as other:  # another connection sees them
            stored = other.scalar(
                select(func.count()).select_from(Message).where(Message.provider_message_id == message_id)
            )
            events = other.scalar(
                select(func.count())
                .select_from(InboundEvent)
                .where(
                    InboundEvent.payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"].astext
                    == message_id
                )
            )
        assert (stored, events) == (1, 2)
    finally:
        app.config["WHATSAPP_APP_SECRET"] = saved
        get_queue(app.config).empty()


def test_a_batch_of_many_messages_records_every_one(client, whatsapp):
    payload = meta_envelope(*(text_message(f"wamid.BATCH{n}", "hello", f"9198{n:08d}") for n in range(300)))
    body = post(client, payload).get_json()
    assert body["received"] == 300 and body["new"] == 300
    assert count(Message, Message.provider_message_id.like("wamid.BATCH%")) == 300


def test_a_text_is_answered_with_a_citation_and_recorded_without_credentials(client, whatsapp, runner):
    loaded = runner.invoke(main, ["demo", "load"])
    assert loaded.exit_code == 0, loaded.output
    post(client, meta_text("wamid.Q1", "What is the payment plan of Aravali Crest?", LEAD))
    inbound = db.session.scalars(select(Message).where(Message.provider_message_id == "wamid.Q1")).one()
    assert process_message(inbound.id) == 1  # the greeting opens the answer, delivered in the same job
    assert process_message(inbound.id) == 0  # a retried job does nothing
    report = send_replies(inbound.id)
    assert report["recorded"] == 0 and report["sent"] == 0  # nothing left for a send job
    replies = db.session.scalars(
        select(Message).where(Message.in_reply_to_id == inbound.id).order_by(Message.sequence)
    ).all()
    assert [r.status for r in replies] == ["recorded"]
    assert replies[0].body.startswith("Hello Rohan!")
    assert replies[0].body.endswith("Source: Aravali_Crest_Brochure.pdf p.6")
    lead = db.session.scalars(select(Lead).where(Lead.phone == "+919812345678")).one()
    assert lead.name == "Rohan Mehta" and lead.stage == "engaged" and lead.project.name == "Aravali Crest"
    assert count(Activity, Activity.lead_id == lead.id, Activity.kind == "lead_created") == 1
    assert count(OutboxEvent, OutboxEvent.aggregate_id == lead.id, OutboxEvent.topic == "lead.created") == 1
