"""The RQ queue and its Redis connection, built from the app's settings (once per process)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import redis
from rq import Queue

_lock = threading.Lock()
_connections: dict[str, redis.Redis] = {}
_queues: dict[tuple[str, str], Queue] = {}


def redis_connection(config: Mapping[str, Any]) -> redis.Redis:
    """A Redis client for ``REDIS_URL`` (a ``unix://`` URL for the embedded server).

    One client (and so one connection pool) per URL and process: the webhook enqueues on every
    request, and a new client would open a connection each time. redis-py resets the pool in a
    forked child, so forked processes are safe.
    """
    url = config["REDIS_URL"]
    with _lock:
        if url not in _connections:
            _connections[url] = redis.Redis.from_url(url)
        return _connections[url]


def get_queue(config: Mapping[str, Any]) -> Queue:
    """The product's job queue (one ``Queue`` per name and process: it caches the Redis server
    version RQ would otherwise ask for on every enqueue)."""
    connection = redis_connection(config)
    key = (config["REDIS_URL"], config["RQ_QUEUE"])
    with _lock:
        if key not in _queues:
            _queues[key] = Queue(config["RQ_QUEUE"], connection=connection)
        return _queues[key]


def job_id(queue_name: str, message_id: int) -> str:
    """The id of the job processing one message (so a message has at most one job queued). RQ's
    job ids are global to the Redis, so the queue's name is part of it: two deployments sharing a
    Redis under different ``RQ_QUEUE`` names number their messages from 1 alike."""
    return f"process-{queue_name}-{message_id}"


def send_job_id(queue_name: str, message_id: int) -> str:
    """The id of the job sending the replies to one message (namespaced like ``job_id``)."""
    return f"send-{queue_name}-{message_id}"
