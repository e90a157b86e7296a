"""Leads remember when their phone number was proved theirs: a website-chat visitor who types
back the one-time code sent to that number on WhatsApp. Empty for every existing lead (a
WhatsApp lead's number is WhatsApp's own; a website lead's was only typed). The pending code is
kept as an HMAC with its guess count and expiry.

Nullable columns and a constant default: PostgreSQL adds them without rewriting the table.

Revision ID: 0015_phone_verified
Revises: 0014_whatsapp_user_ids
Create Date: 2026-12-06 07:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_phone_verified'
down_revision = '0014_whatsapp_user_ids'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('leads', sa.Column('phone_verified_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('leads', sa.Column('phone_code_digest', sa.String(length=64), nullable=True))
    op.add_column('leads', sa.Column('phone_code_tries', sa.SmallInteger(), server_default='0', nullable=False))
    op.add_column('leads', sa.Column('phone_code_expires_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column('leads', 'phone_code_expires_at')
    op.drop_column('leads', 'phone_code_tries')
    op.drop_column('leads', 'phone_code_digest')
    op.drop_column('leads', 'phone_verified_at')
