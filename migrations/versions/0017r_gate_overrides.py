"""Operations' overrides of readiness gates (who waived which gate of a booking, when and why).

Revision ID: 0017r
Revises: 0016t
Create Date: 2026-12-06 12:10:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017r'
down_revision = '0016t'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'gate_overrides',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('booking_id', sa.Integer(), sa.ForeignKey('bookings.id'), nullable=False),
        sa.Column('gate', sa.String(length=32), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('actor_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('withdrawn_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_gate_overrides_booking_id', 'gate_overrides', ['booking_id'])
    op.create_index('uq_gate_overrides_live', 'gate_overrides', ['booking_id', 'gate'], unique=True,
                    sqlite_where=sa.text('withdrawn_at IS NULL'), postgresql_where=sa.text('withdrawn_at IS NULL'))


def downgrade():
    op.drop_index('uq_gate_overrides_live', table_name='gate_overrides')
    op.drop_index('ix_gate_overrides_booking_id', table_name='gate_overrides')
    op.drop_table('gate_overrides')
