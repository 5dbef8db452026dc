"""A version's change summary in every language of its text; the material versions whose tourists
are still to be told (told by a task after publishing, or by the beat's sweep).

Revision ID: 0014n
Revises: 0013f
Create Date: 2026-12-06 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014n'
down_revision = '0013f'
branch_labels = None
depends_on = None


# Plain ALTER TABLE for the column (see 0013f); the texts' triggers refuse UPDATE and DELETE, not a
# new column. Versions published before keep their one summary on document_versions, which is
# shown in the document's default language.

def upgrade():
    op.add_column('document_texts', sa.Column('change_summary', sa.Text(), server_default='', nullable=False))
    op.create_table(
        'document_notices',
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['version_id'], ['document_versions.id'], name=op.f('fk_document_notices_version_id_document_versions')),
        sa.PrimaryKeyConstraint('version_id', name=op.f('pk_document_notices')),
    )


def downgrade():
    op.drop_table('document_notices')
    op.drop_column('document_texts', 'change_summary')
