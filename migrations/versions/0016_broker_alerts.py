"""New-lead alerts to brokers, one row per broker and channel (WhatsApp, email), with what
became of each, so the partner sees the alerts that did not arrive.

Revision ID: 0016_broker_alerts
Revises: 0015_phone_verified
Create Date: 2026-12-06 18:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_broker_alerts'
down_revision = '0015_phone_verified'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lead_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('address', sa.String(length=254), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=20), server_default='pending', nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('status_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("channel IN ('whatsapp', 'email')", name='ck_alerts_channel'),
        sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('lead_id', 'user_id', 'channel', name='uq_alerts_lead_user_channel'),
    )
    op.create_index('ix_alerts_lead_id', 'alerts', ['lead_id'])
    op.create_index(
        'ix_alerts_waiting', 'alerts', ['next_attempt_at'],
        postgresql_where=sa.text("status IN ('pending', 'retrying')"),
    )


def downgrade():
    op.drop_index('ix_alerts_waiting', table_name='alerts')
    op.drop_index('ix_alerts_lead_id', table_name='alerts')
    op.drop_table('alerts')
