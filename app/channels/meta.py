"""Meta's WhatsApp Cloud API: webhook signature, webhook parsing, and sending (Graph API).

Webhook: Meta POSTs ``{"object": "whatsapp_business_account", "entry": [{"changes": [{"field":
"messages", "value": {...}}]}]}``; one POST may batch up to 1000 messages and statuses, may
arrive more than once (Meta retries for 7 days) and out of order. ``parse_webhook`` returns
every update in order and leaves de-duplication (by ``message_id``) to the caller. A sender is
known by the phone number (``from``, ``contacts[].wa_id``), by the business-scoped user id
(``from_user_id``, ``contacts[].user_id``), or both: a user with a WhatsApp username may come with
the user id alone (``app.channels.user_ids``).

Sending: ``MetaCloudChannel`` POSTs once per call to ``/{version}/{phone_number_id}/messages``.
It never retries by itself: the worker that calls it owns retries and backoff, guided by
``SendError.retryable`` and ``SendError.retry_after``. A phone number goes in ``to``; a
business-scoped user id, for a user whose number is withheld, in ``recipient``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from typing import Any

import httpx2

from app.channels.limits import MAX_CAPTION, check_buttons, check_list, check_template, check_text
from app.channels.messages import (
    InboundMessage,
    OutboundDocument,
    OutboundResult,
    PayloadError,
    SendError,
    StatusUpdate,
)
from app.channels.payloads import (
    MEDIA_TYPES,
    SIMPLE_KINDS,
    clean_errors,
    clean_referral,
    parse_each,
    parse_unix_time,
)
from app.channels.phones import from_wa_id, phone_or_id, to_wa_id
from app.channels.posting import json_body, post_once, refusal
from app.channels.user_ids import is_user_id, user_id_or_none

log = logging.getLogger(__name__)

PROVIDER = "meta"
LABEL = "Meta's Cloud API"
DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"
DEFAULT_TIMEOUT = 10.0


def verify_signature(app_secret: str, raw_body: bytes, header: str | None) -> bool:
    """True when ``header`` ("sha256=<hex>", Meta's ``X-Hub-Signature-256``) signs ``raw_body``.

    Compares in constant time; False for a missing or malformed header or an empty secret.
    """
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    received = header.removeprefix("sha256=").strip().lower()
    expected = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), received.encode("ascii", "replace"))


def parse_webhook(payload: Any) -> tuple[list[InboundMessage], list[StatusUpdate]]:
    """All messages and statuses in a Cloud API webhook body (parsed JSON), in order.

    Raises ``PayloadError`` when the envelope itself is wrong (not an object with
    ``object: whatsapp_business_account`` and an ``entry`` list of ``changes`` lists). Inside a
    valid envelope a single malformed message or status (no id, unreadable timestamp, a ``from``
    that is not a phone number, no sender at all) is skipped with a warning in the log and the
    rest are returned,
    so one odd item never makes Meta re-deliver the whole batch. Changes for other webhook fields
    (template status, account updates) are ignored.
    """
    messages: list[InboundMessage] = []
    statuses: list[StatusUpdate] = []
    for value in _message_values(payload):
        if value.get("errors"):
            log.warning("WhatsApp reported errors in a webhook: %s", clean_errors(value["errors"]))
        parse_message = partial(_inbound, contacts=_contacts(value.get("contacts")))
        messages += parse_each(_items(value, "messages"), parse_message, "WhatsApp message")
        statuses += parse_each(_items(value, "statuses"), _status, "WhatsApp status")
    return messages, statuses


def _message_values(payload: Any) -> Iterator[Mapping[str, Any]]:
    if not isinstance(payload, Mapping) or not isinstance(payload.get("entry"), list):
        raise PayloadError("The webhook body is not a WhatsApp envelope: no object with an 'entry' list.")
    if payload.get("object", "whatsapp_business_account") != "whatsapp_business_account":
        raise PayloadError(f"The webhook is for {payload.get('object')!r}, not 'whatsapp_business_account'.")
    for entry in payload["entry"]:
        changes = entry.get("changes") if isinstance(entry, Mapping) else None
        if not isinstance(changes, list):
            raise PayloadError("A webhook entry has no 'changes' list; the envelope is malformed.")
        for change in changes:
            if not isinstance(change, Mapping):
                raise PayloadError("A webhook change is not a JSON object; the envelope is malformed.")
            if change.get("field", "messages") != "messages":
                continue
            if not isinstance(change.get("value"), Mapping):
                raise PayloadError("A 'messages' webhook change has no 'value' object.")
            yield change["value"]


def _items(value: Mapping[str, Any], key: str) -> list[Any]:
    items = value.get(key) or []
    return items if isinstance(items, list) else [items]  # a non-list is one malformed item


def _contacts(contacts: Any) -> dict[str, Mapping[str, Any]]:
    """A change's contacts by phone (``wa_id``) and by business-scoped user id (``user_id``);
    the two kinds of key never look alike."""
    found: dict[str, Mapping[str, Any]] = {}
    for contact in contacts if isinstance(contacts, list) else []:
        if isinstance(contact, Mapping):
            for key in (contact.get("wa_id"), user_id_or_none(contact.get("user_id"))):
                if isinstance(key, str) and key:
                    found[key] = contact
    return found


def _inbound(message: Any, contacts: Mapping[str, Mapping[str, Any]]) -> InboundMessage:
    if not isinstance(message, Mapping):
        raise TypeError("the message is not a JSON object")
    message_id = message["id"]
    if not isinstance(message_id, str) or not message_id:
        raise ValueError("the message has no id")
    sender = message.get("from")  # withheld for some users with a username
    phone = None if sender is None else from_wa_id(sender)
    user_id = user_id_or_none(message.get("from_user_id"))
    contact = contacts.get(sender or "") or contacts.get(user_id or "") or {}
    user_id = user_id or user_id_or_none(contact.get("user_id"))
    if phone is None and user_id is None:
        raise ValueError("the message names no sender: no 'from' and no business-scoped 'from_user_id'")
    profile = contact.get("profile") if isinstance(contact.get("profile"), Mapping) else {}
    kind, text, reply_id = _kind_text_reply(message)
    return InboundMessage(
        provider=PROVIDER,
        message_id=message_id,
        phone=phone,
        profile_name=_text(profile.get("name")),
        sent_at=parse_unix_time(message["timestamp"]),
        kind=kind,
        text=text,
        reply_id=reply_id,
        raw=dict(message),
        user_id=user_id,
        username=_text(profile.get("username")),
        referral=clean_referral(message.get("referral")),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _kind_text_reply(message: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    """(kind, text, reply_id) for one Cloud API message object."""
    kind = message.get("type")
    content = message.get(kind) if isinstance(kind, str) else None
    content = content if isinstance(content, Mapping) else {}
    if kind == "text":
        body = content.get("body")
        if not isinstance(body, str):
            raise ValueError("the text message has no body")
        return "text", body, None
    if kind in MEDIA_TYPES:
        return "media", content.get("caption") or None, None
    if kind == "reaction":
        return "reaction", content.get("emoji") or None, None  # no emoji: the reaction was removed
    if kind == "button":  # a template's quick-reply button
        return "button", content.get("text"), content.get("payload")
    if kind == "interactive":
        if not content:  # Meta could not deliver the content (webhook-level errors explain)
            return "unsupported", None, None
        reply_type = content.get("type")
        reply = content.get(reply_type) if isinstance(reply_type, str) else None
        if reply_type in ("button_reply", "list_reply") and isinstance(reply, Mapping):
            return ("button" if reply_type == "button_reply" else "list"), reply.get("title"), reply.get("id")
        return "other", None, None  # e.g. a WhatsApp Flow's nfm_reply
    if kind == "system":
        return "system", content.get("body"), None
    return SIMPLE_KINDS.get(str(kind), "other"), None, None


def _status(status: Any) -> StatusUpdate:
    if not isinstance(status, Mapping):
        raise TypeError("the status is not a JSON object")
    message_id, state = status["id"], status["status"]
    if not isinstance(message_id, str) or not message_id or not isinstance(state, str):
        raise ValueError("the status has no message id or no status")
    return StatusUpdate(
        provider=PROVIDER,
        message_id=message_id,
        status=state.lower(),
        at=parse_unix_time(status["timestamp"]),
        recipient=phone_or_id(status.get("recipient_id")) or user_id_or_none(status.get("recipient_user_id")),
        errors=clean_errors(status.get("errors")),
    )


class MetaCloudChannel:
    """Sends WhatsApp messages through Meta's Cloud API, one HTTP request per call, no retries.

    ``client`` may be injected (tests, connection pooling); otherwise one is created with
    ``timeout`` seconds for connect, read and write. An injected client keeps its own timeout.
    """

    name = PROVIDER

    def __init__(
        self,
        phone_number_id: str,
        access_token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        api_version: str = DEFAULT_API_VERSION,
        client: httpx2.Client | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.phone_number_id = phone_number_id
        self.url = f"{base_url.rstrip('/')}/{api_version.strip('/')}/{phone_number_id}/messages"
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._client = client if client is not None else httpx2.Client(timeout=timeout)
        self._owns_client = client is None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MetaCloudChannel | None:
        """A channel from app settings, or None without a phone number id and access token.

        Reads WHATSAPP_API_BASE_URL (default https://graph.facebook.com), WHATSAPP_API_VERSION
        (default v21.0), WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_ACCESS_TOKEN. None means "record
        replies, do not send" (the embedded/demo setup).
        """
        phone_number_id = str(config.get("WHATSAPP_PHONE_NUMBER_ID") or "").strip()
        token = str(config.get("WHATSAPP_ACCESS_TOKEN") or "").strip()
        if not phone_number_id or not token:
            return None
        return cls(
            phone_number_id,
            token,
            base_url=str(config.get("WHATSAPP_API_BASE_URL") or DEFAULT_BASE_URL),
            api_version=str(config.get("WHATSAPP_API_VERSION") or DEFAULT_API_VERSION),
        )

    def close(self) -> None:
        """Close the HTTP client when this channel created it."""
        if self._owns_client:
            self._client.close()

    def send_text(self, to: str, body: str) -> OutboundResult:
        """Send a free-form text (only inside the 24-hour customer-service window)."""
        check_text(body)
        return self._send(to, "text", {"preview_url": False, "body": body})

    def send_buttons(self, to: str, body: str, buttons: Sequence[tuple[str, str]]) -> OutboundResult:
        """Send up to three reply buttons given as (id, title); the reply carries the id."""
        check_buttons(body, buttons)
        replies = [{"type": "reply", "reply": {"id": bid, "title": title}} for bid, title in buttons]
        action = {"buttons": replies}
        return self._send(to, "interactive", {"type": "button", "body": {"text": body}, "action": action})

    def send_list(
        self, to: str, body: str, button: str, rows: Sequence[tuple[str, str, str | None]]
    ) -> OutboundResult:
        """Send a list message: one section of (id, title, description) rows behind ``button``."""
        check_list(body, button, rows)
        items = [
            {"id": row_id, "title": title, **({"description": description} if description else {})}
            for row_id, title, description in rows
        ]
        action = {"button": button, "sections": [{"rows": items}]}
        return self._send(to, "interactive", {"type": "list", "body": {"text": body}, "action": action})

    def send_template(
        self, to: str, name: str, language: str, parameters: Sequence[str] = ()
    ) -> OutboundResult:
        """Send an approved template; ``parameters`` fill the body's {{1}}, {{2}}, ... in order."""
        check_template(name, parameters)
        template: dict[str, Any] = {"name": name, "language": {"code": language}}
        if parameters:
            values = [{"type": "text", "text": value} for value in parameters]
            template["components"] = [{"type": "body", "parameters": values}]
        return self._send(to, "template", template)

    def send_code(self, to: str, name: str, language: str, code: str) -> OutboundResult:
        """Send a one-time code with an approved authentication template: the code fills the
        body and the copy-code button, as Meta requires of such templates."""
        check_template(name, [code])
        parameter = [{"type": "text", "text": code}]
        template = {
            "name": name,
            "language": {"code": language},
            "components": [
                {"type": "body", "parameters": parameter},
                {"type": "button", "sub_type": "url", "index": "0", "parameters": parameter},
            ],
        }
        return self._send(to, "template", template)

    def send_document(self, to: str, document: OutboundDocument) -> OutboundResult:
        """Send a PDF Meta fetches from ``document.link``, with its caption and file name."""
        if not document.link:
            raise ValueError(
                "WhatsApp fetches a brochure from a public link: set PORTAL_URL to the public address."
            )
        content = {"link": document.link, "filename": document.filename}
        if document.caption:
            content["caption"] = document.caption[:MAX_CAPTION]
        return self._send(to, "document", content)

    def _send(self, to: str, kind: str, content: dict[str, Any]) -> OutboundResult:
        # A business-scoped user id goes in "recipient"; Meta answers 131062 for a kind of
        # message it cannot take (SendError.user_id_refused).
        address = {"recipient": to} if is_user_id(to) else {"to": to_wa_id(to)}
        payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            **address,
            "type": kind,
            kind: content,
        }
        request = {"provider": PROVIDER, "label": LABEL, "json": payload, "headers": self._headers}
        response = post_once(self._client, self.url, **request)
        body = json_body(response)
        if response.is_success:
            messages = body.get("messages") if isinstance(body, Mapping) else None
            first = messages[0] if isinstance(messages, list) and messages else None
            if isinstance(first, Mapping) and isinstance(first.get("id"), str) and first["id"]:
                return OutboundResult(provider_message_id=first["id"])
            raise SendError(
                f"{LABEL} accepted the request (HTTP {response.status_code}) but returned "
                "no message id; check the API version.",
                status=response.status_code,
                provider=PROVIDER,
            )
        raise _refusal(response, body)


def _refusal(response: httpx2.Response, body: Any) -> SendError:
    """A ``SendError`` from Meta's ``{"error": {"message", "type", "code", ...}}`` answer."""
    error = body.get("error") if isinstance(body, Mapping) else None
    error = error if isinstance(error, Mapping) else {}
    code = error.get("code")
    code = int(code) if isinstance(code, int | str) and str(code).isdigit() else None
    reason = str(error.get("message") or response.reason_phrase or "no reason given").rstrip(".")
    error_data = error.get("error_data")
    details = error_data.get("details") if isinstance(error_data, Mapping) else None
    details = str(details or "").rstrip(".")
    if details and details not in reason:
        reason = f"{reason} ({details})"
    trace = f" [fbtrace_id {error['fbtrace_id']}]" if error.get("fbtrace_id") else ""
    return refusal(response, provider=PROVIDER, label=LABEL, code=code, reason=f"{reason}.{trace}")
