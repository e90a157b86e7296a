"""Posting one message to a provider's HTTP API and reading its answer.

``post_once`` makes exactly one request; ``refusal`` turns an error answer into a ``SendError``
that says whether a retry is worth it. Retries and backoff belong to the send worker, never here.
The HTTP client is ``httpx2``, the HTTP stack the installed ``openai`` release uses.
"""

from __future__ import annotations

import email.utils
import time
from datetime import UTC
from typing import Any

import httpx2

from app.channels.messages import RETRYABLE_CODES, SendError


def is_retryable(status: int | None, code: int | None) -> bool:
    """Whether a refused send is worth retrying later (see ``SendError``)."""
    if code is not None and code in RETRYABLE_CODES:
        return True
    return status is not None and (status == 429 or status >= 500)


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header (delta-seconds or HTTP date) in seconds; None when absent/unreadable."""
    if not value or not value.strip():
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - time.time())


def post_once(
    client: httpx2.Client, url: str, *, provider: str, label: str, **kwargs: Any
) -> httpx2.Response:
    """POST exactly once; a timeout or connection failure becomes a retryable ``SendError``.

    No retry loop here: the caller (the send worker) owns retries and backoff. A read timeout is
    ambiguous — the provider may have accepted the message — so it is final, never retried.
    """
    try:
        return client.post(url, **kwargs)
    except (httpx2.UnsupportedProtocol, httpx2.InvalidURL) as exc:  # a setting to fix, not a blip
        raise SendError(
            f"{label} URL {url!r} is not usable ({exc}); fix the API base URL setting.", provider=provider
        ) from exc
    except (httpx2.ConnectError, httpx2.ConnectTimeout) as exc:  # nothing was sent
        raise SendError(
            f"Could not reach {label} ({type(exc).__name__}: {exc}); nothing was sent. Check the API "
            "URL and the network; retrying later is safe.",
            retryable=True,
            provider=provider,
        ) from exc
    except httpx2.TransportError as exc:  # read timeout, dropped connection: outcome unknown
        # Each reply is sent at most once: the provider may already have accepted this one, and
        # WhatsApp has no idempotency key, so it is reported rather than retried.
        raise SendError(
            f"{label} did not answer ({type(exc).__name__}); the message may or may not have been "
            "sent, so it is not retried (a retry could deliver it twice).",
            retryable=False,
            provider=provider,
        ) from exc


def refusal(
    response: httpx2.Response, *, provider: str, label: str, code: int | None, reason: str
) -> SendError:
    """The ``SendError`` for a provider's error answer, classified by HTTP status and ``code``."""
    where = f"HTTP {response.status_code}" + (f", code {code}" if code is not None else "")
    return SendError(
        f"{label} refused the message ({where}): {reason}",
        status=response.status_code,
        code=code,
        retryable=is_retryable(response.status_code, code),
        retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        provider=provider,
    )


def json_body(response: httpx2.Response) -> Any:
    """The response's JSON, or None when the body is empty or not JSON."""
    try:
        return response.json()
    except ValueError:
        return None
