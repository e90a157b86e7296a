"""`investochat serve` as real processes for end-to-end tests: supervisor, gunicorn, the
dispatcher and an RQ worker, started through the CLI exactly as an operator starts them.

The served tree runs in child processes against a database of its own: a copy of a template
that the CLI migrated and loaded with the demo project (so everything the server reads is
committed), dropped when the test module ends. Each served tree gets a queue of its own.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
from rq import Queue, Worker
from sqlalchemy.engine import make_url

from tests.portal_helpers import CSRF_RE, PASSWORD
from tests.whatsapp_helpers import WAIT_SECONDS, empty_queue, wait_until
from workers.queues import redis_connection

ROOT = Path(__file__).resolve().parents[1]
DEMO_PROJECT = "Aravali Crest"
# One web process and one worker: the smallest tree that still runs every kind of process.
SERVE_OPTIONS = ("--workers", "1", "--web-processes", "1")
STOP_TIMEOUT = 30


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def responds(url: str) -> bool:
    """Whether ``url`` answers 200 now."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def run_cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run ``investochat ARGS`` in a process of its own; returns what it printed (fails the test
    with its error output when it exits non-zero)."""
    done = subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=env,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"`investochat {' '.join(args)}` failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def served_env(database_url: str, redis_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a served tree (offline answers: no real API is ever called)."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "RQ_QUEUE": f"investochat-served-{uuid.uuid4().hex[:8]}",
        "INVESTOCHAT_DATA_DIR": str(data_dir),
        "SECRET_KEY": "served-test-secret",
        "LOG_LEVEL": "INFO",
        "OPENAI_API_KEY": "",
        **extra,
    }


@contextmanager
def demo_databases(database_url: str, redis_url: str, data_dir: Path) -> Iterator[Callable[[], str]]:
    """A factory of databases holding the migrated schema and the demo project: copies of one
    template the CLI prepared. All are dropped on exit."""
    url = make_url(database_url)
    admin = {"host": url.query["host"], "user": "postgres", "dbname": "postgres", "autocommit": True}
    template = f"investochat_served_{uuid.uuid4().hex[:8]}"
    created = [template]
    with psycopg.connect(**admin) as conn:
        conn.execute(f'CREATE DATABASE "{template}"')
    try:
        env = served_env(
            url.set(database=template).render_as_string(hide_password=False), redis_url, data_dir
        )
        run_cli(env, "db", "upgrade")
        assert f"{DEMO_PROJECT}: Aravali_Crest_Brochure.pdf added" in run_cli(env, "demo", "load")

        def copy() -> str:
            name = f"{template}_{len(created)}"
            with psycopg.connect(**admin) as conn:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            created.append(name)
            return url.set(database=name).render_as_string(hide_password=False)

        yield copy
    finally:
        with psycopg.connect(**admin) as conn:
            for name in reversed(created):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class ServedTree:
    """A running `investochat serve` process tree."""

    process: subprocess.Popen
    port: int
    log: Path
    env: dict[str, str]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def log_tail(self) -> str:
        return "--- serve log ---\n" + self.log.read_text(errors="replace")[-6000:]

    def wait(self, condition, what: str, timeout: float = WAIT_SECONDS):
        """Poll ``condition`` until it holds; fails naming ``what`` with the server's log."""
        return wait_until(condition, what, timeout=timeout, details=self.log_tail)

    @property
    def supervisor(self) -> psutil.Process:
        return psutil.Process(self.process.pid)

    def children(self) -> list[psutil.Process]:
        """The supervisor's live children (not zombies)."""
        alive = []
        for child in self.supervisor.children():
            try:
                if child.status() != psutil.STATUS_ZOMBIE:
                    child.cmdline()
                    alive.append(child)
            except psutil.NoSuchProcess:
                continue
        return alive

    def started(self, command: str) -> list[psutil.Process]:
        """The children running ``investochat COMMAND`` (``worker``, ``dispatch``, ``cron``)."""
        return [p for p in self.children() if p.cmdline()[-2:] == ["app", command]]

    def workers(self) -> list[psutil.Process]:
        """The RQ worker processes (not their scheduler children)."""
        return self.started("worker")

    def dispatchers(self) -> list[psutil.Process]:
        return self.started("dispatch")

    def web(self) -> list[psutil.Process]:
        """The gunicorn master."""
        return [p for p in self.children() if "gunicorn" in " ".join(p.cmdline())]

    def queue(self) -> Queue:
        return Queue(self.env["RQ_QUEUE"], connection=redis_connection(self.env))

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """GET ``path``: status, headers and the whole body."""
        request = urllib.request.Request(self.url(path), headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def post_json(self, path: str, payload: object) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.url(path),
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:
            return response.status, json.loads(response.read())


class CookieClient:
    """urllib with a cookie jar: logs in to a served tree through the real form, then GETs as a
    browser does (gunicorn's sync workers close each connection, so every request opens one)."""

    def __init__(self, tree: ServedTree):
        self.tree = tree
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def log_in(self, email: str, password: str = PASSWORD) -> str:
        """POST the login form with its CSRF token; returns the URL it lands on."""
        with self.opener.open(self.tree.url("/login"), timeout=30) as response:
            token = CSRF_RE.search(response.read().decode()).group(1)
        form = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token}).encode()
        with self.opener.open(self.tree.url("/login"), data=form, timeout=30) as response:
            return response.url

    def get(self, path: str, **headers: str):
        """GET ``path`` with the session's cookies: status, headers and the whole body."""
        request = urllib.request.Request(self.tree.url(path), headers=headers)
        with self.opener.open(request, timeout=60) as response:
            return response.status, response.headers, response.read()


@contextmanager
def serving(env: dict[str, str], log: Path, options: tuple[str, ...] = SERVE_OPTIONS) -> Iterator[ServedTree]:
    """`python -m app serve` with ``options``, up (``/healthz`` answers) and with a worker
    listening on its queue. On exit: SIGINT, then whatever is left of the tree is killed."""
    port = free_port()
    argv = [sys.executable, "-m", "app", "serve", "--port", str(port), *options]
    with log.open("w") as output:
        process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    tree = ServedTree(process, port, log, env)
    try:
        tree.wait(lambda: process.poll() is not None or responds(tree.url("/healthz")), "/healthz answering")
        assert process.poll() is None, f"serve exited early\n{tree.log_tail()}"
        # Registered means listening, with its start-up recovery sweep already done.
        tree.wait(lambda: Worker.all(queue=tree.queue()), "an RQ worker listening on the queue")
        yield tree
    finally:
        stop(tree)
        empty_queue(tree.queue())


def stop(tree: ServedTree) -> None:
    """SIGINT the supervisor and wait; kill whatever of the tree is still running after that."""
    try:
        processes = [tree.supervisor, *tree.supervisor.children(recursive=True)]
    except psutil.NoSuchProcess:  # exited and reaped already
        processes = []
    if tree.process.poll() is None:
        tree.process.send_signal(signal.SIGINT)
        try:
            tree.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            tree.process.kill()
            tree.process.wait(10)
    for leftover in psutil.wait_procs(processes, timeout=10)[1]:
        with suppress(psutil.NoSuchProcess):
            leftover.kill()
