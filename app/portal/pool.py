"""The broker pool: unclaimed qualified leads, ranked for one broker, a page at a time.

The pool's conditions repeat ``ix_leads_pool``'s WHERE clause word for word, with the stages as
literals rather than bound parameters, so PostgreSQL can use that partial index even when
psycopg has prepared the statement and the plan is a generic one.
"""

from __future__ import annotations

from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import ColumnElement, Select, bindparam, case, false, func, select
from sqlalchemy.orm import Session, joinedload

from app.models import Lead, User
from app.models.leads import POOL_STAGES


def in_pool() -> tuple[ColumnElement[bool], ...]:
    """The conditions a lead meets while any broker may claim it."""
    stages = bindparam("pool_stages", list(POOL_STAGES), expanding=True, literal_execute=True)
    return Lead.broker_id.is_(None), Lead.opted_out.is_(false()), Lead.stage.in_(stages)


def match_score(broker: User):
    """SQL expression: how well a pool lead matches a broker's areas (higher is better)."""
    areas = list(broker.areas or [])
    if not areas:
        return func.coalesce(Lead.score, 0)
    return (
        case((Lead.areas.overlap(areas), 10), else_=0)
        + case((Lead.areas.any("Any"), 3), else_=0)
        + Lead.score
    )


def pool_query(
    broker: User, *, area: str | None = None, min_budget=None, timeline: str | None = None
) -> Select:
    """Unclaimed qualified leads, best-matching and newest first."""
    query = select(Lead).where(*in_pool())
    if area:
        query = query.where(Lead.areas.any(area))
    if min_budget is not None:
        query = query.where(func.coalesce(Lead.budget_max_inr, Lead.budget_min_inr) >= min_budget)
    if timeline:
        query = query.where(Lead.timeline == timeline)
    return query.order_by(
        match_score(broker).desc(),
        Lead.broker_requested_at.desc().nulls_last(),
        Lead.qualified_at.desc().nulls_last(),
        Lead.id.desc(),
    )


class _RankedPage(SelectPagination):
    """Ranks the leads by id alone (the sort then carries ids, not whole rows), then loads just
    the page's leads with their projects."""

    def _query_items(self) -> list[Lead]:
        session: Session = self._query_args["session"]
        ranked = self._query_args["select"].with_only_columns(Lead.id)
        ids = list(session.scalars(ranked.limit(self.per_page).offset(self._query_offset)))
        if not ids:
            return []
        leads = session.scalars(select(Lead).where(Lead.id.in_(ids)).options(joinedload(Lead.project)))
        by_id = {lead.id: lead for lead in leads}
        return [by_id[id_] for id_ in ids if id_ in by_id]


def pool_page(session: Session, query: Select, page: int, per_page: int) -> SelectPagination:
    """One page of ``query`` (a :func:`pool_query`) with the total, as Flask-SQLAlchemy's
    ``paginate`` gives it; a page past the end is empty rather than an error."""
    return _RankedPage(select=query, session=session, page=page, per_page=per_page, error_out=False)


def pool_count(session: Session, broker: User) -> int:
    """How many leads ``broker`` could claim right now."""
    return session.scalar(select(func.count()).select_from(Lead).where(*in_pool()))
