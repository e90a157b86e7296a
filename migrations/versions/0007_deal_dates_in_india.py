"""Deals: a closing date left to the database defaults to India's date, not the server's.

Deals stored before this revision keep their dates: one logged between midnight and 05:30 IST
with the default date carries the day before, and nothing records which dates were defaulted.

Revision ID: 0007_deal_dates_in_india
Revises: 0006_airtable_sync
Create Date: 2026-12-04 21:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_deal_dates_in_india'
down_revision = '0006_airtable_sync'
branch_labels = None
depends_on = None


def upgrade():
    op.alter_column(
        'deals', 'closed_on', server_default=sa.text("(timezone('Asia/Kolkata', now()))::date")
    )


def downgrade():
    op.alter_column('deals', 'closed_on', server_default=sa.text('CURRENT_DATE'))
