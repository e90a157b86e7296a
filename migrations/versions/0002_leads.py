"""Leads, messages, raw webhook events, activities and the outbox.

Revision ID: 0002_leads
Revises: 0001_catalog
Create Date: 2026-11-25 03:03:53.126752

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0002_leads'
down_revision = '0001_catalog'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inbound_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('messages', sa.Integer(), nullable=False),
    sa.Column('statuses', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('outbox_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=60), nullable=False),
    sa.Column('aggregate', sa.String(length=30), nullable=False),
    sa.Column('aggregate_id', sa.Integer(), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='pending', nullable=False),
    sa.Column('attempts', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending', ['id'], unique=False, postgresql_where="status = 'pending'")

    op.create_table('leads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('stage', sa.String(length=30), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('questions_answered', sa.Integer(), nullable=False),
    sa.Column('pending_question', sa.String(length=20), nullable=True),
    sa.Column('budget_text', sa.Text(), nullable=True),
    sa.Column('area_text', sa.Text(), nullable=True),
    sa.Column('timeline_text', sa.Text(), nullable=True),
    sa.Column('unit_text', sa.Text(), nullable=True),
    sa.Column('budget_min_inr', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('budget_max_inr', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('areas', sa.ARRAY(sa.String(length=100)), server_default='{}', nullable=False),
    sa.Column('timeline', sa.String(length=20), nullable=True),
    sa.Column('unit_kinds', sa.ARRAY(sa.String(length=30)), server_default='{}', nullable=False),
    sa.Column('skipped', sa.ARRAY(sa.String(length=20)), server_default='{}', nullable=False),
    sa.Column('score', sa.SmallInteger(), sa.Computed('(CASE WHEN budget_min_inr IS NOT NULL OR budget_max_inr IS NOT NULL THEN 1 ELSE 0 END) + (CASE WHEN cardinality(areas) > 0 THEN 1 ELSE 0 END) + (CASE WHEN timeline IS NOT NULL THEN 1 ELSE 0 END) + (CASE WHEN cardinality(unit_kinds) > 0 THEN 1 ELSE 0 END)', persisted=True), nullable=False),
    sa.Column('qualified', sa.Boolean(), sa.Computed('((CASE WHEN budget_min_inr IS NOT NULL OR budget_max_inr IS NOT NULL THEN 1 ELSE 0 END) + (CASE WHEN cardinality(areas) > 0 THEN 1 ELSE 0 END) + (CASE WHEN timeline IS NOT NULL THEN 1 ELSE 0 END) + (CASE WHEN cardinality(unit_kinds) > 0 THEN 1 ELSE 0 END)) = 4', persisted=True), nullable=False),
    sa.Column('qualified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('broker_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reference', sa.String(length=20), nullable=True),
    sa.Column('opted_out', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_inbound_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rate_notice_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('phone'),
    sa.UniqueConstraint('reference')
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leads_stage'), ['stage'], unique=False)

    op.create_table('activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('actor', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_lead_created', ['lead_id', 'created_at'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('provider_message_id', sa.String(length=200), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('reply_id', sa.String(length=200), nullable=True),
    sa.Column('interactive', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('pii_removed', sa.ARRAY(sa.String(length=10)), server_default='{}', nullable=False),
    sa.Column('in_reply_to_id', sa.Integer(), nullable=True),
    sa.Column('sequence', sa.SmallInteger(), nullable=False),
    sa.Column('route', sa.String(length=20), nullable=True),
    sa.Column('answered', sa.Boolean(), nullable=True),
    sa.Column('latency_ms', sa.Numeric(precision=10, scale=1), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('attempts', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['in_reply_to_id'], ['messages.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('provider_message_id')
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_lead_created', ['lead_id', 'created_at'], unique=False)
        batch_op.create_index('ix_messages_outbound_pending', ['status'], unique=False, postgresql_where="direction = 'out'")
        batch_op.create_index('ix_messages_unprocessed', ['created_at'], unique=False, postgresql_where="direction = 'in' AND processed_at IS NULL")




def downgrade():

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_unprocessed', postgresql_where="direction = 'in' AND processed_at IS NULL")
        batch_op.drop_index('ix_messages_outbound_pending', postgresql_where="direction = 'out'")
        batch_op.drop_index('ix_messages_lead_created')

    op.drop_table('messages')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_lead_created')

    op.drop_table('activities')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leads_stage'))

    op.drop_table('leads')
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending', postgresql_where="status = 'pending'")

    op.drop_table('outbox_events')
    op.drop_table('inbound_events')
