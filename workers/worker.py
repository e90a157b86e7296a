"""The RQ worker: every job runs inside an app context with a fresh database pool."""

from __future__ import annotations

import logging

from flask import Flask
from rq import Worker

from app.extensions import db
from workers.queues import get_queue, redis_connection

log = logging.getLogger(__name__)


class AppWorker(Worker):
    """An RQ worker whose jobs run inside ``app``'s context."""

    flask_app: Flask

    def perform_job(self, job, queue, *args, **kwargs) -> bool:
        # The job runs in a forked child: connections inherited from the parent must not be
        # shared with it, so the child starts with an empty pool. RQ 2+ also passes the
        # execution record, so whatever else RQ passes is handed on unchanged.
        with self.flask_app.app_context():
            db.engine.dispose(close=False)
            return super().perform_job(job, queue, *args, **kwargs)


def build_worker(app: Flask) -> AppWorker:
    """A worker bound to ``app``'s queue and Redis."""
    worker = AppWorker([get_queue(app.config)], connection=redis_connection(app.config))
    worker.flask_app = app
    return worker


def run_worker(app: Flask, burst: bool = False) -> bool:
    """Work the queue until stopped (or until empty with ``burst``)."""
    from workers.tasks import recover_stalled

    recovered = recover_stalled()
    if any(recovered.values()):
        log.info("recovered after restart: %s", recovered)
    worker = build_worker(app)
    log.info("worker %s listening on %s", worker.name, app.config["RQ_QUEUE"])
    return worker.work(burst=burst, with_scheduler=True)
