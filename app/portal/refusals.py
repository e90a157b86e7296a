"""The questions the bot could not answer from the brochures, per project, most asked first: the
partner's first-week routine is to answer them (``app.rag.team_answers``), and an answered one
leaves the list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.models import Lead, Message, Project
from app.rag.team_answers import asked_words, same_question, team_answers

WINDOW = timedelta(days=90)
SCANNED = 5000  # the latest refusals read; a busy quarter is still a few thousand


@dataclass
class RefusedQuestion:
    """One question as investors asked it (the latest wording), how often, and where."""

    project_id: int | None
    project: str | None
    question: str
    times: int = 0
    last_at: datetime | None = None
    lead_ids: list[int] = field(default_factory=list)


def refused_questions(
    session: Session, project_id: int | None = None, now: datetime | None = None
) -> list[RefusedQuestion]:
    """Refused questions of the last 90 days (of one project when given), grouped by what they
    ask, most asked first; the ones the team has answered since are left out."""
    since = (now or datetime.now(UTC)) - WINDOW
    reply = aliased(Message)
    query = (
        select(Message.body, Message.created_at, Lead.id, Lead.project_id, Project.name)
        .join(reply, reply.in_reply_to_id == Message.id)
        .join(Lead, Lead.id == Message.lead_id)
        .outerjoin(Project, Project.id == Lead.project_id)
        .where(
            Message.direction == "in",
            Message.created_at >= since,
            reply.direction == "out",
            reply.answered.is_(False),
            reply.route.is_not(None),
        )
        .order_by(Message.created_at.desc())
        .limit(SCANNED)
    )
    if project_id is not None:
        query = query.where(Lead.project_id == project_id)
    groups: dict[tuple[int | None, str], RefusedQuestion] = {}
    for body, at, lead_id, pid, name in session.execute(query):
        words = asked_words(body or "")
        if not words:
            continue  # "ok", "?": nothing was asked
        entry = groups.setdefault((pid, words), RefusedQuestion(pid, name, body.strip(), last_at=at))
        entry.times += 1
        if lead_id not in entry.lead_ids:
            entry.lead_ids.append(lead_id)
    answered = {pid: team_answers(session, pid) for pid in {pid for pid, _ in groups if pid is not None}}
    open_ = [
        entry
        for entry in groups.values()
        if not any(
            same_question(entry.question, fact.evidence) for fact in answered.get(entry.project_id, [])
        )
    ]
    return sorted(open_, key=lambda e: (-e.times, -(e.last_at.timestamp() if e.last_at else 0)))
