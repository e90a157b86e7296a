"""WhatsApp leads known by a business-scoped user id, numbers libphonenumber cannot place, the ad a
lead came from, failure codes, and delivery statuses that arrive before their message's id.

Since April 2026 WhatsApp identifies a user by a business-scoped user id and, for users who adopt
a username, may withhold the phone number: a lead (and its messages) may now have the user id
instead of, or beside, the phone. ``leads.phone`` and ``messages.phone`` become nullable; a check
(``ck_leads_reachable``) keeps every lead reachable by one or the other, and a unique index keeps
one lead per user id. ``leads.phone_unrecognized`` flags a WhatsApp number the phone library cannot
place (Mexico's ``521…``), ``leads.whatsapp_username`` and ``leads.referral`` (the
click-to-WhatsApp ad) are shown to the partner, and ``messages.error_code`` keeps the provider's
error code beside its words. ``early_statuses`` holds a status WhatsApp sent before the send that
made the message had returned its id, until that id is known.

Safe on a live database: dropping NOT NULL and adding nullable columns, or a column with a
constant default, change only the catalogue (no table rewrite); the check is added NOT VALID
and then validated, which reads the leads without blocking writes (every existing lead has a
phone, so it holds); the unique index is built concurrently; the new table is empty.

Downgrading needs every lead and message to have a phone again: a message without one takes its
lead's, and the downgrade stops, saying so, when a lead (or an unprocessed message) is known only
by its user id.

Revision ID: 0014_whatsapp_user_ids
Revises: 0013_session_version
Create Date: 2026-12-06 09:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0014_whatsapp_user_ids'
down_revision = '0013_session_version'
branch_labels = None
depends_on = None

USER_ID = sa.String(length=140)


def upgrade():
    op.alter_column('leads', 'phone', existing_type=sa.String(length=20), nullable=True)
    op.add_column('leads', sa.Column('phone_unrecognized', sa.Boolean(), server_default='false', nullable=False))
    op.add_column('leads', sa.Column('whatsapp_user_id', USER_ID, nullable=True))
    op.add_column('leads', sa.Column('whatsapp_username', sa.String(length=100), nullable=True))
    op.add_column('leads', sa.Column('referral', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.execute(
        'ALTER TABLE leads ADD CONSTRAINT ck_leads_reachable '
        'CHECK (phone IS NOT NULL OR whatsapp_user_id IS NOT NULL) NOT VALID'
    )
    op.execute('ALTER TABLE leads VALIDATE CONSTRAINT ck_leads_reachable')

    op.alter_column('messages', 'phone', existing_type=sa.String(length=20), nullable=True)
    op.add_column('messages', sa.Column('whatsapp_user_id', USER_ID, nullable=True))
    op.add_column('messages', sa.Column('error_code', sa.Integer(), nullable=True))

    op.create_table(
        'early_statuses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('provider_message_id', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('rank', sa.SmallInteger(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('error_code', sa.Integer(), nullable=True),
        sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_early_statuses_message', 'early_statuses', ['provider_message_id'])
    op.create_index('ix_early_statuses_received', 'early_statuses', ['received_at'])

    with op.get_context().autocommit_block():
        op.create_index(
            'ux_leads_whatsapp_user_id', 'leads', ['whatsapp_user_id'], unique=True,
            postgresql_concurrently=True,
        )


def downgrade():
    bind = op.get_bind()
    bind.execute(sa.text(
        'UPDATE messages AS m SET phone = l.phone FROM leads AS l '
        'WHERE m.lead_id = l.id AND m.phone IS NULL AND l.phone IS NOT NULL'
    ))
    leads = bind.scalar(sa.text('SELECT count(*) FROM leads WHERE phone IS NULL'))
    messages = bind.scalar(sa.text('SELECT count(*) FROM messages WHERE phone IS NULL'))
    if leads or messages:
        raise RuntimeError(
            f'{leads} lead(s) and {messages} message(s) are known only by a WhatsApp user id; the '
            'previous schema needs a phone for each. Delete or export them before downgrading.'
        )
    with op.get_context().autocommit_block():
        op.drop_index('ux_leads_whatsapp_user_id', table_name='leads', postgresql_concurrently=True)
    op.drop_index('ix_early_statuses_received', table_name='early_statuses')
    op.drop_index('ix_early_statuses_message', table_name='early_statuses')
    op.drop_table('early_statuses')
    op.drop_column('messages', 'error_code')
    op.drop_column('messages', 'whatsapp_user_id')
    op.alter_column('messages', 'phone', existing_type=sa.String(length=20), nullable=False)
    op.drop_constraint('ck_leads_reachable', 'leads', type_='check')
    op.drop_column('leads', 'referral')
    op.drop_column('leads', 'whatsapp_username')
    op.drop_column('leads', 'whatsapp_user_id')
    op.drop_column('leads', 'phone_unrecognized')
    op.alter_column('leads', 'phone', existing_type=sa.String(length=20), nullable=False)
