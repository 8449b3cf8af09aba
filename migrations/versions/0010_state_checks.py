"""state columns accept only the machines' states (CHECK constraints)

Revision ID: 0010_state_checks
Revises: 0009_worker
Create Date: 2026-12-01 14:10:00

`enrollments.state` and `cohorts.state` get CHECK constraints listing the states the machines in
`workflows/` define (the models build the same constraints from the machines). The lists are
written out here, as they were when this ran: a machine that gains a state needs a migration,
and tests/test_immutable_rows.py says so. SQLite cannot add a constraint to a table, so batch
mode rebuilds the two tables (migrations/env.py turns SQLite's foreign keys off while it does,
as SQLite's documentation prescribes, so the rebuild neither cascades nor breaks references).
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010_state_checks'
down_revision = '0009_worker'
branch_labels = None
depends_on = None

ENROLLMENT_STATES = ("submitted", "waitlisted", "accepted", "registered", "invoiced", "paid",
                     "participating", "completed", "declined", "withdrawn", "lapsed", "cancelled")
COHORT_STATES = ("draft", "open", "closed", "confirmed", "running", "finished", "cancelled")


def _one_of(values):
    return "state IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_enrollments_state_known'),
                                         _one_of(ENROLLMENT_STATES))
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_cohorts_state_known'),
                                         _one_of(COHORT_STATES))


def downgrade():
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_cohorts_state_known'), type_='check')
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_enrollments_state_known'), type_='check')
