"""Shared pieces for the WhatsApp tests: Meta signatures, webhook envelopes, bounded polling."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, TypeVar

import pytest

T = TypeVar("T")

APP_SECRET = "e2e-app-secret"
PHONE_NUMBER_ID = "1122334455667"
# Generous: the machine running the tests may be small and busy. A wait only ever fails when
# the awaited thing never happens, so a large bound costs nothing on a passing run.
WAIT_SECONDS = 60.0
# What an investor writes after a first question to end up qualified and handed to a broker: a
# second answered question opens qualification, then budget, area, timeline, unit, and "YES".
QUALIFYING_REPLIES = ["How far is the airport?", "3 to 5 crore", "sec 65 ggn", "in 2 months", "4 BHK", "YES"]


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    """Meta's ``X-Hub-Signature-256`` header value for ``body``: computed here with ``hmac``, not
    by the app's code, so a test of the app's check compares it with an independent answer."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_signed(client: Any, raw: bytes, secret: str = APP_SECRET) -> Any:
    """POST ``raw`` to the app's WhatsApp webhook with ``client``, signed with ``secret`` as Meta
    signs it; returns the response."""
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, secret)}
    return client.post("/webhooks/whatsapp", data=raw, headers=headers)


def e164(wa_id: str) -> str:
    """The phone number the app stores for a WhatsApp id (``919810000101`` → ``+919810000101``)."""
    return "+" + wa_id


def text_message(message_id: str, text: str, wa_id: str, timestamp: int | None = None) -> dict[str, Any]:
    """A Cloud API text message object, sent now unless ``timestamp`` says otherwise."""
    return {
        "from": wa_id,
        "id": message_id,
        "timestamp": str(int(time.time()) if timestamp is None else timestamp),
        "type": "text",
        "text": {"body": text},
    }


def meta_envelope(
    *messages: Any,
    name: str = "Rohan Mehta",
    statuses: Sequence[dict[str, Any]] = (),
    entries: int = 1,
    phone_number_id: str = PHONE_NUMBER_ID,
) -> dict[str, Any]:
    """A Cloud API webhook body carrying ``messages`` and ``statuses``, as Meta sends it.

    The messages are spread in order over ``entries`` entries (as evenly as they go), each with
    a contact named ``name`` for every sender in it; every entry also carries all ``statuses``.
    With no messages there is one entry, of statuses only. Messages need not be well formed:
    a test of malformed input passes anything.
    """
    per_entry = max(1, -(-len(messages) // entries))  # ceiling division
    batches = [messages[start : start + per_entry] for start in range(0, len(messages), per_entry)]
    values = [_meta_value(batch, name, statuses, phone_number_id) for batch in batches or [()]]
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]} for value in values],
    }


def _meta_value(
    messages: Sequence[Any], name: str, statuses: Sequence[dict[str, Any]], phone_number_id: str
) -> dict[str, Any]:
    """One change's ``value``: metadata, then contacts and messages, then statuses (each if any)."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": phone_number_id},
    }
    if messages:
        senders = sorted(
            {m["from"] for m in messages if isinstance(m, dict) and isinstance(m.get("from"), str)}
        )
        value["contacts"] = [{"profile": {"name": name}, "wa_id": wa_id} for wa_id in senders]
        value["messages"] = copy.deepcopy(list(messages))
    if statuses:
        value["statuses"] = copy.deepcopy(list(statuses))
    return value


def meta_text(message_id: str, text: str, wa_id: str, name: str = "Rohan Mehta") -> dict[str, Any]:
    """A webhook body with one text message sent now."""
    return meta_envelope(text_message(message_id, text, wa_id), name=name)


def user_id_text(
    message_id: str,
    text: str,
    user_id: str,
    *,
    username: str | None = None,
    wa_id: str | None = None,
    name: str = "Kavya Iyer",
) -> dict[str, Any]:
    """A webhook body with one text, sent now, from a user known by their business-scoped user id:
    with their phone (``wa_id``) too, or — as WhatsApp sends it for some users with a username —
    without (no ``from``, no ``wa_id``)."""
    message = {
        "from_user_id": user_id,
        "id": message_id,
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": text},
    }
    profile = {"name": name, **({"username": username} if username else {})}
    contact: dict[str, Any] = {"profile": profile, "user_id": user_id}
    if wa_id:
        message["from"] = contact["wa_id"] = wa_id
    envelope = meta_envelope(message, name=name)
    envelope["entry"][0]["changes"][0]["value"]["contacts"] = [contact]
    return envelope


def body_of(payload: dict[str, Any]) -> bytes:
    """The exact bytes to POST (and sign)."""
    return json.dumps(payload).encode()


def wati_text(message_id: str, text: str, wa_id: str, name: str = "Priya Sharma") -> dict[str, Any]:
    """A Wati ``message`` webhook event for a text sent now."""
    return {
        "eventType": "message",
        "id": f"wati-{message_id}",
        "whatsappMessageId": message_id,
        "waId": wa_id,
        "senderName": name,
        "text": text,
        "type": "text",
        "timestamp": str(int(time.time())),
        "owner": False,
    }


def empty_queue(queue: Any) -> None:
    """Drop every job waiting in an RQ queue or scheduled on it (retries)."""
    queue.empty()
    scheduled = queue.scheduled_job_registry
    for job_id in scheduled.get_job_ids():
        scheduled.remove(job_id, delete_job=True)


def sweep(queue: Any) -> list[int]:
    """Enqueue what the dispatcher's sweep finds now (stored, unprocessed, no job), with no grace
    period; returns those message ids. No dispatcher listens in the tests, so this is how a
    webhook's messages reach the queue."""
    from app.extensions import db
    from workers.dispatch import enqueue_messages, unqueued_messages

    ids = unqueued_messages(db.session.connection(), queue, timedelta(0))
    enqueue_messages(queue, ids)
    return ids


def wait_until(
    condition: Callable[[], T],
    what: str,
    timeout: float = WAIT_SECONDS,
    details: Callable[[], str] | None = None,
) -> T:
    """Poll ``condition`` until it returns something truthy and return that.

    Fails the test with "``what`` did not happen within N s" (plus ``details()``, e.g. a server
    log) only when the condition never holds; it measures nothing.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            extra = f"\n{details()}" if details else ""
            pytest.fail(f"{what} did not happen within {timeout:g} s{extra}")
        time.sleep(0.1)


@contextmanager
def graph_for(app: Any, **settings: Any) -> Iterator[Any]:
    """A fake Graph API the app sends to, signed webhooks accepted (APP_SECRET), and ``settings``
    applied; every setting it touched is put back afterwards."""
    from tests.fakes.graph_server import FakeGraph

    with FakeGraph() as fake:
        changes = {**fake.config(), "WHATSAPP_APP_SECRET": APP_SECRET, **settings}
        saved = {key: app.config.get(key) for key in changes}
        app.config.update(changes)
        try:
            yield fake
        finally:
            app.config.update(saved)
