"""memberships remember the invoice that set their period and the period a reminder was sent for

Revision ID: 0016_membership_invoice_marks
Revises: 0015_memberships
Create Date: 2026-12-01 16:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_membership_invoice_marks'
down_revision = '0015_memberships'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_invoice_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('reminded_for', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('reminded_for')
        batch_op.drop_column('last_invoice_id')
