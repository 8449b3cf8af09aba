"""facilitators' reviews of PRO applications (memberships) beside those of enrollments

Revision ID: 0023_pro_reviews
Revises: 0022_session_reminders
Create Date: 2026-12-01 16:15:00

A review reviews exactly one thing: an enrollment or a membership applied for (CHECK
`one_subject`), one per facilitator each (two unique pairs). A review may recommend the PRO
decisions too (approve), so the recommendation CHECK lists both machines' decisions, as
written out here when this ran. SQLite rebuilds the table (batch mode) to change constraints.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_pro_reviews'
down_revision = '0022_session_reminders'
branch_labels = None
depends_on = None

OLD_RECOMMENDATIONS = "recommendation IN ('accept', 'waitlist', 'decline')"
NEW_RECOMMENDATIONS = "recommendation IN ('accept', 'waitlist', 'decline', 'approve')"


def upgrade():
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('membership_id', sa.Integer(), nullable=True))
        batch_op.alter_column('enrollment_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_reviews_membership_id_memberships'),
                                    'memberships', ['membership_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_reviews_membership_id'), ['membership_id'],
                              unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_reviews_membership_id_reviewer_id'),
                                          ['membership_id', 'reviewer_id'])
        batch_op.drop_constraint(batch_op.f('ck_reviews_recommendation_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_reviews_recommendation_known'),
                                         NEW_RECOMMENDATIONS)
        batch_op.create_check_constraint(
            batch_op.f('ck_reviews_one_subject'),
            '(enrollment_id IS NULL) <> (membership_id IS NULL)')


def downgrade():
    op.execute("DELETE FROM reviews WHERE membership_id IS NOT NULL")
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_reviews_one_subject'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_reviews_recommendation_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_reviews_recommendation_known'),
                                         OLD_RECOMMENDATIONS)
        batch_op.drop_constraint(batch_op.f('uq_reviews_membership_id_reviewer_id'),
                                 type_='unique')
        batch_op.drop_index(batch_op.f('ix_reviews_membership_id'))
        batch_op.drop_constraint(batch_op.f('fk_reviews_membership_id_memberships'),
                                 type_='foreignkey')
        batch_op.alter_column('enrollment_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('membership_id')
