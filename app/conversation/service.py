"""Running the engine for one stored inbound message and persisting its outcome atomically."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app import brochures
from app.channels.phones import is_recognized
from app.conversation.bookings import book_site_visit, checked_reply
from app.conversation.engine import Engine, EngineSettings
from app.conversation.names import display_name
from app.conversation.state import WEB, AnswerResult, Incoming, LeadState, Outcome
from app.models import Activity, Lead, Message, Notification, OutboxEvent, Project
from app.models.leads import NEW

log = logging.getLogger(__name__)

STATE_FIELDS = (
    "name",
    "stage",
    "opted_out",
    "pending_question",
    "questions_answered",
    "budget_text",
    "areas",
    "area_text",
    "timeline",
    "timeline_text",
    "unit_kinds",
    "unit_text",
    "skipped",
    "reference",
    "qualified_at",
    "broker_requested_at",
    "rate_notice_at",
    "language",
)


def build_engine(session: Session, config: Mapping[str, Any]) -> Engine:
    """An engine answering from the brochures, with the projects it knows."""
    from app.rag.answer import UnknownProject, answer_question

    def answer(text: str, project: str | None) -> AnswerResult:
        try:
            result = answer_question(text, project=project, session=session)
        except UnknownProject:
            result = answer_question(text, session=session)
        return AnswerResult(result.answer, result.answered, result.project, result.route, result.latency_ms)

    names = tuple(
        session.scalars(select(Project.name).where(Project.archived_at.is_(None)).order_by(Project.name))
    )
    sendable = {project.name for project in brochures.projects_with_brochures(session)}
    settings = EngineSettings(
        qualify_after=int(config.get("QUALIFY_AFTER_QUESTIONS", 2)),
        call_window=config.get("BROKER_CALL_WINDOW", "within 2 hours (9 am – 9 pm IST)"),
        projects=names,
        brochures=tuple(name for name in names if name in sendable),
        brochures_on_whatsapp=config.get("WHATSAPP_PROVIDER", "meta") == "wati"
        or bool(config.get("PORTAL_URL")),
    )
    return Engine(answer, settings)


def lead_for(
    session: Session,
    phone: str | None,
    name: str | None,
    channel: str,
    *,
    user_id: str | None = None,
    username: str | None = None,
) -> Lead:
    """The lead of a messaging-channel sender, created on first contact, locked for this
    transaction. (Widget conversations have leads of their own: ``app.widget``.)

    The sender is known by ``phone``, by WhatsApp's business-scoped ``user_id``, or both; the
    user id finds the lead first, since WhatsApp may withhold the phone of the same person, and
    whichever of the two the lead lacks is filled in (a phone only when no other lead has it).
    A phone libphonenumber cannot place is stored and flagged (``Lead.phone_unrecognized``). A
    profile name with nothing name-like in it (blank, "~", emoji) is not stored.
    """
    if phone is None and user_id is None:
        raise ValueError("A message from nobody: it has neither a phone number nor a WhatsApp user id.")
    name = display_name(name)
    unrecognized = phone is not None and not is_recognized(phone)
    messaging = Lead.web_conversation.is_(None)
    session.execute(  # a conflict on the phone or on the user id: the lead exists
        insert(Lead)
        .values(
            phone=phone,
            phone_unrecognized=unrecognized,
            whatsapp_user_id=user_id,
            whatsapp_username=username,
            name=name,
            channel=channel,
            stage=NEW,
        )
        .on_conflict_do_nothing()
    )
    known_by = [Lead.phone == phone] if phone else []
    known_by += [Lead.whatsapp_user_id == user_id] if user_id else []
    found = session.scalars(select(Lead).where(messaging, or_(*known_by)).with_for_update()).all()
    lead = next((lead for lead in found if user_id and lead.whatsapp_user_id == user_id), found[0])
    if user_id and lead.whatsapp_user_id is None:
        lead.whatsapp_user_id = user_id
    if phone and lead.phone is None and len(found) == 1:
        lead.phone, lead.phone_unrecognized = phone, unrecognized
    if username and lead.whatsapp_username != username:  # a user may change their username
        lead.whatsapp_username = username
    if name and not lead.name:
        lead.name = name
    return lead


def remember_referral(session: Session, lead: Lead, referral: Mapping[str, Any], at: datetime) -> None:
    """Keep the click-to-WhatsApp ad or post the lead just came from (the latest wins; each one
    is on the lead's timeline)."""
    lead.referral = {**referral, "received_at": at.isoformat()}
    detail = {key: referral[key] for key in ("source_id", "headline", "ctwa_clid") if key in referral}
    session.add(Activity(lead_id=lead.id, kind="ad_referral", detail=detail, actor="bot"))


def state_of(lead: Lead) -> LeadState:
    """The engine's view of a lead row."""
    state = LeadState(
        lead_id=lead.id,
        project=lead.project.name if lead.project else None,
        budget_min=lead.budget_min_inr,
        budget_max=lead.budget_max_inr,
        broker_owned=lead.broker_id is not None,
        assistant_paused=lead.assistant_paused,
    )
    for name in STATE_FIELDS:
        value = getattr(lead, name)
        setattr(state, name, list(value) if isinstance(value, list) else value)
    return state


def _store_state(session: Session, lead: Lead, state: LeadState) -> None:
    for name in STATE_FIELDS:
        setattr(lead, name, getattr(state, name))
    lead.budget_min_inr, lead.budget_max_inr = state.budget_min, state.budget_max
    if state.opted_out and lead.opted_out_at is None:
        lead.opted_out_at = datetime.now(UTC)
    current = lead.project.name if lead.project else None
    if state.project != current:
        lead.project_id = session.scalar(select(Project.id).where(Project.name == state.project))


def lead_snapshot(lead: Lead) -> dict[str, Any]:
    """The lead as outbox consumers (Airtable, broker notifications) need it."""
    return {
        "lead_id": lead.id,
        "phone": lead.phone,
        "whatsapp_user_id": lead.whatsapp_user_id,
        "name": lead.name,
        "stage": lead.stage,
        "budget_min_inr": str(lead.budget_min_inr) if lead.budget_min_inr is not None else None,
        "budget_max_inr": str(lead.budget_max_inr) if lead.budget_max_inr is not None else None,
        "areas": list(lead.areas),
        "timeline": lead.timeline,
        "unit_kinds": list(lead.unit_kinds),
        "budget_text": lead.budget_text,
        "area_text": lead.area_text,
        "timeline_text": lead.timeline_text,
        "unit_text": lead.unit_text,
        "reference": lead.reference,
        "project": lead.project.name if lead.project else None,
    }


def persist_outcome(session: Session, lead: Lead, inbound: Message, outcome: Outcome) -> list[Message]:
    """Write the new state, replies, activities and outbox events (caller commits)."""
    _store_state(session, lead, outcome.state)
    session.flush()
    session.refresh(lead)  # generated columns: score, qualified
    replies = []
    now = datetime.now(UTC)
    on_the_web = inbound.provider == WEB
    for sequence, reply in enumerate(outcome.replies):
        interactive = None
        brochure = (
            brochures.brochure_for(session, _project_id(session, reply.brochure)) if reply.brochure else None
        )
        if brochure is not None:
            interactive = brochure.stored()
        elif reply.buttons:
            interactive = {"buttons": [list(b) for b in reply.buttons]}
        elif reply.rows:
            interactive = {"list_button": reply.list_button, "rows": [list(r) for r in reply.rows]}
        message = Message(
            # Where it stands: the lead's thread, after the message it answers.
            lead_id=lead.id,
            phone=lead.phone,
            whatsapp_user_id=lead.whatsapp_user_id,
            conversation=inbound.conversation,
            in_reply_to_id=inbound.id,
            sequence=sequence,
            # What it says, and how the brochure answer in it was found.
            direction="out",
            provider=inbound.provider,
            kind="document" if brochure is not None else "text",
            body=reply.body,
            interactive=interactive,
            route=reply.route,
            answered=reply.answered,
            latency_ms=reply.latency_ms,
            # The widget shows a reply once it is committed; WhatsApp replies wait to be sent.
            status="sent" if on_the_web else "pending",
            sent_at=now if on_the_web else None,
            status_at=now if on_the_web else None,
        )
        session.add(message)
        replies.append(message)
    for kind, detail in outcome.activities:
        session.add(Activity(lead_id=lead.id, kind=kind, detail=detail, actor="bot"))
    if outcome.site_visit is not None:
        # As a broker's stage change is published (app.portal.pipeline.record), for Airtable.
        detail = book_site_visit(session, lead, outcome.site_visit)
        outcome.events.append(("lead.stage_changed", detail))
    if lead.broker_id is not None:
        who = lead.name or "The investor"
        for note in outcome.broker_notes:
            body = f"{who} ({lead.reference or 'lead ' + str(lead.id)}) wrote: {note[:300]}"
            session.add(Notification(user_id=lead.broker_id, lead_id=lead.id, body=body))
    snapshot = lead_snapshot(lead)
    for topic, payload in outcome.events:
        session.add(
            OutboxEvent(topic=topic, aggregate="lead", aggregate_id=lead.id, payload={**snapshot, **payload})
        )
    session.flush()
    return replies


def _project_id(session: Session, name: str) -> int | None:
    return session.scalar(select(Project.id).where(Project.name == name))


def process_inbound(
    session: Session,
    message_id: int,
    engine: Engine,
    *,
    rate_limited: bool = False,
    now: datetime | None = None,
) -> list[Message]:
    """Run the engine for one inbound message exactly once; returns the replies (caller commits).

    The message row is locked first: a second worker processing the same id waits, then sees
    it processed and does nothing.
    """
    now = now or datetime.now(UTC)
    inbound = session.scalars(select(Message).where(Message.id == message_id).with_for_update()).one_or_none()
    if inbound is None or inbound.processed_at is not None or inbound.direction != "in":
        return []
    if inbound.conversation:  # the widget: the conversation's own lead, made when it started
        lead = session.scalars(
            select(Lead).where(Lead.web_conversation == inbound.conversation).with_for_update()
        ).one()
    else:
        sender = inbound.interactive or {}
        lead = lead_for(
            session,
            inbound.phone,
            sender.get("profile_name"),
            "whatsapp" if inbound.provider in ("meta", "wati") else inbound.provider,
            user_id=inbound.whatsapp_user_id,
            username=sender.get("username"),
        )
        if sender.get("referral"):
            remember_referral(session, lead, sender["referral"], inbound.status_at or now)
    incoming = Incoming(
        text=inbound.body,
        kind=inbound.kind,
        reply_id=checked_reply(session, lead, inbound, now),
        pii_removed=tuple(inbound.pii_removed or ()),
        rate_limited=rate_limited,
        channel=inbound.provider,
    )
    outcome = engine.handle(state_of(lead), incoming, now)
    lead.last_inbound_at = max(filter(None, [lead.last_inbound_at, inbound.status_at or now]))
    inbound.lead_id = lead.id
    inbound.processed_at = now
    inbound.status = "processed"
    return persist_outcome(session, lead, inbound, outcome)
