"""Readiness checks shared by ``/readyz`` and the CLI."""

from __future__ import annotations

from pathlib import Path

import redis
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from app.extensions import db


def _head_revisions() -> set[str]:
    directory = Path(current_app.extensions["migrate"].directory)
    config = AlembicConfig()
    config.set_main_option("script_location", str(directory))
    return set(ScriptDirectory.from_config(config).get_heads())


def migration_check(conn) -> dict:
    """Whether ``conn``'s database is at the code's migration heads, and what to do if not."""
    try:
        current = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except ProgrammingError:  # reachable, but never migrated: not a database outage
        return {"ok": False, "detail": "no schema yet; run `investochat db upgrade`"}
    heads = _head_revisions()
    if current == heads:
        return {"ok": True, "detail": "current"}
    return {
        "ok": False,
        "detail": f"database at {sorted(current)}, code at {sorted(heads)}; run `investochat db upgrade`",
    }


def readiness() -> dict[str, dict]:
    """Check the database, Redis and the migration level; never raises."""
    checks: dict[str, dict] = {}
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            checks["database"] = {"ok": True}
            checks["migrations"] = migration_check(conn)
    except Exception as exc:  # any failure means not ready; say which
        checks["database"] = {"ok": False, "detail": str(exc).splitlines()[0][:200]}
        checks["migrations"] = {"ok": False, "detail": "database unreachable"}
    try:
        redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=2).ping()
        checks["redis"] = {"ok": True}
    except Exception as exc:
        checks["redis"] = {"ok": False, "detail": str(exc)[:200]}
    return checks
