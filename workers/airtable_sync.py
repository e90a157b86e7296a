"""The Airtable sync's RQ jobs (``app.airtable.push`` and ``pull``) and their schedule.

``investochat cron`` (started by ``investochat serve``) enqueues ``run_push`` every
``AIRTABLE_PUSH_INTERVAL`` seconds and ``run_pull`` every ``AIRTABLE_PULL_INTERVAL``. Both take
one Redis lock, so a push and a pull never interleave and a slow run is never doubled; a run
that finds the lock taken returns at once (the next tick comes soon).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app
from rq.cron import CronScheduler

from app.airtable.client import configured, make_api
from app.airtable.pull import pull
from app.airtable.push import push
from app.extensions import db
from workers.queues import redis_connection

log = logging.getLogger(__name__)
LOCK = "investochat:airtable:sync"


def run_push() -> dict[str, Any]:
    """One push run (an RQ job; the worker provides the app context)."""
    return _summary("push", lambda: sync_now("push", wait=0))


def run_pull() -> dict[str, Any]:
    """One pull run; waits up to a minute for a running push to finish."""
    return _summary("pull", lambda: sync_now("pull", wait=60))


class Busy(RuntimeError):
    """Another push or pull holds the sync lock."""


def sync_now(kind: str, wait: float):
    """Run a push or a pull under the sync lock; None when sync is off. Raises Busy when the
    lock stays taken for ``wait`` seconds."""
    config = current_app.config
    if not configured(config):
        return None
    lock = redis_connection(config).lock(LOCK, timeout=600, blocking_timeout=wait)
    if not lock.acquire(blocking=wait > 0):
        raise Busy("another Airtable push or pull is running")
    try:
        run = push if kind == "push" else pull
        result = run(db.session, make_api(config), config)
        log.info("airtable %s: %s", kind, result)
        return result
    finally:
        db.session.remove()
        lock.release()


def _summary(kind: str, run) -> dict[str, Any]:
    try:
        result = run()
    except Busy:
        return {"sync": "busy"}
    if result is None:
        return {"sync": "off"}
    return {"sync": kind, "error": result.error, "requests": result.requests}


def schedule(config: Mapping[str, Any], scheduler: CronScheduler) -> None:
    """Register the push and pull on ``scheduler`` (on the app's queue)."""
    queue = config["RQ_QUEUE"]
    scheduler.register(
        run_push, queue, interval=int(config["AIRTABLE_PUSH_INTERVAL"]), job_timeout=300, name="airtable-push"
    )
    scheduler.register(
        run_pull, queue, interval=int(config["AIRTABLE_PULL_INTERVAL"]), job_timeout=300, name="airtable-pull"
    )


def run_cron(app: Flask) -> None:
    """Run the scheduler until stopped (SIGINT/SIGTERM)."""
    scheduler = CronScheduler(
        connection=redis_connection(app.config), name=f"investochat-cron-{app.config['RQ_QUEUE']}"
    )
    schedule(app.config, scheduler)
    if not configured(app.config):
        log.info("Airtable sync is off (AIRTABLE_API_KEY / AIRTABLE_BASE_ID unset); the jobs return at once")
    scheduler.start()
