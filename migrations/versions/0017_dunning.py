"""the saved card on billing accounts, renewal payment attempts, dunning notices sent

Revision ID: 0017_dunning
Revises: 0016_membership_invoice_marks
Create Date: 2026-12-01 16:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_dunning'
down_revision = '0016_membership_invoice_marks'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('billing_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_brand', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('card_last4', sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column('card_exp_month', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('card_exp_year', sa.Integer(), nullable=True))

    op.create_table('payment_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('stripe_invoice_id', sa.String(length=255), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('outcome', sa.String(length=14), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('decline_message', sa.String(length=500), nullable=False),
    sa.CheckConstraint("outcome IN ('paid', 'failed', 'authenticating')", name=op.f('ck_payment_attempts_outcome_known')),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_payment_attempts_membership_id_memberships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_attempts'))
    )
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_payment_attempts_attempted_at', ['attempted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_attempts_membership_id'), ['membership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_attempts_stripe_invoice_id'), ['stripe_invoice_id'], unique=False)

    op.create_table('dunning_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=14), nullable=False),
    sa.Column('occasion', sa.String(length=80), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('reminder', 'card_expiring')", name=op.f('ck_dunning_notices_kind_known')),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_dunning_notices_membership_id_memberships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dunning_notices')),
    sa.UniqueConstraint('membership_id', 'kind', 'occasion', name=op.f('uq_dunning_notices_membership_id_kind_occasion'))
    )
    with op.batch_alter_table('dunning_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dunning_notices_membership_id'), ['membership_id'], unique=False)


def downgrade():
    with op.batch_alter_table('dunning_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dunning_notices_membership_id'))
    op.drop_table('dunning_notices')
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_attempts_stripe_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_payment_attempts_membership_id'))
        batch_op.drop_index('ix_payment_attempts_attempted_at')
    op.drop_table('payment_attempts')
    with op.batch_alter_table('billing_accounts', schema=None) as batch_op:
        batch_op.drop_column('card_exp_year')
        batch_op.drop_column('card_exp_month')
        batch_op.drop_column('card_last4')
        batch_op.drop_column('card_brand')
