"""Leads and their conversations: messages, raw webhook events, activities and the outbox.

A lead's qualification score and flag are generated columns, derived by the database from the
structured answers, so no code path can let them disagree.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.columns import Rupees, Timestamp

# The stages of a lead's conversation with the bot (``Lead.stage``), in the order it moves through them.
NEW, ENGAGED, QUALIFYING, PROFILED, QUALIFIED, BROKER_REQUESTED = (
    "new",
    "engaged",
    "qualifying",
    "profiled",
    "qualified",
    "broker_requested",
)
# The profile is complete (every question answered or skipped): the investor may ask for a broker.
HANDOFF_STAGES = (QUALIFIED, PROFILED, BROKER_REQUESTED)
# Leads a broker may claim, when nobody has claimed them and they have not opted out. The order
# is that of ix_leads_pool's WHERE clause, which the pool's query repeats word for word.
POOL_STAGES = (QUALIFIED, PROFILED, BROKER_REQUESTED)

# The pipeline a broker moves a claimed lead through (``Lead.pipeline``), in order; won and lost
# end it. A claimed lead not yet contacted has no pipeline stage (None).
PIPELINE = ("contacted", "site_visit", "negotiating", "won", "lost")
OPEN_PIPELINE = (None, "contacted", "site_visit", "negotiating")
CLOSED_PIPELINE = ("won", "lost")
# Won is reached by logging the deal, so these are the stages a broker picks by hand.
PIPELINE_BY_HAND = ("contacted", "site_visit", "negotiating", "lost")
# Moving a lead to one of these stages is the broker's first contact (stamps ``contacted_at``).
CONTACT_STAGES = ("contacted", "site_visit")
# Every stage but lost means the broker has spoken to the investor.
CONTACTED_OR_LATER = ("contacted", "site_visit", "negotiating", "won")
SITE_VISIT_OR_LATER = ("site_visit", "negotiating", "won")

# A business-scoped user id: two letters, ".", "ENT." for a parent id, up to 128 characters.
USER_ID_LENGTH = 140

SCORE_SQL = (
    "(CASE WHEN budget_min_inr IS NOT NULL OR budget_max_inr IS NOT NULL THEN 1 ELSE 0 END)"
    " + (CASE WHEN cardinality(areas) > 0 THEN 1 ELSE 0 END)"
    " + (CASE WHEN timeline IS NOT NULL THEN 1 ELSE 0 END)"
    " + (CASE WHEN cardinality(unit_kinds) > 0 THEN 1 ELSE 0 END)"
)


class Lead(db.Model):
    """An investor who wrote to us, with the four qualification answers.

    A WhatsApp lead is known by its phone number, its business-scoped user id (WhatsApp withholds
    the number of some users with a username: ``app.channels.user_ids``), or both.
    """

    __tablename__ = "leads"
    __table_args__ = (
        # One lead per phone among the leads a messaging channel vouches for; a widget
        # conversation (an unverified number) has a lead of its own.
        Index("ux_leads_phone", "phone", unique=True, postgresql_where=text("web_conversation IS NULL")),
        # And one per business-scoped user id (only WhatsApp leads have one).
        Index("ux_leads_whatsapp_user_id", "whatsapp_user_id", unique=True),
        CheckConstraint("phone IS NOT NULL OR whatsapp_user_id IS NOT NULL", name="ck_leads_reachable"),
        Index("ix_leads_created", "created_at"),
        # The broker pool reads only unclaimed pool leads (app.portal.pipeline.pool_query).
        Index(
            "ix_leads_pool",
            "id",
            postgresql_include=["areas", "score", "broker_requested_at", "qualified_at"],
            postgresql_where=text(
                "broker_id IS NULL AND opted_out IS false"
                " AND stage IN (" + ", ".join(f"'{stage}'" for stage in POOL_STAGES) + ")"
            ),
        ),
        # The dashboard's funnel counts without reading the wide lead rows.
        Index(
            "ix_leads_pipeline",
            "pipeline",
            postgresql_include=["qualified_at", "broker_requested_at", "broker_id"],
        ),
        # The broker list's open leads per broker.
        Index(
            "ix_leads_claimed",
            "broker_id",
            postgresql_include=["id", "claimed_at", "contacted_at", "pipeline"],
            postgresql_where=text("claimed_at IS NOT NULL"),
        ),
        # The partner's lead list sorted by budget: read in order, stop after a page.
        Index(
            "ix_leads_budget",
            text("coalesce(budget_max_inr, budget_min_inr) DESC NULLS LAST"),
            text("id DESC"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164; None when WhatsApp withholds it
    # The number is WhatsApp's own id but libphonenumber cannot place it (e.g. Mexico's 521…):
    # kept, answered, and flagged for the broker to check.
    phone_unrecognized: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # A website visitor's number, proved by a code sent to it on WhatsApp (app.widget.verification):
    # when it was typed back, and the pending code's HMAC, guesses and expiry.
    phone_verified_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # The owning broker switched the bot off for this lead: it answers nothing, and every message
    # reaches the broker as a notification (app.conversation.engine).
    assistant_paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    phone_code_digest: Mapped[str | None] = mapped_column(String(64))
    phone_code_tries: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    phone_code_expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # WhatsApp's business-scoped user id ("IN.1648738043044942") and username, when given.
    whatsapp_user_id: Mapped[str | None] = mapped_column(String(USER_ID_LENGTH))
    whatsapp_username: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20), default="whatsapp")
    # The click-to-WhatsApp ad or post the investor last came from (app.channels.payloads
    # REFERRAL_KEYS, and received_at), shown to the partner.
    referral: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # The chat widget conversation this lead came from (app/widget), if it did.
    web_conversation: Mapped[str | None] = mapped_column(String(36), unique=True)
    stage: Mapped[str] = mapped_column(String(30), default=NEW, index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    questions_answered: Mapped[int] = mapped_column(Integer, default=0)
    pending_question: Mapped[str | None] = mapped_column(String(20))

    budget_text: Mapped[str | None] = mapped_column(Text)
    area_text: Mapped[str | None] = mapped_column(Text)
    timeline_text: Mapped[str | None] = mapped_column(Text)
    unit_text: Mapped[str | None] = mapped_column(Text)
    budget_min_inr: Mapped[Decimal | None] = mapped_column(Rupees)
    budget_max_inr: Mapped[Decimal | None] = mapped_column(Rupees)
    areas: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list, server_default="{}")
    timeline: Mapped[str | None] = mapped_column(String(20))
    unit_kinds: Mapped[list[str]] = mapped_column(ARRAY(String(30)), default=list, server_default="{}")
    skipped: Mapped[list[str]] = mapped_column(ARRAY(String(20)), default=list, server_default="{}")
    score: Mapped[int] = mapped_column(SmallInteger, Computed(SCORE_SQL, persisted=True))
    qualified: Mapped[bool] = mapped_column(Boolean, Computed(f"({SCORE_SQL}) = 4", persisted=True))

    qualified_at: Mapped[datetime | None] = mapped_column(Timestamp)
    broker_requested_at: Mapped[datetime | None] = mapped_column(Timestamp)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    opted_out_at: Mapped[datetime | None] = mapped_column(Timestamp)
    last_inbound_at: Mapped[datetime | None] = mapped_column(Timestamp)
    rate_notice_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # The language the bot writes to this investor in: en, hinglish or hi (the last they used).
    language: Mapped[str] = mapped_column(String(10), default="en", server_default="en")

    # Broker pipeline (portal): who works the lead and how far it got.
    broker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # The newest message of the conversation the owning broker has had on screen: the investor's
    # messages after it (and after the claim) are the broker's unread ones (app.portal.inbox).
    broker_seen_message_id: Mapped[int | None] = mapped_column(Integer)
    pipeline: Mapped[str | None] = mapped_column(String(20))  # indexed: ix_leads_pipeline
    contacted_at: Mapped[datetime | None] = mapped_column(Timestamp)
    site_visit_on: Mapped[date | None] = mapped_column(Date)
    lost_reason: Mapped[str | None] = mapped_column(Text)
    partner_notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now(), onupdate=func.now())

    project = relationship("Project")
    broker = relationship("User", foreign_keys=[broker_id])


class Message(db.Model):
    """One WhatsApp (or widget, or terminal) message in or out."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_lead_created", "lead_id", "created_at"),
        Index(
            "ix_messages_unprocessed",
            "created_at",
            postgresql_where="direction = 'in' AND processed_at IS NULL",
        ),
        Index("ix_messages_outbound_pending", "status", postgresql_where="direction = 'out'"),
        # Inbound messages the bot gave up on (app/conversation/unanswered.py), for the dashboard.
        Index(
            "ix_messages_unanswered", "created_at", postgresql_where="direction = 'in' AND status = 'failed'"
        ),
        # The dashboard's latency and top-questions figures read recent messages by direction.
        Index("ix_messages_direction_created", "direction", "created_at"),
        Index("ix_messages_in_reply_to", "in_reply_to_id"),
        # A chat widget's thread: its messages in order.
        Index(
            "ix_messages_conversation",
            "conversation",
            "id",
            postgresql_where=text("conversation IS NOT NULL"),
        ),
        # Brochure answers (latency, answered, the question they reply to) read index-only.
        Index(
            "ix_messages_answers",
            "created_at",
            postgresql_include=["latency_ms", "answered", "in_reply_to_id"],
            postgresql_where=text("direction = 'out' AND route IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    # Who it is from or to: the phone number, the business-scoped user id, or both (as the lead).
    phone: Mapped[str | None] = mapped_column(String(20))
    whatsapp_user_id: Mapped[str | None] = mapped_column(String(USER_ID_LENGTH))
    direction: Mapped[str] = mapped_column(String(3))  # "in" | "out"
    provider: Mapped[str] = mapped_column(String(20))  # "meta" | "wati" | "cli" | "web"
    provider_message_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="text")
    body: Mapped[str] = mapped_column(Text, default="")
    reply_id: Mapped[str | None] = mapped_column(String(200))
    interactive: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    pii_removed: Mapped[list[str]] = mapped_column(ARRAY(String(10)), default=list, server_default="{}")
    in_reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    conversation: Mapped[str | None] = mapped_column(String(36))  # the chat widget's thread id
    sequence: Mapped[int] = mapped_column(SmallInteger, default=0)
    route: Mapped[str | None] = mapped_column(String(20))
    answered: Mapped[bool | None] = mapped_column(Boolean)
    latency_ms: Mapped[float | None] = mapped_column(Numeric(10, 1))
    status: Mapped[str] = mapped_column(String(20))
    status_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # Why it failed, kept when a later status moves it on: the provider's words and error code.
    error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    sent_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # The broker who wrote this message from the lead's page (None: the bot, or the investor).
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The id the broker's form was drawn with: the same form sent twice is one message.
    client_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    sent_by = relationship("User")  # pages load it with the transcript (lead_history.transcript)
    processed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())

    lead = relationship("Lead")


class EarlyStatus(db.Model):
    """A delivery status that named no message we know yet: WhatsApp can report a reply before
    the send that made it has returned its id. Applied, then deleted, once a reply takes that id
    (``app.conversation.statuses``); one nobody claims is dropped after a day."""

    __tablename__ = "early_statuses"
    __table_args__ = (
        Index("ix_early_statuses_message", "provider_message_id"),
        Index("ix_early_statuses_received", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_message_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    rank: Mapped[int] = mapped_column(SmallInteger)
    at: Mapped[datetime] = mapped_column(Timestamp)
    error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


class InboundEvent(db.Model):
    """A webhook body as received (PII removed), kept for replay and debugging."""

    __tablename__ = "inbound_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    payload: Mapped[Any] = mapped_column(JSONB)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    statuses: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


class Activity(db.Model):
    """Something that happened to a lead, shown on its timeline."""

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_lead_created", "lead_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    actor: Mapped[str] = mapped_column(String(40), default="bot")
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


class OutboxEvent(db.Model):
    """An event for later consumers (Airtable sync, broker notification), written in the same
    transaction as the change it describes."""

    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_pending", "id", postgresql_where="status = 'pending'"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(60))
    aggregate: Mapped[str] = mapped_column(String(30))
    aggregate_id: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(Timestamp)  # after a failure
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    processed_at: Mapped[datetime | None] = mapped_column(Timestamp)
