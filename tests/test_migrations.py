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


def test_stored_addresses_are_rekeyed_without_merging_two_people(tmp_path):
    """Rows written before address keys were case-folded get the new key and ASCII spelling."""
    from alembic.script import ScriptDirectory
    from flask_migrate import upgrade
    from sqlalchemy import text

    from tests.conftest import _build_app

    app = _build_app(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        rekey = next(r for r in script.walk_revisions() if r.revision.endswith("_address_keys"))
        upgrade(revision=rekey.down_revision)
        with db.engine.begin() as conn:
            for email, key in [("ｖｉｃｔｉｍ@Example.ORG", "victim@example.org"),
                               ("Straße@example.org", "straße@example.org"),
                               ("strasse@example.org", "strasse@example.org")]:
                conn.execute(text("INSERT INTO people (email, email_normalized, name, created_at)"
                                  " VALUES (:e, :k, 'x', '2024-01-01 00:00:00')"),
                             {"e": email, "k": key})
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT email, email_normalized FROM people ORDER BY id"))
            assert list(rows) == [("victim@example.org", "victim@example.org"),
                                  ("Straße@example.org", "straße@example.org"),
                                  ("strasse@example.org", "strasse@example.org")]
        db.engine.dispose()


def test_migrating_in_a_running_process_keeps_its_loggers_working(tmp_path):
    """Alembic's logging set-up used to disable every logger that existed, the app's own too."""
    import logging

    from flask_migrate import upgrade

    from tests.conftest import _build_app

    app = _build_app(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    other = logging.getLogger("cohort.mail")
    with app.app_context():
        upgrade()
        db.engine.dispose()
    heard: list[str] = []
    listener = logging.Handler(logging.INFO)
    listener.emit = lambda record: heard.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger().addHandler(listener)
    try:
        app.logger.warning("app logger after a migration")
        other.warning("cohort logger after a migration")
    finally:
        logging.getLogger().removeHandler(listener)

    assert not app.logger.disabled and not other.disabled
    assert heard == ["app logger after a migration", "cohort logger after a migration"]
