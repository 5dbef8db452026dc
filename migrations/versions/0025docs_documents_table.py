"""Documents: a booking's acceptances indexed with what operations' table of a flight reads of
them (on PostgreSQL, an index-only lookup per booking instead of a scan of every acceptance). It
replaces the plain index of the booking's id.

Revision ID: 0025docs
Revises: 0024d
Create Date: 2026-12-07 00:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025docs'
down_revision = '0024d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('document_acceptances', schema=None) as batch_op:
        batch_op.create_index('ix_document_acceptances_booking_marks', ['booking_id'], unique=False,
                              postgresql_include=['document_id', 'version', 'id', 'accepted_at'])
        batch_op.drop_index('ix_document_acceptances_booking_id')


def downgrade():
    with op.batch_alter_table('document_acceptances', schema=None) as batch_op:
        batch_op.create_index('ix_document_acceptances_booking_id', ['booking_id'], unique=False)
        batch_op.drop_index('ix_document_acceptances_booking_marks')
