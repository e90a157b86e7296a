"""Leads carry whether their broker paused the bot: while paused it answers nothing and every
message the investor sends reaches the broker as a notification.

Revision ID: 0017_assistant_paused
Revises: 0016_broker_alerts
Create Date: 2026-12-06 18:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_assistant_paused'
down_revision = '0016_broker_alerts'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('leads', sa.Column('assistant_paused', sa.Boolean(), server_default='false', nullable=False))


def downgrade():
    op.drop_column('leads', 'assistant_paused')
