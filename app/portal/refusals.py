"""The questions the bot could not answer from the brochures, and those whose answer the investor
called wrong ("that's wrong", "not what I asked"), per project, most asked first: the partner's
first-week routine is to answer them (``app.rag.team_answers``), and an answered one leaves the
list. Also the share of refusals week by week, to see the routine work."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app.conversation.intents import is_complaint
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
    times: int = 0  # refused, or disputed
    disputed: int = 0  # of which answered, then called wrong by the investor
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

    def count(
        body: str, at: datetime, lead_id: int, pid: int | None, name: str | None, disputed: bool
    ) -> None:
        words = asked_words(body or "")
        if not words:
            return  # "ok", "?": nothing was asked
        entry = groups.setdefault((pid, words), RefusedQuestion(pid, name, body.strip(), last_at=at))
        entry.times += 1
        entry.disputed += disputed
        entry.last_at = max(entry.last_at or at, at)
        if lead_id not in entry.lead_ids:
            entry.lead_ids.append(lead_id)

    for body, at, lead_id, pid, name in session.execute(query):
        count(body, at, lead_id, pid, name, disputed=False)
    for body, at, lead_id, pid, name in _disputed(session, since, project_id):
        count(body, at, lead_id, pid, name, disputed=True)
    answered = {pid: team_answers(session, pid) for pid in {pid for pid, _ in groups if pid is not None}}
    open_ = [
        entry
        for entry in groups.values()
        if not any(
            same_question(entry.question, fact.evidence) for fact in answered.get(entry.project_id, [])
        )
    ]
    return sorted(open_, key=lambda e: (-e.times, -(e.last_at.timestamp() if e.last_at else 0)))


def _disputed(session: Session, since: datetime, project_id: int | None) -> list[tuple]:
    """The questions whose brochure answer the investor called wrong right after it: (body, at,
    lead, project id, project name) of the question the answer replied to."""
    short = (
        select(Message.id, Message.lead_id, Message.body)
        .where(Message.direction == "in", Message.created_at >= since, func.length(Message.body) <= 80)
        .order_by(Message.id.desc())
        .limit(SCANNED)
    )
    complaints = [(mid, lead_id) for mid, lead_id, body in session.execute(short) if is_complaint(body or "")]
    question = aliased(Message)
    found = []
    for message_id, lead_id in complaints:
        # What the bot said last before the complaint must be a brochure answer (not, say, a
        # qualification question), and the question is what that answer replied to.
        last = session.execute(
            select(
                Message.route, Message.answered, question.body, question.created_at, Lead.id, Lead.project_id
            )
            .join(question, question.id == Message.in_reply_to_id)
            .join(Lead, Lead.id == Message.lead_id)
            .where(Message.lead_id == lead_id, Message.direction == "out", Message.id < message_id)
            .order_by(Message.id.desc())
            .limit(1)
        ).one_or_none()
        if last is None or last.route is None or not last.answered:
            continue
        if project_id is not None and last.project_id != project_id:
            continue
        name = (
            session.scalar(select(Project.name).where(Project.id == last.project_id))
            if last.project_id
            else None
        )
        found.append((last.body, last.created_at, last.id, last.project_id, name))
    return found


@dataclass(frozen=True)
class WeekShare:
    """One week (its Monday) and how many brochure answers said "not in the brochures"."""

    week: datetime
    answers: int
    refused: int

    @property
    def share(self) -> float | None:
        return self.refused / self.answers if self.answers else None


def refusal_trend(session: Session, weeks: int = 8, now: datetime | None = None) -> list[WeekShare]:
    """The share of refusals among brochure answers, week by week, oldest first."""
    since = (now or datetime.now(UTC)) - timedelta(weeks=weeks)
    week = func.date_trunc("week", Message.created_at)
    rows = session.execute(
        select(week, func.count(), func.count().filter(Message.answered.is_(False)))
        .where(
            Message.direction == "out",
            Message.route.is_not(None),
            Message.answered.is_not(None),
            Message.created_at >= since,
        )
        .group_by(week)
        .order_by(week)
    ).all()
    return [WeekShare(monday, answers, refused) for monday, answers, refused in rows]
