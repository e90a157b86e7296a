"""What every fake API server shares: a real HTTP server on 127.0.0.1 in a daemon thread.

    class FakeThing(LoopbackServer):
        handler_class = _ThingHandler        # a JSONHandler subclass; ``self.fake`` is the server
        thread_name = "fake-thing"

    with FakeThing() as fake:                # start() … stop()
        client = make_client(fake.root_url)  # http://127.0.0.1:PORT (a free port)

Handlers derive from ``JSONHandler``: quiet, keep-alive, and ``send_json`` for the answer;
``read_body`` gives a request's JSON (or its text when it is not JSON); ``next_failure`` takes
the failure a test scripted for the next request from a fake's queue.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Protocol, Self, TypeVar


class QuietServer(ThreadingHTTPServer):
    """A threading HTTP server whose request threads never keep the test process alive."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that timed out and hung up is expected here; anything else is reported."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def read_body(handler: BaseHTTPRequestHandler) -> Any:
    """The request body as JSON; a file upload (multipart) as its bytes; as text when it is not
    JSON (kept for the test to inspect)."""
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length) if length else b""
    if (handler.headers.get("Content-Type") or "").startswith("multipart/form-data"):
        return raw
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode(errors="replace")


class ScriptedFailure(Protocol):
    """A failure a test scripted: it answers ``remaining`` more requests."""

    remaining: int


F = TypeVar("F", bound=ScriptedFailure)


def next_failure(failures: deque[F]) -> F | None:
    """The scripted failure that answers the request just received, if any (the first in line,
    dropped once it has answered its last). The caller holds the lock guarding ``failures``."""
    if not failures:
        return None
    failure = failures[0]
    failure.remaining -= 1
    if failure.remaining <= 0:
        failures.popleft()
    return failure


class JSONHandler(BaseHTTPRequestHandler):
    """A request handler of a fake API that answers JSON; ``fake`` is the server it serves."""

    fake: Any
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle's algorithm on, a keep-alive client's
    # delayed ACK holds the body back ~40 ms. Real API servers set TCP_NODELAY too.
    disable_nagle_algorithm = True
    content_type = "application/json"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def lower_headers(self) -> dict[str, str]:
        """The request's headers, names lower-cased."""
        return {name.lower(): value for name, value in self.headers.items()}

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        """Answer ``status`` with ``payload`` as JSON (``None``: an empty body) and ``headers``."""
        data = b"" if payload is None else json.dumps(payload).encode()
        try:
            self.send_response(status)
            if payload is not None:
                self.send_header("Content-Type", self.content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except ConnectionError:
            pass  # the client gave up (timeout) before the answer was ready


class LoopbackServer:
    """Serves ``handler_class`` on 127.0.0.1 (a free port) in a daemon thread named ``thread_name``.

    Use it as a context manager, or call ``start()`` and ``stop()``.
    """

    handler_class: ClassVar[type[JSONHandler]] = JSONHandler
    thread_name: ClassVar[str] = "fake-http"

    def __init__(self) -> None:
        self._server: QuietServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        """Start serving in a daemon thread; returns ``self``."""
        handler = type(f"_Bound{self.handler_class.__name__}", (self.handler_class,), {"fake": self})
        self._server = QuietServer(("127.0.0.1", 0), handler)
        # A short poll interval keeps stop() (and so each test's teardown) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port (requests still being answered are dropped)."""
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
