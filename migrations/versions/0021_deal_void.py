"""Deals can be voided with a reason (the sale fell through or was logged by mistake): a voided
deal stays on the lead's history but counts in no revenue, win or export total.

Revision ID: 0021_deal_void
Revises: 0020_brochures_canned
Create Date: 2026-12-06 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_deal_void'
down_revision = '0020_brochures_canned'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('deals', sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('deals', sa.Column('void_reason', sa.Text(), nullable=True))
    op.add_column('deals', sa.Column('voided_by_id', sa.Integer(), nullable=True))
    op.create_foreign_key(
        'deals_voided_by_id_fkey', 'deals', 'users', ['voided_by_id'], ['id'], ondelete='SET NULL'
    )
    op.create_check_constraint(
        'ck_deals_void_reason',
        'deals',
        "voided_at IS NULL OR (void_reason IS NOT NULL AND length(trim(void_reason)) > 0)",
    )


def downgrade():
    op.drop_constraint('ck_deals_void_reason', 'deals', type_='check')
    op.drop_constraint('deals_voided_by_id_fkey', 'deals', type_='foreignkey')
    op.drop_column('deals', 'voided_by_id')
    op.drop_column('deals', 'void_reason')
    op.drop_column('deals', 'voided_at')
