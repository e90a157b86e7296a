"""Indexes for the portal's list pages and dashboard at 50,000 leads.

The broker pool reads only unclaimed pool leads (``ix_leads_pool``), the funnel counts leads by
pipeline without reading the wide rows (``ix_leads_pipeline`` gains INCLUDE columns), the answer
figures read brochure replies only (``ix_messages_answers``), the partner's lead list sorts by
budget in index order (``ix_leads_budget``) and the broker list reads claimed leads per broker
(``ix_leads_claimed``). Measured with ``bench/portal_load.py --try-indexes``; see docs/decisions/2026-11-25-portal-indexes.md.

The partial indexes are only used while the queries repeat their WHERE clauses literally
(``app.portal.pipeline.pool_query``, ``app.portal.stats.answer_quality``/``top_questions``).

Revision ID: 0005_portal_speed
Revises: 0004_dashboard_indexes
Create Date: 2026-11-25 07:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0005_portal_speed"
down_revision = "0004_dashboard_indexes"
branch_labels = None
depends_on = None

POOL = "broker_id IS NULL AND opted_out IS false AND stage IN ('qualified', 'profiled', 'broker_requested')"


def upgrade():
    op.create_index(
        "ix_leads_pool",
        "leads",
        ["id"],
        postgresql_include=["areas", "score", "broker_requested_at", "qualified_at"],
        postgresql_where=POOL,
    )
    # The same key as before, so the pipeline filters keep using it.
    op.drop_index("ix_leads_pipeline", table_name="leads")
    op.create_index(
        "ix_leads_pipeline",
        "leads",
        ["pipeline"],
        postgresql_include=["qualified_at", "broker_requested_at", "broker_id"],
    )
    op.create_index(
        "ix_leads_claimed",
        "leads",
        ["broker_id"],
        postgresql_include=["id", "claimed_at", "contacted_at", "pipeline"],
        postgresql_where="claimed_at IS NOT NULL",
    )
    op.execute(
        "CREATE INDEX ix_leads_budget ON leads"
        " ((coalesce(budget_max_inr, budget_min_inr)) DESC NULLS LAST, id DESC)"
    )
    op.create_index(
        "ix_messages_answers",
        "messages",
        ["created_at"],
        postgresql_include=["latency_ms", "answered", "in_reply_to_id"],
        postgresql_where="direction = 'out' AND route IS NOT NULL",
    )


def downgrade():
    op.drop_index("ix_messages_answers", table_name="messages")
    op.drop_index("ix_leads_budget", table_name="leads")
    op.drop_index("ix_leads_claimed", table_name="leads")
    op.drop_index("ix_leads_pipeline", table_name="leads")
    op.create_index("ix_leads_pipeline", "leads", ["pipeline"])
    op.drop_index("ix_leads_pool", table_name="leads")
