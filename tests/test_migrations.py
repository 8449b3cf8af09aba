"""The migrations produce exactly the models' schema, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cohort.extensions import db
from cohort.models import Base


def test_migrated_schema_matches_the_models_exactly(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_migrations_create_every_model_table(app):
    with db.engine.connect() as connection:
        tables = set(db.engine.dialect.get_table_names(connection))
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
