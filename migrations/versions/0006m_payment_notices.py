"""Payment notices: whether a payment's last attempt was an automatic charge (only those are told
by message), and in-app notices whose problem has since been resolved.

Revision ID: 0006m
Revises: 0006s
Create Date: 2026-12-06 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006m'
down_revision = '0006s'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('automatic_attempt', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_column('resolved_at')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('automatic_attempt')
