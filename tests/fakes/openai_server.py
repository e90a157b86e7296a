"""A fake OpenAI API on loopback, so tests run the real ``openai`` client end to end.

    with FakeOpenAI() as fake:
        fake.chat_replies.append("Skyline Towers is in Sector 88, Gurugram.")
        client = fake.client()            # or pass fake.base_url / fake.config() to the app
        ...
        assert fake.requests[0].path == "/v1/chat/completions"

Chat replies come from ``chat_replies`` (first in, first out), then from ``chat_handler`` (a
callable given the request JSON); with neither, the fake answers 400 so a test that forgot to
script a reply fails loudly. ``fail_next(500, times=3)`` makes the next calls fail with that
status. Embeddings are deterministic per input text, in input order, honouring ``dimensions``
and ``encoding_format`` (float or base64) like the real API.
"""

from __future__ import annotations

import base64
import hashlib
import random
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import openai

from tests.fakes.loopback import JSONHandler, LoopbackServer, next_failure, read_body

TEST_API_KEY = "sk-test-fake-openai"


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any  # parsed JSON, or the raw text when it was not JSON


@dataclass
class _Failure:
    status: int
    remaining: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(JSONHandler):
    """Chat completions and embeddings; every request is recorded first."""

    fake: FakeOpenAI

    def do_POST(self) -> None:
        body = read_body(self)
        request = RecordedRequest("POST", self.path, self.lower_headers(), body)
        failure = self.fake._record(request)
        if failure is not None:
            self._send_error(failure.status, failure.message, failure.headers)
        elif not isinstance(body, dict):
            self._send_error(400, "Request body must be a JSON object.")
        elif self.path.endswith("/chat/completions"):
            self._chat(body)
        elif self.path.endswith("/embeddings"):
            self._embeddings(body)
        else:
            self._send_error(404, f"FakeOpenAI does not implement POST {self.path}.")

    def do_GET(self) -> None:
        self.fake._record(RecordedRequest("GET", self.path, self.lower_headers(), None))
        self._send_error(404, f"FakeOpenAI does not implement GET {self.path}.")

    def _chat(self, body: dict[str, Any]) -> None:
        reply = self.fake._next_chat_reply(body)
        if reply is None:
            self._send_error(400, "FakeOpenAI has no scripted chat reply for this request.")
            return
        messages = body.get("messages", [])
        prompt_tokens = sum(len(str(message.get("content", "")).split()) for message in messages)
        completion_tokens = len(reply.split())
        self.send_json(
            200,
            {
                "id": f"chatcmpl-fake-{len(self.fake.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "gpt-4o-mini"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply, "refusal": None},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
        )

    def _embeddings(self, body: dict[str, Any]) -> None:
        inputs = body.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if (
            not isinstance(inputs, list)
            or not inputs
            or not all(isinstance(text, str) and text for text in inputs)
        ):
            self._send_error(400, "'input' must be a non-empty string or list of them.")
            return
        dimension = int(body.get("dimensions") or self.fake.embedding_dimension)
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(inputs):
            vector = FakeOpenAI.vector_for(text, dimension)
            embedding: Any = vector
            if as_base64:
                embedding = base64.b64encode(struct.pack(f"<{dimension}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": embedding})
        tokens = sum(len(text.split()) for text in inputs)
        self.send_json(
            200,
            {
                "object": "list",
                "data": data,
                "model": body.get("model", "text-embedding-3-small"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )

    def _send_error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        error = {"message": message, "type": "fake_error", "param": None, "code": str(status)}
        self.send_json(status, {"error": error}, headers)


class FakeOpenAI(LoopbackServer):
    """A real HTTP server on 127.0.0.1 (free port) speaking enough of the OpenAI API for tests."""

    handler_class = _Handler
    thread_name = "fake-openai"

    def __init__(self, embedding_dimension: int = 1536) -> None:
        super().__init__()
        self.embedding_dimension = embedding_dimension
        self.chat_replies: deque[str] = deque()
        self.chat_handler: Callable[[dict[str, Any]], str] | None = None
        self.requests: list[RecordedRequest] = []
        self._failures: deque[_Failure] = deque()
        self._lock = threading.Lock()

    # -- what tests use --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The ``base_url`` to give the openai client, e.g. ``http://127.0.0.1:PORT/v1``."""
        return f"{self.root_url}/v1"

    def config(self) -> dict[str, str]:
        """Settings that point the app's OpenAI code at this fake."""
        return {"OPENAI_API_KEY": TEST_API_KEY, "OPENAI_BASE_URL": self.base_url}

    def client(self, max_retries: int = 2, timeout: float = 10.0) -> openai.OpenAI:
        """A real ``openai.OpenAI`` client talking to this fake."""
        return openai.OpenAI(
            api_key=TEST_API_KEY, base_url=self.base_url, max_retries=max_retries, timeout=timeout
        )

    def fail_next(
        self,
        status: int = 500,
        times: int = 1,
        message: str = "The fake server was told to fail.",
        retry_after_ms: int | None = 1,
    ) -> None:
        """Answer the next ``times`` API calls with HTTP ``status`` and an OpenAI error body.

        ``retry_after_ms`` is sent as ``retry-after-ms`` so the client's retries do not sleep
        for real; pass ``None`` to leave the header out.
        """
        headers = {} if retry_after_ms is None else {"retry-after-ms": str(retry_after_ms)}
        with self._lock:
            self._failures.append(_Failure(status, times, message, headers))

    def requests_to(self, path_suffix: str) -> list[RecordedRequest]:
        """Recorded requests whose path ends with ``path_suffix`` (e.g. "/embeddings")."""
        with self._lock:
            return [request for request in self.requests if request.path.endswith(path_suffix)]

    @staticmethod
    def vector_for(text: str, dimension: int) -> list[float]:
        """The unit vector the fake returns for ``text`` (float32 precision, as the API)."""
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        rng = random.Random(seed)
        raw = [rng.gauss(0.0, 1.0) for _ in range(dimension)]
        norm = sum(value * value for value in raw) ** 0.5 or 1.0
        # Round-trip through float32 so float and base64 responses decode to the same numbers.
        packed = struct.pack(f"<{dimension}f", *(value / norm for value in raw))
        return list(struct.unpack(f"<{dimension}f", packed))

    # -- called by the handler -------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> _Failure | None:
        with self._lock:
            self.requests.append(request)
            return next_failure(self._failures)

    def _next_chat_reply(self, body: dict[str, Any]) -> str | None:
        with self._lock:
            if self.chat_replies:
                return self.chat_replies.popleft()
            handler = self.chat_handler
        return handler(body) if handler is not None else None
