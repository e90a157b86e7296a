"""Airtable push benchmark: 1,000 qualified leads through the real client, rate limit enforced.

    python bench/airtable_push.py [--leads 1000] [--activities 0] [--data-dir instance/bench-airtable]

Starts its own embedded PostgreSQL and Redis in --data-dir, creates ``--leads`` qualified leads
(each with its ``lead.qualified`` outbox event, and ``--activities`` activities), starts the fake
Airtable from tests/fakes (5 requests per second per base, 429 beyond) with the partner's base
set up, and runs the push until the outbox is empty. Prints the wall time against Airtable's
physical limit (10 records a request, 5 requests a second: 50 records/s, 20 s for 1,000), the
requests made, how many were refused with 429, and then replays the whole outbox to show that
nothing is sent twice. Exit status 0 when the leads landed within the 25 s target.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/airtable_push.py` puts bench/, not the checkout, first
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, insert, select, update  # noqa: E402

from app import create_app, embedded  # noqa: E402
from app.airtable.client import make_api  # noqa: E402
from app.airtable.pull import pull  # noqa: E402
from app.airtable.push import push  # noqa: E402
from app.airtable.schema import ACTIVITY, LEADS  # noqa: E402
from app.airtable.setup import setup_base  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Activity, Lead, OutboxEvent  # noqa: E402
from tests.fakes.airtable_server import FakeAirtable  # noqa: E402

DATABASE = "investochat_bench_airtable"
TARGET_SECONDS = 25.0
PHYSICAL_RECORDS_PER_SECOND = 50  # 10 records a request x 5 requests a second


def fresh_database(data_dir: Path, name: str = DATABASE) -> str:
    """Drop and recreate a bench database (this one's by default); returns its URL."""
    base = embedded.postgres_url(data_dir, database="postgres")
    host = unquote(base.split("host=", 1)[1])
    with psycopg.connect(host=host, user="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return embedded.postgres_url(data_dir, database=name)


def make_leads(count: int, activities: int) -> None:
    """``count`` qualified leads with their outbox events (and activities), in one transaction."""
    now = datetime.now(UTC)
    areas = ("Gurugram Sector 65", "Golf Course Road", "Noida Sector 150", "Dwarka Expressway")
    rows = [
        {
            "phone": f"+9198{n:08d}",
            "name": f"Investor {n}",
            "channel": "whatsapp",
            "stage": "qualified",
            "budget_text": "3-5 Cr",
            "budget_min_inr": Decimal(30_000_000 + n * 1000),
            "budget_max_inr": Decimal(50_000_000),
            "area_text": areas[n % 4],
            "areas": [areas[n % 4]],
            "timeline_text": "in 2 months",
            "timeline": "1-3 months",
            "unit_text": "4 BHK",
            "unit_kinds": ["4BHK"],
            "qualified_at": now - timedelta(minutes=n % 600),
        }
        for n in range(count)
    ]
    ids = db.session.scalars(insert(Lead).returning(Lead.id), rows).all()
    db.session.execute(
        insert(OutboxEvent),
        [{"topic": "lead.qualified", "aggregate": "lead", "aggregate_id": i, "payload": {}} for i in ids],
    )
    if activities:
        db.session.execute(
            insert(Activity),
            [
                {"lead_id": i, "kind": "qualified", "detail": {"score": 4}, "actor": "bot"}
                for i in ids
                for _ in range(activities)
            ],
        )
    db.session.commit()


def _watch(fake: FakeAirtable, count: int, started: float, landed: list[float]) -> None:
    """Note when the last of the leads reached Qualified Leads (activities may still follow)."""
    try:
        fake.wait_for_records(fake.base_id, LEADS, count, timeout=3600)
    except TimeoutError:
        return
    landed.append(time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1000, help="qualified leads to push")
    parser.add_argument("--activities", type=int, default=0, help="activities per lead (Activity Log rows)")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "instance" / "bench-airtable")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)

    url = fresh_database(args.data_dir)
    redis_url = embedded.redis_url(args.data_dir, name="redis-bench.db")
    with FakeAirtable() as fake:
        config = {
            "DATABASE_URL": url,
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": redis_url,
            "LOG_LEVEL": "WARNING",
        }
        app = create_app({**config, **fake.config()})
        with app.app_context():
            upgrade()
            fake.rate_limit = None  # the base is set up beforehand, as the partner would
            setup_base(make_api({**app.config, "AIRTABLE_RATE_LIMIT": 0}), fake.base_id)
            fake.rate_limit = 5
            fake.reset_rate_limit()
            make_leads(args.leads, args.activities)
            print(f"{args.leads:,} qualified leads waiting in the outbox; pushing at <= 5 requests/s ...")

            made_before = fake.requests_made
            started = time.perf_counter()
            landed: list[float] = []
            watcher = threading.Thread(target=_watch, args=(fake, args.leads, started, landed), daemon=True)
            watcher.start()
            runs = []
            while True:
                result = push(db.session, make_api(app.config), app.config, budget_seconds=3600)
                runs.append(result)
                pending = db.session.scalar(
                    select(func.count()).select_from(OutboxEvent).where(OutboxEvent.status == "pending")
                )
                if not pending or result.error:
                    break
            total = time.perf_counter() - started
            requests = fake.requests_made - made_before
            in_airtable = len(fake.records(fake.base_id, LEADS))
            activity_rows = len(fake.records(fake.base_id, ACTIVITY))

            db.session.execute(update(OutboxEvent).values(status="pending", processed_at=None))
            db.session.commit()
            replay_before = fake.requests_made
            replay = push(db.session, make_api(app.config), app.config, budget_seconds=3600)
            replay_requests = fake.requests_made - replay_before

            # The first pull reads back every record (all were just written): the worst case.
            pull_started = time.perf_counter()
            pulled = pull(db.session, make_api(app.config), app.config)
            pull_seconds = time.perf_counter() - pull_started

    watcher.join(timeout=1)
    leads_time = landed[0] if landed else total
    lead_requests = runs[0].records.get(LEADS, 0) // 10 + (1 if runs[0].records.get(LEADS, 0) % 10 else 0)
    physical = args.leads / PHYSICAL_RECORDS_PER_SECOND
    print()
    print("== InvestoChat Airtable push benchmark ==")
    print(
        f"leads in Qualified Leads: {in_airtable:,} of {args.leads:,}; Activity Log rows: {activity_rows:,}"
    )
    print(
        f"time to push the leads: {leads_time:.1f} s (physical limit {physical:.1f} s at "
        f"{PHYSICAL_RECORDS_PER_SECOND} records/s; target <= {TARGET_SECONDS:.0f} s: "
        f"{'PASS' if leads_time <= TARGET_SECONDS and in_airtable == args.leads else 'MISS'})"
    )
    print(f"whole outbox drained in {total:.1f} s over {len(runs)} run(s)")
    print(
        f"requests made: {requests} (about {lead_requests} upserts of 10 leads, the rest brokers/activity); "
        f"429 answers: {fake.rate_limited}; achieved {requests / total:.2f} requests/s, "
        f"{in_airtable / leads_time:.1f} leads/s"
    )
    errors = [r.error for r in runs if r.error]
    print(f"errors: {errors or 'none'}")
    print(
        f"replay of all {args.leads:,} events: {replay_requests} request(s), "
        f"{replay.events} events marked synced"
    )
    print(
        f"first pull (reads back every record): {pull_seconds:.1f} s, {pulled.records:,} records, "
        f"{pulled.requests} request(s), {pulled.applied} change(s) applied, error: {pulled.error or 'none'}"
    )
    return 0 if leads_time <= TARGET_SECONDS and in_airtable == args.leads and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
