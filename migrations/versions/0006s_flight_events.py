"""Money and status agree: each refund says why (its kind), and each change of a flight is kept
(scrub, delay, move, cancellation) so that the tourist's pages can say what happened, and when.

Revision ID: 0006s
Revises: 0005
Create Date: 2026-12-12 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006s'
down_revision = '0005'
branch_labels = None
depends_on = None

FLIGHT_STATUS = ('scheduled', 'delayed', 'scrubbed', 'flown', 'cancelled')


def upgrade():
    op.create_table('flight_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flight_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('from_status', sa.Enum(*FLIGHT_STATUS, name='flightstatus', native_enum=False, length=16), nullable=False),
    sa.Column('to_status', sa.Enum(*FLIGHT_STATUS, name='flightstatus', native_enum=False, length=16), nullable=False),
    sa.Column('previous_launch_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('launch_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_flight_events_actor_id_users')),
    sa.ForeignKeyConstraint(['flight_id'], ['flights.id'], name=op.f('fk_flight_events_flight_id_flights')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flight_events'))
    )
    with op.batch_alter_table('flight_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flight_events_flight_id'), ['flight_id'], unique=False)

    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'kind',
            sa.Enum('operator', 'tourist_cancelled', 'flight_cancelled', 'seat_gone', 'provider',
                    name='refundkind', native_enum=False, length=24),
            server_default='operator', nullable=False,
        ))


def downgrade():
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_column('kind')
    with op.batch_alter_table('flight_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flight_events_flight_id'))
    op.drop_table('flight_events')
