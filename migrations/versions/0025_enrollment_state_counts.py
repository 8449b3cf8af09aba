"""counts of enrollments per cohort and state, kept by a trigger

Revision ID: 0025_enrollment_state_counts
Revises: 0024_document_list_index
Create Date: 2026-12-01 20:30:00

A trigger on enrollments appends +1/−1 per cohort and state to enrollment_state_changes on every
insert, delete, and change of state or cohort; the worker folds the changes into
enrollment_state_counts. The review queue, the dashboard and the list of cohorts then read a
handful of rows instead of counting every application of a cohort (cohort.models.state_counts).

On SQLite, a later migration that rebuilds `enrollments` (batch mode) drops its triggers: it must
create them again (`create_triggers`); tests/test_state_counts.py checks the counts at head.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025_enrollment_state_counts'
down_revision = '0024_document_list_index'
branch_labels = None
depends_on = None

CHANGE = "INSERT INTO enrollment_state_changes (cohort_id, state, delta) VALUES ({}.cohort_id, {}.state, {})"

POSTGRESQL = [
    f"""CREATE FUNCTION enrollment_state_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN {CHANGE.format('OLD', 'OLD', -1)}; END IF;
      IF TG_OP <> 'DELETE' THEN {CHANGE.format('NEW', 'NEW', 1)}; END IF;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER enrollments_counted AFTER INSERT OR DELETE ON enrollments
       FOR EACH ROW EXECUTE FUNCTION enrollment_state_changed()""",
    """CREATE TRIGGER enrollments_recounted AFTER UPDATE OF state, cohort_id ON enrollments
       FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state
                          OR OLD.cohort_id IS DISTINCT FROM NEW.cohort_id)
       EXECUTE FUNCTION enrollment_state_changed()""",
]
SQLITE = [
    f"""CREATE TRIGGER enrollments_counted AFTER INSERT ON enrollments
        BEGIN {CHANGE.format('NEW', 'NEW', 1)}; END""",
    f"""CREATE TRIGGER enrollments_uncounted AFTER DELETE ON enrollments
        BEGIN {CHANGE.format('OLD', 'OLD', -1)}; END""",
    f"""CREATE TRIGGER enrollments_recounted AFTER UPDATE OF state, cohort_id ON enrollments
        WHEN OLD.state IS NOT NEW.state OR OLD.cohort_id IS NOT NEW.cohort_id
        BEGIN {CHANGE.format('OLD', 'OLD', -1)}; {CHANGE.format('NEW', 'NEW', 1)}; END""",
]


def create_triggers():
    """The triggers that keep the counts, for this database."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL if postgresql else SQLITE:
        op.execute(statement)


def upgrade():
    op.create_table(
        'enrollment_state_counts',
        sa.Column('cohort_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('cohort_id', 'state', name=op.f('pk_enrollment_state_counts')),
    )
    op.create_table(
        'enrollment_state_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cohort_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('delta', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_enrollment_state_changes')),
    )
    op.create_index('ix_enrollment_state_changes_cohort_state', 'enrollment_state_changes',
                    ['cohort_id', 'state'], unique=False)
    op.execute("""INSERT INTO enrollment_state_counts (cohort_id, state, n)
                  SELECT cohort_id, state, count(*) FROM enrollments GROUP BY cohort_id, state""")
    create_triggers()


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER enrollments_recounted ON enrollments")
        op.execute("DROP TRIGGER enrollments_counted ON enrollments")
        op.execute("DROP FUNCTION enrollment_state_changed()")
    else:
        for name in ("enrollments_recounted", "enrollments_uncounted", "enrollments_counted"):
            op.execute(f"DROP TRIGGER {name}")
    op.drop_index('ix_enrollment_state_changes_cohort_state',
                  table_name='enrollment_state_changes')
    op.drop_table('enrollment_state_changes')
    op.drop_table('enrollment_state_counts')
