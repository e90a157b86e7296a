"""The RQ worker: one long-lived process that runs every job inside an app context.

It does not fork per job (RQ's ``SimpleWorker``): the database pool, the HTTP client that sends
replies and the retrieval caches survive from one job to the next, which is most of a message's
cost otherwise. Job timeouts still apply (RQ's SIGALRM death penalty works in this process).
"""

from __future__ import annotations

import gc
import logging

from flask import Flask
from rq import SimpleWorker

from workers.queues import get_queue, redis_connection

log = logging.getLogger(__name__)

# How long the thread that listens for RQ's worker commands waits on Redis between checks that it
# should stop. RQ uses 60 s: on shutdown it sends UNSUBSCRIBE and then waits for the thread, and a
# thread that reads the confirmation first goes back to sleep for that long, so a stopped worker
# could take a minute to exit (longer than a process manager's grace before SIGKILL).
COMMAND_POLL_SECONDS = 1.0


class AppWorker(SimpleWorker):
    """An RQ worker whose jobs run in this process, each inside a fresh ``app`` context."""

    flask_app: Flask

    def subscribe(self) -> None:
        """RQ's subscription to its command channel, polled often enough to stop promptly."""
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=COMMAND_POLL_SECONDS, daemon=True, exception_handler=self._pubsub_exception_handler
        )

    def perform_job(self, job, queue, *args, **kwargs) -> bool:
        # A fresh app context per job: Flask-SQLAlchemy removes the job's session when it ends
        # (rolling back whatever a failed job left open), while the engine's pool and the caches
        # kept on the app stay warm for the next job. RQ 2+ also passes the execution record,
        # so whatever else RQ passes is handed on unchanged.
        with self.flask_app.app_context():
            return super().perform_job(job, queue, *args, **kwargs)


def build_worker(app: Flask) -> AppWorker:
    """A worker bound to ``app``'s queue and Redis."""
    worker = AppWorker([get_queue(app.config)], connection=redis_connection(app.config))
    worker.flask_app = app
    return worker


def run_worker(app: Flask, burst: bool = False) -> bool:
    """Recover what a stopped worker left behind, then work the queue until stopped (or, with
    ``burst``, until it is empty)."""
    from app.extensions import db
    from workers.recovery import recover_stalled

    recovered = recover_stalled()
    db.session.remove()
    if any(recovered.values()):
        log.info("recovered after restart: %s", recovered)
    worker = build_worker(app)
    # The app's modules and mappings live as long as the process: keep them out of the cyclic
    # collector, so a full collection mid-job scans only what jobs left (as wsgi.py does).
    gc.collect()
    gc.freeze()
    log.info("worker %s listening on %s", worker.name, app.config["RQ_QUEUE"])
    return worker.work(burst=burst, with_scheduler=True)
