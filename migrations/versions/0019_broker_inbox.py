"""Leads remember the last message their broker has seen, so the broker's inbox can count the
investor's messages that came after it.

Revision ID: 0019_broker_inbox
Revises: 0018_broker_messages
Create Date: 2026-12-06 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_broker_inbox'
down_revision = '0018_broker_messages'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('leads', sa.Column('broker_seen_message_id', sa.Integer(), nullable=True))


def downgrade():
    op.drop_column('leads', 'broker_seen_message_id')
