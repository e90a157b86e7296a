"""The Airtable client: pyairtable with the base's rate limit shared by every process, and
errors sorted into what the sync does about them.

Airtable allows 5 requests per second per base and answers 429 beyond that (then wants 30
seconds of quiet). Every request waits for a slot in a moving one-second window counted in
Redis, so the web process, the workers and the CLI together stay under the limit.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import Any

import requests
from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from pyairtable import Api

from app.conversation.ratelimit import limits_uri


class SyncError(RuntimeError):
    """Airtable did not take a request; ``retry`` says whether trying again later may help."""

    def __init__(self, message: str, *, retry: bool, status: int | None = None):
        super().__init__(message)
        self.retry = retry
        self.status = status


class RateLimited(SyncError):
    """Airtable answered 429: wait (30 s) before the next request to this base."""


def configured(config: Mapping[str, Any]) -> bool:
    """Whether Airtable sync is switched on (an API key and a base)."""
    return bool(config.get("AIRTABLE_API_KEY") and config.get("AIRTABLE_BASE_ID"))


_answered_lock = threading.Lock()
_answered: dict[tuple[str, int], deque[float]] = {}


class RateLimitedApi(Api):
    """``pyairtable.Api`` whose every request first takes a slot of the base's rate limit.

    Two gates: the shared moving window in Redis (every process together), and this client's own
    pace, counted from when each answer arrived. Airtable counts a request when it reaches it,
    which is some time after it was sent; counting from the answer keeps one client under the
    limit whatever the latency (the sync runs one client at a time, under a lock)."""

    def __init__(
        self,
        api_key: str,
        *,
        limiter: BaseLimiter | None,
        base_id: str = "",
        per_second: int = 0,
        **kwargs: Any,
    ):
        super().__init__(api_key, retry_strategy=None, **kwargs)
        self.limiter = limiter
        with _answered_lock:  # one pace per base and process, whichever client makes the request
            self.answered = _answered.setdefault((base_id, per_second), deque(maxlen=per_second or None))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        self._pace()
        if self.limiter is not None:
            self.limiter.wait()
        try:
            return super().request(method, url, *args, **kwargs)
        except requests.HTTPError as exc:
            raise classify(exc) from exc
        except requests.RequestException as exc:
            raise SyncError(f"Airtable unreachable: {exc.__class__.__name__}: {exc}", retry=True) from exc
        finally:
            self.answered.append(time.monotonic())

    def _pace(self) -> None:
        if self.answered.maxlen and len(self.answered) == self.answered.maxlen:
            wait = 1.0 - (time.monotonic() - self.answered[0])
            if wait > 0:
                time.sleep(wait)


class BaseLimiter:
    """At most ``per_second`` requests in any one second for one base, across processes."""

    def __init__(self, storage_uri: str, base_id: str, per_second: int):
        self.item = RateLimitItemPerSecond(per_second)
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self.base_id = base_id

    def wait(self) -> None:
        """Block until a request may start."""
        while not self.limiter.hit(self.item, "airtable", self.base_id):
            reset_at, _ = self.limiter.get_window_stats(self.item, "airtable", self.base_id)
            time.sleep(min(1.0, max(0.01, reset_at - time.time())))


def classify(exc: requests.HTTPError) -> SyncError:
    """One clear message for an Airtable error answer, and whether to retry it."""
    response = exc.response
    status = response.status_code if response is not None else None
    detail = ""
    if response is not None:
        try:
            body = response.json()
        except ValueError:
            body = None
        error = (body or {}).get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            detail = f"{error.get('type', '')}: {error.get('message', '')}".strip(": ")
            if error.get("type") == "UNKNOWN_FIELD_NAME":  # a base set up by an older version
                detail += "; run `investochat airtable setup` to add the missing field"
        elif isinstance(error, str):
            detail = error
        elif isinstance(body, dict) and body.get("errors"):
            detail = str(body["errors"][0].get("error", ""))
    message = f"Airtable answered {status}" + (f" ({detail})" if detail else "")
    if status == 429:
        return RateLimited(message, retry=True, status=status)
    retry = status is None or status >= 500
    return SyncError(message, retry=retry, status=status)


def make_api(config: Mapping[str, Any]) -> RateLimitedApi:
    """The Airtable API client for the configured base."""
    redis_url = config.get("REDIS_URL")
    limiter = None
    per_second = int(config.get("AIRTABLE_RATE_LIMIT") or 0)
    if per_second:
        storage = limits_uri(redis_url) if redis_url else "memory://"
        limiter = BaseLimiter(storage, config["AIRTABLE_BASE_ID"], per_second)
    timeout = float(config.get("AIRTABLE_TIMEOUT") or 20)
    return RateLimitedApi(
        config["AIRTABLE_API_KEY"],
        limiter=limiter,
        base_id=config["AIRTABLE_BASE_ID"],
        per_second=per_second,
        endpoint_url=config.get("AIRTABLE_ENDPOINT_URL") or "https://api.airtable.com",
        timeout=(timeout, timeout),
    )
