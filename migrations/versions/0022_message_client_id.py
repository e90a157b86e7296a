"""A message a broker sends from the lead's page carries the id its form was drawn with, so the
same form sent twice (a double tap, a resent request) is one message.

Revision ID: 0022_message_client_id
Revises: 0021_deal_void
Create Date: 2026-12-06 21:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022_message_client_id'
down_revision = '0021_deal_void'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('messages', sa.Column('client_id', sa.String(length=64), nullable=True))
    op.create_unique_constraint('uq_messages_client_id', 'messages', ['client_id'])


def downgrade():
    op.drop_constraint('uq_messages_client_id', 'messages', type_='unique')
    op.drop_column('messages', 'client_id')
