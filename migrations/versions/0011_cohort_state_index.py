"""counts per state from an index on enrollments (cohort_id, state), replacing (cohort_id)

Revision ID: 0011_cohort_state_index
Revises: 0010_state_checks
Create Date: 2026-12-01 14:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011_cohort_state_index'
down_revision = '0010_state_checks'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_enrollments_cohort_state', 'enrollments', ['cohort_id', 'state'],
                    unique=False)
    # Both new indexes begin with cohort_id: the single-column one only costs writes now.
    op.drop_index('ix_enrollments_cohort_id', table_name='enrollments')


def downgrade():
    op.create_index('ix_enrollments_cohort_id', 'enrollments', ['cohort_id'], unique=False)
    op.drop_index('ix_enrollments_cohort_state', table_name='enrollments')
