"""Checking pooled database connections before use, without a round trip on every request.

SQLAlchemy's ``pool_pre_ping`` sends a query each time a connection leaves the pool. Under load
that is one extra round trip per request (per webhook, per worker job) to learn what is almost
always true: a connection handed back a moment ago still works. As connection pools such as
HikariCP do, only a connection that sat in the pool longer than a short window is pinged; one
used within it is handed out as is. A connection that turns out to be dead (the server restarted)
is replaced at checkout: the pool retries when a checkout handler raises ``DisconnectionError``,
and SQLAlchemy invalidates the whole pool on the first disconnect it sees in a statement.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

# The Flask-SQLAlchemy bind whose connections are in autocommit mode (one-statement writes).
AUTOCOMMIT_BIND = "autocommit"
# Seconds a connection may sit in the pool and still be handed out without a ping.
PING_AFTER_IDLE = 2.0


def ping_idle_connections(engine: Engine, after_idle: float = PING_AFTER_IDLE) -> None:
    """Make ``engine``'s pool ping a connection at checkout once it has been idle ``after_idle``
    seconds (0: every checkout, like ``pool_pre_ping``)."""
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _opened(dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection, record) -> None:
        if dbapi_connection is not None:  # None once the connection was invalidated
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _handed_out(dbapi_connection, record, proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is not None and time.monotonic() - idle_since < after_idle:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out (or opens) another.
            raise DisconnectionError(f"pooled connection failed its ping: {error}") from error
