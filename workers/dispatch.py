"""The dispatcher: turns stored inbound messages into ``process_message`` jobs, outside the webhook.

The webhook stores a delivery in one SQL statement that also sends a PostgreSQL notification
carrying the new message ids (``app.conversation.inbox``); the notification is delivered only
once that statement has committed. This process LISTENs and enqueues each batch of ids with one
Redis round trip. Taking the RQ enqueue out of the request spares every acknowledgement a Redis
round trip and RQ's job bookkeeping, and several deliveries arriving together share one enqueue.

Nothing depends on the notification arriving: every ``SWEEP_EVERY`` seconds (and whenever the
dispatcher (re)connects) a sweep enqueues each unprocessed message older than ``SWEEP_GRACE``
whose job is not in Redis: one stored while Redis or this process was down, or while the
dispatcher was reconnecting (``FULL_SWEEP`` says how often the ids it enqueued itself are
checked too). A job that is queued, running, or failed is left alone (a worker's
``recover_stalled`` re-runs what a dead worker left behind). Processing is idempotent, so a
message enqueued twice is still answered once.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from datetime import timedelta

import psycopg
from flask import Flask
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError

from app.conversation.inbox import INBOX_CHANNEL as CHANNEL
from workers.inbound_jobs import SWEEP_GRACE, enqueue_messages, unqueued_messages
from workers.queues import get_queue

log = logging.getLogger(__name__)

SWEEP_EVERY = 10.0  # seconds between sweeps for messages no notification brought
# Most sweeps take the ids this dispatcher enqueued itself as queued, which keeps a sweep cheap
# while a burst waits for the workers; every FULL_SWEEP-th asks Redis about every one of them (a
# Redis that restarted without its data loses jobs).
FULL_SWEEP = 6
RETRY_AFTER = (0.5, 1.0, 2.0, 5.0)  # seconds to wait before enqueueing again while Redis is down
# After a notification, wait this long for more before enqueueing: under load one Redis round
# trip then carries several deliveries (a few ms on a reply that takes tens of ms to write).
BATCH_WINDOW = 0.01
REMEMBER = 100_000  # ids enqueued recently, so a sweep racing a notification enqueues once


def parse_ids(payload: str) -> list[int]:
    """The message ids in one notification's payload; anything else is ignored with a warning."""
    try:
        return [int(part) for part in payload.split(",") if part]
    except ValueError:
        log.warning("ignored a notification on %s that is not a list of ids: %.80r", CHANNEL, payload)
        return []


class Dispatcher:
    """LISTEN for stored messages, enqueue them, and sweep for any a notification missed."""

    def __init__(
        self,
        app: Flask,
        *,
        sweep_every: float = SWEEP_EVERY,
        grace: timedelta = SWEEP_GRACE,
        batch_window: float = BATCH_WINDOW,
    ):
        from app.extensions import db

        with app.app_context():
            self.engine = db.engine
        self.queue = get_queue(app.config)
        self.sweep_every = sweep_every
        self.grace = grace
        self.batch_window = batch_window
        self.waiting: list[int] = []  # ids not enqueued yet (Redis was down)
        self.failures = 0  # enqueue attempts failed in a row
        self.retry_at = 0.0  # no enqueue attempt before this (monotonic), while Redis is down
        self.recent: OrderedDict[int, None] = OrderedDict()
        self.stopping = False
        self.next_sweep = 0.0
        self.sweeps = 0
        self.listening = threading.Event()  # set while LISTEN is in effect

    # -- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        """Dispatch until ``stop()``; reconnects after losing the database."""
        backoff = 0
        while not self.stopping:
            try:
                with self._listen() as listener:
                    backoff = 0
                    log.info("dispatcher listening on %s", CHANNEL)
                    self.listening.set()
                    self.next_sweep = 0.0  # what arrived while nobody listened
                    while not self.stopping:
                        self.step(listener)
            except psycopg.OperationalError as error:
                self.listening.clear()
                delay = RETRY_AFTER[min(backoff, len(RETRY_AFTER) - 1)]
                backoff += 1
                log.warning("dispatcher lost the database (%s); reconnecting in %.1f s", error, delay)
                time.sleep(delay)
        self.flush(force=True)  # what still fails is swept up by the next dispatcher
        log.info("dispatcher stopped")

    def stop(self) -> None:
        self.stopping = True

    def _listen(self) -> psycopg.Connection:
        args, kwargs = self.engine.dialect.create_connect_args(self.engine.url)
        listener = psycopg.connect(*args, **kwargs, autocommit=True)
        listener.execute(f"LISTEN {CHANNEL}")
        return listener

    def step(self, listener: psycopg.Connection, wait: float = 1.0) -> None:
        """Wait up to ``wait`` s for notifications, enqueue what came, sweep when it is due."""
        now = time.monotonic()
        if now >= self.next_sweep:
            self.sweep()
            self.next_sweep = time.monotonic() + self.sweep_every
        timeout = min(wait, max(0.0, self.next_sweep - now))
        if self.waiting:  # Redis was down: keep reading notifications until the next attempt
            timeout = min(timeout, max(0.0, self.retry_at - now))
        notes = list(listener.notifies(timeout=timeout, stop_after=1))
        if notes:  # and whatever else arrives within the batch window: one enqueue for the lot
            notes += listener.notifies(timeout=self.batch_window)
        for note in notes:
            self.waiting += parse_ids(note.payload)
        self.flush()

    def sweep(self) -> int:
        """Enqueue unprocessed messages that have no job; returns how many were queued."""
        self.sweeps += 1
        trusted = self.recent if self.sweeps % FULL_SWEEP else ()
        try:
            with self.engine.connect() as connection:
                missing = unqueued_messages(connection, self.queue, self.grace, trusted)
        except (RedisError, DBAPIError) as error:
            log.warning("sweep skipped (%s); trying again in %.0f s", error, self.sweep_every)
            return 0
        if missing:
            log.info("sweep found %d stored messages without a job; enqueueing them", len(missing))
            for mid in missing:  # enqueued before, but the job is gone (e.g. Redis lost it)
                self.recent.pop(mid, None)
            self.waiting += missing
            self.flush()
        return len(missing)

    def flush(self, *, force: bool = False) -> None:
        """Enqueue the waiting ids not enqueued before; on a Redis error keep them and try again
        after a back-off (0.5, 1, 2, then every 5 s), or at once with ``force``."""
        fresh = [mid for mid in dict.fromkeys(self.waiting) if mid not in self.recent]
        self.waiting = fresh
        if not fresh or (time.monotonic() < self.retry_at and not force):
            return
        try:
            enqueue_messages(self.queue, fresh)
        except RedisError as error:
            self.failures += 1
            self.retry_at = time.monotonic() + RETRY_AFTER[min(self.failures, len(RETRY_AFTER)) - 1]
            if self.failures == 1:
                log.warning("could not enqueue %d messages (%s); retrying", len(fresh), error)
            return
        if self.failures:
            log.info("Redis is back; enqueued %d waiting messages", len(fresh))
        self.failures, self.retry_at = 0, 0.0
        self.waiting = []
        self._remember(fresh)

    def _remember(self, ids: Iterable[int]) -> None:
        for mid in ids:
            self.recent[mid] = None
        while len(self.recent) > REMEMBER:
            self.recent.popitem(last=False)


def run_dispatcher(app: Flask) -> None:
    """``investochat dispatch``: run until SIGTERM or Ctrl-C, then enqueue what is waiting."""
    dispatcher = Dispatcher(app)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: dispatcher.stop())
    dispatcher.run()
