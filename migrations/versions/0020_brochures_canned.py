"""Brochure PDFs are kept beside their documents, to send to investors; the partner's canned
replies for brokers, starting with three the team can reword.

Revision ID: 0020_brochures_canned
Revises: 0019_broker_inbox
Create Date: 2026-12-06 21:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_brochures_canned'
down_revision = '0019_broker_inbox'
branch_labels = None
depends_on = None

STARTERS = (
    ("Send the brochure", "brochure", "Here is the {project} brochure, {name}. Ask me anything about it."),
    (
        "Propose a site visit",
        "site_visit",
        "Would you like to see {project}? Pick a time that suits you and I will meet you there. – {broker}",
    ),
    ("Call me back", "text", "Hello {name}, this is {broker} about {project}. When is a good time to call you?"),
)


def upgrade():
    op.create_table(
        'document_files',
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=300), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('stored_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('document_id'),
    )
    replies = op.create_table(
        'canned_replies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=60), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('kind', sa.String(length=20), server_default='text', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("kind IN ('text', 'brochure', 'site_visit')", name='ck_canned_kind'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('title'),
    )
    op.bulk_insert(replies, [{"title": title, "kind": kind, "body": body} for title, kind, body in STARTERS])


def downgrade():
    op.drop_table('canned_replies')
    op.drop_table('document_files')
