"""The RQ queue and its Redis connection, built from the app's settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import redis
from rq import Queue


def redis_connection(config: Mapping[str, Any]) -> redis.Redis:
    """A Redis client for ``REDIS_URL`` (a ``unix://`` URL for the embedded server)."""
    return redis.Redis.from_url(config["REDIS_URL"])


def get_queue(config: Mapping[str, Any]) -> Queue:
    """The product's job queue."""
    return Queue(config["RQ_QUEUE"], connection=redis_connection(config))
