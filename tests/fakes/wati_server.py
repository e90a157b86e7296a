"""A fake Wati tenant API on loopback, so tests run ``WatiChannel`` over real HTTP.

    with FakeWati() as wati:
        channel = wati.channel()                  # or pass wati.config() to the app
        channel.send_text("+919812345678", "Hello")
        assert wati.sent[0].payload == {"messageText": "Hello"}

Endpoints under ``/{tenant}/api/v1/``, as ``app/channels/wati.py`` documents them:
``sendSessionFile/{waId}?caption=`` (a multipart ``file``: ``sent[i].payload`` then holds
``filename``, ``mime_type`` and ``content``) and ``sendSessionMessage/{waId}?messageText=``
answer ``{"result": true, "message": {"whatsappMessageId", "id", ...}}``;
``sendInteractiveButtonsMessage`` and ``sendInteractiveListMessage`` (``?whatsappNumber=`` +
JSON) answer the same shape;
``sendTemplateMessage`` answers Wati's ``{"result": true, "receivers": [{"localMessageId",
"waId", "isValidWhatsAppNumber": true, "errors": []}]}``. The number may also be a
business-scoped user id (``IN.1648738043044942``), for a user whose phone WhatsApp withholds.
A missing or wrong bearer token gets 401 with an empty body, like Wati. ``sent[i].payload`` is
the query (session text) or JSON body. ``fail_next(status, times, info=None, retry_after=None)``
scripts failures; ``status=200`` gives Wati's soft failure ``{"result": false, "info": ...}``.
"""

from __future__ import annotations

import re
import uuid
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from app.channels.wati import WatiChannel
from tests.fakes.graph_server import Answer, Failure, FakeHTTPService, RecordedRequest

TEST_TENANT = "12345"
TEST_TOKEN = "test-wati-token"
USER_ID = re.compile(r"[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}")  # a business-scoped user id
ENDPOINTS = (
    "sendSessionMessage",
    "sendSessionFile",
    "sendInteractiveButtonsMessage",
    "sendInteractiveListMessage",
    "sendTemplateMessage",
)


class FakeWati(FakeHTTPService):
    """A real HTTP server mirroring the four Wati send endpoints the app uses."""

    thread_name = "fake-wati"

    def __init__(self, tenant: str = TEST_TENANT, token: str = TEST_TOKEN, latency: float = 0.0) -> None:
        super().__init__(latency)
        self.tenant = tenant
        self.token = token

    @property
    def base_url(self) -> str:
        """The tenant URL to configure (``WATI_API_URL``), e.g. ``http://127.0.0.1:PORT/12345``."""
        return f"{self.root_url}/{self.tenant}"

    def config(self) -> dict[str, str]:
        """Settings that point the app's Wati sending at this fake."""
        return {"WATI_API_URL": self.base_url, "WATI_API_TOKEN": self.token}

    def channel(self, timeout: float = 5.0) -> WatiChannel:
        """A real ``WatiChannel`` talking to this fake."""
        return WatiChannel(self.base_url, self.token, timeout=timeout)

    def fail_next(
        self,
        status: int = 500,
        times: int = 1,
        info: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next ``times`` sends with HTTP ``status`` and ``{"result": false, "info"}``."""
        headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
        message = info or "The fake Wati API was told to fail."
        self.script_failure(Failure(status, times, None, message, headers))

    def error_answer(self, failure: Failure) -> Answer:
        return failure.status, {"result": False, "info": failure.message}, failure.headers

    def answer(self, request: RecordedRequest) -> Answer:
        prefix = f"/{self.tenant}/api/v1/"
        endpoint, _, wa_id = request.path.removeprefix(prefix).partition("/")
        if not request.path.startswith(prefix) or endpoint not in ENDPOINTS:
            return 404, {"result": False, "info": f"Unknown endpoint {request.path}."}, {}
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return 401, None, {}
        if endpoint == "sendSessionFile":
            upload = _uploaded_file(request.headers.get("content-type", ""), request.body)
            if upload is None:
                return 400, {"result": False, "info": "A multipart file is required."}, {}
            return self._message_sent(wa_id, {**dict(request.query), **upload}, request.path)
        if endpoint == "sendSessionMessage":
            if not request.query.get("messageText"):
                return 400, {"result": False, "info": "messageText is required."}, {}
            return self._message_sent(wa_id, dict(request.query), request.path)
        wa_id = request.query.get("whatsappNumber", "")
        body = request.body
        if not isinstance(body, dict):
            return 400, {"result": False, "info": "A JSON body is required."}, {}
        problem = _check_body(endpoint, body)
        if problem:
            return 400, {"result": False, "info": problem}, {}
        if endpoint == "sendTemplateMessage":
            return self._template_sent(wa_id, body, request.path)
        return self._message_sent(wa_id, body, request.path)

    def _message_sent(self, wa_id: str, payload: Any, path: str) -> Answer:
        if not _reachable(wa_id):
            return (
                200,
                {"result": False, "info": "Invalid WhatsApp number.", "validWhatsAppNumber": False},
                {},
            )
        message_id = self.accept(wa_id, payload, path)
        message = {"whatsappMessageId": message_id, "id": uuid.uuid4().hex[:24], "waId": wa_id, "owner": True}
        return 200, {"result": True, "message": {**message, "statusString": "SENT"}}, {}

    def _template_sent(self, wa_id: str, payload: Any, path: str) -> Answer:
        valid = _reachable(wa_id)
        local_id = str(uuid.uuid4())
        if valid:
            self.accept(wa_id, payload, path, message_id=local_id)
        receiver = {"localMessageId": local_id, "waId": wa_id, "isValidWhatsAppNumber": valid, "errors": []}
        answer = {"result": valid, "error": None, "templateName": payload.get("template_name")}
        return 200, {**answer, "receivers": [receiver], "parameters": payload.get("parameters", [])}, {}


def _uploaded_file(content_type: str, body: Any) -> dict[str, Any] | None:
    """The "file" part of a multipart upload as {filename, mime_type, content}, or None."""
    if not content_type.startswith("multipart/form-data") or not isinstance(body, bytes):
        return None
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file" and part.get_filename():
            content = part.get_payload(decode=True)
            return {"filename": part.get_filename(), "mime_type": part.get_content_type(), "content": content}
    return None


def _reachable(wa_id: str) -> bool:
    """A phone number's digits or a business-scoped user id."""
    return wa_id.isdigit() or USER_ID.fullmatch(wa_id) is not None


def _check_body(endpoint: str, body: dict[str, Any]) -> str | None:
    """What Wati would reject in a JSON body, or None."""
    if endpoint == "sendInteractiveButtonsMessage":
        buttons = body.get("buttons")
        if not body.get("body") or not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            return "body and 1 to 3 buttons are required."
    elif endpoint == "sendInteractiveListMessage":
        sections = body.get("sections")
        if (
            not body.get("body")
            or not body.get("buttonText")
            or not isinstance(sections, list)
            or not sections
        ):
            return "body, buttonText and sections are required."
    elif not body.get("template_name") or not body.get("broadcast_name"):
        return "template_name and broadcast_name are required."
    return None
