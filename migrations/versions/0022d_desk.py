"""The customer service desk: conversations, their messages, attachments and history, saved
answers, and the mobile numbers users proved are theirs. The questions tourists asked about documents become
conversations on the documents topic, every question and answer kept.

Revision ID: 0022d
Revises: 0021a
Create Date: 2026-12-06 15:40:00

"""
import sqlalchemy as sa
from alembic import op

from app.crypto import decrypt, encrypt

# revision identifiers, used by Alembic.
revision = '0022d'
down_revision = '0021a'
branch_labels = None
depends_on = None


def _enc(value: str) -> str:
    return encrypt(value.encode("utf-8")).decode("ascii")


def _dec(value: str) -> str:
    return decrypt(value.encode("ascii")).decode("utf-8")


def upgrade():
    op.create_table(
        'phone_verifications',
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('verified_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('user_id'),
    )
    op.create_index('ix_phone_verifications_phone', 'phone_verifications', ['phone'])
    op.create_table(
        'desk_conversations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('phone', sa.String(length=32), nullable=True),
        sa.Column('topic', sa.Enum('booking', 'medical', 'training', 'documents', 'travel', 'launch_day', 'other',
                                   name='topic', native_enum=False, length=16), nullable=False),
        sa.Column('booking_id', sa.Integer(), sa.ForeignKey('bookings.id'), nullable=True),
        sa.Column('document_id', sa.Integer(), sa.ForeignKey('documents.id'), nullable=True),
        sa.Column('document_version_id', sa.Integer(), sa.ForeignKey('document_versions.id'), nullable=True),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('state', sa.Enum('new', 'waiting_on_us', 'waiting_on_tourist', 'resolved',
                                   name='conversationstate', native_enum=False, length=24), nullable=False),
        sa.Column('owner_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('last_channel', sa.Enum('email', 'sms', 'in_app', name='channel', native_enum=False, length=16),
                  nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('waiting_since', sa.DateTime(timezone=True), nullable=True),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('around_the_clock', sa.Boolean(), nullable=False),
        sa.Column('breached_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('first_response_seconds', sa.Integer(), nullable=True),
        sa.Column('tourist_turn_since', sa.DateTime(timezone=True), nullable=True),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('rating', sa.Integer(), nullable=True),
        sa.Column('rated_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_desk_conversations_state_due', 'desk_conversations', ['state', 'due_at'])
    op.create_index('ix_desk_conversations_user', 'desk_conversations', ['user_id', 'updated_at'])
    op.create_index(op.f('ix_desk_conversations_topic'), 'desk_conversations', ['topic'])
    op.create_index(op.f('ix_desk_conversations_booking_id'), 'desk_conversations', ['booking_id'])
    op.create_index(op.f('ix_desk_conversations_document_id'), 'desk_conversations', ['document_id'])
    op.create_index(op.f('ix_desk_conversations_owner_id'), 'desk_conversations', ['owner_id'])
    op.create_table(
        'desk_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.Integer(), sa.ForeignKey('desk_conversations.id'), nullable=False),
        sa.Column('kind', sa.Enum('tourist', 'staff', 'note', name='messagekind', native_enum=False, length=16),
                  nullable=False),
        sa.Column('author_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('channel', sa.Enum('email', 'sms', 'in_app', name='channel', native_enum=False, length=16),
                  nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('provider_id', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('provider_id'),
    )
    op.create_index('ix_desk_messages_conversation', 'desk_messages', ['conversation_id', 'id'])
    op.create_table(
        'desk_attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.Integer(), sa.ForeignKey('desk_messages.id'), nullable=False),
        sa.Column('filename', sa.Text(), nullable=False),
        sa.Column('content_type', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_desk_attachments_message_id'), 'desk_attachments', ['message_id'])
    op.create_table(
        'desk_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.Integer(), sa.ForeignKey('desk_conversations.id'), nullable=False),
        sa.Column('kind', sa.Enum('created', 'state', 'assigned', 'topic', 'matched', 'breached', 'rated',
                                  name='deskeventkind', native_enum=False, length=16), nullable=False),
        sa.Column('actor_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('from_value', sa.String(length=32), nullable=False),
        sa.Column('to_value', sa.String(length=32), nullable=False),
        sa.Column('topic', sa.Enum('booking', 'medical', 'training', 'documents', 'travel', 'launch_day', 'other',
                                   name='topic', native_enum=False, length=16), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_desk_events_kind_at', 'desk_events', ['kind', 'at'])
    op.create_index(op.f('ix_desk_events_conversation_id'), 'desk_events', ['conversation_id'])
    op.create_table(
        'desk_saved_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('body', sa.String(length=4000), nullable=False),
        sa.Column('topic', sa.Enum('booking', 'medical', 'training', 'documents', 'travel', 'launch_day', 'other',
                                   name='topic', native_enum=False, length=16), nullable=True),
        sa.Column('texts', sa.JSON(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('title', name='uq_desk_saved_answers_title'),
    )

    # The questions about documents become conversations on the documents topic: an answered one is
    # resolved with its answer, an unanswered one waits on us (its due time is set by the desk's
    # next sweep, from the response targets configured then).
    bind = op.get_bind()
    questions = bind.execute(sa.text(
        "SELECT q.id, q.user_id, q.booking_id, q.document_id, q.version_id, q.question, q.asked_at, q.answer, q.answered_by_id, "
        "q.answered_at, v.version, t.title FROM document_questions q "
        "JOIN document_versions v ON v.id = q.version_id JOIN documents d ON d.id = q.document_id "
        "LEFT JOIN document_texts t ON t.version_id = v.id AND t.language = d.default_language "
        "ORDER BY q.id")).all()
    # Plain SQL with the values as read, so that each timestamp is stored exactly as it was.
    for q in questions:
        answered = q.answered_at is not None
        # The conversation keeps the question's id: a downgrade gives the question back as it was.
        bind.execute(sa.text(
            "INSERT INTO desk_conversations (id, user_id, topic, booking_id, document_id, document_version_id, "
            "subject, state, owner_id, last_channel, created_at, updated_at, waiting_since, around_the_clock, "
            "breached_at, first_response_at, resolved_at) VALUES (:id, :user, 'documents', :booking, :document, "
            ":version, :subject, :state, :owner, 'in_app', :asked, :updated, :waiting, false, :breached, :answered, "
            ":answered)"),
            {"id": q.id, "user": q.user_id, "booking": q.booking_id, "document": q.document_id, "version": q.version_id,
             "subject": _enc(f"{q.title or 'Document'} (v{q.version})"), "state": "resolved" if answered else "new",
             "owner": q.answered_by_id, "asked": q.asked_at, "updated": q.answered_at or q.asked_at,
             "waiting": None if answered else q.asked_at, "answered": q.answered_at,
             # An open question has waited since it was asked, and shows as late; it is not
             # escalated now (nor counted as this week's breach): everyone would be emailed at once.
             "breached": None if answered else q.asked_at})
        said = [("tourist", q.user_id, q.question, q.asked_at)]
        if answered:
            said.append(("staff", q.answered_by_id, q.answer or "", q.answered_at))
        for kind, author, body, at in said:
            bind.execute(sa.text(
                "INSERT INTO desk_messages (conversation_id, kind, author_id, channel, body, created_at) "
                "VALUES (:c, :kind, :author, 'in_app', :body, :at)"),
                {"c": q.id, "kind": kind, "author": author, "body": _enc(body), "at": at})
        events = [("created", q.user_id, "", "new", q.asked_at)]
        if answered:
            events.append(("state", q.answered_by_id, "new", "resolved", q.answered_at))
        for kind, actor, before, after, at in events:
            bind.execute(sa.text(
                "INSERT INTO desk_events (conversation_id, kind, actor_id, from_value, to_value, topic, at) "
                "VALUES (:c, :kind, :actor, :before, :after, 'documents', :at)"),
                {"c": q.id, "kind": kind, "actor": actor, "before": before, "after": after, "at": at})
    if questions and bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT setval(pg_get_serial_sequence('desk_conversations', 'id'), "
                             "(SELECT max(id) FROM desk_conversations))"))
    op.drop_table('document_questions')


def downgrade():
    op.create_table(
        'document_questions',
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
        sa.ForeignKeyConstraint(['answered_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id']),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.ForeignKeyConstraint(['version_id'], ['document_versions.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_document_questions_document_id', 'document_questions', ['document_id'])
    op.create_index('ix_document_questions_user_id', 'document_questions', ['user_id'])
    # Conversations about a document go back as questions: the tourist's first message, and the
    # first reply staff gave, against the document's version current when it was asked.
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT c.id, c.user_id, c.booking_id, c.document_id, c.document_version_id, c.created_at "
        "FROM desk_conversations c "
        "WHERE c.document_id IS NOT NULL AND c.user_id IS NOT NULL ORDER BY c.id")).all()
    for c in rows:
        said = bind.execute(sa.text(
            "SELECT kind, author_id, body, created_at FROM desk_messages WHERE conversation_id = :c "
            "AND kind IN ('tourist', 'staff') ORDER BY id"), {"c": c.id}).all()
        question = next((m for m in said if m.kind == 'tourist'), None)
        answer = next((m for m in said if m.kind == 'staff'), None)
        version_id = c.document_version_id or bind.execute(sa.text(
            "SELECT id FROM document_versions WHERE document_id = :d AND published_at <= :at "
            "ORDER BY version DESC LIMIT 1"), {"d": c.document_id, "at": c.created_at}).scalar() or bind.execute(
            sa.text("SELECT min(id) FROM document_versions WHERE document_id = :d"), {"d": c.document_id}).scalar()
        if question is None or version_id is None:
            continue
        bind.execute(sa.text(
            "INSERT INTO document_questions (id, user_id, booking_id, document_id, version_id, question, asked_at, "
            "answer, answered_by_id, answered_at) VALUES (:id, :u, :b, :d, :v, :q, :qa, :a, :ab, :aa)"),
            {"id": c.id, "u": c.user_id, "b": c.booking_id, "d": c.document_id, "v": version_id, "q": _dec(question.body),
             "qa": question.created_at, "a": _dec(answer.body) if answer else None,
             "ab": answer.author_id if answer else None, "aa": answer.created_at if answer else None})
    if rows and bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT setval(pg_get_serial_sequence('document_questions', 'id'), "
                             "(SELECT coalesce(max(id), 1) FROM document_questions))"))
    op.drop_table('desk_saved_answers')
    op.drop_table('desk_events')
    op.drop_table('desk_attachments')
    op.drop_table('desk_messages')
    op.drop_table('desk_conversations')
    op.drop_table('phone_verifications')
