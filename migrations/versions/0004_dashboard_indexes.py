"""Indexes for the dashboard (recent messages by direction, replies by message) and lead lists.

Revision ID: 0004_dashboard_indexes
Revises: 0003_portal
Create Date: 2026-11-25 04:07:05.225599

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_dashboard_indexes'
down_revision = '0003_portal'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_created', ['created_at'], unique=False)

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_direction_created', ['direction', 'created_at'], unique=False)
        batch_op.create_index('ix_messages_in_reply_to', ['in_reply_to_id'], unique=False)



def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_in_reply_to')
        batch_op.drop_index('ix_messages_direction_created')

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_created')

