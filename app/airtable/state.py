"""The sync's small persistent state (``sync_state`` rows): pull cursors, the 429 pause, and
what the last push and pull did (shown on the partner's sync page)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, is_dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.models import SyncState

PAUSE = "airtable.pause"


@dataclass
class RunResult:
    """What every push or pull reports: requests made, items passed over, and why it stopped
    early (Airtable asked for a pause, or an error)."""

    requests: int = 0
    skipped: int = 0  # outbox events (push) or Airtable records (pull) the run passed over
    paused_until: datetime | None = None
    error: str | None = None


def get(session: Session, name: str) -> dict[str, Any]:
    row = session.get(SyncState, name)
    return dict(row.value) if row else {}


def put(session: Session, name: str, value: dict[str, Any]) -> None:
    statement = insert(SyncState).values(name=name, value=value)
    changes = {"value": statement.excluded.value, "updated_at": datetime.now(UTC)}
    session.execute(statement.on_conflict_do_update(index_elements=[SyncState.name], set_=changes))


def paused_until(session: Session) -> datetime | None:
    until = get(session, PAUSE).get("until")
    return datetime.fromisoformat(until) if until else None


def pause(session: Session, until: datetime, reason: str) -> None:
    put(session, PAUSE, {"until": until.isoformat(), "reason": reason})


def pause_after_rate_limit(session: Session, config: Mapping[str, Any], reason: str) -> datetime:
    """Stop every request to the base for ``AIRTABLE_RATE_LIMIT_PAUSE`` seconds (Airtable wants
    30 after a 429); returns when the pause ends."""
    until = datetime.now(UTC) + timedelta(seconds=float(config.get("AIRTABLE_RATE_LIMIT_PAUSE") or 30))
    pause(session, until, reason)
    return until


def cursor(session: Session, table: str) -> datetime | None:
    value = get(session, f"airtable.pull.{table}").get("since")
    return datetime.fromisoformat(value) if value else None


def set_cursor(session: Session, table: str, since: datetime | None) -> None:
    put(session, f"airtable.pull.{table}", {"since": since.isoformat() if since else None})


def record_run(session: Session, kind: str, result: Any) -> None:
    """Keep what the last push or pull did, with its time."""
    data = asdict(result) if is_dataclass(result) else dict(result)
    put(session, f"airtable.last_{kind}", _jsonable({**data, "at": datetime.now(UTC)}))


def last_runs(session: Session) -> dict[str, dict[str, Any]]:
    rows = session.scalars(select(SyncState).where(SyncState.name.like("airtable.%"))).all()
    return {row.name.removeprefix("airtable."): dict(row.value) for row in rows}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
