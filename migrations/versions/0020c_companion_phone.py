"""A companion's mobile number (encrypted), for the launch-day news they get by SMS.

Revision ID: 0020c
Revises: 0019l
Create Date: 2026-12-06 13:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020c'
down_revision = '0019l'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('travel_companions') as batch:
        batch.add_column(sa.Column('phone', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('travel_companions') as batch:
        batch.drop_column('phone')
