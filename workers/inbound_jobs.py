"""Stored inbound messages and their ``process_message`` jobs: the job id of a message, enqueueing
a batch of them in one Redis round trip, and finding the messages that have no job.

The dispatcher (``workers.dispatch``) enqueues what the webhook's notifications name and sweeps
for what they missed; a worker starting up (``workers.recovery``) re-enqueues what a dead worker
left behind. Processing is idempotent, so a message enqueued twice is still answered once.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from datetime import timedelta

from rq import Callback, Queue
from sqlalchemy import Connection, text

from workers.queues import job_id
from workers.tasks import process_message, process_message_failed, process_retry

SWEEP_GRACE = timedelta(seconds=5)  # younger messages are left to their notification
# RQ job statuses (as Redis returns them) of a job that has yet to run.
WAITING = frozenset({b"queued", b"deferred", b"scheduled"})

_UNPROCESSED = text("""
    SELECT id FROM messages
    WHERE direction = 'in' AND processed_at IS NULL AND status = 'received'
      AND created_at < clock_timestamp() - :grace
    ORDER BY id""")


def enqueue_messages(queue: Queue, message_ids: Sequence[int]) -> None:
    """Queue ``process_message`` for each id, in one Redis round trip (raises ``RedisError``).

    A job that raises is tried again (``process_retry``); after the last try
    ``process_message_failed`` gives up on the message, visibly (never silently)."""
    if not message_ids:
        return
    retry = process_retry()
    on_failure = Callback(process_message_failed)
    queue.enqueue_many(
        [
            queue.prepare_data(
                process_message, (mid,), job_id=job_id(queue.name, mid), retry=retry, on_failure=on_failure
            )
            for mid in message_ids
        ]
    )


def unqueued_messages(
    connection: Connection,
    queue: Queue,
    grace: timedelta = SWEEP_GRACE,
    skip: Container[int] = (),
    *,
    waiting_only: bool = False,
) -> list[int]:
    """Unprocessed inbound messages older than ``grace`` that have no job in Redis (those in
    ``skip`` are taken to have one without asking).

    With ``waiting_only`` (a worker starting up), only a job still waiting to run counts: one a
    worker had started (perhaps a worker that died) or that failed is run again, while a queued
    one is not pushed onto the queue a second time.
    """
    ids = [mid for mid in connection.execute(_UNPROCESSED, {"grace": grace}).scalars() if mid not in skip]
    if not ids:
        return []
    pipe = queue.connection.pipeline(transaction=False)
    for mid in ids:
        pipe.hget(queue.job_class.key_for(job_id(queue.name, mid)), "status")
    return [
        mid
        for mid, status in zip(ids, pipe.execute(), strict=True)
        if status is None or (waiting_only and status not in WAITING)
    ]
