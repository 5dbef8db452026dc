"""Medical corrections: a case's history tells a corrected decision (with its reason and the
clearance's end it set) and a change the tourist reported from a plain state move.

Revision ID: 0006d
Revises: 0006m
Create Date: 2026-12-12 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006d'
down_revision = '0006m'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('medical_case_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='transition', nullable=False))
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('valid_until', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('medical_case_events', schema=None) as batch_op:
        batch_op.drop_column('valid_until')
        batch_op.drop_column('reason')
        batch_op.drop_column('kind')
