"""`investochat serve` as a real process tree: supervisor, gunicorn and an RQ worker.

The server runs in child processes, so it cannot see a test's rolled-back transaction: these
tests use a throwaway database on the embedded PostgreSQL (migrated and loaded with the demo
through the CLI) and a queue of their own on the test Redis.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
import pytest
from rq import Queue, Worker
from sqlalchemy.engine import make_url

from workers.queues import redis_connection

ROOT = Path(__file__).resolve().parents[1]
DEMO_PROJECT = "Aravali Crest"
START_TIMEOUT = 60
CHAT_TO_HANDOFF = [
    "Hi",
    "What is the payment plan?",
    "How far is the airport?",
    "3 to 5 crore",
    "sec 65 ggn",
    "in 2 months",
    "4 BHK",
    "YES",
]
STOP_TIMEOUT = 30
SERVE_OPTIONS = ["--workers", "1", "--web-processes", "1"]


@pytest.fixture(scope="module")
def serve_env(database_url: str, redis_url: str, tmp_path_factory) -> Iterator[dict[str, str]]:
    """Environment for `python -m app …`: a migrated database holding the demo project."""
    url = make_url(database_url)
    name = f"investochat_serve_{uuid.uuid4().hex[:8]}"
    admin = {"host": url.query["host"], "user": "postgres", "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DATABASE_URL": url.set(database=name).render_as_string(hide_password=False),
        "REDIS_URL": redis_url,
        "INVESTOCHAT_DATA_DIR": str(tmp_path_factory.mktemp("serve-data")),
        "OPENAI_API_KEY": "",  # offline answers; never call a real API from tests
        "SECRET_KEY": "serve-test-secret",
    }
    try:
        run_cli(env, "db", "upgrade")
        assert f"{DEMO_PROJECT}: Aravali_Crest_Brochure.pdf added" in run_cli(env, "demo", "load")
        yield env
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=env,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"`investochat {' '.join(args)}` failed:\n{done.stderr}"
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Callable[[], object], timeout: float, what: str, log: Path) -> object:
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"{what} within {timeout} s\n--- serve log ---\n{log.read_text()[-4000:]}")


@dataclass
class Served:
    process: subprocess.Popen
    port: int
    log: Path
    env: dict[str, str]

    @property
    def supervisor(self) -> psutil.Process:
        return psutil.Process(self.process.pid)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def workers(self) -> list[psutil.Process]:
        """The RQ worker processes the supervisor started (not their scheduler children)."""
        return [p for p in self._children() if p.cmdline()[-2:] == ["app", "worker"]]

    def dispatchers(self) -> list[psutil.Process]:
        """The dispatcher process(es) the supervisor started."""
        return [p for p in self._children() if p.cmdline()[-2:] == ["app", "dispatch"]]

    def web(self) -> list[psutil.Process]:
        """The gunicorn master the supervisor started."""
        return [p for p in self._children() if "gunicorn" in " ".join(p.cmdline())]

    def _children(self) -> list[psutil.Process]:
        alive = []
        for child in self.supervisor.children():
            try:
                if child.status() != psutil.STATUS_ZOMBIE:
                    child.cmdline()
                    alive.append(child)
            except psutil.NoSuchProcess:
                continue
        return alive


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextmanager
def serving(env: dict[str, str], tmp_path: Path) -> Iterator[Served]:
    """`python -m app serve` with one gunicorn process and one worker, up and healthy; killed
    (whole tree) if the test leaves it running."""
    port = free_port()
    log = tmp_path / "serve.log"
    argv = [sys.executable, "-m", "app", "serve", "--port", str(port), *SERVE_OPTIONS]
    with log.open("w") as output:
        process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    server = Served(process, port, log, env)
    try:
        wait_until(
            lambda: process.poll() is not None or healthy(server.url("/healthz")),
            START_TIMEOUT,
            "/healthz did not answer",
            log,
        )
        assert process.poll() is None, f"serve exited early:\n{log.read_text()[-4000:]}"
        wait_until(server.workers, START_TIMEOUT, "no RQ worker started", log)
        yield server
    finally:
        if process.poll() is None:  # a failed test must not leave the tree running
            for child in server.supervisor.children(recursive=True):
                child.kill()
            process.kill()
            process.wait(10)


@pytest.fixture
def served(serve_env: dict[str, str], tmp_path: Path) -> Iterator[Served]:
    """A server on a queue of its own, so no RQ scheduler lock is shared between tests."""
    with serving({**serve_env, "RQ_QUEUE": f"investochat-serve-{uuid.uuid4().hex[:8]}"}, tmp_path) as server:
        yield server


def post_json(url: str, payload: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())


def stop_and_assert_tree_gone(server: Served) -> None:
    tree = [server.supervisor, *server.supervisor.children(recursive=True)]
    assert server.web() and server.workers(), "expected gunicorn and a worker before stopping"

    server.process.send_signal(signal.SIGINT)

    assert server.process.wait(STOP_TIMEOUT) == 0
    gone, alive = psutil.wait_procs(tree, timeout=STOP_TIMEOUT)
    still_running = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not still_running, f"left running after SIGINT: {[p.pid for p in still_running]}"
    assert not healthy(server.url("/healthz"))


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

    status, body = post_json(
        served.url("/api/ask"), {"question": "What is the RERA number?", "project": DEMO_PROJECT}
    )

    assert status == 200
    assert body["answered"] is True
    assert "DEMO-GGM-2026-0001" in body["answer"]
    assert body["citations"] == [{"document": "Aravali_Crest_Brochure.pdf", "page": 1}]
    with urllib.request.urlopen(served.url("/readyz"), timeout=10) as response:
        assert json.loads(response.read())["status"] == "ready"

    stop_and_assert_tree_gone(served)
    assert "InvestoChat is running at" in served.log.read_text()


def test_a_killed_worker_is_restarted_and_takes_jobs(served):
    [worker] = served.workers()
    # The worker forks an RQ scheduler process; killing the worker must not leave it orphaned.
    helpers = wait_until(worker.children, 30, "the worker started no scheduler", served.log)
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)

    def replacement() -> list[psutil.Process]:
        return [p for p in served.workers() if p.pid != worker.pid]

    [restarted] = wait_until(replacement, 30, "the killed worker was not restarted", served.log)
    assert served.process.poll() is None
    _, orphans = psutil.wait_procs(helpers, timeout=STOP_TIMEOUT)
    assert not orphans, f"children of the killed worker still run: {[p.pid for p in orphans]}"

    connection = redis_connection({"REDIS_URL": served.env["REDIS_URL"]})
    queue = Queue(served.env["RQ_QUEUE"], connection=connection)
    wait_until(
        lambda: any(w.pid == restarted.pid for w in Worker.all(queue=queue)),
        30,
        "the restarted worker did not register on its queue",
        served.log,
    )
    job = queue.enqueue("os.getpid")
    wait_until(
        lambda: job.get_status(refresh=True) in ("finished", "failed"),
        30,
        "the restarted worker did not run the job",
        served.log,
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
            "--password",
            "a long enough password",
        )
        with serving(env, tmp_path) as server:
            crons = [p for p in server._children() if p.cmdline()[-2:] == ["app", "cron"]]
            assert len(crons) == 1, "serve should start the Airtable scheduler"
            script = "\n".join(CHAT_TO_HANDOFF) + "\n"
            run_cli(env, "chat", "--phone", "+919811150001", stdin=script)

            lead = wait_until(
                lambda: fake.find(fake.base_id, LEADS, "Phone", "+919811150001"),
                60,
                "no lead in Airtable",
                server.log,
            )
            broker = wait_until(
                lambda: fake.find(fake.base_id, BROKERS, "Email", "meera@brokers.test"),
                30,
                "no broker",
                server.log,
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

            wait_until(assigned, 60, "the assignment made in Airtable did not reach the database", server.log)
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
    collection of the app's modules and mappings paused a webhook for ~140 ms (bench/README.md)."""
    script = f"import gc\n{entry}\nprint(gc.get_freeze_count())"
    env = {**serve_env, "RQ_QUEUE": f"investochat-serve-{uuid.uuid4().hex[:8]}"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) > 10_000  # the app's objects, not a handful
