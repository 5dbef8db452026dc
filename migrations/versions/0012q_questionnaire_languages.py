"""The health questionnaire in every language: a version's title and introduction, and each
question's text, hint and choice labels, translated beside the default language's (which stays
where it was, so nothing already written or answered changes).

Revision ID: 0012q
Revises: 0011d
Create Date: 2026-12-06 03:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012q'
down_revision = '0011d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('medical_questionnaires', schema=None) as batch_op:
        batch_op.add_column(sa.Column('default_language', sa.String(length=5), server_default='en', nullable=False))
        batch_op.add_column(sa.Column('texts', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
    with op.batch_alter_table('medical_questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('texts', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))


def downgrade():
    with op.batch_alter_table('medical_questions', schema=None) as batch_op:
        batch_op.drop_column('texts')
    with op.batch_alter_table('medical_questionnaires', schema=None) as batch_op:
        batch_op.drop_column('texts')
        batch_op.drop_column('default_language')
