"""Committed webhook deliveries and the dispatcher: the notification, enqueueing, the sweep,
outages, and a re-delivery racing a worker.

These tests commit (the notification is sent only when the webhook's statement commits), so each
uses message ids of its own and deletes its rows afterwards.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
import redis
from rq import Queue
from sqlalchemy import select, text

from app.conversation.inbox import INBOX_CHANNEL, NOTIFY_CHUNK
from app.extensions import db
from app.models import Message
from tests.whatsapp_helpers import (
    APP_SECRET,
    body_of,
    empty_queue,
    meta_envelope,
    post_signed,
    text_message,
    wait_until,
)
from workers.dispatch import FULL_SWEEP, Dispatcher, parse_ids
from workers.inbound_jobs import job_id, unqueued_messages
from workers.queues import get_queue

QUEUE = f"investochat-dispatch-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def committed(app):
    """The app on a queue of this module's own, with the webhook secret set, and a message id
    prefix of the test's own."""
    saved = {key: app.config.get(key) for key in ("WHATSAPP_APP_SECRET", "RQ_QUEUE")}
    app.config.update(WHATSAPP_APP_SECRET=APP_SECRET, RQ_QUEUE=QUEUE)
    prefix = f"wamid.DISPATCH-{uuid.uuid4().hex[:6].upper()}-"
    empty_queue(get_queue(app.config))
    try:
        yield app, prefix
    finally:
        empty_queue(get_queue(app.config))
        app.config.update(saved)


def post(app, *messages: dict) -> dict:
    """POST one signed delivery; it commits, as in production."""
    response = post_signed(app.test_client(), body_of(meta_envelope(*messages)))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def texts(prefix: str, count: int, start: int = 0) -> list[dict]:
    return [
        text_message(f"{prefix}{n}", "What is the payment plan?", f"9198{n % 97:08d}")
        for n in range(start, start + count)
    ]


def ids_of(app, prefix: str) -> list[int]:
    with app.app_context(), db.engine.connect() as connection:
        return list(
            connection.scalars(
                select(Message.id).where(Message.provider_message_id.startswith(prefix)).order_by(Message.id)
            )
        )


@contextmanager
def listening(app) -> Iterator[psycopg.Connection]:
    """A connection of the test's own that LISTENs on the dispatcher's channel."""
    with app.app_context():
        args, kwargs = db.engine.dialect.create_connect_args(db.engine.url)
    with psycopg.connect(*args, **kwargs, autocommit=True) as connection:
        connection.execute(f"LISTEN {INBOX_CHANNEL}")
        yield connection


def received(connection: psycopg.Connection, timeout: float, expected: int | None = None) -> list[str]:
    """Payloads received within ``timeout`` s (sooner once ``expected`` of them arrived)."""
    return [note.payload for note in connection.notifies(timeout=timeout, stop_after=expected)]


@contextmanager
def running(dispatcher: Dispatcher) -> Iterator[threading.Thread]:
    thread = threading.Thread(target=dispatcher.run, daemon=True)
    thread.start()
    try:
        wait_until(dispatcher.listening.is_set, "the dispatcher listening")
        yield thread
    finally:
        dispatcher.stop()
        thread.join(10)
    assert not thread.is_alive(), "the dispatcher did not stop within 10 s"


def test_a_committed_delivery_announces_its_new_messages_once(committed):
    app, prefix = committed
    reaction = {
        "from": "919800000001",
        "id": f"{prefix}R",
        "timestamp": "1764064800",
        "type": "reaction",
        "reaction": {"message_id": "wamid.X", "emoji": "👍"},
    }
    messages = [*texts(prefix, 3), reaction]
    with listening(app) as listener:
        first = post(app, *messages)
        notes = received(listener, timeout=30, expected=1)
        again = post(app, *messages)  # Meta re-delivers
        late = received(listener, timeout=0.5)

    assert (first["new"], again["new"], again["duplicates"]) == (3, 0, 3)
    reaction_id = ids_of(app, f"{prefix}R")
    texts_ids = [mid for mid in ids_of(app, prefix) if mid not in reaction_id]
    assert [parse_ids(note) for note in notes] == [texts_ids]  # the stored reaction is not processed
    assert late == []


def test_a_batch_larger_than_one_notification_is_announced_in_chunks(committed):
    app, prefix = committed
    with listening(app) as listener:
        body = post(app, *texts(prefix, 1200))
        notes = []
        while len(notes) < 3 and (more := received(listener, timeout=30, expected=3 - len(notes))):
            notes += more

    assert body["new"] == 1200
    chunks = [parse_ids(note) for note in notes]
    assert [len(chunk) for chunk in chunks] == [NOTIFY_CHUNK, NOTIFY_CHUNK, 1200 - 2 * NOTIFY_CHUNK]
    assert sorted(mid for chunk in chunks for mid in chunk) == ids_of(app, prefix)
    assert all(len(note.encode()) < 8000 for note in notes)  # PostgreSQL's payload limit


def test_the_dispatcher_enqueues_each_stored_message_once(committed):
    app, prefix = committed
    queue = get_queue(app.config)
    dispatcher = Dispatcher(app, sweep_every=3600)
    with running(dispatcher):
        post(app, *texts(prefix, 2))
        post(app, *texts(prefix, 1, start=2), *texts(prefix, 2))  # one new, two re-delivered
        expected = [job_id(queue.name, mid) for mid in ids_of(app, prefix)]
        wait_until(lambda: sorted(queue.job_ids) == sorted(expected), "the three jobs being queued")
        assert dispatcher.sweep() == 0  # every stored message has its job

    assert len(expected) == 3 and sorted(queue.job_ids) == sorted(expected)
    jobs = [queue.fetch_job(name) for name in expected]
    assert [job.func_name for job in jobs] == ["workers.tasks.process_message"] * 3


def test_ids_wait_while_redis_is_down_and_are_enqueued_when_it_is_back(committed, tmp_path):
    app, prefix = committed
    queue = get_queue(app.config)
    dispatcher = Dispatcher(app, sweep_every=3600)
    dispatcher.queue = Queue(QUEUE, connection=redis.Redis(unix_socket_path=str(tmp_path / "down.sock")))
    with dispatcher._listen() as listener:
        body = post(app, *texts(prefix, 2))
        dispatcher.step(listener, wait=5)
        stored = ids_of(app, prefix)
        assert body["new"] == 2 and dispatcher.waiting == stored and queue.count == 0

        dispatcher.queue = queue  # Redis is back
        dispatcher.step(listener, wait=10)  # returns once the back-off allows another attempt

    assert dispatcher.waiting == [] and queue.job_ids == [job_id(queue.name, mid) for mid in stored]


def test_the_sweep_enqueues_what_no_notification_brought_and_leaves_the_rest(committed):
    app, prefix = committed
    queue = get_queue(app.config)
    post(app, *texts(prefix, 3))  # nobody listens: the notification is lost
    first, queued, processed = ids_of(app, prefix)
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(
            Message.__table__.update()
            .where(Message.id == processed)
            .values(processed_at=db.func.now(), status="processed")
        )
        queue.enqueue_call("workers.tasks.process_message", args=(queued,), job_id=job_id(queue.name, queued))
        assert unqueued_messages(connection, queue) == []  # all younger than the grace period
        assert unqueued_messages(connection, queue, timedelta(0)) == [first]

    dispatcher = Dispatcher(app, grace=timedelta(0))
    assert dispatcher.sweep() == 1
    assert dispatcher.sweep() == 0
    assert sorted(queue.job_ids) == sorted([job_id(queue.name, queued), job_id(queue.name, first)])

    queue.fetch_job(
        job_id(queue.name, first)
    ).delete()  # Redis lost the job (e.g. restarted without its data)
    # Sweeps in between take the ids this dispatcher enqueued as queued; the full one checks them.
    assert [dispatcher.sweep() for _ in range(FULL_SWEEP - 2)] == [0] * (FULL_SWEEP - 3) + [1]
    assert job_id(queue.name, first) in queue.job_ids


def test_the_dispatcher_reconnects_after_losing_the_database(committed):
    app, prefix = committed
    queue = get_queue(app.config)
    dispatcher = Dispatcher(app, sweep_every=3600, grace=timedelta(0))
    with running(dispatcher), app.app_context(), db.engine.connect() as admin:

        def listener_pids() -> list[int]:
            admin.rollback()
            query = text("SELECT pid FROM pg_stat_activity WHERE query = :q")
            return list(admin.scalars(query, {"q": f"LISTEN {INBOX_CHANNEL}"}))

        [old] = listener_pids()
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": old})
        admin.commit()
        post(app, *texts(prefix, 1))  # stored while the dispatcher may be reconnecting
        wait_until(lambda: listener_pids() not in ([], [old]), "the dispatcher listening again")
        [stored] = ids_of(app, prefix)
        wait_until(
            lambda: queue.job_ids == [job_id(queue.name, stored)], "the message being queued after the outage"
        )


def test_a_redelivery_does_not_wait_for_a_worker_updating_that_message(committed):
    """A worker's open transaction that has updated the message (it is mid-job, perhaps at
    background priority) must not hold up the acknowledgement of Meta's re-delivery of it."""
    app, prefix = committed
    [message] = texts(prefix, 1)
    post(app, message)
    answers: list[dict] = []
    with app.app_context(), db.engine.connect() as worker:
        worker.execute(
            Message.__table__.update()
            .where(Message.provider_message_id == message["id"])
            .values(processed_at=db.func.now(), status="processed")
        )  # left uncommitted, as mid-job
        redelivery = threading.Thread(target=lambda: answers.append(post(app, message)), daemon=True)
        redelivery.start()
        redelivery.join(20)  # milliseconds when it does not wait; forever (until rollback) if it does
        blocked = redelivery.is_alive()
        worker.rollback()
    redelivery.join(20)

    assert not blocked, "the re-delivery waited for the worker's transaction"
    assert answers and (answers[0]["new"], answers[0]["duplicates"]) == (0, 1)
