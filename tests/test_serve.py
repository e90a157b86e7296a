"""`investochat serve` as a real process tree: supervisor, gunicorn and an RQ worker.

The server runs in child processes: these tests use a throwaway database on the embedded
PostgreSQL (migrated and loaded with the demo through the CLI, ``tests/served.py``) and a queue
of their own on the test Redis.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest
from rq import Queue, Worker
from sqlalchemy.engine import make_url

from tests.served import (
    DEMO_PROJECT,
    ROOT,
    SERVE_OPTIONS,
    STOP_TIMEOUT,
    ServedTree,
    demo_databases,
    free_port,
    responds,
    run_cli,
    served_env,
    serving,
)
from tests.whatsapp_helpers import QUALIFYING_REPLIES
from workers.queues import redis_connection

CHAT_TO_HANDOFF = ["Hi", "What is the payment plan?", *QUALIFYING_REPLIES]


@pytest.fixture(scope="module")
def serve_env(database_url: str, redis_url: str, tmp_path_factory) -> Iterator[dict[str, str]]:
    """Environment for `python -m app …`: a migrated database holding the demo project."""
    data_dir = tmp_path_factory.mktemp("serve-data")
    with demo_databases(database_url, redis_url, data_dir) as databases:
        yield served_env(databases(), redis_url, data_dir)


def wait_until(condition, timeout: float, what: str, server: ServedTree):
    return server.wait(condition, what, timeout=timeout)


@pytest.fixture
def served(serve_env: dict[str, str], tmp_path: Path) -> Iterator[ServedTree]:
    """A server on a queue of its own, so no RQ scheduler lock is shared between tests."""
    env = {**serve_env, "RQ_QUEUE": f"investochat-serve-{uuid.uuid4().hex[:8]}"}
    with serving(env, tmp_path / "serve.log") as server:
        yield server


def stop_and_assert_tree_gone(server: ServedTree) -> None:
    tree = [server.supervisor, *server.supervisor.children(recursive=True)]
    assert server.web() and server.workers(), "expected gunicorn and a worker before stopping"

    server.process.send_signal(signal.SIGINT)

    assert server.process.wait(STOP_TIMEOUT) == 0
    gone, alive = psutil.wait_procs(tree, timeout=STOP_TIMEOUT)
    still_running = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not still_running, f"left running after SIGINT: {[p.pid for p in still_running]}"
    assert not responds(server.url("/healthz"))


def test_serve_answers_and_sigint_stops_the_whole_tree(served):
    assert len(served.workers()) == 1
    [gunicorn] = served.web()
    assert len(gunicorn.children()) == 1  # --web-processes 1
    # Dispatching and answering run at background priority, acknowledgements at normal priority.
    [worker] = served.workers()
    [dispatcher] = served.dispatchers()
    assert worker.nice() == 19 and dispatcher.nice() == 19 and gunicorn.nice() == os.nice(0)
    if hasattr(os, "SCHED_IDLE"):
        assert os.sched_getscheduler(worker.pid) == os.SCHED_IDLE
        assert os.sched_getscheduler(dispatcher.pid) == os.SCHED_IDLE
        assert os.sched_getscheduler(gunicorn.pid) == os.sched_getscheduler(0)

    status, body = served.post_json(
        "/api/ask", {"question": "What is the RERA number?", "project": DEMO_PROJECT}
    )

    assert status == 200
    assert body["answered"] is True
    assert "DEMO-GGM-2026-0001" in body["answer"]
    assert body["citations"] == [{"document": "Aravali_Crest_Brochure.pdf", "page": 1}]
    with urllib.request.urlopen(served.url("/readyz"), timeout=10) as response:
        assert json.loads(response.read())["status"] == "ready"

    stop_and_assert_tree_gone(served)
    log = served.log.read_text()
    assert "InvestoChat is running at" in log
    # A fresh install says how to make the first account (the portal cannot be entered before).
    assert "No portal account yet" in log and "users create you@example.com --role partner" in log
    assert "Warning:" not in log  # migrated: no schema warning


def test_a_killed_worker_is_restarted_and_takes_jobs(served):
    [worker] = served.workers()
    # The worker forks an RQ scheduler process; killing the worker must not leave it orphaned.
    helpers = wait_until(worker.children, 30, "the worker started no scheduler", served)
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)

    def replacement() -> list[psutil.Process]:
        return [p for p in served.workers() if p.pid != worker.pid]

    [restarted] = wait_until(replacement, 30, "the killed worker was not restarted", served)
    assert served.process.poll() is None
    _, orphans = psutil.wait_procs(helpers, timeout=STOP_TIMEOUT)
    assert not orphans, f"children of the killed worker still run: {[p.pid for p in orphans]}"

    connection = redis_connection({"REDIS_URL": served.env["REDIS_URL"]})
    queue = Queue(served.env["RQ_QUEUE"], connection=connection)
    wait_until(
        lambda: any(w.pid == restarted.pid for w in Worker.all(queue=queue)),
        30,
        "the restarted worker did not register on its queue",
        served,
    )
    job = queue.enqueue("os.getpid")
    wait_until(
        lambda: job.get_status(refresh=True) in ("finished", "failed"),
        30,
        "the restarted worker did not run the job",
        served,
    )
    assert job.get_status() == "finished", served.log.read_text()[-4000:]
    assert isinstance(job.return_value(), int)

    stop_and_assert_tree_gone(served)


def test_serve_syncs_airtable_both_ways(serve_env, tmp_path):
    """With Airtable configured, `serve` also runs the scheduler: a lead qualified in a chat
    reaches Qualified Leads within the minute, and a broker the partner assigns there reaches
    the database."""
    from app.airtable.client import make_api
    from app.airtable.schema import BROKERS, LEADS
    from app.airtable.setup import setup_base
    from tests.fakes.airtable_server import FakeAirtable

    with FakeAirtable() as fake:
        fake.rate_limit = None
        setup_base(make_api({**fake.config(), "AIRTABLE_RATE_LIMIT": 0}), fake.base_id)
        fake.rate_limit = 5
        env = {
            **serve_env,
            **fake.config(),
            "RQ_QUEUE": f"investochat-serve-{uuid.uuid4().hex[:8]}",
            "AIRTABLE_PUSH_INTERVAL": "1",
            "AIRTABLE_PULL_INTERVAL": "2",
        }
        run_cli(
            env,
            "users",
            "create",
            "meera@brokers.test",
            "--role",
            "broker",
            "--name",
            "Meera",
            "--password-stdin",
            stdin="a long enough password\n",
        )
        with serving(env, tmp_path / "serve.log") as server:
            crons = server.started("cron")
            assert len(crons) == 1, "serve should start the Airtable scheduler"
            script = "\n".join(CHAT_TO_HANDOFF) + "\n"
            run_cli(env, "chat", "--phone", "+919811150001", stdin=script)

            lead = wait_until(
                lambda: fake.find(fake.base_id, LEADS, "Phone", "+919811150001"),
                60,
                "no lead in Airtable",
                server,
            )
            broker = wait_until(
                lambda: fake.find(fake.base_id, BROKERS, "Email", "meera@brokers.test"),
                30,
                "no broker",
                server,
            )
            fake.edit_record(fake.base_id, LEADS, lead["id"], {"Assigned Broker": [broker["id"]]})

            url = make_url(env["DATABASE_URL"])

            def assigned() -> bool:
                with psycopg.connect(host=url.query["host"], user="postgres", dbname=url.database) as conn:
                    row = conn.execute(
                        "SELECT u.email FROM leads l JOIN users u ON u.id = l.broker_id WHERE l.phone = %s",
                        ("+919811150001",),
                    ).fetchone()
                return bool(row and row[0] == "meera@brokers.test")

            wait_until(assigned, 60, "the assignment made in Airtable did not reach the database", server)
            stop_and_assert_tree_gone(server)


WARM_PROCESS_ENTRIES = {
    "gunicorn's app (wsgi.py)": "import wsgi",
    "an RQ worker": (
        "from app import create_app\n"
        "from workers.worker import run_worker\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    run_worker(app, burst=True)"
    ),
}


@pytest.mark.parametrize("entry", WARM_PROCESS_ENTRIES.values(), ids=WARM_PROCESS_ENTRIES.keys())
def test_long_lived_processes_keep_their_startup_objects_out_of_the_collector(serve_env, entry):
    """A web process and a worker freeze what they built at start-up (``gc.freeze``): a full
    collection of the app's modules and mappings paused a webhook for ~140 ms
    (docs/decisions/2026-12-04-gc-freeze.md)."""
    script = f"import gc\n{entry}\nprint(gc.get_freeze_count())"
    env = {**serve_env, "RQ_QUEUE": f"investochat-serve-{uuid.uuid4().hex[:8]}"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) > 10_000  # the app's objects, not a handful


def test_serve_exits_non_zero_when_it_gives_up_on_a_child_that_keeps_exiting(serve_env, tmp_path):
    """Redis unreachable: the dispatcher and the worker exit as soon as they start; serve restarts
    them, then stops everything and says so with its exit code (a process manager then sees a
    failure to act on, not a clean stop)."""
    env = {**serve_env, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        done = subprocess.run(
            [sys.executable, "-m", "app", "serve", *SERVE_OPTIONS, "--port", str(free_port())],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            timeout=240,
        )
    text = log.read_text()
    assert "keeps exiting" in text, text[-3000:]
    assert done.returncode != 0
