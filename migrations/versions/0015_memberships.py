"""communities, groups, plans and prices, terms, memberships, billing accounts, hub links

Revision ID: 0015_memberships
Revises: 0014_document_files
Create Date: 2026-12-01 15:48:30.580056

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_memberships'
down_revision = '0014_document_files'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('communities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('tagline', sa.String(length=300), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('faq', sa.JSON(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('grace_days', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_communities')),
    sa.UniqueConstraint('slug', name=op.f('uq_communities_slug'))
    )
    op.create_table('billing_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=12), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('stripe_customer_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("owner IN ('enrollment', 'membership')", name=op.f('ck_billing_accounts_owner_known')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_billing_accounts_community_id_communities')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_billing_accounts_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_accounts')),
    sa.UniqueConstraint('community_id', 'person_id', name=op.f('uq_billing_accounts_community_id_person_id')),
    sa.UniqueConstraint('stripe_customer_id', name=op.f('uq_billing_accounts_stripe_customer_id'))
    )
    with op.batch_alter_table('billing_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_accounts_person_id'), ['person_id'], unique=False)

    op.create_table('community_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_community_groups_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_groups')),
    sa.UniqueConstraint('community_id', 'slug', name=op.f('uq_community_groups_community_id_slug'))
    )
    op.create_table('hub_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_hub_links_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hub_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_hub_links_token_hash'))
    )
    with op.batch_alter_table('hub_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hub_links_person_id'), ['person_id'], unique=False)

    op.create_table('plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('benefits', sa.JSON(), nullable=False),
    sa.Column('free', sa.Boolean(), nullable=False),
    sa.Column('by_application', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_plans_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans')),
    sa.UniqueConstraint('community_id', 'slug', name=op.f('uq_plans_community_id_slug'))
    )
    op.create_table('terms_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_terms_versions_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_terms_versions')),
    sa.UniqueConstraint('community_id', 'version', name=op.f('uq_terms_versions_community_id_version'))
    )
    op.create_table('plan_grants',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['community_groups.id'], name=op.f('fk_plan_grants_group_id_community_groups')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_grants_plan_id_plans')),
    sa.PrimaryKeyConstraint('plan_id', 'group_id', name=op.f('pk_plan_grants'))
    )
    op.create_table('plan_prices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('interval', sa.String(length=5), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('stripe_plan_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("interval IN ('month', 'year')", name=op.f('ck_plan_prices_interval_known')),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_plan_prices_amount_positive')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_prices_plan_id_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_prices'))
    )
    with op.batch_alter_table('plan_prices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_prices_plan_id'), ['plan_id'], unique=False)

    op.create_table('terms_agreements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('terms_version_id', sa.Integer(), nullable=False),
    sa.Column('agreed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_terms_agreements_person_id_people')),
    sa.ForeignKeyConstraint(['terms_version_id'], ['terms_versions.id'], name=op.f('fk_terms_agreements_terms_version_id_terms_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_terms_agreements')),
    sa.UniqueConstraint('person_id', 'terms_version_id', name=op.f('uq_terms_agreements_person_id_terms_version_id'))
    )
    with op.batch_alter_table('terms_agreements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_terms_agreements_person_id'), ['person_id'], unique=False)

    op.create_table('memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('price_id', sa.Integer(), nullable=True),
    sa.Column('interval', sa.String(length=5), nullable=True),
    sa.Column('next_price_id', sa.Integer(), nullable=True),
    sa.Column('stripe_subscription_id', sa.String(length=255), nullable=True),
    sa.Column('period_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_through', sa.DateTime(timezone=True), nullable=True),
    sa.Column('grace_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('follows_id', sa.Integer(), nullable=True),
    sa.Column('application', sa.JSON(), nullable=True),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("interval IN ('month', 'year')", name=op.f('ck_memberships_interval_known')),
    sa.CheckConstraint("state IN ('pending', 'applied', 'approved', 'scheduled', 'active', 'past_due', 'cancelling', 'declined', 'ended')", name=op.f('ck_memberships_state_known')),
    sa.ForeignKeyConstraint(['account_id'], ['billing_accounts.id'], name=op.f('fk_memberships_account_id_billing_accounts')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_memberships_community_id_communities')),
    sa.ForeignKeyConstraint(['follows_id'], ['memberships.id'], name=op.f('fk_memberships_follows_id_memberships')),
    sa.ForeignKeyConstraint(['next_price_id'], ['plan_prices.id'], name=op.f('fk_memberships_next_price_id_plan_prices')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_memberships_person_id_people')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_memberships_plan_id_plans')),
    sa.ForeignKeyConstraint(['price_id'], ['plan_prices.id'], name=op.f('fk_memberships_price_id_plan_prices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memberships')),
    sa.UniqueConstraint('stripe_subscription_id', name=op.f('uq_memberships_stripe_subscription_id'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_memberships_community_state', ['community_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_memberships_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_memberships_plan_id'), ['plan_id'], unique=False)



def downgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memberships_plan_id'))
        batch_op.drop_index(batch_op.f('ix_memberships_person_id'))
        batch_op.drop_index('ix_memberships_community_state')
        batch_op.drop_index(batch_op.f('ix_memberships_account_id'))

    op.drop_table('memberships')
    with op.batch_alter_table('terms_agreements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_terms_agreements_person_id'))

    op.drop_table('terms_agreements')
    with op.batch_alter_table('plan_prices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_prices_plan_id'))

    op.drop_table('plan_prices')
    op.drop_table('plan_grants')
    op.drop_table('terms_versions')
    op.drop_table('plans')
    with op.batch_alter_table('hub_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hub_links_person_id'))

    op.drop_table('hub_links')
    op.drop_table('community_groups')
    with op.batch_alter_table('billing_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_accounts_person_id'))

    op.drop_table('billing_accounts')
    op.drop_table('communities')
