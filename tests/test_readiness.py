"""`/readyz` names the dependency that is not ready: the database, Redis or the migrations.

The migration cases use a throwaway database on the embedded server rather than the shared
test database: they leave a database unmigrated or at an unknown revision, which every other
test relies on not seeing.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import psycopg
import pytest
from flask import Flask
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_for(database_url: str, redis_url: str) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": "test-secret",
        }
    )


def readyz(application: Flask) -> tuple[int, dict]:
    try:
        response = application.test_client().get("/readyz")
        return response.status_code, response.get_json()
    finally:
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def scratch_database(database_url: str) -> Iterator[tuple[str, str]]:
    """(SQLAlchemy URL, socket dir) of an empty database, dropped after the test."""
    url = make_url(database_url)
    host = url.query["host"]
    name = f"investochat_ready_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(host=host, user="postgres", dbname="postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False), host
    finally:
        with psycopg.connect(host=host, user="postgres", dbname="postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def dead_database_urls() -> list[str]:
    missing_dir = quote(f"/nonexistent/{uuid.uuid4().hex}", safe="/")
    return [
        f"postgresql+psycopg://postgres@/investochat?host={missing_dir}",
        f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/investochat?connect_timeout=3",
    ]


@pytest.mark.parametrize("dead_url", dead_database_urls(), ids=["missing-socket", "closed-port"])
def test_readyz_is_503_when_the_database_is_down(redis_url, dead_url):
    status, body = readyz(app_for(dead_url, redis_url))

    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["database"]["detail"]
    assert body["checks"]["migrations"] == {"ok": False, "detail": "database unreachable"}
    assert body["checks"]["redis"] == {"ok": True}


def dead_redis_urls() -> list[str]:
    return [
        f"unix:///nonexistent/{uuid.uuid4().hex}/redis.sock",
        f"redis://127.0.0.1:{closed_port()}/0",
    ]


@pytest.mark.parametrize("dead_url", dead_redis_urls(), ids=["missing-socket", "closed-port"])
def test_readyz_is_503_when_redis_is_down(app, dead_url):
    status, body = readyz(app_for(app.config["DATABASE_URL"], dead_url))  # migrated by `app`

    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["redis"]["detail"]
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrations"]["ok"] is True


def test_readyz_says_migrations_are_behind_for_an_unknown_revision(scratch_database, redis_url):
    url, host = scratch_database
    with psycopg.connect(host=host, user="postgres", dbname=make_url(url).database) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('deadbeef0000')")

    status, body = readyz(app_for(url, redis_url))

    assert status == 503
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["redis"] == {"ok": True}
    migrations = body["checks"]["migrations"]
    assert migrations["ok"] is False
    assert "deadbeef0000" in migrations["detail"]
    assert "investochat db upgrade" in migrations["detail"]


def test_readyz_says_an_unmigrated_database_needs_an_upgrade(scratch_database, redis_url):
    url, _ = scratch_database

    status, body = readyz(app_for(url, redis_url))

    assert status == 503
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrations"]["ok"] is False
    assert "investochat db upgrade" in body["checks"]["migrations"]["detail"]
