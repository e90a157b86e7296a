"""Test fixtures: the embedded PostgreSQL+pgvector and Redis, a migrated test database, and
requests that run as they do under gunicorn.

Every request a test makes runs in an app context of its own, with its own session and a
connection from the pool, exactly as in production; so does every CLI command. What the test
itself set up is committed before each request (a browser only ever finds committed data), and
objects the test holds are re-read afterwards. Isolation comes from emptying every table after
each test that used the database, not from an outer transaction, so nothing a test checks
depends on sharing one connection with the code under test.
"""

from __future__ import annotations

import contextvars
import os
from pathlib import Path

import psycopg
import pytest
import redis
from flask import Flask, has_app_context
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app, embedded
from app.extensions import db

ROOT = Path(__file__).resolve().parents[1]
TEST_DATA_DIR = Path(os.environ.get("INVESTOCHAT_TEST_DATA_DIR", ROOT / "instance"))
# One database and one Redis per test run, so two runs on one machine never collide.
TEST_DATABASE = f"investochat_test_{os.getpid()}"
CORPUS_DATABASE = f"{TEST_DATABASE}_corpus"
# A cleanup that waits longer than this for a lock means a test left a transaction open.
CLEANUP_LOCK_TIMEOUT = "10s"


def _admin_host(url: str) -> str:
    return url.split("host=", 1)[1]


def _drop_database(host: str, name: str) -> None:
    with psycopg.connect(host=host, user="postgres", dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_host() -> str:
    """The socket folder of the embedded PostgreSQL server the test run uses."""
    return _admin_host(embedded.postgres_url(TEST_DATA_DIR, database="postgres"))


@pytest.fixture(scope="session")
def database_url(postgres_host):
    """A freshly created test database on the embedded server, dropped after the run."""
    _drop_database(postgres_host, TEST_DATABASE)
    yield embedded.postgres_url(TEST_DATA_DIR, database=TEST_DATABASE)
    _drop_database(postgres_host, TEST_DATABASE)


@pytest.fixture(scope="session")
def redis_url():
    """An embedded Redis of the test run's own, emptied at the start and shut down at the end."""
    name = f"redis-test-{os.getpid()}.db"
    with embedded.redis_server(TEST_DATA_DIR, name=name) as url:
        redis.Redis.from_url(url).flushall()
        yield url


def _test_app(database_url: str, redis_url: str) -> Flask:
    application = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": "test-secret",
            "OPENAI_API_KEY": "",
            "RQ_QUEUE": "investochat-test",
            # The suite asks many questions from one address; tests/test_api.py tests the limit.
            "ASK_RATE_LIMIT": "10000/minute",
        }
    )
    application.test_client_class = ServedClient
    application.test_cli_runner_class = CommandRunner
    with application.app_context():
        upgrade()
    return application


@pytest.fixture(scope="session")
def app(database_url, redis_url):
    """The application, configured for tests, with the schema migrated to head."""
    return _test_app(database_url, redis_url)


def _outside_the_test(call, *args, **kwargs):
    """Run ``call`` as a new request or command would: first commit what the test's own session
    holds, then run with no app context of the test's (so Flask pushes a fresh one, with its own
    session, and tears it down at the end). The test's objects are expired by the commit and
    read afresh when next used."""
    if has_app_context() and db.session.registry.has():
        db.session.commit()
    return contextvars.Context().run(call, *args, **kwargs)


class ServedClient(FlaskClient):
    """Flask's test client, each request in its own app context as under gunicorn."""

    def open(self, *args, **kwargs):
        return _outside_the_test(super().open, *args, **kwargs)

    def __enter__(self):
        raise TypeError("each request runs in an app context of its own: use the client without `with`")


class CommandRunner(FlaskCliRunner):
    """Flask's CLI runner, each command in its own app context as from a terminal."""

    def invoke(self, *args, **kwargs):
        return _outside_the_test(super().invoke, *args, **kwargs)


def empty_database(application: Flask) -> None:
    """Delete every row of every table the app owns (the schema and migrations stay)."""
    with application.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            connection.execute(text(f"SET LOCAL lock_timeout = '{CLEANUP_LOCK_TIMEOUT}'"))
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture(autouse=True)
def _empty_tables_after_the_test(request):
    """After each test that used the app's database, empty it for the next one."""
    yield
    if "app" in request.fixturenames:
        empty_database(request.getfixturevalue("app"))


@pytest.fixture
def app_ctx(app):
    """An app context for the test's own reads and writes (its session commits for real; the
    tables are emptied after the test)."""
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()


@pytest.fixture
def client(app_ctx):
    """A test client whose requests run as under gunicorn (see ``ServedClient``)."""
    return app_ctx.test_client()


@pytest.fixture
def runner(app_ctx):
    """A runner for ``investochat`` commands, each in its own app context."""
    return app_ctx.test_cli_runner()


@pytest.fixture(scope="session")
def corpus_app(postgres_host, redis_url):
    """An app on a database of its own holding the shared brochure corpus, ingested once.

    Kept apart from the test database, which is emptied after every test."""
    from app.commands.catalog import ingest_files
    from app.rag.evaluate import corpus_projects
    from tests.shared_data import CORPUS_DIR, require

    require(CORPUS_DIR)
    _drop_database(postgres_host, CORPUS_DATABASE)
    application = _test_app(embedded.postgres_url(TEST_DATA_DIR, database=CORPUS_DATABASE), redis_url)
    names = corpus_projects(CORPUS_DIR)
    with application.app_context():
        for path in sorted(CORPUS_DIR.glob("*.jsonl")):
            ingest_files(names[path.name], [str(path)], progress=False)
        db.session.remove()
    application.extensions["corpus_projects"] = names
    yield application
    with application.app_context():
        db.engine.dispose()
    _drop_database(postgres_host, CORPUS_DATABASE)


@pytest.fixture
def corpus(corpus_app):
    """An app context on the corpus database; returns the file → project name map."""
    with corpus_app.app_context():
        try:
            yield corpus_app.extensions["corpus_projects"]
        finally:
            db.session.remove()


@pytest.fixture
def owner(app_ctx):
    """A broker, Ravi Anand, to own the leads a test works with."""
    from tests.portal_helpers import make_user

    broker = make_user("ravi@agency.example", name="Ravi Anand")
    db.session.commit()
    return broker
