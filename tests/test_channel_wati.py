"""Wati as a second provider: the route's token, webhook events (shapes from Wati's API
reference), and sending through a fake Wati tenant on loopback."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx2 as httpx
import pytest

from app.channels import PayloadError, SendError, WatiChannel, parse_wati_webhook, verify_wati_token
from tests.fakes.wati_server import FakeWati

LEAD = "+919812345678"
USER_ID = "IN.4028119374650156"  # a business-scoped user id (invented)


@pytest.fixture
def wati() -> Iterator[FakeWati]:
    with FakeWati() as fake:
        yield fake


@pytest.fixture
def channel(wati: FakeWati) -> Iterator[WatiChannel]:
    channel = wati.channel()
    yield channel
    channel.close()


# -- the route's shared secret -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "provided", "ok"),
    [
        ("s3cret-token", "s3cret-token", True),
        ("s3cret-token", "s3cret-tokem", False),
        ("s3cret-token", "s3cret", False),
        ("s3cret-token", "", False),
        ("s3cret-token", None, False),
        ("", "", False),  # nothing configured: fail closed
        ("", None, False),
        ("tökén", "tökén", True),
    ],
)
def test_verify_wati_token(expected: str, provided: str | None, ok: bool) -> None:
    assert verify_wati_token(expected, provided) is ok


# -- webhook events --------------------------------------------------------------------------


def _message(**fields: Any) -> dict[str, Any]:
    """A "Message Received" event as in Wati's reference, overridden by ``fields``."""
    event = {
        "id": "69282478274a880fe782b2d9",
        "created": "2025-11-27T10:14:16.6268572Z",
        "whatsappMessageId": "wamid.HBgNODYxODcxOTE0OTIxNBUCABIYFDNCRkJFNDFCMTI1MDAwQTRCMDMwAA==",
        "conversationId": "68c8d56157578adb12ada249",
        "ticketId": "69280a6d6244a6d9b9b486e9",
        "text": "hello",
        "type": "text",
        "data": None,
        "timestamp": "1764238453",
        "owner": False,
        "eventType": "message",
        "statusString": "SENT",
        "waId": "919812345678",
        "messageContact": None,
        "senderName": "Ravi",
        "listReply": None,
        "interactiveButtonReply": None,
        "buttonReply": None,
        "replyContextId": "",
        "sourceType": 7,
        "frequentlyForwarded": False,
        "forwarded": False,
    }
    return {**event, **fields}


def _status_event(event_type: str, **fields: Any) -> dict[str, Any]:
    event = {
        "eventType": event_type,
        "statusString": "Delivered",
        "localMessageId": "d38f0c3a-e833-4725-a894-53a2b1dc1af6",
        "id": "640c8fd48b67615f886237b8",
        "whatsappMessageId": "wamid.out1",
        "conversationId": "639c34fbd205f79bdec81bea",
        "text": "Hi! We have an update for you.",
        "type": "template",
        "timestamp": "1700000000",
        "waId": "919812345678",
    }
    return {**event, **fields}


INBOUND_CASES: dict[str, tuple[dict[str, Any], tuple[str, str | None, str | None]]] = {
    "text": (_message(), ("text", "hello", None)),
    "image with caption": (
        _message(type="image", text="Floor plan?", data="https://x/img"),
        ("media", "Floor plan?", None),
    ),
    "voice": (_message(type="voice", text=None), ("media", None, None)),
    "quick reply": (
        _message(type="button", text="Call me", buttonReply={"payload": "call_me", "text": "Call me"}),
        ("button", "Call me", "call_me"),
    ),
    "list reply": (
        _message(
            type="interactive", text="3 BHK", listReply={"title": "3 BHK", "id": "b3", "description": "x"}
        ),
        ("list", "3 BHK", "b3"),
    ),
    "interactive button reply": (
        _message(type="interactive", text="Yes", interactiveButtonReply={"title": "Yes", "id": "wati-1"}),
        ("button", "Yes", "wati-1"),
    ),
    "reaction": (_message(type="reaction", text="👍"), ("reaction", "👍", None)),
    "location": (_message(type="location", text=None), ("location", None, None)),
    "contacts": (_message(type="contacts", text=None), ("contacts", None, None)),
    "order": (_message(type="order", text=None), ("other", None, None)),
    "media placeholder": (_message(type="media_placeholder", text=None), ("other", None, None)),
    "unsupported": (_message(type="unsupported", text=None), ("unsupported", None, None)),
}


@pytest.mark.parametrize("case", sorted(INBOUND_CASES))
def test_parse_inbound_message(case: str) -> None:
    event, (kind, text, reply_id) = INBOUND_CASES[case]
    messages, statuses = parse_wati_webhook(event)
    assert statuses == []
    [message] = messages
    assert (message.kind, message.text, message.reply_id) == (kind, text, reply_id)
    assert (message.provider, message.phone, message.profile_name) == ("wati", LEAD, "Ravi")
    assert message.message_id == event["whatsappMessageId"]
    assert message.sent_at == datetime.fromtimestamp(1764238453, UTC)
    assert message.raw == event


def test_message_without_wamid_or_timestamp_falls_back_to_id_and_created() -> None:
    event = _message(whatsappMessageId=None, timestamp=None)
    [message] = parse_wati_webhook(event)[0]
    assert message.message_id == "69282478274a880fe782b2d9"
    assert message.sent_at == datetime(2025, 11, 27, 10, 14, 16, 626857, tzinfo=UTC)


def test_created_without_an_offset_is_read_as_utc() -> None:
    [message] = parse_wati_webhook(_message(timestamp="", created="2025-11-27T10:14:16"))[0]
    assert message.sent_at == datetime(2025, 11, 27, 10, 14, 16, tzinfo=UTC)


def test_our_own_messages_and_other_events_are_ignored() -> None:
    assert parse_wati_webhook(_message(owner=True)) == ([], [])
    new_contact = {"eventType": "newContactMessageReceived", "waId": "919812345678", "senderName": "Ravi"}
    assert parse_wati_webhook(new_contact) == ([], [])


@pytest.mark.parametrize(
    ("event_type", "status"),
    [
        ("sentMessageDELIVERED", "delivered"),
        ("sentMessageDELIVERED_v2", "delivered"),
        ("sentMessageREAD", "read"),
        ("sentMessageREAD_v2", "read"),
        ("sentMessageREPLIED_v2", "replied"),
        ("templateMessageSent_v2", "sent"),
        ("sessionMessageSent", "sent"),
    ],
)
def test_parse_status(event_type: str, status: str) -> None:
    messages, statuses = parse_wati_webhook(_status_event(event_type))
    assert messages == []
    [update] = statuses
    assert (update.provider, update.message_id, update.status) == ("wati", "wamid.out1", status)
    assert update.at == datetime.fromtimestamp(1700000000, UTC)
    assert (update.recipient, update.errors) == (LEAD, [])


def test_failed_template_status_carries_the_error() -> None:
    event = _status_event("templateMessageFailed", failedCode="131026", failedDetail="Message undeliverable")
    [update] = parse_wati_webhook(event)[1]
    assert update.status == "failed"
    assert update.errors == [{"code": 131026, "message": "Message undeliverable"}]


def test_status_without_wamid_uses_the_local_message_id() -> None:
    event = _status_event("sessionMessageFailed", whatsappMessageId=None, waId=None, failedCode="x1")
    [update] = parse_wati_webhook(event)[1]
    assert (update.message_id, update.recipient, update.errors[0]["code"]) == (
        "d38f0c3a-e833-4725-a894-53a2b1dc1af6",
        None,
        "x1",
    )


def test_a_list_of_events_skips_the_malformed_ones(caplog: pytest.LogCaptureFixture) -> None:
    events = [
        _message(),
        "not an event",
        _message(waId="<PHONE>", whatsappMessageId="wamid.bad"),
        _message(type="text", text=None, whatsappMessageId="wamid.empty"),
        _message(timestamp=None, created=None, whatsappMessageId="wamid.notime"),
        _status_event("sentMessageREAD_v2"),
    ]
    with caplog.at_level(logging.WARNING):
        messages, statuses = parse_wati_webhook(events)
    assert len(messages) == 1 and len(statuses) == 1
    assert len([r for r in caplog.records if r.message.startswith("Skipped a malformed Wati event")]) == 4


def test_a_bsuid_message_without_a_phone_is_known_by_its_user_id() -> None:
    event = _message(eventType="message_bsuid", waId=None, bsuid=USER_ID, username="@ravi.k")
    event["parentBsuid"] = "IN.ENT.5566778899"

    [message] = parse_wati_webhook(event)[0]

    assert (message.phone, message.user_id, message.username) == (None, USER_ID, "@ravi.k")
    assert (message.kind, message.text, message.profile_name) == ("text", "hello", "Ravi")


def test_a_bsuid_message_with_the_phone_carries_both() -> None:
    [message] = parse_wati_webhook(_message(eventType="message_bsuid", bsuid=USER_ID))[0]

    assert (message.phone, message.user_id) == (LEAD, USER_ID)


@pytest.mark.parametrize(
    ("event_type", "status"),
    [
        ("sentMessageDELIVERED_v2_bsuid", "delivered"),
        ("sentMessageREAD_v2_bsuid", "read"),
        ("sessionMessageSent_v2_bsuid", "sent"),
        ("templateMessageSent_v2_bsuid", "sent"),
        ("templateMessageFailed_bsuid", "failed"),
    ],
)
def test_bsuid_statuses_are_read_like_the_plain_ones(event_type: str, status: str) -> None:
    [update] = parse_wati_webhook(_status_event(event_type, waId=None, bsuid=USER_ID))[1]

    assert (update.message_id, update.status, update.recipient) == ("wamid.out1", status, USER_ID)


def test_our_own_bsuid_messages_are_ignored() -> None:
    assert parse_wati_webhook(_message(eventType="message_bsuid", owner=True, bsuid=USER_ID)) == ([], [])


@pytest.mark.parametrize("payload", [None, "message", 42, {}, {"eventType": 5}, {"waId": "919812345678"}])
def test_malformed_body_raises_payload_error(payload: Any) -> None:
    with pytest.raises(PayloadError):
        parse_wati_webhook(payload)


# -- sending -----------------------------------------------------------------------------------


def test_send_text(wati: FakeWati, channel: WatiChannel) -> None:
    result = channel.send_text(LEAD, "Site visit on Sat? Reply YES & we'll book it.")
    [request] = wati.requests
    assert request.path == "/12345/api/v1/sendSessionMessage/919812345678"
    assert request.query == {"messageText": "Site visit on Sat? Reply YES & we'll book it."}
    assert request.headers["authorization"] == "Bearer test-wati-token"
    assert request.body is None
    assert result.provider_message_id == wati.sent[0].message_id


def test_send_text_to_a_user_id_puts_it_where_the_number_goes(wati: FakeWati, channel: WatiChannel) -> None:
    channel.send_text(USER_ID, "Hello Ravi")
    channel.send_buttons(USER_ID, "Book a visit?", [("yes", "Yes"), ("no", "Not now")])

    first, second = wati.requests
    assert first.path == f"/12345/api/v1/sendSessionMessage/{USER_ID}"
    assert second.query == {"whatsappNumber": USER_ID}
    assert [m.to for m in wati.sent] == [USER_ID, USER_ID]


def test_send_buttons(wati: FakeWati, channel: WatiChannel) -> None:
    result = channel.send_buttons(
        LEAD, "When do you plan to buy?", [("now", "Within 3 months"), ("later", "Later")]
    )
    [request] = wati.requests
    assert request.path == "/12345/api/v1/sendInteractiveButtonsMessage"
    assert request.query == {"whatsappNumber": "919812345678"}
    assert request.body == {
        "body": "When do you plan to buy?",
        "buttons": [{"text": "Within 3 months"}, {"text": "Later"}],
    }
    assert result.provider_message_id.startswith("wamid.")


def test_send_list(wati: FakeWati, channel: WatiChannel) -> None:
    channel.send_list(
        LEAD, "Which home suits you?", "Choose", [("b2", "2 BHK", "From ₹1.8 Cr"), ("b3", "3 BHK", None)]
    )
    [request] = wati.requests
    assert request.path == "/12345/api/v1/sendInteractiveListMessage"
    assert request.query == {"whatsappNumber": "919812345678"}
    rows = [{"title": "2 BHK", "description": "From ₹1.8 Cr"}, {"title": "3 BHK", "description": ""}]
    assert request.body == {
        "header": "",
        "body": "Which home suits you?",
        "footer": "",
        "buttonText": "Choose",
        "sections": [{"title": "Choose", "rows": rows}],
    }


def test_send_template(wati: FakeWati, channel: WatiChannel) -> None:
    result = channel.send_template(LEAD, "lead_followup", "en", ["Ravi", "Skyline Towers"])
    [request] = wati.requests
    assert request.path == "/12345/api/v1/sendTemplateMessage"
    assert request.query == {"whatsappNumber": "919812345678"}
    assert request.body == {
        "template_name": "lead_followup",
        "broadcast_name": "investochat",
        "parameters": [{"name": "1", "value": "Ravi"}, {"name": "2", "value": "Skyline Towers"}],
    }
    assert result.provider_message_id == wati.sent[0].message_id  # Wati's localMessageId


def test_a_one_time_code_goes_as_the_templates_first_parameter(wati: FakeWati, channel: WatiChannel) -> None:
    channel.send_code(LEAD, "login_code", "en", "104729")
    [request] = wati.requests
    assert request.path == "/12345/api/v1/sendTemplateMessage"
    assert request.body["template_name"] == "login_code"
    assert request.body["parameters"] == [{"name": "1", "value": "104729"}]


INVALID_SENDS: dict[str, Callable[[WatiChannel], object]] = {
    "4 buttons": lambda c: c.send_buttons(LEAD, "Pick", [(f"b{i}", f"B{i}") for i in range(4)]),
    "long button title": lambda c: c.send_buttons(LEAD, "Pick", [("a", "x" * 21)]),
    "duplicate button titles": lambda c: c.send_buttons(LEAD, "Pick", [("a", "Same"), ("b", "Same")]),
    "11 rows": lambda c: c.send_list(LEAD, "Pick", "Open", [(f"r{i}", f"R{i}", None) for i in range(11)]),
    "long row title": lambda c: c.send_list(LEAD, "Pick", "Open", [("r", "x" * 25, None)]),
    "long row description": lambda c: c.send_list(LEAD, "Pick", "Open", [("r", "Row", "x" * 73)]),
    "duplicate row titles": lambda c: c.send_list(
        LEAD, "Pick", "Open", [("a", "Row", None), ("b", "Row", None)]
    ),
    "long text": lambda c: c.send_text(LEAD, "x" * 4097),
    "bad number": lambda c: c.send_text("12", "Hello"),
}


@pytest.mark.parametrize("case", sorted(INVALID_SENDS))
def test_invalid_sends_fail_before_any_request(case: str, wati: FakeWati, channel: WatiChannel) -> None:
    with pytest.raises(ValueError) as raised:
        INVALID_SENDS[case](channel)
    assert not isinstance(raised.value, SendError)
    assert wati.requests == []


# -- errors ------------------------------------------------------------------------------------


def test_server_error_is_retryable(wati: FakeWati, channel: WatiChannel) -> None:
    wati.fail_next(500, info="Internal error")
    with pytest.raises(SendError) as raised:
        channel.send_text(LEAD, "Hello")
    assert (raised.value.status, raised.value.retryable, raised.value.code) == (500, True, None)
    assert "Internal error" in str(raised.value)


def test_rate_limit_carries_retry_after(wati: FakeWati, channel: WatiChannel) -> None:
    wati.fail_next(429, retry_after=12)
    with pytest.raises(SendError) as raised:
        channel.send_buttons(LEAD, "Pick", [("a", "A")])
    assert raised.value.retryable and raised.value.retry_after == 12.0


def test_result_false_is_final(wati: FakeWati, channel: WatiChannel) -> None:
    wati.fail_next(200, info="Session is not active")
    with pytest.raises(SendError) as raised:
        channel.send_text(LEAD, "Hello")
    assert (raised.value.status, raised.value.retryable) == (200, False)
    assert "Session is not active" in str(raised.value)
    assert wati.sent == []


def test_wrong_token_is_final(wati: FakeWati) -> None:
    channel = WatiChannel(wati.base_url, "expired")
    with pytest.raises(SendError) as raised:
        channel.send_text(LEAD, "Hello")
    assert (raised.value.status, raised.value.retryable) == (401, False)


def test_token_copied_with_its_bearer_prefix_works(wati: FakeWati) -> None:
    channel = WatiChannel(wati.base_url + "/", "Bearer " + wati.token)
    channel.send_text(LEAD, "Hello")
    assert wati.requests[0].headers["authorization"] == f"Bearer {wati.token}"


def _mock_channel(status: int, body: bytes) -> WatiChannel:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, content=body))
    return WatiChannel("https://wati.test/1", "token", client=httpx.Client(transport=transport))


@pytest.mark.parametrize(
    "body",
    [
        b'{"result": true, "validWhatsAppNumber": false}',
        b'{"result": true, "receivers": [{"localMessageId": "x", "isValidWhatsAppNumber": false}]}',
        b'{"result": false}',
        b"not json",
    ],
)
def test_refusals_inside_http_200_are_final(body: bytes) -> None:
    with pytest.raises(SendError) as raised:
        _mock_channel(200, body).send_text(LEAD, "Hello")
    assert not raised.value.retryable


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"result": true, "message": {"id": "wati-internal-1"}}', "wati-internal-1"),
        (b'{"result": "success", "id": "top-level-id"}', "top-level-id"),
        (b'{"ok": true, "whatsappMessageId": "wamid.top"}', "wamid.top"),
    ],
)
def test_message_id_found_where_wati_puts_it(body: bytes, expected: str) -> None:
    assert _mock_channel(200, body).send_text(LEAD, "Hello").provider_message_id == expected


def test_accepted_without_any_id_gets_a_local_one(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        result = _mock_channel(200, b'{"result": true}').send_text(LEAD, "Hello")
    assert result.provider_message_id.startswith("wati-local-")
    assert "without returning an id" in caplog.text


def test_timeout_is_final_so_a_reply_is_never_sent_twice(wati: FakeWati) -> None:
    wati.latency = 1.0
    channel = wati.channel(timeout=0.2)
    with pytest.raises(SendError) as raised:
        channel.send_template(LEAD, "lead_followup", "en")
    assert not raised.value.retryable and raised.value.status is None


def test_unreachable_api_is_retryable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SendError) as raised:
        WatiChannel(f"http://127.0.0.1:{port}/1", "token", timeout=1.0).send_text(LEAD, "Hello")
    assert raised.value.retryable


# -- configuration and the fake's helpers ------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"WATI_API_URL": "https://x/1"},
        {"WATI_API_TOKEN": "t"},
        {"WATI_API_URL": " ", "WATI_API_TOKEN": "t"},
    ],
)
def test_from_config_without_settings_is_none(config: dict[str, str]) -> None:
    assert WatiChannel.from_config(config) is None


def test_from_config_sends_through_the_tenant(wati: FakeWati) -> None:
    channel = WatiChannel.from_config(wati.config())
    assert channel is not None and channel.name == "wati"
    channel.send_text(LEAD, "Hello")
    channel.send_template(LEAD, "lead_followup", "en", ["Ravi"])
    sent = wati.wait_for(2, timeout=1)
    assert [message.to for message in sent] == ["919812345678", "919812345678"]


def test_wait_for_times_out(wati: FakeWati) -> None:
    with pytest.raises(TimeoutError, match="accepted 0 of 1"):
        wati.wait_for(1, timeout=0.05)
