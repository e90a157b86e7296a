"""Working a lead: the pool, claiming (atomic), releasing, assigning and the pipeline stages.

Every change is an activity on the lead's timeline and an outbox event, written in the caller's
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Select, case, func, or_, select, update
from sqlalchemy.orm import Session

from app.conversation.service import lead_snapshot
from app.models import Activity, Lead, Notification, OutboxEvent, User
from app.models.leads import CLOSED_PIPELINE, CONTACT_STAGES, OPEN_PIPELINE, PIPELINE, POOL_STAGES
from app.portal.times import ist_today

PIPELINE_LABELS = {
    "contacted": "Contacted",
    "site_visit": "Site visit scheduled",
    "negotiating": "Negotiating",
    "won": "Won",
    "lost": "Lost",
}
SITE_VISIT_DATE_REQUIRED = "Pick the date of the site visit."
SITE_VISIT_IN_THE_PAST = "A site visit is scheduled ahead: pick today or a later date."
LOST_REASON_REQUIRED = "Say why the lead was lost."


class PortalError(ValueError):
    """A request the portal refuses, with a message to show the user."""


class AlreadyClaimed(PortalError):
    """Another broker claimed the lead first."""


def record(session: Session, lead: Lead, kind: str, actor: User | None, **detail) -> None:
    """Add an activity and the matching outbox event for ``lead``."""
    who = f"user:{actor.id}" if actor else "system"
    session.add(Activity(lead_id=lead.id, kind=kind, detail=detail, actor=who))
    session.flush()
    session.refresh(lead)
    payload = {**lead_snapshot(lead), **detail, "broker_id": lead.broker_id, "pipeline": lead.pipeline}
    session.add(OutboxEvent(topic=f"lead.{kind}", aggregate="lead", aggregate_id=lead.id, payload=payload))


def active_lead_count(session: Session, broker_id: int) -> int:
    """Leads a broker holds that are not won or lost."""
    return session.scalar(
        select(func.count())
        .select_from(Lead)
        .where(
            Lead.broker_id == broker_id, or_(Lead.pipeline.is_(None), Lead.pipeline.in_(OPEN_PIPELINE[1:]))
        )
    )


def claim_lead(session: Session, lead_id: int, broker: User) -> Lead:
    """Give ``lead_id`` to ``broker`` if nobody has it: one UPDATE, so exactly one claim wins."""
    if not broker.active or broker.role != "broker":
        raise PortalError("Only active brokers can claim leads.")
    # Serialise one broker's claims so the max-active-leads check cannot be raced.
    session.execute(select(User.id).where(User.id == broker.id).with_for_update())
    if active_lead_count(session, broker.id) >= broker.max_active_leads:
        raise PortalError(
            f"You already hold {broker.max_active_leads} active leads; close or release one first."
        )
    now = datetime.now(UTC)
    claimed = session.execute(
        update(Lead)
        .where(
            Lead.id == lead_id,
            Lead.broker_id.is_(None),
            Lead.stage.in_(POOL_STAGES),
            Lead.opted_out.is_(False),
        )
        .values(broker_id=broker.id, claimed_at=now, pipeline=None)
        .returning(Lead.id)
    ).first()
    if claimed is None:
        raise AlreadyClaimed("Sorry — this lead was already claimed by another broker.")
    lead = session.get(Lead, lead_id, populate_existing=True)
    record(session, lead, "claimed", broker, broker=broker.name, broker_id=broker.id)
    return lead


def release_lead(session: Session, lead: Lead, user: User) -> None:
    """Put a lead back in the pool (its broker or the partner)."""
    if lead.pipeline in CLOSED_PIPELINE:
        raise PortalError("A closed lead cannot be released.")
    previous = lead.broker.name if lead.broker else None
    lead.broker_id, lead.claimed_at, lead.pipeline = None, None, None
    record(session, lead, "released", user, previous_broker=previous)


def assign_lead(session: Session, lead: Lead, broker: User | None, partner: User) -> None:
    """The partner assigns (or reassigns, or unassigns) a lead; a won lead stays with the broker
    who won it (their commission is on the deal)."""
    if lead.pipeline == "won":
        raise PortalError("This lead is won: it stays with the broker who won it.")
    if broker is not None and (broker.role != "broker" or not broker.active):
        raise PortalError("Leads can only be assigned to active brokers.")
    lead.broker_id = broker.id if broker else None
    lead.claimed_at = datetime.now(UTC) if broker else None
    record(
        session,
        lead,
        "assigned",
        partner,
        broker=broker.name if broker else None,
        broker_id=broker.id if broker else None,
    )


@dataclass(frozen=True)
class StageChange:
    """A pipeline move requested from the portal."""

    stage: str
    site_visit_on: date | None = None
    lost_reason: str | None = None
    note: str | None = None


def move_pipeline(session: Session, lead: Lead, change: StageChange, user: User) -> None:
    """Move a claimed lead along the pipeline, with the date or reason the stage needs."""
    if change.stage not in PIPELINE:
        raise PortalError(f"Unknown stage {change.stage!r}.")
    if lead.broker_id is None:
        raise PortalError("Claim the lead before working it.")
    if lead.pipeline in CLOSED_PIPELINE:
        raise PortalError("This lead is closed.")
    if change.stage == "site_visit" and change.site_visit_on is None:
        raise PortalError(SITE_VISIT_DATE_REQUIRED)
    if change.stage == "lost" and not (change.lost_reason or "").strip():
        raise PortalError(LOST_REASON_REQUIRED)
    lead.pipeline = change.stage
    if change.stage in CONTACT_STAGES:
        lead.contacted_at = lead.contacted_at or datetime.now(UTC)
    if change.stage == "site_visit":
        lead.site_visit_on = change.site_visit_on
    if change.stage == "lost":
        lead.lost_reason = change.lost_reason.strip()
    detail = {"stage": change.stage}
    if change.site_visit_on:
        detail["site_visit_on"] = change.site_visit_on.isoformat()
    if change.lost_reason:
        detail["reason"] = change.lost_reason.strip()
    if change.note:
        detail["note"] = change.note.strip()
    record(session, lead, "stage_changed", user, **detail)


def stage_field_errors(change: StageChange) -> dict[str, str]:
    """The stage change's own problems, by field (stage, site_visit_on, lost_reason), so a form can
    show each next to its field; :func:`move_pipeline` still checks the lead itself."""
    errors = {}
    if change.stage not in PIPELINE:
        errors["stage"] = f"Unknown stage {change.stage!r}."
    if change.stage == "site_visit" and change.site_visit_on is None:
        errors["site_visit_on"] = SITE_VISIT_DATE_REQUIRED
    elif change.stage == "site_visit" and change.site_visit_on < ist_today():
        errors["site_visit_on"] = SITE_VISIT_IN_THE_PAST
    if change.stage == "lost" and not (change.lost_reason or "").strip():
        errors["lost_reason"] = LOST_REASON_REQUIRED
    return errors


def add_note(session: Session, lead: Lead, user: User, note: str) -> None:
    """A free-text note on the lead's timeline."""
    note = note.strip()
    if not note:
        raise PortalError("Write a note first.")
    if len(note) > 2000:
        raise PortalError("Notes are limited to 2,000 characters.")
    record(session, lead, "note", user, note=note)


def visible_lead(session: Session, lead_id: int, user: User) -> Lead | None:
    """The lead if ``user`` may see it: the partner always; a broker their own or a pool lead."""
    lead = session.get(Lead, lead_id)
    if lead is None or user.is_partner:
        return lead
    if lead.broker_id == user.id:
        return lead
    in_pool = lead.broker_id is None and lead.stage in POOL_STAGES and not lead.opted_out
    return lead if in_pool else None


def my_leads_query(broker: User) -> Select:
    """A broker's claimed leads, open ones first, most recently claimed first."""
    closed = case((Lead.pipeline.in_(CLOSED_PIPELINE), 1), else_=0)
    return select(Lead).where(Lead.broker_id == broker.id).order_by(closed, Lead.claimed_at.desc())


def matching_brokers(session: Session, lead: Lead) -> list[User]:
    """Active brokers whose areas overlap the lead's (all active brokers when none do)."""
    brokers = select(User).where(User.role == "broker", User.active.is_(True))
    areas = [a for a in (lead.areas or []) if a != "Any"]
    if areas:
        matched = session.scalars(brokers.where(User.areas.overlap(areas))).all()
        if matched:
            return list(matched)
    return list(session.scalars(brokers))


# -- A broker's notifications (new matching leads, assignments) -------------------------------------


def was_notified(session: Session, user: User, lead_id: int) -> bool:
    """Whether ``user`` was told about the lead (and so knows it exists)."""
    found = select(Notification.id).where(Notification.user_id == user.id, Notification.lead_id == lead_id)
    return session.scalar(found.limit(1)) is not None


def unread_notification_count(session: Session, user: User) -> int:
    """Notifications ``user`` has not seen yet."""
    return session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def recent_notifications(session: Session, user: User, limit: int = 100) -> list[Notification]:
    """``user``'s latest notifications, newest first."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def mark_notifications_read(session: Session, user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many there were."""
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=datetime.now(UTC))
    )
    return result.rowcount
