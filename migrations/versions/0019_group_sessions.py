"""sessions of a cohort or a community group (a cohort's meetings move here), recordings

Revision ID: 0019_group_sessions
Revises: 0018_billing_owner
Create Date: 2026-12-01 16:10:00.000000

The meetings keep their ids, so calendar entries already imported (UID by id) are updated,
not duplicated. A meeting's recording link becomes a recording of that session.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_group_sessions'
down_revision = '0018_billing_owner'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('program_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('join_url', sa.String(length=500), nullable=True),
    sa.Column('questions_close_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('duration_minutes > 0 AND duration_minutes <= 1440', name=op.f('ck_program_sessions_duration_sane')),
    sa.CheckConstraint('(cohort_id IS NULL) <> (group_id IS NULL)', name=op.f('ck_program_sessions_one_owner')),
    sa.CheckConstraint("kind IN ('meeting', 'learning', 'qa', 'meetup')", name=op.f('ck_program_sessions_kind_known')),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_program_sessions_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['community_groups.id'], name=op.f('fk_program_sessions_group_id_community_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_sessions')),
    sa.UniqueConstraint('cohort_id', 'starts_at', name=op.f('uq_program_sessions_cohort_id_starts_at')),
    sa.UniqueConstraint('group_id', 'starts_at', name=op.f('uq_program_sessions_group_id_starts_at'))
    )
    with op.batch_alter_table('program_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_program_sessions_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_program_sessions_group_id'), ['group_id'], unique=False)

    op.create_table('session_recordings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('passcode', sa.String(length=100), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('attached_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attached_by', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['program_sessions.id'], name=op.f('fk_session_recordings_session_id_program_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_recordings')),
    sa.UniqueConstraint('session_id', name=op.f('uq_session_recordings_session_id'))
    )

    op.execute("INSERT INTO program_sessions (id, cohort_id, group_id, kind, title, starts_at,"
               " duration_minutes) SELECT id, cohort_id, NULL, 'meeting', '', starts_at,"
               " duration_minutes FROM meetings")
    op.execute("INSERT INTO session_recordings (session_id, url, passcode, notes, attached_at,"
               " attached_by) SELECT id, recording_url, '', '', starts_at, '' FROM meetings"
               " WHERE recording_url IS NOT NULL")
    if op.get_bind().dialect.name == 'postgresql':  # ids were given: the sequence follows them
        op.execute("SELECT setval(pg_get_serial_sequence('program_sessions', 'id'),"
                   " COALESCE((SELECT MAX(id) FROM program_sessions), 0) + 1, false)")

    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meetings_cohort_id'))
    op.drop_table('meetings')


def downgrade():
    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('recording_url', sa.String(length=500), nullable=True),
    sa.CheckConstraint('duration_minutes > 0 AND duration_minutes <= 1440', name=op.f('ck_meetings_duration_sane')),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_meetings_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings')),
    sa.UniqueConstraint('cohort_id', 'starts_at', name=op.f('uq_meetings_cohort_id_starts_at'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meetings_cohort_id'), ['cohort_id'], unique=False)
    op.execute("INSERT INTO meetings (id, cohort_id, starts_at, duration_minutes, recording_url)"
               " SELECT s.id, s.cohort_id, s.starts_at, s.duration_minutes, r.url"
               " FROM program_sessions s LEFT JOIN session_recordings r ON r.session_id = s.id"
               " WHERE s.cohort_id IS NOT NULL AND s.kind = 'meeting'")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("SELECT setval(pg_get_serial_sequence('meetings', 'id'),"
                   " COALESCE((SELECT MAX(id) FROM meetings), 0) + 1, false)")
    op.drop_table('session_recordings')
    with op.batch_alter_table('program_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_program_sessions_group_id'))
        batch_op.drop_index(batch_op.f('ix_program_sessions_cohort_id'))
    op.drop_table('program_sessions')
