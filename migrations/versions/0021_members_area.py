"""questions in advance, opens of recordings (counted for staff), how long participants see recordings

Revision ID: 0021_members_area
Revises: 0020_calendar_feeds
Create Date: 2026-12-01 16:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_members_area'
down_revision = '0020_calendar_feeds'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('recording_opens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_recording_opens_person_id_people')),
    sa.ForeignKeyConstraint(['session_id'], ['program_sessions.id'], name=op.f('fk_recording_opens_session_id_program_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recording_opens'))
    )
    with op.batch_alter_table('recording_opens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recording_opens_session_id'), ['session_id'], unique=False)
    op.create_table('session_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('waiting', 'answered', 'hidden')", name=op.f('ck_session_questions_state_known')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_session_questions_person_id_people')),
    sa.ForeignKeyConstraint(['session_id'], ['program_sessions.id'], name=op.f('fk_session_questions_session_id_program_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_questions'))
    )
    with op.batch_alter_table('session_questions', schema=None) as batch_op:
        batch_op.create_index('ix_session_questions_session_id_submitted_at', ['session_id', 'submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_questions_person_id'), ['person_id'], unique=False)
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recordings_until', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_table('session_questions')
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.drop_column('recordings_until')
    with op.batch_alter_table('recording_opens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recording_opens_session_id'))
    op.drop_table('recording_opens')
