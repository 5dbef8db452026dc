"""Training plans record when the reminders of the bookings they apply to were planned, so that a
sweep plans them for a published plan whose task never ran. Plans published before this were
planned as they were published.

Revision ID: 0010t
Revises: 0009t
Create Date: 2026-12-06 02:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010t'
down_revision = '0009t'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE: a batch would copy the table, which plan items refer to.
    op.add_column('training_plans', sa.Column('reminders_planned_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE training_plans SET reminders_planned_at = published_at WHERE published_at IS NOT NULL")


def downgrade():
    op.drop_column('training_plans', 'reminders_planned_at')
