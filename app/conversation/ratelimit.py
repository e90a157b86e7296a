"""Per-sender rate limiting backed by Redis (the ``limits`` library, as used by Flask-Limiter)."""

from __future__ import annotations

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


def limits_uri(redis_url: str) -> str:
    """The ``limits`` storage URI for a redis-py URL (``unix://`` becomes ``redis+unix://``)."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://") :]
    return redis_url


class SenderLimiter:
    """Allows each sender ``rate`` messages (e.g. "10/minute"), counted in Redis across workers."""

    def __init__(self, redis_url: str, rate: str):
        self.limit = parse(rate)
        self.limiter = MovingWindowRateLimiter(storage_from_string(limits_uri(redis_url)))

    def allow(self, sender: str) -> bool:
        """Count one message from ``sender``; False once the sender is over the limit."""
        return self.limiter.hit(self.limit, "sender", sender)
