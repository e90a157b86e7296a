"""A fake WhatsApp Cloud API (Meta Graph API) on loopback, so tests run the real HTTP client.

    with FakeGraph() as graph:
        channel = graph.channel()                 # or pass graph.config() to the app
        channel.send_text("+919812345678", "Hello")
        assert graph.sent[0].payload["text"]["body"] == "Hello"

It checks what Meta checks first (path, bearer token, ``messaging_product``, ``to`` — or
``recipient``, a business-scoped user id, for a user whose number is withheld) and answers like
Meta: ``{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id":
"wamid.<uuid>"}]}`` (``user_id`` instead of ``wa_id`` for a ``recipient``). A template named in
``authentication_templates`` sent to a ``recipient`` is refused with Meta's 131062, as Meta
refuses authentication templates to business-scoped user ids; to a phone, such a template must
carry its code in the body and in the copy-code (url) button, the same code in both, or it is
refused with 132000 as Meta refuses a parameter count that does not match. ``fail_next(status, times,
code=None, retry_after=None)`` scripts Meta-shaped errors (500; 429 with ``Retry-After``; 400
with code 131047), ``latency`` delays every answer (a client that gives up meanwhile still had
its message accepted, as with the real API), ``wait_for(n)`` blocks until ``n`` messages
were accepted (asynchronous workers), and ``on_accept(message)``, when set, runs after a message
is accepted and before the answer leaves (WhatsApp may report a message's status before the
send that made it has returned).

``FakeHTTPService`` (requests recorded, failures scripted, messages accepted) is shared with
the fake Wati and Airtable servers; serving itself is ``loopback.LoopbackServer``.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from app.channels.meta import MetaCloudChannel
from tests.fakes.loopback import JSONHandler, LoopbackServer, next_failure, read_body

TEST_PHONE_NUMBER_ID = "1122334455667"
TEST_ACCESS_TOKEN = "test-graph-token"
API_VERSION = "v21.0"
# Meta's usual code for each kind of failure, when a test does not pick one.
DEFAULT_CODES = {400: 100, 401: 190, 403: 10, 404: 100, 429: 130429}
# A business-scoped user id, as Meta documents it: country, ".", optional "ENT.", 1-128 characters.
USER_ID = re.compile(r"[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}")
USER_ID_REFUSED = 131062

Answer = tuple[int, Any, dict[str, str]]  # HTTP status, JSON body, extra headers


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received."""

    method: str
    path: str  # without the query string
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    body: Any  # parsed JSON, the raw text when it was not JSON, or None when empty


@dataclass(frozen=True)
class AcceptedMessage:
    """A message the fake accepted: the id it answered, the recipient and what was sent."""

    message_id: str
    to: str
    payload: Any  # Graph: the JSON body; Wati: see FakeWati
    path: str = ""


@dataclass
class Failure:
    """A scripted failure: answer ``remaining`` more requests with ``status``."""

    status: int
    remaining: int
    code: int | None
    message: str
    headers: dict[str, str] = field(default_factory=dict)


class ServiceHandler(JSONHandler):
    """Hands each request to the fake (``FakeHTTPService.respond``) and sends its answer."""

    fake: FakeHTTPService

    def do_POST(self) -> None:
        self.handle_request("POST")

    def handle_request(self, method: str) -> None:
        """Record the request, wait the fake's ``latency``, and send what the fake answers."""
        body = read_body(self)
        url = urlsplit(self.path)
        params = parse_qs(url.query, keep_blank_values=True)
        if self.fake.latency:
            time.sleep(self.fake.latency)
        request = self.fake.new_request(method, url.path, params, self.lower_headers(), body)
        try:
            status, payload, extra = self.fake.respond(request)
        except Exception as exc:  # a bug in the fake: fail the test loudly, not with a hang-up
            status, payload, extra = 500, {"fake_server_bug": repr(exc)}, {}
        self.send_json(status, payload, extra)


class FakeHTTPService(LoopbackServer):
    """A fake API that records every request, answers scripted failures first, and keeps the
    messages it accepted.

    Subclasses implement ``answer(request)`` for requests that are not scripted to fail and
    ``error_answer(failure)`` for those that are.
    """

    handler_class = ServiceHandler

    def __init__(self, latency: float = 0.0) -> None:
        super().__init__()
        self.latency = latency
        self.requests: list[RecordedRequest] = []
        self._accepted: list[AcceptedMessage] = []
        self._failures: deque[Failure] = deque()
        self._changed = threading.Condition()
        # Runs after each accepted message, before the answer is sent (see the module docstring).
        self.on_accept: Callable[[AcceptedMessage], None] | None = None

    @property
    def sent(self) -> list[AcceptedMessage]:
        """The messages accepted so far, in order (refused requests are only in ``requests``)."""
        with self._changed:
            return list(self._accepted)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[AcceptedMessage]:
        """Block until ``count`` messages were accepted; TimeoutError if that takes too long."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._accepted) >= count, timeout):
                raise TimeoutError(
                    f"{type(self).__name__} accepted {len(self._accepted)} of {count} messages in {timeout}s."
                )
            return list(self._accepted)

    def script_failure(self, failure: Failure) -> None:
        """Queue a failure (subclasses wrap this in their own ``fail_next``)."""
        with self._changed:
            self._failures.append(failure)

    def accept(self, to: str, payload: Any, path: str = "", message_id: str | None = None) -> str:
        """Record an accepted message; returns its id (``wamid.<uuid>`` unless given)."""
        message_id = message_id or f"wamid.{uuid.uuid4().hex}"
        accepted = AcceptedMessage(message_id, to, payload, path)
        with self._changed:
            self._accepted.append(accepted)
            self._changed.notify_all()
        if self.on_accept is not None:
            self.on_accept(accepted)
        return message_id

    def new_request(
        self, method: str, path: str, params: dict[str, list[str]], headers: dict[str, str], body: Any
    ) -> RecordedRequest:
        """The record of one request (a query parameter given twice keeps its last value)."""
        query = {name: values[-1] for name, values in params.items()}
        return RecordedRequest(method, path, query, headers, body)

    def respond(self, request: RecordedRequest) -> Answer:
        """Record the request and answer it: a scripted failure, or the API itself."""
        failure = self._record(request)
        return self.error_answer(failure) if failure else self.answer(request)

    def answer(self, request: RecordedRequest) -> Answer:
        raise NotImplementedError

    def error_answer(self, failure: Failure) -> Answer:
        raise NotImplementedError

    def _record(self, request: RecordedRequest) -> Failure | None:
        with self._changed:
            self.requests.append(request)
            return next_failure(self._failures)


class FakeGraph(FakeHTTPService):
    """The Cloud API's ``POST /{version}/{phone_number_id}/messages``."""

    thread_name = "fake-graph"

    def __init__(
        self,
        phone_number_id: str = TEST_PHONE_NUMBER_ID,
        access_token: str = TEST_ACCESS_TOKEN,
        latency: float = 0.0,
    ) -> None:
        super().__init__(latency)
        self.phone_number_id = phone_number_id
        self.access_token = access_token
        # Templates Meta files as authentication templates: refused to business-scoped user ids.
        self.authentication_templates: set[str] = set()
        # Approved templates and their body parameter counts; when set, a template not in it is
        # refused with 132001 and one with another number of parameters with 132000, as Meta does.
        self.approved_templates: dict[str, int] | None = None

    @property
    def base_url(self) -> str:
        """The Graph API root to configure (``WHATSAPP_API_BASE_URL``)."""
        return self.root_url

    def config(self) -> dict[str, str]:
        """Settings that point the app's WhatsApp sending at this fake."""
        return {
            "WHATSAPP_API_BASE_URL": self.base_url,
            "WHATSAPP_API_VERSION": API_VERSION,
            "WHATSAPP_PHONE_NUMBER_ID": self.phone_number_id,
            "WHATSAPP_ACCESS_TOKEN": self.access_token,
        }

    def channel(self, timeout: float = 5.0) -> MetaCloudChannel:
        """A real ``MetaCloudChannel`` talking to this fake."""
        return MetaCloudChannel(
            self.phone_number_id,
            self.access_token,
            base_url=self.base_url,
            api_version=API_VERSION,
            timeout=timeout,
        )

    def fail_next(
        self,
        status: int = 500,
        times: int = 1,
        code: int | None = None,
        retry_after: float | None = None,
        message: str = "The fake Graph API was told to fail.",
    ) -> None:
        """Answer the next ``times`` sends with HTTP ``status`` and a Meta error body.

        ``code`` is Meta's error code (default: 130429 for 429, 100 for other 4xx, 131000 for
        5xx); ``retry_after`` adds a ``Retry-After`` header, in seconds.
        """
        headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
        if code is None:
            code = DEFAULT_CODES.get(status, 131000 if status >= 500 else 100)
        self.script_failure(Failure(status, times, code, message, headers))

    def answer(self, request: RecordedRequest) -> Answer:
        body = request.body
        expected_path = f"/{API_VERSION}/{self.phone_number_id}/messages"
        if request.path != expected_path:
            return _meta_error(404, 100, f"Unknown path {request.path}; expected {expected_path}.")
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            return _meta_error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
            return _meta_error(400, 100, "The parameter messaging_product is required.")
        if "to" in body:  # "to" wins over "recipient", as with Meta
            if not isinstance(body["to"], str) or not body["to"].isdigit():
                return _meta_error(400, 100, "The parameter to must be the phone number's digits.")
            to, contacts = body["to"], [{"input": body["to"], "wa_id": body["to"]}]
        elif isinstance(body.get("recipient"), str) and USER_ID.fullmatch(body["recipient"]):
            to, contacts = body["recipient"], [{"input": body["recipient"], "user_id": body["recipient"]}]
            template = body.get("template") if body.get("type") == "template" else None
            if isinstance(template, dict) and template.get("name") in self.authentication_templates:
                return _meta_error(
                    400,
                    USER_ID_REFUSED,
                    "Business-scoped User ID (BSUID) recipients are not supported for this message.",
                )
        else:
            return _meta_error(400, 100, "The parameter to (a phone) or recipient (a user id) is required.")
        if body.get("type") == "document" and not _fetchable_document(body.get("document")):
            return _meta_error(400, 100, "document.link must be an http(s) URL (or give a media id).")
        template = body.get("template") if body.get("type") == "template" else None
        refusal = self._refuse_template(template) if isinstance(template, dict) else None
        if refusal is not None:
            return refusal
        if isinstance(template, dict) and template.get("name") in self.authentication_templates:
            if not _code_in_body_and_button(template):
                return _meta_error(
                    400, 132000, "Number of parameters does not match the expected number of params"
                )
        message_id = self.accept(to, body, request.path)
        return (
            200,
            {"messaging_product": "whatsapp", "contacts": contacts, "messages": [{"id": message_id}]},
            {},
        )

    def _refuse_template(self, template: dict) -> Answer | None:
        if self.approved_templates is None or template.get("name") in self.authentication_templates:
            return None
        name = template.get("name")
        if name not in self.approved_templates:
            return _meta_error(400, 132001, f"Template name does not exist in the translation ({name})")
        given = sum(
            len(component.get("parameters") or [])
            for component in template.get("components") or []
            if component.get("type") == "body"
        )
        if given != self.approved_templates[name]:
            return _meta_error(
                400, 132000, "Number of parameters does not match the expected number of params"
            )
        return None

    def error_answer(self, failure: Failure) -> Answer:
        status, body, _ = _meta_error(failure.status, failure.code or 100, failure.message)
        return status, body, failure.headers


def _code_in_body_and_button(template: dict) -> bool:
    """An authentication template's parameters: one code in the body, the same in the button."""
    codes = {}
    for component in template.get("components") or []:
        kind = component.get("type") if component.get("type") == "body" else component.get("sub_type")
        texts = [parameter.get("text") for parameter in component.get("parameters") or []]
        if len(texts) == 1 and isinstance(texts[0], str):
            codes[kind] = texts[0]
    return set(codes) == {"body", "url"} and codes["body"] == codes["url"]


def _fetchable_document(document: Any) -> bool:
    """A document Meta can fetch: a link it can reach over HTTP(S), or an uploaded media id."""
    if not isinstance(document, dict):
        return False
    link = document.get("link")
    return bool(document.get("id")) or (isinstance(link, str) and link.startswith(("http://", "https://")))


def _meta_error(status: int, code: int, message: str) -> Answer:
    error = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": message},
        "fbtrace_id": f"Afake{uuid.uuid4().hex[:12]}",
    }
    return status, {"error": error}, {}
