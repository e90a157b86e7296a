"""Documents remember the brochures bound in them (parts: pages, title, names), found at ingest,
so listings name the part that answers without reading the file again.

A nullable column: PostgreSQL adds it without rewriting the table; existing documents read as
"not yet looked into" and get their parts at their next ingest.

Revision ID: 0012_document_parts
Revises: 0011_document_facts_version
Create Date: 2026-12-06 05:20:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0012_document_parts'
down_revision = '0011_document_facts_version'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('documents', sa.Column('parts', postgresql.JSONB(astext_type=sa.Text()), nullable=True))


def downgrade():
    op.drop_column('documents', 'parts')
