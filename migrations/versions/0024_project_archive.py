"""Projects the partner archives: neither answered nor offered to investors, brochures kept.

Revision ID: 0024_project_archive
Revises: 0023_audit_log
Create Date: 2026-12-06 21:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024_project_archive'
down_revision = '0023_audit_log'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('projects', sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column('projects', 'archived_at')
