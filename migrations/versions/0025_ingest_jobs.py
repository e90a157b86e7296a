"""Brochures uploaded from the browser, read by a worker, with their progress.

Revision ID: 0025_ingest_jobs
Revises: 0024_project_archive
Create Date: 2026-12-06 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025_ingest_jobs'
down_revision = '0024_project_archive'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ingest_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_name', sa.String(length=200), nullable=False),
        sa.Column('filename', sa.String(length=300), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=True),
        sa.Column('status', sa.String(length=20), server_default='queued', nullable=False),
        sa.Column('pages', sa.Integer(), nullable=True),
        sa.Column('ocr_pages', sa.Integer(), nullable=True),
        sa.Column('chunks', sa.Integer(), nullable=True),
        sa.Column('facts', sa.Integer(), nullable=True),
        sa.Column('result', sa.String(length=40), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade():
    op.drop_table('ingest_jobs')
