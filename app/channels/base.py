"""What every WhatsApp provider shares: the parsed webhook records, send results and errors, the
``Channel`` protocol, WhatsApp's message limits, and one-shot HTTP posting.

Pure library code: no Flask request globals, no database. Providers live beside this module
(``meta.py`` for Meta's Cloud API, ``wati.py`` for Wati).
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

try:  # openai>=3 ships the "httpx2" fork of httpx; older openai releases ship httpx itself.
    import httpx2 as httpx
except ImportError:  # pragma: no cover - depends on the installed openai release
    import httpx  # type: ignore[no-redef]

log = logging.getLogger(__name__)
T = TypeVar("T")

# WhatsApp's documented limits (Cloud API "interactive" and "text" message objects).
MAX_TEXT_BODY = 4096
MAX_INTERACTIVE_BODY = 1024
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_LIST_ROWS = 10
MAX_LIST_BUTTON = 20
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_ROW_ID = 200

# Meta error codes that mean "slow down / try again later", whatever the HTTP status:
# 2 service temporarily unavailable, 4 app request limit, 80007 WABA rate limit,
# 130429 throughput limit (80 msg/s), 131056 too many messages to the same user.
RETRYABLE_CODES = frozenset({2, 4, 80007, 130429, 131056})
OUTSIDE_WINDOW_CODE = 131047  # more than 24 h since the user last wrote: only templates allowed


@dataclass(frozen=True)
class InboundMessage:
    """One message a WhatsApp user sent us, whichever provider delivered it."""

    provider: str  # "meta" | "wati"
    message_id: str  # provider id (wamid...)
    phone: str  # sender in E.164 ("+919812345678")
    profile_name: str | None
    sent_at: datetime  # tz-aware UTC, from the provider timestamp
    # "text" | "button" | "list" | "media" | "reaction" | "location" | "contacts" | "unsupported"
    # | "system" | "other"
    kind: str
    text: str | None  # text body or media caption, the button/list reply title, reaction emoji
    reply_id: str | None  # button/list reply id (interactive) or quick-reply payload
    raw: dict  # the message object as received
    conversation: str | None = None  # the chat widget's thread (web messages only)

    @classmethod
    def typed(
        cls,
        provider: str,
        message_id: str,
        phone: str,
        text: str,
        reply_id: str | None = None,
        *,
        conversation: str | None = None,
    ) -> InboundMessage:
        """A message typed into one of our own surfaces (the terminal chat, the widget), now:
        an option picked (``reply_id``) or text."""
        return cls(
            provider=provider,
            message_id=message_id,
            phone=phone,
            profile_name=None,
            sent_at=datetime.now(UTC),
            kind="button" if reply_id else "text",
            text=text,
            reply_id=reply_id,
            raw={},
            conversation=conversation,
        )


@dataclass(frozen=True)
class StatusUpdate:
    """A delivery status of a message we sent ("sent", "delivered", "read", "failed", ...)."""

    provider: str
    message_id: str
    status: str  # lower case; "sent" | "delivered" | "read" | "failed" | other as given
    at: datetime
    recipient: str | None  # E.164 when it is a phone number, else the provider's id as given
    errors: list[dict] = field(default_factory=list)


class PayloadError(ValueError):
    """A webhook body that is not the envelope the provider documents (answer it with 400)."""


@dataclass(frozen=True)
class OutboundResult:
    """What the provider answered to an accepted send."""

    provider_message_id: str


class SendError(Exception):
    """A send the provider refused or that never reached it.

    ``retryable`` is True for HTTP 429 and 5xx, for Meta's throttling codes (130429 and
    ``RETRYABLE_CODES``) and for timeouts and connection failures; other 4xx (bad number,
    131047 outside the 24-hour window, bad token) are final. ``retry_after`` carries the
    ``Retry-After`` header in seconds when the provider sent one. ``status`` is None when no
    HTTP response arrived.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        provider: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after
        self.provider = provider

    @property
    def outside_window(self) -> bool:
        """True for error 131047: the 24-hour window is closed, only a template can be sent."""
        return self.code == OUTSIDE_WINDOW_CODE

    def __repr__(self) -> str:
        return (
            f"SendError({self.message!r}, status={self.status}, code={self.code}, "
            f"retryable={self.retryable}, retry_after={self.retry_after})"
        )


class Channel(Protocol):
    """A WhatsApp provider that can send. ``to`` is a phone number, E.164 preferred."""

    name: str

    def send_text(self, to: str, body: str) -> OutboundResult: ...

    def send_buttons(self, to: str, body: str, buttons: Sequence[tuple[str, str]]) -> OutboundResult: ...

    def send_list(
        self, to: str, body: str, button: str, rows: Sequence[tuple[str, str, str | None]]
    ) -> OutboundResult: ...

    def send_template(
        self, to: str, name: str, language: str, parameters: Sequence[str] = ()
    ) -> OutboundResult: ...


# -- validation (runs before any HTTP call) ---------------------------------------------------


def _check_length(what: str, value: str, limit: int) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"The {what} is empty; WhatsApp needs some text there.")
    if len(value) > limit:
        raise ValueError(f"The {what} has {len(value)} characters; WhatsApp allows at most {limit}.")


def check_text(body: str) -> None:
    """Raise ValueError unless ``body`` is a non-empty text message of ≤ 4096 characters."""
    _check_length("message text", body, MAX_TEXT_BODY)


def check_buttons(body: str, buttons: Sequence[tuple[str, str]]) -> None:
    """Raise ValueError unless this is a valid reply-buttons message (1–3 buttons, titles ≤ 20)."""
    _check_length("buttons message body", body, MAX_INTERACTIVE_BODY)
    if not 1 <= len(buttons) <= MAX_BUTTONS:
        raise ValueError(f"A reply-buttons message takes 1 to {MAX_BUTTONS} buttons, not {len(buttons)}.")
    for button_id, title in buttons:
        _check_length(f"id of button {title!r}", button_id, MAX_BUTTON_ID)
        _check_length(f"title of button {button_id!r}", title, MAX_BUTTON_TITLE)
    _check_unique("button id", [button_id for button_id, _ in buttons])


def check_list(body: str, button: str, rows: Sequence[tuple[str, str, str | None]]) -> None:
    """Raise ValueError unless this is a valid list message (≤ 10 rows, titles ≤ 24, ...)."""
    _check_length("list message body", body, MAX_INTERACTIVE_BODY)
    _check_length("list button label", button, MAX_LIST_BUTTON)
    if not 1 <= len(rows) <= MAX_LIST_ROWS:
        raise ValueError(f"A list message takes 1 to {MAX_LIST_ROWS} rows in total, not {len(rows)}.")
    for row_id, title, description in rows:
        _check_length(f"id of row {title!r}", row_id, MAX_ROW_ID)
        _check_length(f"title of row {row_id!r}", title, MAX_ROW_TITLE)
        if description is not None and len(description) > MAX_ROW_DESCRIPTION:
            raise ValueError(
                f"The description of row {row_id!r} has {len(description)} characters; "
                f"WhatsApp allows at most {MAX_ROW_DESCRIPTION}."
            )
    _check_unique("row id", [row_id for row_id, _, _ in rows])


def check_template(name: str, parameters: Sequence[str]) -> None:
    """Raise ValueError unless the template has a name and only non-empty text parameters."""
    _check_length("template name", name, 512)
    for index, value in enumerate(parameters, start=1):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"Template parameter {index} of {name!r} is empty; give every parameter text.")


def _check_unique(what: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"The {what} {value!r} is used twice; each must be unique.")
        seen.add(value)


# -- parsing helpers shared by the webhook parsers --------------------------------------------


def parse_unix_time(value: Any) -> datetime:
    """A provider's Unix timestamp (seconds, int or numeric string) as an aware UTC datetime."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"timestamp {value!r} is not a Unix time")
    try:
        return datetime.fromtimestamp(int(float(value)), UTC)
    except (OverflowError, OSError) as exc:  # "inf", or years past 9999
        raise ValueError(f"timestamp {value!r} is out of range") from exc


def parse_each(items: Iterable[Any], parse: Callable[[Any], T], what: str) -> list[T]:
    """``parse`` applied to every item; an item it rejects is logged as a warning and skipped.

    ``parse`` signals a malformed item with KeyError, TypeError or ValueError.
    """
    parsed: list[T] = []
    for item in items:
        try:
            parsed.append(parse(item))
        except (KeyError, TypeError, ValueError) as exc:
            item_id = item.get("id") if isinstance(item, Mapping) else None
            log.warning("Skipped a malformed %s (id %r): %s", what, item_id, exc)
    return parsed


def clean_errors(value: Any) -> list[dict]:
    """The provider's ``errors`` list, keeping only the objects in it."""
    return [dict(item) for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


# -- HTTP ------------------------------------------------------------------------------------


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


def post_once(client: httpx.Client, url: str, *, provider: str, label: str, **kwargs: Any) -> httpx.Response:
    """POST exactly once; a timeout or connection failure becomes a retryable ``SendError``.

    No retry loop here: the caller (the send worker) owns retries and backoff. A read timeout is
    ambiguous — the provider may have accepted the message — so it is final, never retried.
    """
    try:
        return client.post(url, **kwargs)
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:  # a setting to fix, not a blip
        raise SendError(
            f"{label} URL {url!r} is not usable ({exc}); fix the API base URL setting.", provider=provider
        ) from exc
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # nothing was sent
        raise SendError(
            f"Could not reach {label} ({type(exc).__name__}: {exc}); nothing was sent. Check the API "
            "URL and the network; retrying later is safe.",
            retryable=True,
            provider=provider,
        ) from exc
    except httpx.TransportError as exc:  # read timeout, dropped connection: outcome unknown
        # Each reply is sent at most once: the provider may already have accepted this one, and
        # WhatsApp has no idempotency key, so it is reported rather than retried.
        raise SendError(
            f"{label} did not answer ({type(exc).__name__}); the message may or may not have been "
            "sent, so it is not retried (a retry could deliver it twice).",
            retryable=False,
            provider=provider,
        ) from exc


def refusal(
    response: httpx.Response, *, provider: str, label: str, code: int | None, reason: str
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


def json_body(response: httpx.Response) -> Any:
    """The response's JSON, or None when the body is empty or not JSON."""
    try:
        return response.json()
    except ValueError:
        return None
