"""How each broker performs, read from the leads' activity history.

A broker's record covers every lead they got — by claiming it or by the partner assigning it —
including leads they later released or the partner moved to someone else, so the figures do not
shrink when a lead changes hands. Each time a lead changes hands starts a *stint*, which lasts
until the next hand-off (a claim, an assignment or a release); what happens in a stint counts
for the broker who got the lead then:

- **claimed**: leads the broker ever got (a lead got twice counts once);
- **contacted within 2 h**: leads whose first contact in the broker's stint (the move to
  "contacted" or "site visit", as ``move_pipeline`` stamps ``contacted_at``) came no later than
  two hours after the broker got it — a contact by an earlier broker does not count;
- **won**: leads won (deal logged, or moved to won) during the broker's stint;
- **median time to contact**: over the leads the broker contacted, from getting it to contact.

Open leads are the leads the broker holds now.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

from sqlalchemy import Integer, and_, case, cast, extract, func, or_, select, true
from sqlalchemy.orm import Session

from app.models import Activity, Deal, Lead, User
from app.models.leads import CONTACT_STAGES, OPEN_PIPELINE
from app.portal.recent import RecentFigures

# A lead counts as contacted promptly if the broker called within this long of getting it.
PROMPT_CONTACT = timedelta(hours=2)
HANDOFFS = ("claimed", "assigned", "released")


@dataclass(frozen=True)
class BrokerPerformance:
    """A broker's record on every lead they got (claimed or assigned), from the history."""

    broker_id: int
    name: str
    email: str
    phone: str | None
    areas: list[str]
    active: bool
    max_active_leads: int
    open_leads: int
    claimed: int
    contacted_within_2h: int
    won: int
    conversion: float | None  # won / claimed
    median_hours_to_contact: float | None


def _receiver():
    """SQL expression: the broker a hand-off activity gave the lead to (NULL for a release or an
    unassignment). Assignments name the broker by id; older ones only by name."""
    named = (
        select(User.id)
        .where(User.role == "broker", User.name == Activity.detail["broker"].astext)
        .order_by(User.id)
        .limit(1)
        .scalar_subquery()
    )
    return case(
        (
            and_(Activity.kind == "claimed", Activity.actor.startswith("user:")),
            cast(func.substr(Activity.actor, 6), Integer),
        ),
        (
            Activity.kind == "assigned",
            func.coalesce(cast(Activity.detail["broker_id"].astext, Integer), named),
        ),
    )


def _voided_deal():
    """SQL: the deal a "deal_logged" activity names was voided since (it wins nothing)."""
    deal_id = cast(Activity.detail["deal_id"].astext, Integer)
    return select(Deal.id).where(Deal.id == deal_id, Deal.voided_at.is_not(None)).exists()


def _per_lead():
    """One row per (broker, lead they got): prompt contact, won, hours to first contact."""
    stage = Activity.detail["stage"].astext
    handoff = Activity.kind.in_(HANDOFFS)
    events = (
        select(
            Activity.lead_id,
            Activity.created_at,
            _receiver().label("broker_id"),
            handoff.label("handoff"),
            and_(Activity.kind == "stage_changed", stage.in_(CONTACT_STAGES)).label("contact"),
            or_(
                and_(Activity.kind == "deal_logged", ~_voided_deal()),
                and_(Activity.kind == "stage_changed", stage == "won"),
            ).label("win"),
            # Which stint an activity falls in: the hand-offs so far on this lead.
            func.count()
            .filter(handoff)
            .over(partition_by=Activity.lead_id, order_by=(Activity.created_at, Activity.id))
            .label("stint"),
        )
        .where(Activity.kind.in_((*HANDOFFS, "stage_changed", "deal_logged")))
        .subquery()
    )
    stints = (
        select(
            events.c.lead_id,
            func.max(events.c.broker_id).label("broker_id"),
            func.min(events.c.created_at).filter(events.c.handoff).label("started"),
            func.min(events.c.created_at).filter(events.c.contact).label("contacted"),
            func.bool_or(events.c.win).label("won"),
        )
        .where(events.c.stint > 0)
        .group_by(events.c.lead_id, events.c.stint)
        .subquery()
    )
    return (
        select(
            stints.c.broker_id,
            stints.c.lead_id,
            func.bool_or(stints.c.contacted <= stints.c.started + PROMPT_CONTACT).label("prompt"),
            func.bool_or(stints.c.won).label("won"),
            func.min(extract("epoch", stints.c.contacted - stints.c.started) / 3600).label("hours"),
        )
        .where(stints.c.broker_id.is_not(None))
        .group_by(stints.c.broker_id, stints.c.lead_id)
        .subquery()
    )


@dataclass(frozen=True)
class _Record:
    claimed: int
    contacted_within_2h: int
    won: int
    median_hours_to_contact: float | None


# The history only grows by new activities, so a process reuses the records until one is added.
_records: RecentFigures[dict[int, _Record]] = RecentFigures(Activity, max_age=60.0)


def _history_records(session: Session) -> dict[int, _Record]:
    """Each broker's record from the activity history, by broker id (brokers with none left out)."""
    per_lead = _per_lead()
    rows = session.execute(
        select(
            per_lead.c.broker_id,
            func.count(),
            func.count().filter(per_lead.c.prompt),
            func.count().filter(per_lead.c.won),
            func.percentile_cont(0.5).within_group(per_lead.c.hours),
        ).group_by(per_lead.c.broker_id)
    )
    return {
        broker_id: _Record(claimed, prompt, won, float(median) if median is not None else None)
        for broker_id, claimed, prompt, won, median in rows
    }


def broker_performance(session: Session, broker_id: int | None = None) -> list[BrokerPerformance]:
    """Every broker (inactive ones too), or just ``broker_id``, with their record, by name.

    The records are reused by this process while no activity is added (at most a minute); the
    brokers' details and open leads are read fresh."""
    records = _records.get(session, lambda: _history_records(session))
    open_leads = (
        select(func.count())
        .select_from(Lead)
        .where(
            Lead.broker_id == User.id,
            Lead.claimed_at.is_not(None),
            Lead.pipeline.is_(None) | Lead.pipeline.in_(OPEN_PIPELINE[1:]),
        )
        .scalar_subquery()
    )
    brokers = session.execute(
        select(User, open_leads)
        .where(User.role == "broker", User.id == broker_id if broker_id is not None else true())
        .order_by(User.name, User.id)
    ).all()
    none = _Record(0, 0, 0, None)
    return [
        BrokerPerformance(
            broker_id=user.id,
            name=user.name,
            email=user.email,
            phone=user.phone,
            areas=list(user.areas or []),
            active=user.active,
            max_active_leads=user.max_active_leads,
            open_leads=open_count,
            conversion=record.won / record.claimed if record.claimed else None,
            **asdict(record),  # claimed, contacted within 2 h, won, median hours to contact
        )
        for user, open_count in brokers
        for record in [records.get(user.id, none)]
    ]


def forget_records() -> None:
    """Drop this process's cached broker records (the next list computes them afresh)."""
    _records.clear()
