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


# Plain ALTER TABLE (SQLite adds and drops columns itself): a batch would copy these tables, which
# answers and cases refer to, and fail on their foreign keys once they hold data.

def upgrade():
    op.add_column('medical_questionnaires', sa.Column('default_language', sa.String(length=5), server_default='en',
                                                      nullable=False))
    op.add_column('medical_questionnaires', sa.Column('texts', sa.JSON(), server_default='{}', nullable=False))
    op.add_column('medical_questions', sa.Column('texts', sa.JSON(), server_default='{}', nullable=False))


def downgrade():
    op.drop_column('medical_questions', 'texts')
    op.drop_column('medical_questionnaires', 'texts')
    op.drop_column('medical_questionnaires', 'default_language')
