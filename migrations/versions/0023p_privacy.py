"""Privacy: data exports, erasure requests and their steps, retention runs and the privacy log;
a refund's key for the payment provider stored with it.
Consent evidence (acceptances and their events) may now be deleted by retention, and only by it:
the delete trigger lets through a transaction that unlocked the table.

Revision ID: 0023p
Revises: 0022d
Create Date: 2026-12-06 18:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023p'
down_revision = '0022d'
branch_labels = None
depends_on = None

#: Evidence retention may delete once its period is over.
UNLOCKABLE = ["document_acceptances", "document_events"]


def _enum(name: str, length: int, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length)


def sqlite_delete_guard(table: str, unlockable: bool) -> str:
    when = (f"WHEN NOT EXISTS (SELECT 1 FROM privacy_retention_unlocks WHERE table_name = '{table}') "
            if unlockable else "")
    return (f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} {when}"
            f"BEGIN SELECT RAISE(ABORT, '{table} rows are never changed or deleted'); END")


def _guard_deletes(unlockable: bool) -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in UNLOCKABLE:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}" if postgresql
                   else f"DROP TRIGGER IF EXISTS {table}_no_delete")
        if postgresql:
            function = "countdown_refuse_delete()" if unlockable else "countdown_refuse_change()"
            op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION {function}")
        else:
            op.execute(sqlite_delete_guard(table, unlockable))


def upgrade():
    # A refund's key for the provider no longer comes from its row's id (lost when a transaction
    # rolls back after the provider made the refund): the refunds made so far keep the key they
    # were sent with.
    with op.batch_alter_table('refunds') as batch:
        batch.add_column(sa.Column('idempotency_key', sa.String(length=80), nullable=True))
    op.execute("UPDATE refunds SET idempotency_key = 'countdown-refund-' || id")
    with op.batch_alter_table('refunds') as batch:
        batch.alter_column('idempotency_key', existing_type=sa.String(length=80), nullable=False)
        batch.create_unique_constraint('uq_refunds_idempotency_key', ['idempotency_key'])
    op.create_table(
        'privacy_exports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('state', _enum('exportstate', 16, 'queued', 'ready', 'downloaded', 'expired'), nullable=False),
        sa.Column('salt', sa.String(length=32), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ready_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('downloaded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_privacy_exports_user_id', 'privacy_exports', ['user_id'])
    op.create_index('ix_privacy_exports_state', 'privacy_exports', ['state', 'expires_at'])
    op.create_table(
        'privacy_erasure_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('state', _enum('erasurestate', 16, 'requested', 'confirmed', 'refused', 'withdrawn', 'done'),
                  nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('live_bookings', sa.Integer(), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('decision_reason', sa.Text(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('uq_privacy_erasure_open', 'privacy_erasure_requests', ['user_id'], unique=True,
                    postgresql_where=sa.text("state IN ('requested', 'confirmed')"),
                    sqlite_where=sa.text("state IN ('requested', 'confirmed')"))
    op.create_index('ix_privacy_erasure_state_due', 'privacy_erasure_requests', ['state', 'due_at'])
    op.create_table(
        'privacy_erasure_steps',
        sa.Column('request_id', sa.Integer(), sa.ForeignKey('privacy_erasure_requests.id'), nullable=False),
        sa.Column('part', sa.String(length=32), nullable=False),
        sa.Column('erased', sa.Integer(), nullable=False),
        sa.Column('kept', sa.JSON(), nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('request_id', 'part'),
    )
    op.create_table(
        'privacy_retention_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('actor_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('removed', sa.JSON(), nullable=False),
        sa.Column('done', sa.JSON(), nullable=False),
        sa.Column('failed', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'privacy_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', _enum('privacylogkind', 24, 'export_requested', 'export_ready', 'export_downloaded',
                                'export_expired', 'erasure_requested', 'erasure_withdrawn', 'erasure_confirmed',
                                'erasure_refused', 'erasure_done', 'retention'), nullable=False),
        sa.Column('actor_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('subject_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('ip_address', sa.String(length=45), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_privacy_log_at', 'privacy_log', ['at'])
    op.create_index('ix_privacy_log_subject_id', 'privacy_log', ['subject_id'])
    op.create_table(
        'privacy_retention_unlocks',
        sa.Column('table_name', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('table_name'),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION countdown_refuse_delete() RETURNS trigger AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM privacy_retention_unlocks WHERE table_name = TG_TABLE_NAME) THEN
                    RETURN OLD;
                END IF;
                RAISE EXCEPTION '% rows are never changed or deleted', TG_TABLE_NAME;
            END;
            $$ LANGUAGE plpgsql
            """
        )
    _guard_deletes(unlockable=True)


def downgrade():
    with op.batch_alter_table('refunds') as batch:
        batch.drop_constraint('uq_refunds_idempotency_key', type_='unique')
        batch.drop_column('idempotency_key')
    _guard_deletes(unlockable=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS countdown_refuse_delete()")
    op.drop_table('privacy_retention_unlocks')
    op.drop_index('ix_privacy_log_subject_id', table_name='privacy_log')
    op.drop_index('ix_privacy_log_at', table_name='privacy_log')
    op.drop_table('privacy_log')
    op.drop_table('privacy_retention_runs')
    op.drop_table('privacy_erasure_steps')
    op.drop_index('ix_privacy_erasure_state_due', table_name='privacy_erasure_requests')
    op.drop_index('uq_privacy_erasure_open', table_name='privacy_erasure_requests')
    op.drop_table('privacy_erasure_requests')
    op.drop_index('ix_privacy_exports_state', table_name='privacy_exports')
    op.drop_index('ix_privacy_exports_user_id', table_name='privacy_exports')
    op.drop_table('privacy_exports')
