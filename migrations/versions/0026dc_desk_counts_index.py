"""The desk inbox's counts by state (of the conversations a role may read, by topic and whether
matched to a tourist) from an index alone: PostgreSQL read every conversation's row for them
(5,000 rows: about 1.3 ms of the inbox's 2 ms in the database; 0.7 ms with the index).

Revision ID: 0026dc
Revises: 0025docs
Create Date: 2026-12-07 03:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026dc'
down_revision = '0025docs'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_desk_conversations_state_topic_user", "desk_conversations", ["state", "topic", "user_id"])


def downgrade():
    op.drop_index("ix_desk_conversations_state_topic_user", table_name="desk_conversations")
