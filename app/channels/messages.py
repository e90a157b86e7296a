"""What every WhatsApp provider hands over and is held to: the parsed webhook records, the
result of a send and its errors, and the ``Channel`` protocol a provider implements.

The providers (``meta.py`` for Meta's Cloud API, ``wati.py`` for Wati) produce these records from
their webhooks and return them from their sends, so the conversation code never knows which
provider it talks to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

# Meta error codes that mean "slow down / try again later", whatever the HTTP status:
# 2 service temporarily unavailable, 4 app request limit, 80007 WABA rate limit,
# 130429 throughput limit (80 msg/s), 131056 too many messages to the same user.
RETRYABLE_CODES = frozenset({2, 4, 80007, 130429, 131056})
OUTSIDE_WINDOW_CODE = 131047  # more than 24 h since the user last wrote: only templates allowed
USER_ID_REFUSED_CODE = 131062  # this kind of message cannot go to a business-scoped user id


@dataclass(frozen=True)
class InboundMessage:
    """One message a WhatsApp user sent us, whichever provider delivered it.

    The sender is known by ``phone``, by ``user_id`` (WhatsApp's business-scoped user id), or
    both; a user who adopted a WhatsApp username may come with the user id alone.
    """

    provider: str  # "meta" | "wati"
    message_id: str  # provider id (wamid...)
    phone: str | None  # sender in E.164 ("+919812345678"), when WhatsApp shares it
    profile_name: str | None
    sent_at: datetime  # tz-aware UTC, from the provider timestamp
    # "text" | "button" | "list" | "media" | "reaction" | "location" | "contacts" | "unsupported"
    # | "system" | "other"
    kind: str
    text: str | None  # text body or media caption, the button/list reply title, reaction emoji
    reply_id: str | None  # button/list reply id (interactive) or quick-reply payload
    raw: dict  # the message object as received
    conversation: str | None = None  # the chat widget's thread (web messages only)
    user_id: str | None = None  # business-scoped user id ("IN.1648738043044942"), when given
    username: str | None = None  # the sender's WhatsApp username, when they adopted one
    # A click-to-WhatsApp ad or post the message came from: source_id (the ad id), source_type,
    # source_url, headline, body, media_type, ctwa_clid (the click id), as the provider gave them.
    referral: dict | None = None

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
    # E.164 when it is a phone number, else the provider's id as given (a group, a business-scoped
    # user id when the message went to one)
    recipient: str | None
    errors: list[dict] = field(default_factory=list)


class PayloadError(ValueError):
    """A webhook body that is not the envelope the provider documents (answer it with 400)."""


@dataclass(frozen=True)
class OutboundResult:
    """What the provider answered to an accepted send."""

    provider_message_id: str


@dataclass(frozen=True)
class OutboundDocument:
    """A PDF to send: Meta fetches it from ``link`` (None: there is no public address for it),
    Wati takes the bytes ``read()`` returns as an upload. ``caption`` goes with it."""

    filename: str
    caption: str
    link: str | None
    read: Callable[[], bytes]


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

    @property
    def user_id_refused(self) -> bool:
        """True for error 131062: this kind of message cannot be sent to a business-scoped user id
        (an authentication template, say); another kind, or the phone number, may get through."""
        return self.code == USER_ID_REFUSED_CODE

    def __repr__(self) -> str:
        return (
            f"SendError({self.message!r}, status={self.status}, code={self.code}, "
            f"retryable={self.retryable}, retry_after={self.retry_after})"
        )


class Channel(Protocol):
    """A WhatsApp provider that can send. ``to`` is a phone number (E.164 preferred) or, for a
    user whose number WhatsApp withholds, their business-scoped user id (``app.channels.user_ids``)."""

    name: str

    def send_text(self, to: str, body: str) -> OutboundResult: ...

    def send_buttons(self, to: str, body: str, buttons: Sequence[tuple[str, str]]) -> OutboundResult: ...

    def send_list(
        self, to: str, body: str, button: str, rows: Sequence[tuple[str, str, str | None]]
    ) -> OutboundResult: ...

    def send_template(
        self, to: str, name: str, language: str, parameters: Sequence[str] = ()
    ) -> OutboundResult: ...

    def send_code(self, to: str, name: str, language: str, code: str) -> OutboundResult: ...

    def send_document(self, to: str, document: OutboundDocument) -> OutboundResult: ...
