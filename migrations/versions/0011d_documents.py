"""Documents: the informed consent becomes the first kind of document, beside the reciprocal
waiver of claims, the prohibited-items notice and mission briefings. A document applies to every
flight, a vehicle, a spaceport or one flight; its versions hold their texts per language; an
acceptance (a signature or an acknowledgement) records the version, the language and a SHA-256 of
the text shown; events record opening, accepting and reminders; questions move with them.

Every consent document, signature and question is carried over with its id, its times and its
hash, unchanged: the consent's versions keep their ids as versions (so ``version_id`` is the old
``document_id``), and the text is recorded as English, the only language it had. The database
refuses to change or delete versions, texts, acceptances and events, as it did signatures.
Downgrading carries the consent back (the other kinds did not exist before).

Revision ID: 0011d
Revises: 0010t
Create Date: 2026-12-06 02:25:59

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011d'
down_revision = '0010t'
branch_labels = None
depends_on = None

#: Rows that are evidence: the database refuses to change or delete them.
GUARDED = ["document_versions", "document_texts", "document_acceptances", "document_events"]
OLD_GUARDED = [("consent_signatures", "UPDATE"), ("consent_signatures", "DELETE"), ("consent_documents", "UPDATE")]
#: Tables whose ids are copied: PostgreSQL's sequences must then start after them.
COPIED_IDS = {
    "upgrade": ["documents", "document_versions", "document_acceptances", "document_questions"],
    "downgrade": ["consent_documents", "consent_signatures", "consent_questions"],
}
CONSENT = "(SELECT MIN(id) FROM documents WHERE kind = 'informed_consent' AND scope = 'all')"


def _guard(table: str, action: str) -> None:
    bind = op.get_bind()
    name = f"{table}_no_{action.lower()}"
    if bind.dialect.name == "postgresql":
        op.execute(f"CREATE TRIGGER {name} BEFORE {action} ON {table} FOR EACH ROW EXECUTE FUNCTION countdown_refuse_change()")
    else:
        op.execute(f"CREATE TRIGGER {name} BEFORE {action} ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{table} rows are never changed or deleted'); END")


def _unguard(table: str, action: str) -> None:
    bind = op.get_bind()
    name = f"{table}_no_{action.lower()}"
    op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}" if bind.dialect.name == "postgresql"
               else f"DROP TRIGGER IF EXISTS {name}")


def _restart_sequences(tables: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                   f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")


def upgrade():
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('informed_consent', 'waiver', 'prohibited_items', 'briefing', name='documentkind', native_enum=False, length=32), nullable=False),
    sa.Column('scope', sa.Enum('all', 'vehicle', 'spaceport', 'flight', name='documentscope', native_enum=False, length=16), nullable=False),
    sa.Column('scope_name', sa.String(length=120), nullable=False),
    sa.Column('flight_id', sa.Integer(), nullable=True),
    sa.Column('default_language', sa.String(length=5), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_documents_created_by_id_users')),
    sa.ForeignKeyConstraint(['flight_id'], ['flights.id'], name=op.f('fk_documents_flight_id_flights')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_flight_id'), ['flight_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_kind'), ['kind'], unique=False)

    op.create_table('document_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('material', sa.Boolean(), nullable=False),
    sa.Column('change_summary', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_versions_document_id_documents')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_document_versions_published_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_versions')),
    sa.UniqueConstraint('document_id', 'version', name='uq_document_versions_document_version')
    )
    op.create_table('document_acceptances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('signed_name', sa.String(length=120), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ip_address', sa.String(length=45), nullable=False),
    sa.Column('user_agent', sa.String(length=512), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_document_acceptances_booking_id_bookings')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_acceptances_document_id_documents')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_document_acceptances_user_id_users')),
    sa.ForeignKeyConstraint(['version_id'], ['document_versions.id'], name=op.f('fk_document_acceptances_version_id_document_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_acceptances')),
    sa.UniqueConstraint('booking_id', 'version_id', name='uq_document_acceptances_booking_version')
    )
    with op.batch_alter_table('document_acceptances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_acceptances_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_acceptances_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_acceptances_user_id'), ['user_id'], unique=False)

    op.create_table('document_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('opened', 'signed', 'acknowledged', 'reminded', name='documenteventkind', native_enum=False, length=16), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_document_events_actor_id_users')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_document_events_booking_id_bookings')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_events_document_id_documents')),
    sa.ForeignKeyConstraint(['version_id'], ['document_versions.id'], name=op.f('fk_document_events_version_id_document_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_events'))
    )
    with op.batch_alter_table('document_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_events_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index('uq_document_events_opened', ['booking_id', 'version_id'], unique=True, sqlite_where=sa.text("kind = 'opened'"), postgresql_where=sa.text("kind = 'opened'"))

    op.create_table('document_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_document_questions_answered_by_id_users')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_document_questions_booking_id_bookings')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_questions_document_id_documents')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_document_questions_user_id_users')),
    sa.ForeignKeyConstraint(['version_id'], ['document_versions.id'], name=op.f('fk_document_questions_version_id_document_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_questions'))
    )
    with op.batch_alter_table('document_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_questions_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_questions_user_id'), ['user_id'], unique=False)

    op.create_table('document_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['document_versions.id'], name=op.f('fk_document_texts_version_id_document_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_texts')),
    sa.UniqueConstraint('version_id', 'language', name='uq_document_texts_version_language')
    )

    # The consent, carried over.
    op.execute("""
        INSERT INTO documents (id, kind, scope, scope_name, flight_id, default_language, position, created_at,
                               created_by_id, archived_at)
        SELECT 1, 'informed_consent', 'all', '', NULL, 'en', 0,
               (SELECT MIN(published_at) FROM consent_documents),
               (SELECT published_by_id FROM consent_documents ORDER BY version LIMIT 1), NULL
        WHERE EXISTS (SELECT 1 FROM consent_documents)
    """)
    op.execute("""
        INSERT INTO document_versions (id, document_id, version, material, change_summary, published_at, published_by_id)
        SELECT id, 1, version, resign_required, change_summary, published_at, published_by_id FROM consent_documents
    """)
    op.execute("""
        INSERT INTO document_texts (version_id, language, title, body, sha256)
        SELECT id, 'en', title, body, body_sha256 FROM consent_documents ORDER BY id
    """)
    op.execute("""
        INSERT INTO document_acceptances (id, booking_id, user_id, document_id, version_id, version, language,
                                          text_sha256, signed_name, accepted_at, ip_address, user_agent)
        SELECT id, booking_id, user_id, 1, document_id, document_version, 'en', text_sha256, signed_name, signed_at,
               ip_address, user_agent
        FROM consent_signatures
    """)
    op.execute("""
        INSERT INTO document_events (booking_id, document_id, version_id, kind, language, at, actor_id)
        SELECT booking_id, 1, document_id, 'signed', 'en', signed_at, user_id FROM consent_signatures ORDER BY id
    """)
    op.execute("""
        INSERT INTO document_questions (id, user_id, booking_id, document_id, version_id, question, asked_at, answer,
                                        answered_by_id, answered_at)
        SELECT id, user_id, booking_id, 1, document_id, question, asked_at, answer, answered_by_id, answered_at
        FROM consent_questions
    """)
    _restart_sequences(COPIED_IDS["upgrade"])
    for table in GUARDED:
        _guard(table, "UPDATE")
        _guard(table, "DELETE")

    for table, action in OLD_GUARDED:
        _unguard(table, action)
    with op.batch_alter_table('consent_signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_signatures_booking_id'))
        batch_op.drop_index(batch_op.f('ix_consent_signatures_user_id'))
    op.drop_table('consent_signatures')
    with op.batch_alter_table('consent_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_questions_user_id'))
    op.drop_table('consent_questions')
    op.drop_table('consent_documents')


def downgrade():
    op.create_table('consent_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('informed_consent', name='documentkind', native_enum=False, length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_sha256', sa.String(length=64), nullable=False),
    sa.Column('resign_required', sa.Boolean(), nullable=False),
    sa.Column('change_summary', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_consent_documents_published_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_documents')),
    sa.UniqueConstraint('kind', 'version', name='uq_consent_documents_kind_version')
    )
    op.create_table('consent_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_consent_questions_answered_by_id_users')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_consent_questions_booking_id_bookings')),
    sa.ForeignKeyConstraint(['document_id'], ['consent_documents.id'], name=op.f('fk_consent_questions_document_id_consent_documents')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_consent_questions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_questions'))
    )
    with op.batch_alter_table('consent_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_questions_user_id'), ['user_id'], unique=False)
    op.create_table('consent_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('document_version', sa.Integer(), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('signed_name', sa.String(length=120), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ip_address', sa.String(length=45), nullable=False),
    sa.Column('user_agent', sa.String(length=512), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_consent_signatures_booking_id_bookings')),
    sa.ForeignKeyConstraint(['document_id'], ['consent_documents.id'], name=op.f('fk_consent_signatures_document_id_consent_documents')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_consent_signatures_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_signatures'))
    )
    with op.batch_alter_table('consent_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_signatures_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_signatures_user_id'), ['user_id'], unique=False)

    # The consent (every flight's), carried back in its default language.
    op.execute(f"""
        INSERT INTO consent_documents (id, kind, version, title, body, body_sha256, resign_required, change_summary,
                                       published_at, published_by_id)
        SELECT v.id, 'informed_consent', v.version, t.title, t.body, t.sha256, v.material, v.change_summary,
               v.published_at, v.published_by_id
        FROM document_versions v JOIN documents d ON d.id = v.document_id
        JOIN document_texts t ON t.version_id = v.id AND t.language = d.default_language
        WHERE d.id = {CONSENT}
    """)
    op.execute(f"""
        INSERT INTO consent_signatures (id, booking_id, user_id, document_id, document_version, text_sha256,
                                        signed_name, signed_at, ip_address, user_agent)
        SELECT id, booking_id, user_id, version_id, version, text_sha256, signed_name, accepted_at, ip_address,
               user_agent
        FROM document_acceptances WHERE document_id = {CONSENT}
    """)
    op.execute(f"""
        INSERT INTO consent_questions (id, user_id, booking_id, document_id, question, asked_at, answer,
                                       answered_by_id, answered_at)
        SELECT id, user_id, booking_id, version_id, question, asked_at, answer, answered_by_id, answered_at
        FROM document_questions WHERE document_id = {CONSENT}
    """)
    _restart_sequences(COPIED_IDS["downgrade"])
    for table, action in OLD_GUARDED:
        _guard(table, action)
    for table in GUARDED:
        _unguard(table, "UPDATE")
        _unguard(table, "DELETE")

    op.drop_table('document_texts')
    with op.batch_alter_table('document_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_questions_user_id'))
        batch_op.drop_index(batch_op.f('ix_document_questions_document_id'))

    op.drop_table('document_questions')
    with op.batch_alter_table('document_events', schema=None) as batch_op:
        batch_op.drop_index('uq_document_events_opened', sqlite_where=sa.text("kind = 'opened'"), postgresql_where=sa.text("kind = 'opened'"))
        batch_op.drop_index(batch_op.f('ix_document_events_booking_id'))

    op.drop_table('document_events')
    with op.batch_alter_table('document_acceptances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_acceptances_user_id'))
        batch_op.drop_index(batch_op.f('ix_document_acceptances_document_id'))
        batch_op.drop_index(batch_op.f('ix_document_acceptances_booking_id'))

    op.drop_table('document_acceptances')
    op.drop_table('document_versions')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_kind'))
        batch_op.drop_index(batch_op.f('ix_documents_flight_id'))

    op.drop_table('documents')
