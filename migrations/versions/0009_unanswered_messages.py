"""Messages the bot gave up on: a small partial index for the dashboard's list of them.

Built concurrently, so webhooks keep writing while it builds.

Revision ID: 0009_unanswered_messages
Revises: 0008_widget_conversations
Create Date: 2026-12-05 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_unanswered_messages'
down_revision = '0008_widget_conversations'
branch_labels = None
depends_on = None

GIVEN_UP = sa.text("direction = 'in' AND status = 'failed'")


def upgrade():
    with op.get_context().autocommit_block():
        op.create_index(
            'ix_messages_unanswered', 'messages', ['created_at'],
            postgresql_where=GIVEN_UP, postgresql_concurrently=True,
        )


def downgrade():
    with op.get_context().autocommit_block():
        op.drop_index('ix_messages_unanswered', table_name='messages', postgresql_concurrently=True)
