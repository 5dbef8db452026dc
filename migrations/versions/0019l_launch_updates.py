"""Launch-day updates: a flight's timeline (holds, weather, go/no-go, boarding, liftoff, landing),
and the address of its read-only launch page for families.

Revision ID: 0019l
Revises: 0018f
Create Date: 2026-12-06 12:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019l'
down_revision = '0018f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'launch_updates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('flight_id', sa.Integer(), sa.ForeignKey('flights.id'), nullable=False),
        sa.Column('kind', sa.Enum('hold', 'weather', 'go_no_go', 'boarding', 'liftoff', 'landing', 'other', name='updatekind',
                                  native_enum=False, length=16), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('actor_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_launch_updates_flight_at', 'launch_updates', ['flight_id', 'created_at'])
    op.create_table(
        'launch_links',
        sa.Column('flight_id', sa.Integer(), sa.ForeignKey('flights.id'), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('flight_id'),
    )


def downgrade():
    op.drop_table('launch_links')
    op.drop_index('ix_launch_updates_flight_at', table_name='launch_updates')
    op.drop_table('launch_updates')
