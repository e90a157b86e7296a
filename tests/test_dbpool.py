"""Pooled connections are pinged at checkout only after sitting idle (app/dbpool.py).

Each test opens its own small pool on the test database and kills one of its server processes
with ``pg_terminate_backend``, as a database restart would.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

from app.dbpool import ping_idle_connections

BACKEND = text("SELECT pg_backend_pid()")


@pytest.fixture
def pool_factory(database_url):
    engines = []

    def make(after_idle: float):
        engine = create_engine(database_url, poolclass=QueuePool, pool_size=1, max_overflow=0)
        ping_idle_connections(engine, after_idle=after_idle)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


def kill(database_url: str, pid: int) -> None:
    killer = create_engine(database_url)
    with killer.connect() as connection:
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    killer.dispose()


def test_an_idle_connection_that_died_is_replaced_at_checkout(pool_factory, database_url):
    engine = pool_factory(after_idle=0.0)  # every checkout counts as idle: always pinged
    with engine.connect() as connection:
        dead = connection.scalar(BACKEND)
    kill(database_url, dead)

    with engine.connect() as connection:  # the ping fails, the pool opens a new connection
        assert connection.scalar(BACKEND) != dead


def test_a_connection_used_a_moment_ago_is_handed_out_without_a_ping(pool_factory, database_url):
    engine = pool_factory(after_idle=3600.0)  # nothing is idle long enough to be pinged
    with engine.connect() as connection:
        dead = connection.scalar(BACKEND)
    kill(database_url, dead)

    # Not pinged, so the first statement meets the dead connection ...
    with pytest.raises(DBAPIError) as failure, engine.connect() as connection:
        connection.scalar(BACKEND)
    assert failure.value.connection_invalidated
    # ... and the pool, invalidated by that disconnect, hands out a working one next.
    with engine.connect() as connection:
        assert connection.scalar(BACKEND) != dead


def test_the_app_has_an_autocommit_pool_beside_the_orm_pool(app):
    from app.extensions import db

    with app.app_context():
        engines = list(db.engines.values())
        assert len(engines) == 2  # the ORM's pool and the autocommit pool of the webhooks
        for engine in engines:
            with engine.connect() as connection:
                assert connection.scalar(text("SELECT 1")) == 1
        autocommit = db.engines["autocommit"]
        with autocommit.connect() as connection:
            assert connection.connection.driver_connection.autocommit is True
