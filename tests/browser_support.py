"""Serving the portal to a real browser: a throwaway database, a real HTTP server on loopback,
and the system Chromium to drive it.

Browser tests keep a database of their own for the whole module (created here and dropped
afterwards), since the test database is emptied after every test.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
STOP_TIMEOUT = 10
# Headless, and none of what a fresh profile would fetch from Google on its own.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """The system Chromium (Debian's package, which `make browser` installs), or None."""
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


# Skips a test module that drives the browser when there is none to drive.
NEEDS_CHROMIUM = pytest.mark.skipif(
    chromium_path() is None,
    reason="Chromium was not found at /usr/bin/chromium or on PATH: `make browser` installs it.",
)


def playwright_sync_api():
    """Playwright's sync API; skips the calling test module when Playwright is not installed."""
    return pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed: run `make install`."
    )


@contextmanager
def headless_chromium(sync_api):
    """The system Chromium, headless, launched through Playwright's ``sync_api``; closed on exit."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def throwaway_database(database_url: str, prefix: str) -> Iterator[str]:
    """A new, empty database on the test run's PostgreSQL server, dropped on exit."""
    url = make_url(database_url)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = {"host": url.query["host"], "user": "postgres", "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def http_server(app: Flask) -> Iterator[str]:
    """Serve ``app`` over HTTP on a free loopback port (one thread per request) and yield its
    base URL; the server is shut down on exit."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="portal-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(STOP_TIMEOUT)
        server.server_close()
