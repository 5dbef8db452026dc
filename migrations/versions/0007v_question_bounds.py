"""Plausible answers: a multiple-choice question's options answered only on their own ("None of
these"), and which dates a date question takes (past, future or any).

Existing date questions take any date, as before; new ones default to the past. In the seeded
questionnaire, "None of these" is answered alone and the examination and operation dates are past.

Revision ID: 0007v
Revises: 0006d
Create Date: 2026-12-13 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007v'
down_revision = '0006d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('medical_questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exclusive_choices', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(sa.Column('date_range', sa.String(length=8), server_default='any', nullable=False))
    # The seeded questionnaire's questions (app/seed_medical.py), in every version that has them.
    op.execute("UPDATE medical_questions SET date_range = 'past' "
               "WHERE kind = 'date' AND key IN ('last_physical_exam', 'recent_surgery_date')")
    op.execute("UPDATE medical_questions SET exclusive_choices = '[\"None of these\"]' "
               "WHERE kind = 'multiple_choice' AND key = 'conditions' "
               "AND CAST(choices AS TEXT) LIKE '%None of these%'")


def downgrade():
    with op.batch_alter_table('medical_questions', schema=None) as batch_op:
        batch_op.drop_column('date_range')
        batch_op.drop_column('exclusive_choices')
