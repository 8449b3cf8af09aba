"""session reminders sent (once per person and session), and people who turned reminders off

Revision ID: 0022_session_reminders
Revises: 0021_members_area
Create Date: 2026-12-01 16:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022_session_reminders'
down_revision = '0021_members_area'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('session_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_session_reminders_person_id_people')),
    sa.ForeignKeyConstraint(['session_id'], ['program_sessions.id'], name=op.f('fk_session_reminders_session_id_program_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_reminders')),
    sa.UniqueConstraint('session_id', 'person_id', name=op.f('uq_session_reminders_session_id_person_id'))
    )
    op.create_table('reminder_optouts',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_reminder_optouts_person_id_people')),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_reminder_optouts'))
    )


def downgrade():
    op.drop_table('reminder_optouts')
    op.drop_table('session_reminders')
