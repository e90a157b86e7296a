"""The RQ worker process: how it stops."""

from __future__ import annotations

import threading
import time

from workers.worker import build_worker


def test_a_worker_stops_promptly_even_when_its_command_listener_saw_the_unsubscribe_first(app):
    worker = build_worker(app)
    worker.subscribe()
    # The race a stopping worker can lose: the thread listening for RQ's commands reads the
    # UNSUBSCRIBE confirmation before the worker stops it, and goes back to waiting on Redis.
    worker.pubsub.unsubscribe()
    deadline = time.monotonic() + 10
    while worker.pubsub.subscribed and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not worker.pubsub.subscribed, "the listener never read the unsubscribe confirmation"

    stopping = threading.Thread(target=worker.unsubscribe, daemon=True)
    stopping.start()
    stopping.join(30)

    assert not stopping.is_alive(), "the worker is still waiting for its command listener"
    assert not worker.pubsub_thread.is_alive()
