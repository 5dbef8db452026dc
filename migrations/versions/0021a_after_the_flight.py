"""After the flight: when it actually lifted off and landed, and each flown tourist's answers to
the short survey. (Bookings gain the state "flown", a value of their existing column.)

Revision ID: 0021a
Revises: 0020c
Create Date: 2026-12-06 13:05:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021a'
down_revision = '0020c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'flight_outcomes',
        sa.Column('flight_id', sa.Integer(), sa.ForeignKey('flights.id'), nullable=False),
        sa.Column('lifted_off_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('landed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('flight_id'),
    )
    op.create_table(
        'flight_feedback',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('booking_id', sa.Integer(), sa.ForeignKey('bookings.id'), nullable=False),
        sa.Column('flight_id', sa.Integer(), sa.ForeignKey('flights.id'), nullable=False),
        sa.Column('overall', sa.Integer(), nullable=False),
        sa.Column('recommend', sa.Integer(), nullable=False),
        sa.Column('best', sa.Text(), nullable=False),
        sa.Column('improve', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('booking_id'),
    )
    op.create_index('ix_flight_feedback_flight_id', 'flight_feedback', ['flight_id'])


def downgrade():
    op.drop_index('ix_flight_feedback_flight_id', table_name='flight_feedback')
    op.drop_table('flight_feedback')
    op.drop_table('flight_outcomes')
