"""Airtable sync: record links with their last synced fields, sync state, outbox retry times.

Revision ID: 0006_airtable_sync
Revises: 0005_portal_speed
Create Date: 2026-11-25 07:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0006_airtable_sync'
down_revision = '0005_portal_speed'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'airtable_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('table_name', sa.String(length=60), nullable=False),
        sa.Column('record_id', sa.String(length=40), nullable=False),
        sa.Column('app_id', sa.Integer(), nullable=True),
        sa.Column('fields', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('skipped_reason', sa.Text(), nullable=True),
        sa.Column('synced_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('table_name', 'app_id', name='uq_airtable_records_app'),
        sa.UniqueConstraint('table_name', 'record_id', name='uq_airtable_records_record'),
    )
    op.create_table(
        'sync_state',
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('value', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.drop_column('next_attempt_at')
    op.drop_table('sync_state')
    op.drop_table('airtable_records')
