"""A flight-wide segment is given to a booking once (a unique index on booking and template).

Revision ID: 0016t
Revises: 0015v
Create Date: 2026-12-06 06:45:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016t'
down_revision = '0015v'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('uq_travel_segments_booking_template', 'travel_segments', ['booking_id', 'template_id'],
                    unique=True)


def downgrade():
    op.drop_index('uq_travel_segments_booking_template', table_name='travel_segments')
