"""Leads remember the language the bot writes to them in (English, Hinglish or Hindi).

A column with a constant default: PostgreSQL adds it without rewriting the table.

Revision ID: 0010_lead_language
Revises: 0009_unanswered_messages
Create Date: 2026-12-05 18:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_lead_language'
down_revision = '0009_unanswered_messages'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('leads', sa.Column('language', sa.String(length=10), server_default='en', nullable=False))


def downgrade():
    op.drop_column('leads', 'language')
