"""The developers' sites whose pages show the chat widget for a project, as seen when it opens.

Revision ID: 0028_widget_sites
Revises: 0027_document_versions
Create Date: 2026-12-06 22:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028_widget_sites'
down_revision = '0027_document_versions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'widget_sites',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('origin', sa.String(length=200), nullable=False),
        sa.Column('first_seen', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('last_seen', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('project_id', 'origin', name='uq_widget_sites_project_origin'),
    )


def downgrade():
    op.drop_table('widget_sites')
