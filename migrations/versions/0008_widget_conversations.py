"""Chat widget: messages carry the widget thread (conversation) they belong to.

Revision ID: 0008_widget_conversations
Revises: 0007_deal_dates_in_india
Create Date: 2026-12-04 22:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_widget_conversations'
down_revision = '0007_deal_dates_in_india'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('messages', sa.Column('conversation', sa.String(length=36), nullable=True))
    op.create_index(
        'ix_messages_conversation', 'messages', ['conversation', 'id'],
        postgresql_where=sa.text('conversation IS NOT NULL'),
    )


def downgrade():
    op.drop_index('ix_messages_conversation', table_name='messages', postgresql_where=sa.text('conversation IS NOT NULL'))
    op.drop_column('messages', 'conversation')
