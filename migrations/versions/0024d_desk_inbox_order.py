"""The desk's inbox in the order of an index: the waits by due time, the rest by their last change.
A page of the inbox read the list's every match and sorted them to show fifty; with these indexes
PostgreSQL reads the first fifty in order and stops.

Revision ID: 0024d
Revises: 0023p
Create Date: 2026-12-07 01:15:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024d'
down_revision = '0023p'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_desk_conversations_due", "desk_conversations", ["due_at", "id"])
    op.create_index("ix_desk_conversations_updated", "desk_conversations", ["updated_at", "id"])


def downgrade():
    op.drop_index("ix_desk_conversations_updated", table_name="desk_conversations")
    op.drop_index("ix_desk_conversations_due", table_name="desk_conversations")
