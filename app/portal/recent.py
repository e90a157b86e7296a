"""Figures a process may reuse for a short while, as long as nothing new has been written.

The portal's heavier aggregates (the dashboard's funnel and answer figures, the brokers' records)
are read far more often than the rows under them change. Each is kept per process, keyed by the
database and the newest id of the tables it reads: a new row in any of them (a lead, a message,
an activity — every pipeline step records one) makes the next request compute afresh, and an
entry is never older than ``max_age`` seconds, which bounds what changes without a new row (a
window sliding with the clock) can lag.
"""

from __future__ import annotations

from collections.abc import Callable
from threading import Lock
from time import monotonic
from typing import Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


class RecentFigures(Generic[T]):
    """One value computed from ``models``' tables, reused while their newest ids stay the same."""

    def __init__(self, *models, max_age: float = 60.0):
        self._models = models
        self.max_age = max_age
        self._entry: tuple[tuple, float, T] | None = None
        self._lock = Lock()

    def get(self, session: Session, compute: Callable[[], T], max_age: float | None = None) -> T:
        """The cached value if still current, else ``compute()`` (then cached)."""
        newest = (select(func.max(model.id)).scalar_subquery() for model in self._models)
        key = tuple(session.execute(select(func.current_database(), *newest)).one())
        limit = self.max_age if max_age is None else max_age
        with self._lock:
            entry = self._entry
        if entry and entry[0] == key and monotonic() - entry[1] < limit:
            return entry[2]
        value = compute()
        with self._lock:
            self._entry = (key, monotonic(), value)
        return value

    def clear(self) -> None:
        """Forget the value: the next :meth:`get` computes it."""
        with self._lock:
            self._entry = None
