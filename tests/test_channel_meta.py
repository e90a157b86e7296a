"""Meta's WhatsApp Cloud API: webhook signatures, every shared webhook payload, and sending
through a fake Graph API on loopback (real HTTP client, real errors)."""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx2 as httpx
import pytest

from app.channels import (
    InboundMessage,
    MetaCloudChannel,
    PayloadError,
    SendError,
    parse_webhook,
    verify_signature,
)
from app.channels.posting import retry_after_seconds
from tests.fakes.graph_server import FakeGraph
from tests.shared_data import PAYLOADS_DIR, require
from tests.whatsapp_helpers import meta_envelope, meta_text, sign, text_message, user_id_text

SECRET = "test-app-secret"
LEAD = "+919812345678"
USER_ID = "IN.7302945518862616"  # a business-scoped user id (invented)


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph() as fake:
        yield fake


@pytest.fixture
def channel(graph: FakeGraph) -> Iterator[MetaCloudChannel]:
    channel = graph.channel()
    yield channel
    channel.close()


# -- signatures ------------------------------------------------------------------------------


def test_signature_valid() -> None:
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    assert verify_signature(SECRET, body, sign(body, SECRET))
    assert verify_signature(SECRET, body, sign(body, SECRET).upper().replace("SHA256=", "sha256="))


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "sha256=nothex",
        "sha1=" + hashlib.sha1(b"x").hexdigest(),
        sign(b'{"tampered": true}', SECRET),
        sign(b'{"object":"whatsapp_business_account","entry":[]}', "another-secret"),
        "sha256=" + "é" * 64,
    ],
    ids=["missing", "empty", "no-digest", "not-hex", "sha1", "other-body", "other-secret", "non-ascii"],
)
def test_signature_invalid(header: str | None) -> None:
    assert not verify_signature(SECRET, b'{"object":"whatsapp_business_account","entry":[]}', header)


def test_signature_needs_a_secret() -> None:
    body = b"{}"
    assert not verify_signature("", body, sign(body, ""))


# -- every variant of every shared payload ---------------------------------------------------


@dataclass(frozen=True)
class Msg:
    kind: str
    text: str | None = None
    reply_id: str | None = None
    phone: str = "+972987654321"
    profile: str | None = "Test Name"


@dataclass(frozen=True)
class Status:
    status: str
    recipient: str | None = "+972987654321"
    errors: int = 0


SKIPPED = "skipped"  # the fixture's sender is a placeholder, not a phone number

EXPECTED: dict[tuple[str, str], Msg | Status | str] = {
    ("message.json", "text"): Msg("text", "Body Text"),
    ("message.json", "image"): Msg("media"),
    ("message.json", "media_with_url"): Msg("media"),
    ("message.json", "video"): Msg("media", "caption"),
    ("message.json", "document"): Msg("media", "caption"),
    ("message.json", "audio"): Msg("media"),
    ("message.json", "voice"): Msg("media"),
    ("message.json", "static_sticker"): Msg("media"),
    ("message.json", "animated_sticker"): Msg("media"),
    ("message.json", "reaction"): Msg("reaction", "\U0001f62e"),
    ("message.json", "unreaction_empty"): Msg("reaction"),
    ("message.json", "unreaction_no_emoji"): Msg("reaction"),
    ("message.json", "current_location"): Msg("location"),
    ("message.json", "chosen_location"): Msg("location"),
    ("message.json", "contacts"): Msg("contacts"),
    ("message.json", "order"): Msg("other"),
    ("message.json", "unsupported"): Msg("unsupported"),
    ("message.json", "unsupported_with_type"): Msg("unsupported"),
    ("message.json", "reply"): Msg("text", "replied text"),
    ("message.json", "forwarded"): Msg("text", "forwarded text"),
    ("message.json", "forwarded_many_times"): Msg("text", "text forwarded many times"),
    ("message.json", "interactive_message_with_err"): Msg("unsupported"),
    ("message.json", "referral"): Msg("text", "BODY"),
    ("callback_button.json", "button"): Msg("button", "title", "callback_data"),
    ("callback_button.json", "quick_reply"): Msg("button", "title", "callback_data"),
    ("callback_button.json", "quick_reply_without_context"): Msg("button", "title", "callback_data"),
    ("callback_selection.json", "callback"): Msg("list", "title", "callback_data"),
    ("callback_selection.json", "description"): Msg("list", "title", "callback_data"),
    ("system.json", "phone_number_change"): Msg(
        "system", "User A changed from 972987654321 to 972912345678", profile=None
    ),
    ("system.json", "identity_change"): Msg("system", "User identity changed", profile="User A"),
    ("edited_message.json", "image"): Msg("other", phone="+16505551234", profile=None),
    ("deleted_message.json", "revoke"): SKIPPED,
    ("message_status.json", "sent"): Status("sent"),
    ("message_status.json", "delivered"): Status("delivered"),
    ("message_status.json", "read"): Status("read"),
    ("message_status.json", "played"): Status("played"),
    ("message_status.json", "failed"): Status("failed", errors=1),
    ("message_status.json", "with_tracker"): Status("sent"),
    ("message_status.json", "group"): Status("read", recipient="fowefinoewcnw"),  # a group id, as given
}


def _envelope(file: str, variant: str) -> dict[str, Any]:
    return json.loads(require(PAYLOADS_DIR / file).read_text())[variant]


def _value(envelope: dict[str, Any]) -> dict[str, Any]:
    return envelope["entry"][0]["changes"][0]["value"]


def test_every_shared_variant_has_an_expectation() -> None:
    files = sorted(require(PAYLOADS_DIR).glob("*.json"))
    assert files, f"no payload files in {PAYLOADS_DIR}"
    variants = {(path.name, name) for path in files for name in json.loads(path.read_text())}
    assert variants == set(EXPECTED)


@pytest.mark.parametrize(("file", "variant"), sorted(EXPECTED), ids=lambda value: value.removesuffix(".json"))
def test_parse_shared_payload(file: str, variant: str, caplog: pytest.LogCaptureFixture) -> None:
    envelope = _envelope(file, variant)
    messages, statuses = parse_webhook(envelope)
    expected = EXPECTED[(file, variant)]
    if expected == SKIPPED:
        assert (messages, statuses) == ([], [])
        assert "Skipped a malformed WhatsApp message" in caplog.text
    elif isinstance(expected, Msg):
        assert statuses == []
        [message] = messages
        raw = _value(envelope)["messages"][0]
        assert (message.kind, message.text, message.reply_id) == (
            expected.kind,
            expected.text,
            expected.reply_id,
        )
        assert (message.phone, message.profile_name) == (expected.phone, expected.profile)
        assert message.provider == "meta" and message.message_id == raw["id"] and message.raw == raw
        assert message.sent_at == datetime.fromtimestamp(int(raw["timestamp"]), UTC)
        assert message.sent_at.tzinfo is not None
    else:
        assert messages == []
        [status] = statuses
        raw = _value(envelope)["statuses"][0]
        assert (status.status, status.recipient, len(status.errors)) == (
            expected.status,
            expected.recipient,
            expected.errors,
        )
        assert status.provider == "meta" and status.message_id == raw["id"]
        assert status.at == datetime.fromtimestamp(int(raw["timestamp"]), UTC)


def test_failed_status_keeps_the_error_details() -> None:
    [status] = parse_webhook(_envelope("message_status.json", "failed"))[1]
    assert status.errors[0]["code"] == 130472
    assert status.errors[0]["title"] == "User's number is part of an experiment"


def test_revoke_from_a_real_number_is_other() -> None:
    envelope = copy.deepcopy(_envelope("deleted_message.json", "revoke"))
    _value(envelope)["messages"][0]["from"] = "972987654321"
    [message] = parse_webhook(envelope)[0]
    assert (message.kind, message.text, message.phone) == ("other", None, "+972987654321")
    assert message.raw["revoke"]["original_message_id"] == "<ORIGINAL_WHATSAPP_MESSAGE_ID>"


# -- business-scoped user ids, numbers libphonenumber cannot place, ads ------------------------


def test_a_user_with_a_username_and_no_phone_is_known_by_the_user_id() -> None:
    payload = user_id_text("wamid.BSUID-ONLY", "Price of a 4 BHK?", USER_ID, username="kavya.invests")

    [message] = parse_webhook(payload)[0]

    assert (message.phone, message.user_id, message.username) == (None, USER_ID, "kavya.invests")
    assert (message.profile_name, message.kind, message.text) == ("Kavya Iyer", "text", "Price of a 4 BHK?")


def test_with_the_phone_too_the_user_id_comes_from_the_contact() -> None:
    payload = meta_text("wamid.BOTH", "hello", "919812345678")
    payload["entry"][0]["changes"][0]["value"]["contacts"][0]["user_id"] = USER_ID

    [message] = parse_webhook(payload)[0]

    assert (message.phone, message.user_id, message.profile_name) == (LEAD, USER_ID, "Rohan Mehta")


def test_a_message_with_neither_a_phone_nor_a_user_id_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    nobody = user_id_text("wamid.NOBODY", "hello", USER_ID)
    message = nobody["entry"][0]["changes"][0]["value"]["messages"][0]
    message["from_user_id"] = "<BSUID>"  # not a user id, and no "from"
    nobody["entry"][0]["changes"][0]["value"]["contacts"] = []

    with caplog.at_level(logging.WARNING):
        assert parse_webhook(nobody) == ([], [])
    assert "no 'from' and no business-scoped 'from_user_id'" in caplog.text


def test_a_status_of_a_message_sent_to_a_user_id_names_that_user_id() -> None:
    status = {"id": "wamid.OUT", "status": "delivered", "timestamp": "1700000000"}
    status["recipient_user_id"] = USER_ID  # no recipient_id: the message went to the user id

    [update] = parse_webhook(meta_envelope(statuses=[status]))[1]

    assert (update.status, update.recipient) == ("delivered", USER_ID)


def test_a_mexican_id_libphonenumber_rejects_is_kept_as_whatsapp_gave_it() -> None:
    [message] = parse_webhook(meta_text("wamid.MX", "Hola", "5215512345678"))[0]

    assert message.phone == "+5215512345678"


def test_a_click_to_whatsapp_referral_is_kept_without_its_media_links() -> None:
    [message] = parse_webhook(_envelope("message.json", "referral"))[0]

    assert message.referral == {
        "source_url": "AD_OR_POST_FB_URL",
        "source_id": "ADID",
        "source_type": "ad or post",
        "headline": "AD_TITLE",
        "body": "AD_DESCRIPTION",
        "media_type": "image or video",
        "ctwa_clid": "CTWA_CLID",
    }


def test_send_to_a_user_id_goes_in_recipient_not_to(graph: FakeGraph, channel: MetaCloudChannel) -> None:
    result = channel.send_text(USER_ID, "Hello Kavya")

    [sent] = graph.sent
    assert "to" not in sent.payload and sent.payload["recipient"] == USER_ID
    assert sent.payload["text"]["body"] == "Hello Kavya" and result.provider_message_id == sent.message_id


def test_send_to_a_number_libphonenumber_rejects_uses_whatsapps_digits(
    graph: FakeGraph, channel: MetaCloudChannel
) -> None:
    channel.send_text("+5215512345678", "Hola")

    assert graph.sent[0].payload["to"] == "5215512345678"


def test_an_authentication_template_to_a_user_id_is_refused_with_131062(
    graph: FakeGraph, channel: MetaCloudChannel
) -> None:
    graph.authentication_templates.add("login_code")

    with pytest.raises(SendError) as refused:
        channel.send_template(USER_ID, "login_code", "en", ["482913"])

    error = refused.value
    assert (error.code, error.user_id_refused, error.retryable) == (131062, True, False)
    assert "Business-scoped User ID" in str(error)
    channel.send_code(LEAD, "login_code", "en", "482913")  # a phone number takes it


def test_a_one_time_code_fills_the_body_and_the_copy_code_button(
    graph: FakeGraph, channel: MetaCloudChannel
) -> None:
    graph.authentication_templates.add("login_code")

    channel.send_code(LEAD, "login_code", "en_US", "104729")

    code = [{"type": "text", "text": "104729"}]
    components = [
        {"type": "body", "parameters": code},
        {"type": "button", "sub_type": "url", "index": "0", "parameters": code},
    ]
    assert graph.sent[0].payload["template"] == {
        "name": "login_code",
        "language": {"code": "en_US"},
        "components": components,
    }
    with pytest.raises(SendError) as refused:  # the body alone is not enough for such a template
        channel.send_template(LEAD, "login_code", "en", ["104729"])
    assert refused.value.code == 132000
    assert [m.to for m in graph.sent] == ["919812345678"]


# -- batches and malformed input -------------------------------------------------------------


def _numbered_text(index: int) -> dict[str, Any]:
    """Text message number ``index`` of a batch, each from its own sender."""
    return text_message(
        f"wamid.batch{index}", f"message {index}", f"91981{index:07d}", timestamp=1_700_000_000 + index
    )


def test_a_batch_of_1000_messages_returns_all_1000_in_order() -> None:
    messages, statuses = parse_webhook(meta_envelope(*(_numbered_text(i) for i in range(1000))))
    assert len(messages) == 1000 and statuses == []
    assert [m.message_id for m in messages] == [f"wamid.batch{i}" for i in range(1000)]
    assert messages[999].phone == "+919810000999" and messages[999].text == "message 999"


def test_a_batch_spread_over_entries_with_statuses() -> None:
    status = {
        "id": "wamid.out",
        "status": "delivered",
        "timestamp": "1700000000",
        "recipient_id": "919812345678",
    }
    messages, statuses = parse_webhook(
        meta_envelope(*(_numbered_text(i) for i in range(500)), statuses=[status] * 2, entries=4)
    )
    assert len(messages) == 500 and len(statuses) == 8  # the two statuses are in each of the 4 entries


def test_a_malformed_message_is_skipped_and_the_rest_returned(caplog: pytest.LogCaptureFixture) -> None:
    no_sender = {"id": "wamid.nosender", "timestamp": "1700000000", "type": "text", "text": {"body": "x"}}
    bad_time = {**_numbered_text(2), "timestamp": "yesterday"}
    no_body = {**_numbered_text(3), "text": {}}
    far_future = {**_numbered_text(4), "timestamp": "1e30"}
    batch = [_numbered_text(0), no_sender, "not an object", bad_time, no_body, far_future, _numbered_text(5)]
    bad_status = {"id": "wamid.x", "timestamp": "1700000000"}
    with caplog.at_level(logging.WARNING):
        messages, statuses = parse_webhook(meta_envelope(*batch, statuses=[bad_status]))
    assert [m.message_id for m in messages] == ["wamid.batch0", "wamid.batch5"]
    assert statuses == []
    assert len([r for r in caplog.records if r.message.startswith("Skipped a malformed")]) == 6


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        "entry",
        {},
        {"object": "whatsapp_business_account"},
        {"object": "whatsapp_business_account", "entry": {}},
        {"object": "page", "entry": []},
        {"object": "whatsapp_business_account", "entry": ["not an object"]},
        {"object": "whatsapp_business_account", "entry": [{"id": "1"}]},
        {"object": "whatsapp_business_account", "entry": [{"changes": ["x"]}]},
        {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages"}]}]},
    ],
)
def test_malformed_envelope_raises_payload_error(payload: Any) -> None:
    with pytest.raises(PayloadError):
        parse_webhook(payload)


def test_other_fields_and_empty_entries_parse_to_nothing() -> None:
    template_update = {"field": "message_template_status_update", "value": {"event": "APPROVED"}}
    payload = {"object": "whatsapp_business_account", "entry": [{"changes": [template_update]}]}
    assert parse_webhook(payload) == ([], [])
    assert parse_webhook({"object": "whatsapp_business_account", "entry": []}) == ([], [])


# -- sending -----------------------------------------------------------------------------------


def _envelope_of(kind: str, content: dict[str, Any]) -> dict[str, Any]:
    base = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "919812345678"}
    return {**base, "type": kind, kind: content}


def test_send_text(graph: FakeGraph, channel: MetaCloudChannel) -> None:
    result = channel.send_text(LEAD, "Skyline Towers starts at ₹2.5 Cr.")
    [request] = graph.requests
    assert request.path == "/v21.0/1122334455667/messages"
    assert request.headers["authorization"] == "Bearer test-graph-token"
    assert request.headers["content-type"] == "application/json"
    assert request.body == _envelope_of(
        "text", {"preview_url": False, "body": "Skyline Towers starts at ₹2.5 Cr."}
    )
    assert result.provider_message_id == graph.sent[0].message_id
    assert result.provider_message_id.startswith("wamid.")


def test_send_buttons(graph: FakeGraph, channel: MetaCloudChannel) -> None:
    channel.send_buttons(
        "09812345678", "When do you plan to buy?", [("now", "Within 3 months"), ("later", "Later")]
    )
    assert graph.requests[0].body == _envelope_of(
        "interactive",
        {
            "type": "button",
            "body": {"text": "When do you plan to buy?"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": "now", "title": "Within 3 months"}},
                    {"type": "reply", "reply": {"id": "later", "title": "Later"}},
                ]
            },
        },
    )


def test_send_list(graph: FakeGraph, channel: MetaCloudChannel) -> None:
    rows = [("b2", "2 BHK", "From ₹1.8 Cr"), ("b3", "3 BHK", None)]
    channel.send_list(LEAD, "Which home suits you?", "Choose", rows)
    action = {
        "button": "Choose",
        "sections": [
            {
                "rows": [
                    {"id": "b2", "title": "2 BHK", "description": "From ₹1.8 Cr"},
                    {"id": "b3", "title": "3 BHK"},
                ]
            }
        ],
    }
    assert graph.requests[0].body == _envelope_of(
        "interactive", {"type": "list", "body": {"text": "Which home suits you?"}, "action": action}
    )


def test_send_template(graph: FakeGraph, channel: MetaCloudChannel) -> None:
    channel.send_template(LEAD, "lead_followup", "en", ["Ravi", "Skyline Towers"])
    channel.send_template(LEAD, "hello_world", "en_US")
    parameters = [{"type": "text", "text": "Ravi"}, {"type": "text", "text": "Skyline Towers"}]
    assert [request.body for request in graph.requests] == [
        _envelope_of(
            "template",
            {
                "name": "lead_followup",
                "language": {"code": "en"},
                "components": [{"type": "body", "parameters": parameters}],
            },
        ),
        _envelope_of("template", {"name": "hello_world", "language": {"code": "en_US"}}),
    ]
    assert len(graph.sent) == 2


def test_limits_at_the_boundary_are_accepted(graph: FakeGraph, channel: MetaCloudChannel) -> None:
    channel.send_text(LEAD, "x" * 4096)
    channel.send_buttons(LEAD, "y" * 1024, [(f"id{i}", f"{i}" * 20) for i in range(3)])
    rows = [(f"r{i}", "t" * 24, "d" * 72) for i in range(10)]
    channel.send_list(LEAD, "z" * 1024, "b" * 20, rows)
    assert len(graph.sent) == 3


INVALID_SENDS: dict[str, Callable[[MetaCloudChannel], object]] = {
    "4 buttons": lambda c: c.send_buttons(LEAD, "Pick", [(f"b{i}", f"B{i}") for i in range(4)]),
    "no buttons": lambda c: c.send_buttons(LEAD, "Pick", []),
    "long button title": lambda c: c.send_buttons(LEAD, "Pick", [("a", "x" * 21)]),
    "duplicate button ids": lambda c: c.send_buttons(LEAD, "Pick", [("a", "One"), ("a", "Two")]),
    "long buttons body": lambda c: c.send_buttons(LEAD, "x" * 1025, [("a", "One")]),
    "11 rows": lambda c: c.send_list(LEAD, "Pick", "Open", [(f"r{i}", f"R{i}", None) for i in range(11)]),
    "long row title": lambda c: c.send_list(LEAD, "Pick", "Open", [("r", "x" * 25, None)]),
    "long row description": lambda c: c.send_list(LEAD, "Pick", "Open", [("r", "Row", "x" * 73)]),
    "long list button": lambda c: c.send_list(LEAD, "Pick", "x" * 21, [("r", "Row", None)]),
    "duplicate row ids": lambda c: c.send_list(LEAD, "Pick", "Open", [("r", "A", None), ("r", "B", None)]),
    "long text": lambda c: c.send_text(LEAD, "x" * 4097),
    "empty text": lambda c: c.send_text(LEAD, "  "),
    "bad number": lambda c: c.send_text("not a phone", "Hello"),
    "empty template parameter": lambda c: c.send_template(LEAD, "lead_followup", "en", ["Ravi", ""]),
}


@pytest.mark.parametrize("case", sorted(INVALID_SENDS))
def test_invalid_sends_fail_before_any_request(
    case: str, graph: FakeGraph, channel: MetaCloudChannel
) -> None:
    with pytest.raises(ValueError) as raised:
        INVALID_SENDS[case](channel)
    assert not isinstance(raised.value, SendError)
    assert graph.requests == []


# -- errors ------------------------------------------------------------------------------------


def test_server_error_is_retryable(graph: FakeGraph, channel: MetaCloudChannel) -> None:
    graph.fail_next(500)
    with pytest.raises(SendError) as raised:
        channel.send_text(LEAD, "Hello")
    error = raised.value
    assert (error.status, error.code, error.retryable, error.retry_after) == (500, 131000, True, None)
    assert "HTTP 500" in str(error) and "fbtrace_id" in str(error)
    assert graph.sent == []


def test_rate_limit_carries_retry_after(graph: FakeGraph, channel: MetaCloudChannel) -> None:
    graph.fail_next(429, retry_after=7)
    with pytest.raises(SendError) as raised:
        channel.send_text(LEAD, "Hello")
    assert (raised.value.status, raised.value.code) == (429, 130429)
    assert raised.value.retryable and raised.value.retry_after == 7.0


def test_throughput_code_is_retryable_even_with_http_400(graph: FakeGraph, channel: MetaCloudChannel) -> None:
    graph.fail_next(400, code=130429)
    with pytest.raises(SendError) as raised:
        channel.send_text(LEAD, "Hello")
    assert raised.value.retryable


def test_outside_the_24_hour_window(graph: FakeGraph, channel: MetaCloudChannel) -> None:
    graph.fail_next(400, code=131047, message="Re-engagement message")
    with pytest.raises(SendError) as raised:
        channel.send_text(LEAD, "Hello")
    error = raised.value
    assert error.outside_window and not error.retryable and error.code == 131047
    assert "Re-engagement message" in error.message


@pytest.mark.parametrize(("status", "code"), [(400, 131026), (400, 100), (403, 10)])
def test_other_client_errors_are_final(
    graph: FakeGraph, channel: MetaCloudChannel, status: int, code: int
) -> None:
    graph.fail_next(status, code=code)
    with pytest.raises(SendError) as raised:
        channel.send_text(LEAD, "Hello")
    assert not raised.value.retryable and not raised.value.outside_window and raised.value.code == code


def test_wrong_token_is_final(graph: FakeGraph) -> None:
    channel = MetaCloudChannel(graph.phone_number_id, "expired", base_url=graph.base_url)
    with pytest.raises(SendError) as raised:
        channel.send_text(LEAD, "Hello")
    assert (raised.value.status, raised.value.code, raised.value.retryable) == (401, 190, False)


def test_the_channel_never_retries_by_itself(graph: FakeGraph, channel: MetaCloudChannel) -> None:
    graph.fail_next(503, times=2)
    for _ in range(2):
        with pytest.raises(SendError):
            channel.send_text(LEAD, "Hello")
    channel.send_text(LEAD, "Hello")
    assert len(graph.requests) == 3 and len(graph.sent) == 1


def test_timeout_is_final_so_a_reply_is_never_sent_twice(graph: FakeGraph) -> None:
    graph.latency = 1.0
    channel = graph.channel(timeout=0.2)
    with pytest.raises(SendError) as raised:
        channel.send_text(LEAD, "Hello")
    assert not raised.value.retryable and raised.value.status is None
    assert "did not answer (ReadTimeout)" in str(raised.value)


def test_unreachable_api_is_retryable() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    channel = MetaCloudChannel("1", "token", base_url=f"http://127.0.0.1:{port}", timeout=1.0)
    with pytest.raises(SendError) as raised:
        channel.send_text(LEAD, "Hello")
    assert raised.value.retryable and "Could not reach" in str(raised.value)


def test_a_misconfigured_url_is_final() -> None:
    channel = MetaCloudChannel("1", "token", base_url="graph.facebook.com")  # no scheme
    with pytest.raises(SendError) as raised:
        channel.send_text(LEAD, "Hello")
    assert not raised.value.retryable and "base URL" in str(raised.value)


def _mock_channel(status: int, body: bytes, headers: dict[str, str] | None = None) -> MetaCloudChannel:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, content=body, headers=headers))
    return MetaCloudChannel("1", "token", client=httpx.Client(transport=transport))


def test_success_without_a_message_id_is_an_error() -> None:
    with pytest.raises(SendError) as raised:
        _mock_channel(200, b'{"messaging_product": "whatsapp"}').send_text(LEAD, "Hello")
    assert not raised.value.retryable and "no message id" in str(raised.value)


def test_a_proxy_error_page_is_still_classified() -> None:
    channel = _mock_channel(502, b"<html>Bad Gateway</html>", {"Retry-After": "2"})
    with pytest.raises(SendError) as raised:
        channel.send_text(LEAD, "Hello")
    assert (raised.value.status, raised.value.code, raised.value.retryable) == (502, None, True)
    assert raised.value.retry_after == 2.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [("7", 7.0), ("1.5", 1.5), (" 0 ", 0.0), ("-3", 0.0), ("", None), (None, None), ("soon", None)],
)
def test_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert retry_after_seconds(header) == expected


def test_retry_after_as_an_http_date() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (retry_after_seconds(later) or 0) <= 30
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


# -- configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"WHATSAPP_PHONE_NUMBER_ID": "1"},
        {"WHATSAPP_ACCESS_TOKEN": "t"},
        {"WHATSAPP_PHONE_NUMBER_ID": " ", "WHATSAPP_ACCESS_TOKEN": "t"},
    ],
)
def test_from_config_without_credentials_is_none(config: dict[str, str]) -> None:
    assert MetaCloudChannel.from_config(config) is None


def test_from_config_defaults() -> None:
    channel = MetaCloudChannel.from_config({"WHATSAPP_PHONE_NUMBER_ID": "123", "WHATSAPP_ACCESS_TOKEN": "t"})
    assert channel is not None and channel.name == "meta"
    assert channel.url == "https://graph.facebook.com/v21.0/123/messages"


def test_from_config_sends_to_the_configured_api(graph: FakeGraph) -> None:
    channel = MetaCloudChannel.from_config({**graph.config(), "WHATSAPP_API_BASE_URL": graph.base_url + "/"})
    assert channel is not None
    channel.send_text(LEAD, "Hello")
    assert graph.wait_for(1, timeout=1)[0].to == "919812345678"


def test_wait_for_times_out_with_a_clear_message(graph: FakeGraph) -> None:
    with pytest.raises(TimeoutError, match="accepted 0 of 1"):
        graph.wait_for(1, timeout=0.05)


def test_inbound_message_is_frozen() -> None:
    [message] = parse_webhook(meta_envelope(_numbered_text(1)))[0]
    assert isinstance(message, InboundMessage)
    with pytest.raises(AttributeError):
        message.text = "changed"  # type: ignore[misc]
