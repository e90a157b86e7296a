"""Portal: users, deals with generated commissions, notifications, revenue targets, lead pipeline.

Revision ID: 0003_portal
Revises: 0002_leads
Create Date: 2026-11-25 03:22:58.911438

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_portal'
down_revision = '0002_leads'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('revenue_targets',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('target', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.PrimaryKeyConstraint('month')
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('areas', sa.ARRAY(sa.String(length=100)), server_default='{}', nullable=False),
    sa.Column('max_active_leads', sa.Integer(), server_default='10', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role IN ('broker', 'partner')", name='ck_users_role'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )
    op.create_table('deals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('broker_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('project_name', sa.String(length=200), nullable=False),
    sa.Column('unit_type', sa.String(length=60), nullable=False),
    sa.Column('deal_value', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('broker_rate', sa.Numeric(precision=6, scale=4), nullable=False),
    sa.Column('platform_rate', sa.Numeric(precision=6, scale=4), nullable=False),
    sa.Column('broker_commission', sa.Numeric(precision=16, scale=2), sa.Computed('round(deal_value * broker_rate, 2)', persisted=True), nullable=False),
    sa.Column('platform_commission', sa.Numeric(precision=16, scale=2), sa.Computed('round(deal_value * broker_rate * platform_rate, 2)', persisted=True), nullable=False),
    sa.Column('closed_on', sa.Date(), server_default=sa.text('CURRENT_DATE'), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('deal_value > 0', name='ck_deals_value_positive'),
    sa.ForeignKeyConstraint(['broker_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deals_broker_id'), ['broker_id'], unique=False)
        batch_op.create_index('ix_deals_closed_on', ['closed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_deals_lead_id'), ['lead_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_unread', ['user_id'], unique=False, postgresql_where='read_at IS NULL')

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('broker_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('pipeline', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('contacted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('site_visit_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('lost_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('partner_notes', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_leads_broker_id'), ['broker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_pipeline'), ['pipeline'], unique=False)
        batch_op.create_foreign_key(None, 'users', ['broker_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        # WARNING: constraint name is None; this directive will fail as
        # rendered.  Add a name, or use a naming convention; see
        # https://alembic.sqlalchemy.org/en/latest/naming.html
        batch_op.drop_constraint(None, type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_leads_pipeline'))
        batch_op.drop_index(batch_op.f('ix_leads_broker_id'))
        batch_op.drop_column('partner_notes')
        batch_op.drop_column('lost_reason')
        batch_op.drop_column('site_visit_on')
        batch_op.drop_column('contacted_at')
        batch_op.drop_column('pipeline')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('broker_id')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_unread', postgresql_where='read_at IS NULL')

    op.drop_table('notifications')
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deals_lead_id'))
        batch_op.drop_index('ix_deals_closed_on')
        batch_op.drop_index(batch_op.f('ix_deals_broker_id'))

    op.drop_table('deals')
    op.drop_table('users')
    op.drop_table('revenue_targets')
