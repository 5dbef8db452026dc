"""A flight's description in the other languages, beside the one it is written in.

Revision ID: 0013f
Revises: 0012q
Create Date: 2026-12-06 03:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013f'
down_revision = '0012q'
branch_labels = None
depends_on = None


# Plain ALTER TABLE (SQLite adds and drops columns itself): a batch would copy the flights table,
# which bookings refer to, and fail on their foreign keys once it holds data.

def upgrade():
    op.add_column('flights', sa.Column('texts', sa.JSON(), server_default='{}', nullable=False))


def downgrade():
    op.drop_column('flights', 'texts')
