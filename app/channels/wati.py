"""Wati (wati.io) as a second WhatsApp provider: webhook parsing, the route's token, sending.

Shapes assumed, from Wati's public API reference (docs.wati.io, the v1 tenant endpoints):

* Base URL is the tenant URL shown in Wati's API page, e.g. ``https://live-mt-server.wati.io/
  12345``; every call carries ``Authorization: Bearer <token>`` (Wati shows the token with a
  ``Bearer `` prefix; it is accepted with or without).
* Sends: ``POST /api/v1/sendSessionMessage/{waId}?messageText=...`` (no body);
  ``POST /api/v1/sendInteractiveButtonsMessage?whatsappNumber=`` with ``{"body", "buttons":
  [{"text"}]}``; ``POST /api/v1/sendInteractiveListMessage?whatsappNumber=`` with ``{"header",
  "body", "footer", "buttonText", "sections": [{"title", "rows": [{"title", "description"}]}]}``;
  ``POST /api/v1/sendTemplateMessage?whatsappNumber=`` with ``{"template_name",
  "broadcast_name", "parameters": [{"name": "1", "value"}]}``. Answers are JSON with ``result``
  true/false (false also arrives with HTTP 200) and an id in ``message.whatsappMessageId``,
  ``receivers[0].localMessageId``, ``message.id`` or ``id``, first found wins (an accepted send
  with no id at all gets a local ``wati-local-…`` id and a warning, not a failure).
* Webhook: one JSON object per event. ``eventType: "message"`` is an inbound message (``id``,
  ``whatsappMessageId``, ``waId``, ``senderName``, ``text``, ``type``, ``timestamp`` as Unix
  seconds, ``buttonReply: {payload, text}``, ``listReply: {id, title, description}``,
  ``interactiveButtonReply: {id, title}``); ``sessionMessageSent``, ``templateMessageSent(_v2)``,
  ``sentMessageDELIVERED/READ/REPLIED(_v2)`` and ``template/sessionMessageFailed`` (with
  ``failedCode``, ``failedDetail``) are statuses of our sends, keyed by ``whatsappMessageId``,
  else ``localMessageId``, else ``id`` — so a template send, answered with only a
  ``localMessageId``, may not match statuses that carry a wamid. Every event also comes in a
  business-scoped-user-id-first version named ``…_bsuid`` (``message_bsuid``,
  ``sessionMessageSent_v2_bsuid``, ``sentMessageREAD_v2_bsuid`` …) carrying ``bsuid``,
  ``parentBsuid`` and ``username``, where ``waId`` (the phone) may be missing; it is read like
  the plain event, the sender known by ``bsuid`` when ``waId`` is absent. Other events are ignored.
* Sending to a user known only by a business-scoped user id puts the BSUID where the number goes
  (the ``{waId}`` of the path, ``whatsappNumber``), as Wati's BSUID-aware endpoints take it.

Wati's buttons and list rows carry no ids we choose, so a reply comes back with the *title*: the
channel insists on unique titles, and callers should match Wati replies on ``text``. Wati signs
nothing, so the webhook route is protected by a shared secret (``verify_wati_token``).
"""

from __future__ import annotations

import hmac
import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx2

from app.channels.limits import check_buttons, check_list, check_template, check_text
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

PROVIDER = "wati"
LABEL = "Wati's API"
DEFAULT_TIMEOUT = 10.0
DEFAULT_BROADCAST = "investochat"
_STATUS_EVENTS = {
    "sessionMessageSent": "sent",
    "templateMessageSent": "sent",
    "templateMessageFailed": "failed",
    "sessionMessageFailed": "failed",
}
# "sentMessageREAD_v2" and "sentMessageREAD_v2_bsuid" mean what "sentMessageREAD" means.
_VERSION_SUFFIX = re.compile(r"(?:_v\d+)?(?:_bsuid)?$")


def verify_wati_token(expected: str, provided: str | None) -> bool:
    """True when the caller's token (``X-Wati-Token`` header or ``?token=``) is ours.

    Constant-time; always False when no token is configured, so a forgotten setting fails closed.
    """
    if not expected or provided is None:
        return False
    return hmac.compare_digest(expected.encode(), provided.encode())


def parse_wati_webhook(payload: Any) -> tuple[list[InboundMessage], list[StatusUpdate]]:
    """The inbound messages and statuses in a Wati webhook body (one event, or a list of them).

    Raises ``PayloadError`` for a body that is not a Wati event (no ``eventType``). A malformed
    event inside a list, or an event with an unusable field (a ``waId`` that is not a phone
    number, no sender at all, no timestamp), is skipped with a warning in the log; unknown event
    types are ignored.
    """
    if isinstance(payload, Mapping):
        if not isinstance(payload.get("eventType"), str):
            raise PayloadError("The webhook body is not a Wati event: it has no 'eventType'.")
        events: list[Any] = [payload]
    elif isinstance(payload, list):
        events = payload
    else:
        raise PayloadError("The webhook body is not a Wati event: expected a JSON object.")
    parsed = [item for item in parse_each(events, _event, "Wati event") if item is not None]
    messages = [item for item in parsed if isinstance(item, InboundMessage)]
    return messages, [item for item in parsed if isinstance(item, StatusUpdate)]


def _event(event: Any) -> InboundMessage | StatusUpdate | None:
    if not isinstance(event, Mapping) or not isinstance(event.get("eventType"), str):
        raise TypeError("the event is not a JSON object with an 'eventType'")
    event_type = event["eventType"]
    name = _VERSION_SUFFIX.sub("", event_type)
    if name == "message":
        return None if event.get("owner") is True else _inbound(event)
    status = _STATUS_EVENTS.get(name)
    if name.startswith("sentMessage") and name != "sentMessage":  # sentMessageDELIVERED -> delivered
        status = name.removeprefix("sentMessage").lower()
    if status is None:
        log.debug("Ignored a Wati %r event.", event_type)
        return None
    return _status(event, status)


def _inbound(event: Mapping[str, Any]) -> InboundMessage:
    wa_id, user_id = event.get("waId"), user_id_or_none(event.get("bsuid"))
    phone = None if wa_id in (None, "") and user_id else from_wa_id(wa_id)
    kind, text, reply_id = _kind_text_reply(event)
    return InboundMessage(
        provider=PROVIDER,
        message_id=_first_id(event, "whatsappMessageId", "id"),
        phone=phone,
        profile_name=event.get("senderName") or None,
        sent_at=_event_time(event),
        kind=kind,
        text=text,
        reply_id=reply_id,
        raw=dict(event),
        user_id=user_id,
        username=event.get("username") if isinstance(event.get("username"), str) else None,
        referral=clean_referral(event.get("referral")),
    )


def _kind_text_reply(event: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    kind, text = event.get("type"), event.get("text") or None
    if kind == "text":
        if not isinstance(text, str):
            raise ValueError("the text message has no text")
        return "text", text, None
    if kind in MEDIA_TYPES:
        return "media", text, None  # Wati puts a caption in "text"
    if kind == "reaction":
        return "reaction", text, None
    button = _mapping(event.get("buttonReply"))
    if kind == "button":  # a template's quick-reply button
        return "button", button.get("text") or text, button.get("payload")
    if kind == "interactive":
        listed, pressed = _mapping(event.get("listReply")), _mapping(event.get("interactiveButtonReply"))
        if listed:
            return "list", listed.get("title"), listed.get("id")
        if pressed or button:
            return (
                "button",
                pressed.get("title") or button.get("text"),
                pressed.get("id") or button.get("payload"),
            )
        return "other", text, None
    return SIMPLE_KINDS.get(str(kind), "other"), None, None


def _status(event: Mapping[str, Any], status: str) -> StatusUpdate:
    errors = clean_errors(event.get("errors"))
    if event.get("failedCode") or event.get("failedDetail"):
        code = str(event.get("failedCode") or "")
        errors.append({"code": int(code) if code.isdigit() else code, "message": event.get("failedDetail")})
    return StatusUpdate(
        provider=PROVIDER,
        message_id=_first_id(event, "whatsappMessageId", "localMessageId", "id"),
        status=status,
        at=_event_time(event),
        recipient=phone_or_id(event.get("waId")) or user_id_or_none(event.get("bsuid")),
        errors=errors,
    )


def _first_id(event: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        if isinstance(event.get(key), str) and event[key]:
            return event[key]
    raise ValueError(f"the event has none of {', '.join(keys)}")


def _event_time(event: Mapping[str, Any]) -> datetime:
    if event.get("timestamp") not in (None, ""):
        return parse_unix_time(event["timestamp"])
    created = datetime.fromisoformat(event["created"])  # ISO 8601 with "Z"; TypeError when absent
    return created.replace(tzinfo=UTC) if created.tzinfo is None else created.astimezone(UTC)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


class WatiChannel:
    """Sends WhatsApp messages through a Wati tenant, one HTTP request per call, no retries.

    The worker that calls it owns retries (see ``SendError.retryable``). ``language`` of
    ``send_template`` is not sent: Wati picks the template's language by its name.
    """

    name = PROVIDER

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        client: httpx2.Client | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        broadcast_name: str = DEFAULT_BROADCAST,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        token = token.strip()
        token = token[len("bearer ") :].strip() if token.lower().startswith("bearer ") else token
        self._headers = {"Authorization": f"Bearer {token}"}
        self.broadcast_name = broadcast_name
        self._client = client if client is not None else httpx2.Client(timeout=timeout)
        self._owns_client = client is None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> WatiChannel | None:
        """A channel from WATI_API_URL and WATI_API_TOKEN, or None when either is missing."""
        api_url = str(config.get("WATI_API_URL") or "").strip()
        token = str(config.get("WATI_API_TOKEN") or "").strip()
        return cls(api_url, token) if api_url and token else None

    def close(self) -> None:
        """Close the HTTP client when this channel created it."""
        if self._owns_client:
            self._client.close()

    def send_text(self, to: str, body: str) -> OutboundResult:
        """Send a session (free-form) text; only inside the 24-hour window."""
        check_text(body)
        return self._post(f"/api/v1/sendSessionMessage/{_target(to)}", params={"messageText": body})

    def send_buttons(self, to: str, body: str, buttons: Sequence[tuple[str, str]]) -> OutboundResult:
        """Send reply buttons; Wati takes only titles, so titles must be unique."""
        check_buttons(body, buttons)
        _check_unique_titles("button", [title for _, title in buttons])
        payload = {"body": body, "buttons": [{"text": title} for _, title in buttons]}
        return self._post("/api/v1/sendInteractiveButtonsMessage", to=to, json=payload)

    def send_list(
        self, to: str, body: str, button: str, rows: Sequence[tuple[str, str, str | None]]
    ) -> OutboundResult:
        """Send a one-section list; Wati takes only titles, so row titles must be unique."""
        check_list(body, button, rows)
        _check_unique_titles("row", [title for _, title, _ in rows])
        items = [{"title": title, "description": description or ""} for _, title, description in rows]
        payload = {
            "header": "",
            "body": body,
            "footer": "",
            "buttonText": button,
            "sections": [{"title": button, "rows": items}],
        }
        return self._post("/api/v1/sendInteractiveListMessage", to=to, json=payload)

    def send_template(
        self, to: str, name: str, language: str, parameters: Sequence[str] = ()
    ) -> OutboundResult:
        """Send an approved template; ``parameters`` fill {{1}}, {{2}}, ... in order."""
        check_template(name, parameters)
        values = [{"name": str(index), "value": value} for index, value in enumerate(parameters, start=1)]
        payload = {"template_name": name, "broadcast_name": self.broadcast_name, "parameters": values}
        return self._post("/api/v1/sendTemplateMessage", to=to, json=payload)

    def send_code(self, to: str, name: str, language: str, code: str) -> OutboundResult:
        """Send a one-time code with an approved authentication template (its {{1}})."""
        return self.send_template(to, name, language, [code])

    def send_document(self, to: str, document: OutboundDocument) -> OutboundResult:
        """Upload the PDF to the open session. Wati shows a file's ``caption`` as its name
        (without one it arrives "untitled"), so the file name goes there and the text goes first,
        as a session message. If the text went and the upload then fails, the failure is final:
        a retry would send the text twice."""
        if document.caption:
            self.send_text(to, document.caption)
        files = {"file": (document.filename, document.read(), "application/pdf")}
        try:
            return self._post(
                f"/api/v1/sendSessionFile/{_target(to)}", params={"caption": document.filename}, files=files
            )
        except SendError as error:
            if not document.caption:
                raise
            raise SendError(
                f"The text went but the file did not ({error.message}); send the brochure again.",
                status=error.status,
                provider=PROVIDER,
            ) from error

    def _post(self, path: str, *, to: str | None = None, **kwargs: Any) -> OutboundResult:
        if to is not None:
            kwargs["params"] = {"whatsappNumber": _target(to)}
        request = {"provider": PROVIDER, "label": LABEL, "headers": self._headers, **kwargs}
        response = post_once(self._client, self.api_url + path, **request)
        body = json_body(response)
        answer = body if isinstance(body, Mapping) else {}
        if not response.is_success:
            reason = _reason(answer) or response.reason_phrase or "no reason given"
            raise refusal(response, provider=PROVIDER, label=LABEL, code=None, reason=f"{reason}.")
        if not _accepted(answer):
            raise SendError(
                f"{LABEL} did not accept the message (HTTP {response.status_code}): "
                f"{_reason(answer) or 'result was not true'}.",
                status=response.status_code,
                provider=PROVIDER,
            )
        message_id = _sent_id(answer)
        if message_id is None:
            # Accepted, so it is on its way; a local id keeps the send from being reported as
            # failed, though Wati's statuses for it will not match.
            message_id = f"wati-local-{uuid.uuid4().hex}"
            log.warning("%s accepted a message without returning an id; recorded as %s.", LABEL, message_id)
        return OutboundResult(provider_message_id=message_id)


def _target(to: str) -> str:
    """Whom a send goes to, as Wati takes it: the phone's digits, or a business-scoped user id."""
    return to if is_user_id(to) else to_wa_id(to)


def _check_unique_titles(what: str, titles: list[str]) -> None:
    if len(set(titles)) != len(titles):
        raise ValueError(f"Each {what} title must be unique with Wati: replies identify the {what} by title.")


def _accepted(answer: Mapping[str, Any]) -> bool:
    if answer.get("result") not in (True, "success") and answer.get("ok") is not True:
        return False
    return False not in (answer.get("validWhatsAppNumber"), _receiver(answer).get("isValidWhatsAppNumber"))


def _sent_id(answer: Mapping[str, Any]) -> str | None:
    message, receiver = _mapping(answer.get("message")), _receiver(answer)
    candidates = [message.get("whatsappMessageId"), answer.get("whatsappMessageId")]
    candidates += [
        receiver.get("localMessageId"),
        answer.get("localMessageId"),
        message.get("id"),
        answer.get("id"),
    ]
    return next((value for value in candidates if isinstance(value, str) and value), None)


def _receiver(answer: Mapping[str, Any]) -> Mapping[str, Any]:
    receivers = answer.get("receivers")
    return _mapping(receivers[0]) if isinstance(receivers, list) and receivers else {}


def _reason(answer: Mapping[str, Any]) -> str | None:
    """Wati's explanation, from ``info``, ``message``, ``error`` or ``errors``."""
    for key in ("info", "message", "error", "errors"):
        value = answer.get(key)
        if isinstance(value, Mapping):
            value = value.get("message") or value.get("error") or value
        if value and not isinstance(value, bool):
            return str(value).rstrip(".")
    return None
