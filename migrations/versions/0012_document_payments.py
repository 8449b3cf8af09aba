"""link each receipt to its payment and each refund to its document, backfilled where derivable

Revision ID: 0012_document_payments
Revises: 0011_cohort_state_index
Create Date: 2026-12-01 14:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_document_payments'
down_revision = '0011_cohort_state_index'
branch_labels = None
depends_on = None

# Before this revision a receipt was issued in the same step as its payment succeeded (same
# enrollment, same instant, same total), and a cancellation's or rebate's refunds were made in
# the same step as their credit note (same enrollment, same instant).
RECEIPTS = """
UPDATE documents SET payment_id = (
    SELECT MIN(p.id) FROM payments p
    WHERE p.enrollment_id = documents.enrollment_id AND p.status = 'succeeded'
      AND p.succeeded_at = documents.issued_at AND p.amount_cents = documents.total_cents)
WHERE kind = 'receipt'
"""
REFUNDS = """
UPDATE refunds SET document_id = (
    SELECT MIN(d.id) FROM documents d
    WHERE d.kind = 'credit_note' AND d.enrollment_id = refunds.enrollment_id
      AND d.issued_at = refunds.created_at)
WHERE reason IN ('cancellation', 'cohort_cancelled', 'rebate')
"""


def upgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_documents_payment_id_payments'), 'payments',
                                    ['payment_id'], ['id'])
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_refunds_document_id'), ['document_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_refunds_document_id_documents'), 'documents',
                                    ['document_id'], ['id'])
    op.execute(RECEIPTS)
    op.execute(REFUNDS)


def downgrade():
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_refunds_document_id_documents'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_refunds_document_id'))
        batch_op.drop_column('document_id')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_documents_payment_id_payments'),
                                 type_='foreignkey')
        batch_op.drop_column('payment_id')
