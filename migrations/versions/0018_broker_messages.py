"""Messages remember the broker who wrote them from the lead's page (the rest are the bot's or
the investor's).

Revision ID: 0018_broker_messages
Revises: 0017_assistant_paused
Create Date: 2026-12-06 19:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_broker_messages'
down_revision = '0017_assistant_paused'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('messages', sa.Column('sent_by_id', sa.Integer(), nullable=True))
    op.create_foreign_key(
        'messages_sent_by_id_fkey', 'messages', 'users', ['sent_by_id'], ['id'], ondelete='SET NULL'
    )


def downgrade():
    op.drop_constraint('messages_sent_by_id_fkey', 'messages', type_='foreignkey')
    op.drop_column('messages', 'sent_by_id')
