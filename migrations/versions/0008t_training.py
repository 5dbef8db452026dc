"""Training: the modules operations keep (kind, duration, the 14 CFR 460.51 topics they train,
prerequisites, how long a pass stays valid, an exam's pass mark, a name and description per
language) and the training plan of a vehicle or a flight (required modules with their deadlines).

Revision ID: 0008t
Revises: 0007v
Create Date: 2026-12-05 21:44:34

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008t'
down_revision = '0007v'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('training_modules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('classroom', 'centrifuge', 'egress_drill', 'scenario', 'suit_fitting', 'exam', name='modulekind', native_enum=False, length=16), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('validity_days', sa.Integer(), nullable=True),
    sa.Column('pass_mark', sa.Integer(), nullable=True),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('default_language', sa.String(length=5), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('duration_minutes > 0', name=op.f('ck_training_modules_duration_positive')),
    sa.CheckConstraint('pass_mark IS NULL OR (pass_mark >= 0 AND pass_mark <= 100)', name=op.f('ck_training_modules_pass_mark_percent')),
    sa.CheckConstraint('validity_days IS NULL OR validity_days > 0', name=op.f('ck_training_modules_validity_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_modules'))
    )
    op.create_table('training_module_prerequisites',
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('requires_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('module_id <> requires_id', name=op.f('ck_training_module_prerequisites_prerequisite_not_itself')),
    sa.ForeignKeyConstraint(['module_id'], ['training_modules.id'], name=op.f('fk_training_module_prerequisites_module_id_training_modules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requires_id'], ['training_modules.id'], name=op.f('fk_training_module_prerequisites_requires_id_training_modules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('module_id', 'requires_id', name=op.f('pk_training_module_prerequisites'))
    )
    op.create_table('training_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vehicle', sa.String(length=120), nullable=True),
    sa.Column('flight_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(vehicle IS NULL) <> (flight_id IS NULL)', name=op.f('ck_training_plans_plan_for_vehicle_or_flight')),
    sa.ForeignKeyConstraint(['flight_id'], ['flights.id'], name=op.f('fk_training_plans_flight_id_flights')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_training_plans_published_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_plans'))
    )
    with op.batch_alter_table('training_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_plans_flight_id'), ['flight_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_plans_vehicle'), ['vehicle'], unique=False)

    op.create_table('training_plan_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('deadline_days', sa.Integer(), nullable=False),
    sa.CheckConstraint('deadline_days >= 0', name=op.f('ck_training_plan_items_deadline_not_after_launch')),
    sa.ForeignKeyConstraint(['module_id'], ['training_modules.id'], name=op.f('fk_training_plan_items_module_id_training_modules')),
    sa.ForeignKeyConstraint(['plan_id'], ['training_plans.id'], name=op.f('fk_training_plan_items_plan_id_training_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_plan_items')),
    sa.UniqueConstraint('plan_id', 'module_id', name='uq_training_plan_items_module')
    )
    with op.batch_alter_table('training_plan_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_plan_items_plan_id'), ['plan_id'], unique=False)



def downgrade():
    with op.batch_alter_table('training_plan_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_plan_items_plan_id'))

    op.drop_table('training_plan_items')
    with op.batch_alter_table('training_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_plans_vehicle'))
        batch_op.drop_index(batch_op.f('ix_training_plans_flight_id'))

    op.drop_table('training_plans')
    op.drop_table('training_module_prerequisites')
    op.drop_table('training_modules')
