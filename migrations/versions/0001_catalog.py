"""Catalog: projects, documents, chunks (full text + vectors), tables, facts.

Revision ID: 0001_catalog
Revises: 
Create Date: 2026-11-25 02:43:56.243915

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import pgvector.sqlalchemy

# revision identifiers, used by Alembic.
revision = '0001_catalog'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute('CREATE EXTENSION IF NOT EXISTS vector')
    op.create_table('projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=200), nullable=False),
    sa.Column('aliases', sa.ARRAY(sa.String(length=200)), server_default='{}', nullable=False),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('locality', sa.String(length=200), nullable=True),
    sa.Column('developer', sa.String(length=200), nullable=True),
    sa.Column('rera_number', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    sa.UniqueConstraint('slug')
    )
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('page_count', sa.Integer(), nullable=False),
    sa.Column('image_only_pages', sa.ARRAY(sa.Integer()), server_default='{}', nullable=False),
    sa.Column('ingested_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'source', name='uq_documents_project_source')
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_sha256'), ['sha256'], unique=False)

    op.create_table('chunks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('page', sa.Integer(), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('tsv', postgresql.TSVECTOR(), sa.Computed("to_tsvector('english'::regconfig, text)", persisted=True), nullable=False),
    sa.Column('embedding', pgvector.sqlalchemy.Vector(), nullable=False),
    sa.Column('embedder', sa.String(length=100), nullable=False),
    sa.Column('embedding_dim', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('chunks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chunks_document_id'), ['document_id'], unique=False)
        batch_op.create_index('ix_chunks_project_page', ['project_id', 'page'], unique=False)
        batch_op.create_index('ix_chunks_tsv', ['tsv'], unique=False, postgresql_using='gin')

    # One HNSW index per embedding width (offline 384, OpenAI 1536): a partial expression
    # index lets one column hold vectors of either embedder, never compared with each other.
    for dim in (384, 1536):
        op.execute(
            f'CREATE INDEX ix_chunks_embedding_hnsw_{dim} ON chunks '
            f'USING hnsw ((embedding::vector({dim})) vector_cosine_ops) WHERE embedding_dim = {dim}'
        )

    op.create_table('document_tables',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('page', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('caption', sa.Text(), nullable=False),
    sa.Column('rows', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('document_tables', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_tables_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_tables_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_tables_project_id'), ['project_id'], unique=False)

    op.create_table('facts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('page', sa.Integer(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_facts_document_id'), ['document_id'], unique=False)
        batch_op.create_index('ix_facts_project_key', ['project_id', 'key'], unique=False)



def downgrade():
    with op.batch_alter_table('facts', schema=None) as batch_op:
        batch_op.drop_index('ix_facts_project_key')
        batch_op.drop_index(batch_op.f('ix_facts_document_id'))

    op.drop_table('facts')
    with op.batch_alter_table('document_tables', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_tables_project_id'))
        batch_op.drop_index(batch_op.f('ix_document_tables_kind'))
        batch_op.drop_index(batch_op.f('ix_document_tables_document_id'))

    op.drop_table('document_tables')
    with op.batch_alter_table('chunks', schema=None) as batch_op:
        batch_op.drop_index('ix_chunks_tsv', postgresql_using='gin')
        batch_op.drop_index('ix_chunks_project_page')
        batch_op.drop_index(batch_op.f('ix_chunks_document_id'))

    op.drop_table('chunks')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_sha256'))
        batch_op.drop_index(batch_op.f('ix_documents_project_id'))

    op.drop_table('documents')
    op.drop_table('projects')
