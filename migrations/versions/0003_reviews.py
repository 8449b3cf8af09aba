"""facilitators' reviews

Revision ID: 0003_reviews
Revises: 0002_staff_accounts
Create Date: 2026-11-21 05:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_reviews'
down_revision = '0002_staff_accounts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('recommendation', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("recommendation IN ('accept', 'waitlist', 'decline')", name=op.f('ck_reviews_recommendation_known')),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'], name=op.f('fk_reviews_enrollment_id_enrollments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['staff_users.id'], name=op.f('fk_reviews_reviewer_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('enrollment_id', 'reviewer_id', name=op.f('uq_reviews_enrollment_id_reviewer_id'))
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviews_enrollment_id'), ['enrollment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_reviewer_id'), ['reviewer_id'], unique=False)


def downgrade():
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviews_reviewer_id'))
        batch_op.drop_index(batch_op.f('ix_reviews_enrollment_id'))

    op.drop_table('reviews')
