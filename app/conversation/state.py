"""What the conversation engine reads and decides: the lead's state, the message as the engine
sees it, the brochure answer it is given, and the replies and changes it returns.

Shared by the engine (``engine``), the qualification questions (``questions``) and the code that
loads and persists a lead around the engine (``service``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from app.models.leads import NEW

WEB = "web"  # the chat widget's channel (app/widget): its replies are read, not sent


@dataclass(frozen=True)
class AnswerResult:
    """What the brochure Q&A returned for a question (a subset of ``app.rag.answer.Answer``)."""

    text: str
    answered: bool
    project: str | None = None
    route: str = "none"
    latency_ms: float = 0.0


@dataclass
class LeadState:
    """Everything the engine needs to know about a lead."""

    lead_id: int | None = None
    name: str | None = None
    stage: str = NEW
    opted_out: bool = False
    pending_question: str | None = None
    questions_answered: int = 0
    project: str | None = None
    budget_min: Decimal | None = None
    budget_max: Decimal | None = None
    budget_text: str | None = None
    areas: list[str] = field(default_factory=list)
    area_text: str | None = None
    timeline: str | None = None
    timeline_text: str | None = None
    unit_kinds: list[str] = field(default_factory=list)
    unit_text: str | None = None
    skipped: list[str] = field(default_factory=list)
    reference: str | None = None
    qualified_at: datetime | None = None
    broker_requested_at: datetime | None = None
    rate_notice_at: datetime | None = None
    language: str = "en"  # the language the bot writes in: en, hinglish or hi (app.conversation.texts)
    # Read from the lead, never written back by the engine: a broker owns the lead (no more
    # qualification or "Reply CONNECT"), and that broker paused the bot (it answers nothing).
    broker_owned: bool = False
    assistant_paused: bool = False

    @property
    def score(self) -> int:
        """How many of the four answers are known (the database derives the same)."""
        return sum(
            [
                self.budget_min is not None or self.budget_max is not None,
                bool(self.areas),
                self.timeline is not None,
                bool(self.unit_kinds),
            ]
        )


@dataclass(frozen=True)
class Incoming:
    """An inbound message as the engine sees it (already PII-redacted)."""

    text: str | None
    kind: str = "text"
    reply_id: str | None = None
    pii_removed: Sequence[str] = ()
    rate_limited: bool = False
    # The provider it came through ("meta", "wati", WEB…): the widget shows buttons where
    # WhatsApp's texts ask for a typed keyword (``texts.for_the_web``).
    channel: str | None = None


@dataclass(frozen=True)
class Reply:
    """One outbound message: text, optionally with reply buttons or a list."""

    body: str
    buttons: tuple[tuple[str, str], ...] = ()
    list_button: str | None = None
    rows: tuple[tuple[str, str, str | None], ...] = ()
    route: str | None = None
    answered: bool | None = None
    latency_ms: float | None = None
    brochure: str | None = None  # the project whose brochure PDF goes with this text


@dataclass
class Outcome:
    """The engine's decision for one message."""

    state: LeadState
    replies: list[Reply] = field(default_factory=list)
    activities: list[tuple[str, dict]] = field(default_factory=list)
    events: list[tuple[str, dict]] = field(default_factory=list)
    greeting: Reply | None = None  # the first-contact greeting, while it is a reply of its own
    # Messages the owning broker should see as a notification: what the bot could not answer,
    # or everything while the bot is paused.
    broker_notes: list[str] = field(default_factory=list)
    # The site-visit time the investor picked from a broker's offer (app.conversation.site_visits).
    site_visit: datetime | None = None
