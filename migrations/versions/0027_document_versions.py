"""Earlier versions of brochures, replaced by a newer file of the same name: what they were and
when, for the partner's projects page.

Revision ID: 0027_document_versions
Revises: 0026_ocr_pages
Create Date: 2026-12-06 22:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027_document_versions'
down_revision = '0026_ocr_pages'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'document_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=300), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('page_count', sa.Integer(), nullable=False),
        sa.Column('ingested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('replaced_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_document_versions_project_id', 'document_versions', ['project_id'])


def downgrade():
    op.drop_index('ix_document_versions_project_id', table_name='document_versions')
    op.drop_table('document_versions')
