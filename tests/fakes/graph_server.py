"""A fake WhatsApp Cloud API (Meta Graph API) on loopback, so tests run the real HTTP client.

    with FakeGraph() as graph:
        channel = graph.channel()                 # or pass graph.config() to the app
        channel.send_text("+919812345678", "Hello")
        assert graph.sent[0].payload["text"]["body"] == "Hello"

It checks what Meta checks first (path, bearer token, ``messaging_product``, ``to``) and
answers like Meta: ``{"messaging_product", "contacts": [{"input", "wa_id"}], "messages":
[{"id": "wamid.<uuid>"}]}``. ``fail_next(status, times, code=None, retry_after=None)`` scripts
Meta-shaped errors (500; 429 with ``Retry-After``; 400 with code 131047), ``latency`` delays
every answer (a client that gives up meanwhile still had its message accepted, as with the
real API), and ``wait_for(n)`` blocks until ``n`` messages were accepted (asynchronous workers).

``FakeHTTPService`` is the machinery shared with the fake Wati server (``wati_server.py``).
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from app.channels.meta import MetaCloudChannel

TEST_PHONE_NUMBER_ID = "1122334455667"
TEST_ACCESS_TOKEN = "test-graph-token"
API_VERSION = "v21.0"
# Meta's usual code for each kind of failure, when a test does not pick one.
DEFAULT_CODES = {400: 100, 401: 190, 403: 10, 404: 100, 429: 130429}

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


class FakeHTTPService:
    """A real ``ThreadingHTTPServer`` on 127.0.0.1 (free port) in a daemon thread.

    Subclasses implement ``answer(request)`` for requests that are not scripted to fail and
    ``error_answer(failure)`` for those that are.
    """

    thread_name = "fake-http"

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.requests: list[RecordedRequest] = []
        self._accepted: list[AcceptedMessage] = []
        self._failures: deque[Failure] = deque()
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        """Start serving in a daemon thread; returns ``self``."""
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # A short poll interval keeps stop() (and so each test's teardown) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port (requests still sleeping in ``latency`` are dropped)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running; use it as a context manager.")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

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
        with self._changed:
            self._accepted.append(AcceptedMessage(message_id, to, payload, path))
            self._changed.notify_all()
        return message_id

    def answer(self, request: RecordedRequest) -> Answer:
        raise NotImplementedError

    def error_answer(self, failure: Failure) -> Answer:
        raise NotImplementedError

    def _record(self, request: RecordedRequest) -> Failure | None:
        with self._changed:
            self.requests.append(request)
            if not self._failures:
                return None
            failure = self._failures[0]
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._failures.popleft()
            return failure


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
        if not isinstance(body.get("to"), str) or not body["to"].isdigit():
            return _meta_error(400, 100, "The parameter to is required and must be digits.")
        message_id = self.accept(body["to"], body, request.path)
        contacts = [{"input": body["to"], "wa_id": body["to"]}]
        return (
            200,
            {"messaging_product": "whatsapp", "contacts": contacts, "messages": [{"id": message_id}]},
            {},
        )

    def error_answer(self, failure: Failure) -> Answer:
        status, body, _ = _meta_error(failure.status, failure.code or 100, failure.message)
        return status, body, failure.headers


def _meta_error(status: int, code: int, message: str) -> Answer:
    error = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": message},
        "fbtrace_id": f"Afake{uuid.uuid4().hex[:12]}",
    }
    return status, {"error": error}, {}


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that timed out and hung up is expected here; anything else is reported."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def read_body(handler: BaseHTTPRequestHandler) -> Any:
    """The request body as JSON; as text when it is not JSON (kept for the test to inspect)."""
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length) if length else b""
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode(errors="replace")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeHTTPService
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle's algorithm on, a keep-alive client's
    # delayed ACK holds the body back ~40 ms. Real API servers set TCP_NODELAY too.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_POST(self) -> None:
        body = read_body(self)
        url = urlsplit(self.path)
        query = {name: values[-1] for name, values in parse_qs(url.query, keep_blank_values=True).items()}
        headers = {name.lower(): value for name, value in self.headers.items()}
        if self.fake.latency:
            time.sleep(self.fake.latency)
        request = RecordedRequest("POST", url.path, query, headers, body)
        failure = self.fake._record(request)
        try:
            status, payload, extra = self.fake.error_answer(failure) if failure else self.fake.answer(request)
        except Exception as exc:  # a bug in the fake: fail the test loudly, not with a hang-up
            status, payload, extra = 500, {"fake_server_bug": repr(exc)}, {}
        self._send_json(status, payload, extra)

    def _send_json(self, status: int, payload: Any, headers: dict[str, str]) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        try:
            self.send_response(status)
            if payload is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except ConnectionError:
            pass  # the client gave up (timeout) before the answer was ready
