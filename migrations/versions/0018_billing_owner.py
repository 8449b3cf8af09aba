"""money keys on billing accounts: every enrollment gets its account; ledger entries, payments,
refunds and documents move from enrollment_id to account_id; payments may be subscriptions
(with their Stripe invoice and membership)

Revision ID: 0018_billing_owner
Revises: 0017_dunning
Create Date: 2026-12-01 16:00:00

Each enrollment gets one billing account (owner 'enrollment', its person, its cohort's currency,
created at the enrollment's submission). The accounts are numbered after any that exist
(`base + enrollment id`) so the backfill is two set-based statements whatever the table sizes;
PostgreSQL's id sequence is then moved past them. Every money row takes its enrollment's account
and loses `enrollment_id`. Outbox messages keep their `enrollment_id`: mail, not money.

Nothing in a document, a stored PDF or an amount changes: only the key that groups them.
SQLite rebuilds each table in batch mode (env.py turns its foreign keys off meanwhile).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_billing_owner'
down_revision = '0017_dunning'
branch_labels = None
depends_on = None

MONEY_TABLES = ('ledger_entries', 'payments', 'refunds', 'documents')
OLD_PURPOSES = "purpose IN ('deposit', 'balance')"
NEW_PURPOSES = "purpose IN ('deposit', 'balance', 'subscription')"


def _accounts_for_enrollments(conn):
    """One account per enrollment, id `base + enrollment id`; enrollments point at theirs."""
    base = int(conn.scalar(sa.text("SELECT COALESCE(MAX(id), 0) FROM billing_accounts")))
    conn.execute(sa.text(
        "INSERT INTO billing_accounts (id, owner, person_id, community_id, currency, "
        "stripe_customer_id, created_at) "
        f"SELECT {base} + e.id, 'enrollment', e.person_id, NULL, c.currency, NULL, e.submitted_at "
        "FROM enrollments e JOIN cohorts c ON c.id = e.cohort_id"))
    conn.execute(sa.text(f"UPDATE enrollments SET account_id = {base} + id"))
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(
            "SELECT setval(pg_get_serial_sequence('billing_accounts', 'id'), "
            "COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM billing_accounts"))


def upgrade():
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_id', sa.Integer(), nullable=True))
    _accounts_for_enrollments(op.get_bind())
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.alter_column('account_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_enrollments_account_id'),
                                          ['account_id'])
        batch_op.create_foreign_key(batch_op.f('fk_enrollments_account_id_billing_accounts'),
                                    'billing_accounts', ['account_id'], ['id'])

    for table in MONEY_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('account_id', sa.Integer(), nullable=True))
        op.execute(f"UPDATE {table} SET account_id = (SELECT e.account_id FROM enrollments e "
                   f"WHERE e.id = {table}.enrollment_id)")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('account_id', existing_type=sa.Integer(), nullable=False)
            batch_op.create_index(batch_op.f(f'ix_{table}_account_id'), ['account_id'],
                                  unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_account_id_billing_accounts'),
                                        'billing_accounts', ['account_id'], ['id'])
            batch_op.drop_index(batch_op.f(f'ix_{table}_enrollment_id'))
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_enrollment_id_enrollments'),
                                     type_='foreignkey')
            batch_op.drop_column('enrollment_id')

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.alter_column('purpose', existing_type=sa.String(length=10),
                              type_=sa.String(length=12), existing_nullable=False)
        batch_op.drop_constraint(batch_op.f('ck_payments_purpose_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_payments_purpose_known'), NEW_PURPOSES)
        batch_op.add_column(sa.Column('stripe_invoice_id', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_payments_stripe_invoice_id'),
                                          ['stripe_invoice_id'])
        batch_op.add_column(sa.Column('membership_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_payments_membership_id'), ['membership_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_payments_membership_id_memberships'),
                                    'memberships', ['membership_id'], ['id'])


def downgrade():
    conn = op.get_bind()
    if conn.scalar(sa.text("SELECT COUNT(*) FROM billing_accounts WHERE owner <> 'enrollment'")):
        raise RuntimeError("memberships have money on their accounts: it has no enrollment to "
                           "go back to")
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_payments_membership_id_memberships'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_payments_membership_id'))
        batch_op.drop_column('membership_id')
        batch_op.drop_constraint(batch_op.f('uq_payments_stripe_invoice_id'), type_='unique')
        batch_op.drop_column('stripe_invoice_id')
        batch_op.drop_constraint(batch_op.f('ck_payments_purpose_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_payments_purpose_known'), OLD_PURPOSES)
        batch_op.alter_column('purpose', existing_type=sa.String(length=12),
                              type_=sa.String(length=10), existing_nullable=False)
    for table in reversed(MONEY_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('enrollment_id', sa.Integer(), nullable=True))
        op.execute(f"UPDATE {table} SET enrollment_id = (SELECT e.id FROM enrollments e "
                   f"WHERE e.account_id = {table}.account_id)")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('enrollment_id', existing_type=sa.Integer(), nullable=False)
            batch_op.create_index(batch_op.f(f'ix_{table}_enrollment_id'), ['enrollment_id'],
                                  unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_enrollment_id_enrollments'),
                                        'enrollments', ['enrollment_id'], ['id'])
            batch_op.drop_index(batch_op.f(f'ix_{table}_account_id'))
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_account_id_billing_accounts'),
                                     type_='foreignkey')
            batch_op.drop_column('account_id')
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_enrollments_account_id_billing_accounts'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_enrollments_account_id'), type_='unique')
        batch_op.drop_column('account_id')
    op.execute("DELETE FROM billing_accounts WHERE owner = 'enrollment'")
