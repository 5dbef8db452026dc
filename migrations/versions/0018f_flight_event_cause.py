"""Why a flight's launch moved (weather, technical, range, other) and operations' note, kept in the
flight's schedule history beside each move.

Revision ID: 0018f
Revises: 0017r
Create Date: 2026-12-06 12:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018f'
down_revision = '0017r'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('flight_events') as batch:
        batch.add_column(sa.Column('cause', sa.String(length=16), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('flight_events') as batch:
        batch.drop_column('cause')
