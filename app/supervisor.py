"""A small process supervisor for dev and demos: gunicorn, the dispatcher and RQ workers,
restarted if they die.

Production runs the same commands under systemd, Kubernetes or a Procfile instead.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask

from app.airtable.client import configured

log = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# RQ workers run at a lower CPU priority than gunicorn: a burst of answers must not slow the
# webhook acknowledgements (Meta re-delivers what is not acknowledged quickly). When the web is
# idle the workers still get every core. See ``background_priority``.
WORKER_NICE = 19
# Threads per gunicorn process; more than 1 runs gthread workers, whose threads overlap a
# webhook's waits for PostgreSQL's commit and Redis. Sync (1) by default: on 2 shared cores the
# benchmark has not shown a consistent gain yet.
WEB_THREADS = 1
GAVE_UP = 1  # serve's exit code when a child kept exiting and everything was stopped


def background_priority() -> None:
    """Lower this process to background priority: Linux's ``SCHED_IDLE`` where available (it
    runs only on CPU time no normal process wants, and a waking web process preempts it at
    once), plus nice 19 (the weight used elsewhere, e.g. macOS).

    Nice alone is not enough on Linux's EEVDF scheduler: a nice-19 worker still finishes its
    time slice before a woken gunicorn process runs, and the two workers kept ~0.5 of the 2
    cores while a burst of webhooks queued (docs/decisions/2026-11-25-worker-priority-and-web-threads.md).
    """
    os.nice(WORKER_NICE - os.nice(0))
    if hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except OSError:  # a sandbox may forbid it; nice 19 still applies
            pass


@dataclass
class Child:
    """One supervised process and how to start it again."""

    name: str
    argv: list[str]
    background: bool = False  # run at background priority (``background_priority``)
    process: subprocess.Popen | None = None
    restarts: list[float] = field(default_factory=list)


class Supervisor:
    """Start children, restart any that exit, and stop them all on SIGINT/SIGTERM."""

    def __init__(self, children: list[Child], env: dict[str, str]):
        self.children = children
        self.env = env
        self._stopping = False
        self._gave_up = False

    @classmethod
    def for_app(
        cls,
        app: Flask,
        *,
        host: str,
        port: int,
        workers: int,
        web_processes: int,
        web_threads: int = WEB_THREADS,
    ) -> Supervisor:
        """Children for ``investochat serve``: one gunicorn, the dispatcher, ``workers`` RQ workers
        and, when Airtable sync is on, the scheduler that enqueues its jobs."""
        env = dict(os.environ)
        env["DATABASE_URL"] = app.config["DATABASE_URL"]
        env["REDIS_URL"] = app.config["REDIS_URL"]
        web = Child(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--chdir",
                str(PROJECT_ROOT),
                "--workers",
                str(web_processes),
                "--threads",
                str(web_threads),
                "--bind",
                f"{host}:{port}",
                "--access-logfile",
                "-",
                "--logger-class",
                "app.access_log.AccessLogger",  # no webhook token in the access log
                "--graceful-timeout",
                "5",
                "wsgi:app",
            ],
        )
        # The dispatcher enqueues what the webhook stored; like the workers it yields the CPU to
        # the web (a batch waiting a moment is still enqueued in one go).
        dispatcher = Child("dispatcher", [sys.executable, "-m", "app", "dispatch"], background=True)
        rq_workers = [
            Child(f"worker-{n + 1}", [sys.executable, "-m", "app", "worker"], background=True)
            for n in range(workers)
        ]
        # The Airtable push and pull are enqueued on a schedule, only when sync is configured.
        cron = [Child("cron", [sys.executable, "-m", "app", "cron"])] if configured(app.config) else []
        return cls([web, dispatcher, *rq_workers, *cron], env)

    def _start(self, child: Child) -> None:
        # Each child leads its own process group, so what it forked (the RQ worker's scheduler)
        # can still be stopped after the child itself died.
        child.process = subprocess.Popen(
            child.argv,
            env=self.env,
            cwd=PROJECT_ROOT,
            process_group=0,
            preexec_fn=background_priority if child.background else None,  # noqa: PLW1509 (single-threaded)
        )
        log.info("started %s (pid %s)", child.name, child.process.pid)

    @staticmethod
    def _signal_group(child: Child, signum: int) -> None:
        """Send ``signum`` to whatever is left in ``child``'s process group."""
        try:
            os.killpg(child.process.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass  # the group is already empty

    def _handle_signal(self, signum, _frame) -> None:
        self._stopping = True

    def run(self) -> int:
        """Run until asked to stop; returns the exit code for the CLI: 0 for a requested stop,
        GAVE_UP when a child kept exiting (a process manager must see a failure, not a clean
        stop)."""
        signal.signal(signal.SIGINT, self._handle_signal)
        signal.signal(signal.SIGTERM, self._handle_signal)
        for child in self.children:
            self._start(child)
        try:
            while not self._stopping:
                time.sleep(0.2)
                for child in self.children:
                    if child.process and child.process.poll() is not None and not self._stopping:
                        self._restart(child)
        finally:
            self.stop()
        return GAVE_UP if self._gave_up else 0

    def _restart(self, child: Child) -> None:
        now = time.monotonic()
        child.restarts = [t for t in child.restarts if now - t < 60] + [now]
        if len(child.restarts) > 5:
            log.error("%s keeps exiting (code %s); stopping everything", child.name, child.process.returncode)
            self._stopping = True
            self._gave_up = True
            return
        log.warning("%s exited with code %s; restarting", child.name, child.process.returncode)
        self._signal_group(child, signal.SIGTERM)  # e.g. the scheduler of a killed RQ worker
        self._start(child)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask every child to stop, then kill any still running after ``timeout`` seconds."""
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for child in self.children:  # nothing a child started may outlive the supervisor
            if child.process:
                self._signal_group(child, signal.SIGKILL)
