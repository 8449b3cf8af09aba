"""cohort display regions: the schedule's blocks become data on each cohort

Revision ID: 0006_cohort_display_regions
Revises: 0005_outbox_attachments
Create Date: 2026-12-01 13:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0006_cohort_display_regions'
down_revision = '0005_outbox_attachments'
branch_labels = None
depends_on = None

# What every cohort's page showed before the regions became data (the first program's blocks).
# Cohorts that exist when this runs keep exactly that page.
EARLIER_REGIONS = [
    {"name": "Americas", "zones": [
        {"zone": "America/Los_Angeles", "generic": "USA Pacific Time", "city": "Los Angeles"},
        {"zone": "America/New_York", "generic": "USA Eastern Time", "city": "New York"},
    ]},
    {"name": "Australasia", "zones": [
        {"zone": "Australia/Perth", "generic": "Australian Western Time", "city": "Perth"},
        {"zone": "Australia/Sydney", "generic": "Australian Eastern Time", "city": "Sydney"},
        {"zone": "Australia/Brisbane", "generic": "Australian Eastern Time (no DST)",
         "city": "Brisbane"},
    ]},
]


def upgrade():
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display_regions', sa.JSON(), server_default='[]',
                                      nullable=False))
    cohorts = sa.table('cohorts', sa.column('display_regions', sa.JSON()))
    op.execute(cohorts.update().values(display_regions=EARLIER_REGIONS))


def downgrade():
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.drop_column('display_regions')
