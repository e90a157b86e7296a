"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

import gc

from app import create_app, embedded

embedded.ensure_services()
app = create_app()
# What the app holds from here on (modules, routes, SQLAlchemy's mappings) lives as long as the
# process: move it out of the collector's view, so a full collection scans only what requests
# left behind instead of stalling a webhook for ~140 ms (docs/decisions/2026-12-04-gc-freeze.md).
# Collected first, so no start-up garbage is kept for good.
gc.collect()
gc.freeze()
