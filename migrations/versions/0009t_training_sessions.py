"""Training sessions: a module at a place and time (stored in UTC, with the place's time zone),
its instructors and capacity; a tourist's place in one (or on its waiting list), with attendance,
result and an event row for every change; the private calendar feed of each user;
and the files an email carries (a session's calendar file).

Revision ID: 0009t
Revises: 0008t
Create Date: 2026-12-05 23:03:49

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009t'
down_revision = '0008t'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachments', sa.JSON(), nullable=True))

    op.create_table('calendar_feeds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds'))
    )
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feeds_user_id'), ['user_id'], unique=False)

    op.create_table('training_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('scheduled', 'cancelled', name='sessionstatus', native_enum=False, length=16), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('series', sa.String(length=32), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_training_sessions_capacity_positive')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_training_sessions_ends_after_start')),
    sa.ForeignKeyConstraint(['module_id'], ['training_modules.id'], name=op.f('fk_training_sessions_module_id_training_modules')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_sessions'))
    )
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_training_sessions_module_starts', ['module_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_sessions_series'), ['series'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_sessions_starts_at'), ['starts_at'], unique=False)

    op.create_table('training_places',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('waiting', 'offered', 'booked', 'cancelled', 'lapsed', name='placestate', native_enum=False, length=16), nullable=False),
    sa.Column('offer_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attendance', sa.Enum('present', 'absent', 'excused', name='attendance', native_enum=False, length=16), nullable=True),
    sa.Column('result', sa.Enum('passed', 'failed', name='result', native_enum=False, length=16), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('signed_off_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_off_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score IS NULL OR (score >= 0 AND score <= 100)', name=op.f('ck_training_places_score_percent')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_training_places_booking_id_bookings')),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_training_places_session_id_training_sessions')),
    sa.ForeignKeyConstraint(['signed_off_by_id'], ['users.id'], name=op.f('fk_training_places_signed_off_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_training_places_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_places'))
    )
    with op.batch_alter_table('training_places', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_places_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index('ix_training_places_session_state', ['session_id', 'state'], unique=False)
        batch_op.create_index('ix_training_places_user_state', ['user_id', 'state'], unique=False)
        batch_op.create_index('uq_training_places_live', ['session_id', 'user_id'], unique=True, postgresql_where=sa.text("state IN ('waiting', 'offered', 'booked')"), sqlite_where=sa.text("state IN ('waiting', 'offered', 'booked')"))

    op.create_table('training_session_instructors',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_training_session_instructors_session_id_training_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_training_session_instructors_user_id_users')),
    sa.PrimaryKeyConstraint('session_id', 'user_id', name=op.f('pk_training_session_instructors'))
    )
    with op.batch_alter_table('training_session_instructors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_session_instructors_user_id'), ['user_id'], unique=False)

    op.create_table('training_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=32), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_training_events_actor_id_users')),
    sa.ForeignKeyConstraint(['place_id'], ['training_places.id'], name=op.f('fk_training_events_place_id_training_places')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_events'))
    )
    with op.batch_alter_table('training_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_events_place_id'), ['place_id'], unique=False)



def downgrade():
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_column('attachments')

    with op.batch_alter_table('training_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_events_place_id'))

    op.drop_table('training_events')
    with op.batch_alter_table('training_session_instructors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_session_instructors_user_id'))

    op.drop_table('training_session_instructors')
    with op.batch_alter_table('training_places', schema=None) as batch_op:
        batch_op.drop_index('uq_training_places_live', postgresql_where=sa.text("state IN ('waiting', 'offered', 'booked')"), sqlite_where=sa.text("state IN ('waiting', 'offered', 'booked')"))
        batch_op.drop_index('ix_training_places_user_state')
        batch_op.drop_index('ix_training_places_session_state')
        batch_op.drop_index(batch_op.f('ix_training_places_booking_id'))

    op.drop_table('training_places')
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_sessions_starts_at'))
        batch_op.drop_index(batch_op.f('ix_training_sessions_series'))
        batch_op.drop_index('ix_training_sessions_module_starts')

    op.drop_table('training_sessions')
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feeds_user_id'))

    op.drop_table('calendar_feeds')
