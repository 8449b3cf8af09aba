"""review queue index on enrollments (cohort_id, submitted_at, id)

Revision ID: 0007_queue_index
Revises: 0006_cohort_display_regions
Create Date: 2026-12-01 13:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007_queue_index'
down_revision = '0006_cohort_display_regions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_enrollments_queue', 'enrollments',
                    ['cohort_id', 'submitted_at', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_enrollments_queue', table_name='enrollments')
