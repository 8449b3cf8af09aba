"""stored PDFs of issued documents

Revision ID: 0014_document_files
Revises: 0013_staff_session_version
Create Date: 2026-12-01 14:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_document_files'
down_revision = '0013_staff_session_version'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document_files',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('paper', sa.String(length=10), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_files_document_id_documents')),
    sa.PrimaryKeyConstraint('document_id', 'paper', name=op.f('pk_document_files'))
    )


def downgrade():
    op.drop_table('document_files')
