"""Medical assessments: versioned questionnaires, cases, encrypted answers and uploads,
assessments, decisions, self-certifications, vehicle limits and the access log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 04:00:45.026837

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('medical_vehicle_limits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vehicle', sa.String(length=120), nullable=False),
    sa.Column('min_age', sa.Integer(), nullable=False),
    sa.Column('min_height_cm', sa.Numeric(precision=5, scale=1), nullable=True),
    sa.Column('max_height_cm', sa.Numeric(precision=5, scale=1), nullable=True),
    sa.Column('min_weight_kg', sa.Numeric(precision=5, scale=1), nullable=True),
    sa.Column('max_weight_kg', sa.Numeric(precision=5, scale=1), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medical_vehicle_limits')),
    sa.UniqueConstraint('vehicle', name=op.f('uq_medical_vehicle_limits_vehicle'))
    )
    op.create_table('medical_questionnaires',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('intro', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_medical_questionnaires_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medical_questionnaires')),
    sa.UniqueConstraint('version', name=op.f('uq_medical_questionnaires_version'))
    )
    op.create_table('medical_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('answering', 'submitted', 'info_requested', 'cleared', 'restricted', 'not_cleared', name='casestate', native_enum=False, length=20), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('restrictions', sa.Text(), nullable=False),
    sa.Column('info_request', sa.Text(), nullable=False),
    sa.Column('info_response', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_medical_cases_decided_by_id_users')),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['medical_questionnaires.id'], name=op.f('fk_medical_cases_questionnaire_id_medical_questionnaires')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_medical_cases_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medical_cases'))
    )
    with op.batch_alter_table('medical_cases', schema=None) as batch_op:
        batch_op.create_index('ix_medical_cases_state', ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_medical_cases_user_id'), ['user_id'], unique=False)

    op.create_table('medical_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('help', sa.Text(), nullable=False),
    sa.Column('kind', sa.Enum('yes_no', 'text', 'number', 'date', 'single_choice', 'multiple_choice', 'file', name='questionkind', native_enum=False, length=16), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('min_value', sa.Double(), nullable=True),
    sa.Column('max_value', sa.Double(), nullable=True),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('show_if_key', sa.String(length=64), nullable=True),
    sa.Column('show_if_values', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['medical_questionnaires.id'], name=op.f('fk_medical_questions_questionnaire_id_medical_questionnaires')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medical_questions')),
    sa.UniqueConstraint('questionnaire_id', 'key', name='uq_medical_questions_key')
    )
    with op.batch_alter_table('medical_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_medical_questions_questionnaire_id'), ['questionnaire_id'], unique=False)

    op.create_table('medical_access_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('what', sa.String(length=200), nullable=False),
    sa.Column('ip_address', sa.String(length=45), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_medical_access_log_actor_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['medical_cases.id'], name=op.f('fk_medical_access_log_case_id_medical_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medical_access_log'))
    )
    with op.batch_alter_table('medical_access_log', schema=None) as batch_op:
        batch_op.create_index('ix_medical_access_log_case_at', ['case_id', 'at'], unique=False)

    op.create_table('medical_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['medical_cases.id'], name=op.f('fk_medical_answers_case_id_medical_cases')),
    sa.ForeignKeyConstraint(['question_id'], ['medical_questions.id'], name=op.f('fk_medical_answers_question_id_medical_questions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medical_answers')),
    sa.UniqueConstraint('case_id', 'question_id', name='uq_medical_answers_case_question')
    )
    with op.batch_alter_table('medical_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_medical_answers_case_id'), ['case_id'], unique=False)

    op.create_table('medical_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('systolic_mmhg', sa.Integer(), nullable=False),
    sa.Column('diastolic_mmhg', sa.Integer(), nullable=False),
    sa.Column('heart_rate_bpm', sa.Integer(), nullable=False),
    sa.Column('height_cm', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('weight_kg', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('ecg_result', sa.Enum('normal', 'abnormal', 'not_done', name='ecgresult', native_enum=False, length=16), nullable=False),
    sa.Column('centrifuge_g', sa.Numeric(precision=4, scale=1), nullable=True),
    sa.Column('other_tests', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['medical_cases.id'], name=op.f('fk_medical_assessments_case_id_medical_cases')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_medical_assessments_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medical_assessments'))
    )
    with op.batch_alter_table('medical_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_medical_assessments_case_id'), ['case_id'], unique=False)

    op.create_table('medical_case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.Enum('answering', 'submitted', 'info_requested', 'cleared', 'restricted', 'not_cleared', name='casestate', native_enum=False, length=20), nullable=True),
    sa.Column('to_state', sa.Enum('answering', 'submitted', 'info_requested', 'cleared', 'restricted', 'not_cleared', name='casestate', native_enum=False, length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_medical_case_events_actor_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['medical_cases.id'], name=op.f('fk_medical_case_events_case_id_medical_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medical_case_events'))
    )
    with op.batch_alter_table('medical_case_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_medical_case_events_case_id'), ['case_id'], unique=False)

    op.create_table('medical_self_certifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('changed', sa.Boolean(), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_medical_self_certifications_booking_id_bookings')),
    sa.ForeignKeyConstraint(['case_id'], ['medical_cases.id'], name=op.f('fk_medical_self_certifications_case_id_medical_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medical_self_certifications'))
    )
    with op.batch_alter_table('medical_self_certifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_medical_self_certifications_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_medical_self_certifications_case_id'), ['case_id'], unique=False)

    op.create_table('medical_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=True),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.Text(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['medical_cases.id'], name=op.f('fk_medical_uploads_case_id_medical_cases')),
    sa.ForeignKeyConstraint(['question_id'], ['medical_questions.id'], name=op.f('fk_medical_uploads_question_id_medical_questions')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_medical_uploads_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medical_uploads')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_medical_uploads_stored_name'))
    )
    with op.batch_alter_table('medical_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_medical_uploads_case_id'), ['case_id'], unique=False)



def downgrade():
    with op.batch_alter_table('medical_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_medical_uploads_case_id'))

    op.drop_table('medical_uploads')
    with op.batch_alter_table('medical_self_certifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_medical_self_certifications_case_id'))
        batch_op.drop_index(batch_op.f('ix_medical_self_certifications_booking_id'))

    op.drop_table('medical_self_certifications')
    with op.batch_alter_table('medical_case_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_medical_case_events_case_id'))

    op.drop_table('medical_case_events')
    with op.batch_alter_table('medical_assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_medical_assessments_case_id'))

    op.drop_table('medical_assessments')
    with op.batch_alter_table('medical_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_medical_answers_case_id'))

    op.drop_table('medical_answers')
    with op.batch_alter_table('medical_access_log', schema=None) as batch_op:
        batch_op.drop_index('ix_medical_access_log_case_at')

    op.drop_table('medical_access_log')
    with op.batch_alter_table('medical_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_medical_questions_questionnaire_id'))

    op.drop_table('medical_questions')
    with op.batch_alter_table('medical_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_medical_cases_user_id'))
        batch_op.drop_index('ix_medical_cases_state')

    op.drop_table('medical_cases')
    op.drop_table('medical_questionnaires')
    op.drop_table('medical_vehicle_limits')
