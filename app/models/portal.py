"""Portal accounts, deals, broker notifications and revenue targets.

Commissions are generated columns: the database computes them from the deal value and the
rates stored on the deal, so every report reads the same exact figures.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.columns import Rate, Rupees, Timestamp

ROLES = ("broker", "partner")
CLOSED_ON_DEFAULT = "(timezone('Asia/Kolkata', now()))::date"


class User(UserMixin, db.Model):
    """A person who logs in to the portal: a broker, or the partner who runs the business."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('broker', 'partner')", name="ck_users_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    areas: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list, server_default="{}")
    max_active_leads: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    last_login_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # Part of every session and remember-me cookie; bumped to end them all (see app.portal.accounts).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def set_password(self, password: str) -> None:
        """Store a salted scrypt hash of ``password`` (never the password); sessions signed in
        with the old one end."""
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.end_sessions()

    def end_sessions(self) -> None:
        """Make every session and remember-me cookie issued so far invalid (caller commits)."""
        self.session_version = (self.session_version or 0) + 1

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-me cookie: the id and the
        session version, so bumping the version ends them."""
        return f"{self.id}:{self.session_version or 0}"

    def check_password(self, password: str) -> bool:
        """Whether ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_partner(self) -> bool:
        return self.role == "partner"


class Deal(db.Model):
    """A closed deal on a lead, with commissions computed by the database."""

    __tablename__ = "deals"
    __table_args__ = (
        CheckConstraint("deal_value > 0", name="ck_deals_value_positive"),
        CheckConstraint(
            "voided_at IS NULL OR (void_reason IS NOT NULL AND length(trim(void_reason)) > 0)",
            name="ck_deals_void_reason",
        ),
        Index("ix_deals_closed_on", "closed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"), index=True)
    broker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    project_name: Mapped[str] = mapped_column(String(200))
    unit_type: Mapped[str] = mapped_column(String(60))
    deal_value: Mapped[Decimal] = mapped_column(Rupees)
    broker_rate: Mapped[Decimal] = mapped_column(Rate)
    platform_rate: Mapped[Decimal] = mapped_column(Rate)
    broker_commission: Mapped[Decimal] = mapped_column(
        Rupees, Computed("round(deal_value * broker_rate, 2)", persisted=True)
    )
    platform_commission: Mapped[Decimal] = mapped_column(
        Rupees, Computed("round(deal_value * broker_rate * platform_rate, 2)", persisted=True)
    )
    # India's date, as the portal stamps it (``app.portal.times.ist_today``), not the server's.
    closed_on: Mapped[date] = mapped_column(Date, server_default=text(CLOSED_ON_DEFAULT))
    notes: Mapped[str | None] = mapped_column(Text)
    # A voided deal (fell through, or logged by mistake) stays on the lead's history and counts
    # in no total (app.portal.deals.void_deal).
    voided_at: Mapped[datetime | None] = mapped_column(Timestamp)
    void_reason: Mapped[str | None] = mapped_column(Text)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now(), onupdate=func.now())

    lead = relationship("Lead")
    broker = relationship("User", foreign_keys=[broker_id])
    project = relationship("Project")


class CannedReply(db.Model):
    """A message the partner writes once for brokers to send from a lead's page, with
    placeholders ({name}, {project}, {broker}, {reference}: ``app.portal.canned``). ``kind`` says
    what goes with it: nothing (text), the project's brochure PDF, or site-visit time slots as
    buttons."""

    __tablename__ = "canned_replies"
    __table_args__ = (CheckConstraint("kind IN ('text', 'brochure', 'site_visit')", name="ck_canned_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(60), unique=True)
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20), default="text", server_default="text")
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now(), onupdate=func.now())


class AuditEvent(db.Model):
    """One entry of the audit log the partner reads (app.portal.audit)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    address: Mapped[str] = mapped_column(String(64), default="", server_default="")
    detail: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())

    subject = relationship("User", foreign_keys=[subject_id])


class Notification(db.Model):
    """Something a broker should see in the portal (a new matching lead, an assignment)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", postgresql_where="read_at IS NULL"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    read_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


ALERT_CHANNELS = ("whatsapp", "email")


class Alert(db.Model):
    """A new-lead alert to one broker on one channel, and what became of it.

    A WhatsApp alert is an outbound message (its status, sent → delivered → read or failed, is
    the message's, updated by WhatsApp's status webhooks); an email alert carries its own status
    (pending → sending → sent, retrying after a temporary failure, or failed with the reason).
    """

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("lead_id", "user_id", "channel", name="uq_alerts_lead_user_channel"),
        CheckConstraint("channel IN ('whatsapp', 'email')", name="ck_alerts_channel"),
        Index("ix_alerts_waiting", "next_attempt_at", postgresql_where="status IN ('pending', 'retrying')"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(254))  # the broker's email or WhatsApp number
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    status_at: Mapped[datetime | None] = mapped_column(Timestamp)
    sent_at: Mapped[datetime | None] = mapped_column(Timestamp)

    broker: Mapped[User] = relationship(lazy="joined")
    message = relationship("Message", lazy="joined")

    @property
    def state(self) -> str:
        """Where the alert stands: the WhatsApp message's status, or the email's own."""
        return self.message.status if self.message is not None else self.status

    @property
    def reason(self) -> str | None:
        return self.message.error if self.message is not None else self.error


class RevenueTarget(db.Model):
    """The partner's platform-revenue target for one month."""

    __tablename__ = "revenue_targets"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day of the month
    target: Mapped[Decimal] = mapped_column(Rupees)
