"""A document records which of its pages had no text layer and were read by OCR, so a citation
of such a page can say so.

Revision ID: 0026_ocr_pages
Revises: 0025_ingest_jobs
Create Date: 2026-12-06 22:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026_ocr_pages'
down_revision = '0025_ingest_jobs'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'documents',
        sa.Column('ocr_pages', sa.ARRAY(sa.Integer()), server_default='{}', nullable=False),
    )


def downgrade():
    op.drop_column('documents', 'ocr_pages')
