"""Documents remember which version of the fact extractor read them, so facts are extracted
again when the extractor changes and the file does not.

A nullable column: PostgreSQL adds it without rewriting the table; existing documents read as
extracted by an unknown version and are refreshed at their next ingest.

Revision ID: 0011_document_facts_version
Revises: 0010_lead_language
Create Date: 2026-12-06 03:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_document_facts_version'
down_revision = '0010_lead_language'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('documents', sa.Column('facts_version', sa.String(length=16), nullable=True))


def downgrade():
    op.drop_column('documents', 'facts_version')
