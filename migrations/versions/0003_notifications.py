"""Notifications: reminders as message rows (rule, subject, send time, unique key), in-app
notifications, delivery reports, notification preferences, quiet hours and SMS opt-outs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 03:16:40.368424

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sms_opt_outs',
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('keyword', sa.String(length=16), nullable=False),
    sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('phone', name=op.f('pk_sms_opt_outs'))
    )
    op.create_table('notification_preferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False, server_default=''),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.Column('sms', sa.Boolean(), nullable=False),
    sa.Column('in_app', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preferences')),
    sa.UniqueConstraint('user_id', 'category', name='uq_notification_preferences_user_category')
    )
    op.create_table('quiet_hours',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('starts', sa.Time(), nullable=False),
    sa.Column('ends', sa.Time(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_quiet_hours_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_quiet_hours'))
    )
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html_body', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('link_url', sa.String(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('key', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('rule', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('category', sa.String(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('subject_type', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('context', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('urgent', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('send_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('delivery_status', sa.String(length=16), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('read_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resent_from_id', sa.Integer(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_outbound_messages_status_created'))
        batch_op.create_index(batch_op.f('ix_outbound_messages_provider_message_id'), ['provider_message_id'], unique=False)
        batch_op.create_index('ix_outbound_messages_status_send_at', ['status', 'send_at'], unique=False)
        batch_op.create_index('ix_outbound_messages_subject', ['subject_type', 'subject_id'], unique=False)
        batch_op.create_index('ix_outbound_messages_user_channel_read', ['user_id', 'channel', 'read_at'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_outbound_messages_key'), ['key'])
        batch_op.create_foreign_key(batch_op.f('fk_outbound_messages_resent_from_id_outbound_messages'), 'outbound_messages', ['resent_from_id'], ['id'])

    # Messages written before this revision were due when they were written.
    op.execute("UPDATE outbound_messages SET send_at = created_at WHERE send_at IS NULL")
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.alter_column('send_at', existing_type=sa.DateTime(timezone=True), nullable=False)

    # Phone numbers in E.164, as the app now stores them (Twilio sends and expects E.164, and SMS
    # opt-outs are keyed by it). A number that is not valid with its country code cannot get an
    # SMS and is removed; the user can enter it again on their account page. Not undone.
    import phonenumbers

    users = sa.table('users', sa.column('id', sa.Integer()), sa.column('phone', sa.String(32)))
    conn = op.get_bind()
    rows = conn.execute(sa.select(users.c.id, users.c.phone).where(users.c.phone.is_not(None))).all()
    for user_id, phone in rows:
        text = phone.strip()
        if text.startswith('00'):
            text = '+' + text[2:]
        e164 = None
        try:
            number = phonenumbers.parse(text, None)
        except phonenumbers.NumberParseException:
            number = None
        if number is not None and not number.extension and phonenumbers.is_valid_number(number):
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if e164 != phone:
            conn.execute(users.update().where(users.c.id == user_id).values(phone=e164))


def downgrade():
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbound_messages_resent_from_id_outbound_messages'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_outbound_messages_key'), type_='unique')
        batch_op.drop_index('ix_outbound_messages_user_channel_read')
        batch_op.drop_index('ix_outbound_messages_subject')
        batch_op.drop_index('ix_outbound_messages_status_send_at')
        batch_op.drop_index(batch_op.f('ix_outbound_messages_provider_message_id'))
        batch_op.create_index(batch_op.f('ix_outbound_messages_status_created'), ['status', 'created_at'], unique=False)
        batch_op.drop_column('resent_from_id')
        batch_op.drop_column('read_at')
        batch_op.drop_column('note')
        batch_op.drop_column('delivered_at')
        batch_op.drop_column('delivery_status')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('send_at')
        batch_op.drop_column('urgent')
        batch_op.drop_column('context')
        batch_op.drop_column('subject_id')
        batch_op.drop_column('subject_type')
        batch_op.drop_column('category')
        batch_op.drop_column('rule')
        batch_op.drop_column('key')
        batch_op.drop_column('link_url')
        batch_op.drop_column('html_body')

    op.drop_table('quiet_hours')
    op.drop_table('notification_preferences')
    op.drop_table('sms_opt_outs')
