"""Chat widget: a lead per widget conversation, and messages that carry their widget thread.

A phone number typed into the widget is not verified, so a widget conversation gets a lead of
its own (``leads.web_conversation``) rather than joining the lead WhatsApp vouched for: the phone
stays unique among the other leads only. Both indexes on ``messages`` are built concurrently, so
webhooks keep writing while they build.

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

MESSAGING_LEADS = sa.text('web_conversation IS NULL')
THREADS = sa.text('conversation IS NOT NULL')


def upgrade():
    op.add_column('leads', sa.Column('web_conversation', sa.String(length=36), nullable=True))
    op.create_unique_constraint('uq_leads_web_conversation', 'leads', ['web_conversation'])
    op.create_index('ux_leads_phone', 'leads', ['phone'], unique=True, postgresql_where=MESSAGING_LEADS)
    op.drop_constraint('leads_phone_key', 'leads', type_='unique')
    op.add_column('messages', sa.Column('conversation', sa.String(length=36), nullable=True))
    with op.get_context().autocommit_block():
        op.create_index(
            'ix_messages_conversation', 'messages', ['conversation', 'id'],
            postgresql_where=THREADS, postgresql_concurrently=True,
        )


def downgrade():
    with op.get_context().autocommit_block():
        op.drop_index(
            'ix_messages_conversation', table_name='messages',
            postgresql_where=THREADS, postgresql_concurrently=True,
        )
    op.drop_column('messages', 'conversation')
    # Fails while a widget lead shares its phone with another lead: merge or remove one first.
    op.create_unique_constraint('leads_phone_key', 'leads', ['phone'])
    op.drop_index('ux_leads_phone', table_name='leads', postgresql_where=MESSAGING_LEADS)
    op.drop_constraint('uq_leads_web_conversation', 'leads', type_='unique')
    op.drop_column('leads', 'web_conversation')
