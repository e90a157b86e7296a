"""Users carry a session version: every session and remember-me cookie is signed with it, and
logout, a password change or deactivation bumps it, so copies of old cookies stop working.

A column with a constant default: PostgreSQL adds it without rewriting the table.

Revision ID: 0013_session_version
Revises: 0012_document_parts
Create Date: 2026-12-06 06:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_session_version'
down_revision = '0012_document_parts'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    op.drop_column('users', 'session_version')
