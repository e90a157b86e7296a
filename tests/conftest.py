"""Test fixtures: the embedded PostgreSQL+pgvector and Redis, a migrated test database, and
per-test isolation by rolling back an outer transaction."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest
import redis
from flask import g, request_started
from flask_migrate import upgrade
from sqlalchemy.orm import scoped_session, sessionmaker

from app import create_app, embedded
from app.extensions import db

ROOT = Path(__file__).resolve().parents[1]
TEST_DATA_DIR = Path(os.environ.get("INVESTOCHAT_TEST_DATA_DIR", ROOT / "instance"))
# One database and one Redis per test run, so two runs on one machine never collide.
TEST_DATABASE = f"investochat_test_{os.getpid()}"


def _drop_database(host: str, name: str) -> None:
    with psycopg.connect(host=host, user="postgres", dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url():
    """A freshly created test database on the embedded server, dropped after the run."""
    base_url = embedded.postgres_url(TEST_DATA_DIR, database="postgres")
    host = base_url.split("host=", 1)[1]
    _drop_database(host, TEST_DATABASE)
    yield embedded.postgres_url(TEST_DATA_DIR, database=TEST_DATABASE)
    _drop_database(host, TEST_DATABASE)


@pytest.fixture(scope="session")
def redis_url():
    """An embedded Redis of the test run's own, emptied at the start."""
    name = f"redis-test-{os.getpid()}.db"
    url = embedded.redis_url(TEST_DATA_DIR, name=name)
    redis.Redis.from_url(url).flushall()
    yield url
    for leftover in TEST_DATA_DIR.glob(f"{name}*"):
        leftover.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def app(database_url, redis_url):
    """The application, configured for tests, with the schema migrated to head."""
    application = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": "test-secret",
            "OPENAI_API_KEY": "",
            "RQ_QUEUE": "investochat-test",
        }
    )
    with application.app_context():
        upgrade()
    return application


def _fresh_request_globals(sender, **extra) -> None:
    # Test requests share the fixture's app context, so ``g`` would carry one request's logged-in
    # user and CSRF token into the next (another browser's). Each request starts clean, as in
    # production where every request has its own app context.
    g.__dict__.clear()


@pytest.fixture
def app_ctx(app):
    """An app context whose ``db.session`` runs inside a transaction rolled back afterwards."""
    request_started.connect(_fresh_request_globals, app)
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
        try:
            yield app
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()
            request_started.disconnect(_fresh_request_globals, app)


@pytest.fixture
def client(app_ctx):
    """A test client sharing the rolled-back transaction."""
    return app_ctx.test_client()


@pytest.fixture
def runner(app_ctx):
    """A CLI runner for ``investochat`` commands inside the rolled-back transaction."""
    return app_ctx.test_cli_runner()


@pytest.fixture(scope="session")
def corpus_catalog(app):
    """The shared brochure corpus ingested once (committed) into the test database."""
    from app.commands.catalog import ingest_files
    from app.rag.evaluate import corpus_projects
    from tests.shared_data import CORPUS_DIR, require

    require(CORPUS_DIR)
    names = corpus_projects(CORPUS_DIR)
    with app.app_context():
        for path in sorted(CORPUS_DIR.glob("*.jsonl")):
            ingest_files(names[path.name], [str(path)], progress=False)
    return names
