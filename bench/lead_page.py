"""Broker lead page benchmark: the page and its polled conversation with a 200-message thread, and
an investor's WhatsApp message → visible on the broker's open page.

    python bench/lead_page.py [--messages 200] [--requests 200] [--samples 50] [--quick]
        [--data-dir instance/bench-lead-page]

Starts its own embedded PostgreSQL and Redis in --data-dir, the fake Graph API (tests/fakes), and
the real ``investochat serve`` tree (gunicorn, the dispatcher, an RQ worker) on loopback. One
broker owns one lead whose thread holds ``--messages`` messages, written through the app's own
functions: the investor's questions, the bot's cited answers (``persist_outcome``, as the worker
stores them), the broker's messages (``write_to_investor``) with their delivery statuses.

1. Logged in through the served login form, it times ``GET /broker/leads/<id>`` (the full page)
   and ``GET /broker/leads/<id>/conversation`` (the fragment the page polls), interleaved,
   ``--requests`` each after a warm-up: p50/p95/max against p95 ≤ 100 ms, and the SQL
   statements one request runs (counted in this process, through the Flask test client).
2. A client polls the conversation as the page does (``hx-trigger="every 2s"`` with an
   outerHTML swap: the next poll 2 s after the last response). ``--samples`` times, at a random
   phase of that cycle, it POSTs a signed webhook with a unique text from the lead's number and
   times webhook acknowledged → the text in a polled response: p50/p95/max against p95 ≤ 3 s.

Exit status 0 when both targets are met. Raw timings go to bench/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import threading
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/lead_page.py` puts bench/, not the checkout, first
    sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from app import create_app, embedded  # noqa: E402
from app.conversation.service import persist_outcome, state_of  # noqa: E402
from app.conversation.state import Outcome, Reply  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Lead, Message  # noqa: E402
from app.portal.accounts import create_user  # noqa: E402
from app.portal.pipeline import add_note, claim_lead  # noqa: E402
from app.portal.thread import write_to_investor  # noqa: E402
from app.rag.answer import finish  # noqa: E402
from app.rag.citations import Citation  # noqa: E402
from app.rag.evaluate import percentile  # noqa: E402
from bench.airtable_push import fresh_database  # noqa: E402
from tests.fakes.graph_server import FakeGraph  # noqa: E402
from tests.portal_helpers import PASSWORD, investor_wrote, login  # noqa: E402
from tests.served import CookieClient, serving  # noqa: E402
from tests.whatsapp_helpers import APP_SECRET, body_of, meta_text, sign  # noqa: E402

DATABASE = "investochat_bench_lead_page"
PAGE_P95_MS, VISIBLE_P95_S = 100.0, 3.0
POLL_SECONDS = 2.0  # hx-trigger="every 2s" in templates/broker/_thread.html
HTMX = {"HX-Request": "true", "HX-Target": "lead-thread"}  # what htmx sends with that poll
SEED = 20261206
BROKER = "ravi.anand@agency.example"
WA_ID = "919811040001"
BROCHURE = "Aravali_Crest_Brochure.pdf"
QUESTIONS = (
    (
        "What is the price of the 4 BHK?",
        "The 4 BHK (3,250 sq ft) starts at ₹6.8 Cr, all inclusive.",
        "tables",
    ),
    ("payment plan?", "30:40:30 — 30% on booking, 40% on the structure, 30% on possession.", "documents"),
    ("When is possession?", "Possession is planned for December 2028 (RERA date March 2029).", "facts"),
    (
        "Is there a clubhouse",
        "Yes: a 45,000 sq ft clubhouse with a pool, gym and a banquet hall.",
        "documents",
    ),
    ("How far is the airport?", "IGI Airport is about 25 minutes by the Dwarka Expressway.", "documents"),
    ("carpet area of 3 BHK", "The 3 BHK has a carpet area of 1,640 sq ft (super area 2,450).", "tables"),
    ("RERA number?", "RERA registration: GGM/742/474/2024/17.", "facts"),
    ("How many towers", "Five towers of 32 floors, four apartments a floor.", "documents"),
)
BROKER_TEXTS = (
    "Namaste, this is Ravi from the advisory desk. Is now a good time to talk?",
    "I can show you the 4 BHK sample flat on Saturday at 11. Shall I book it?",
    "Sharing the cost sheet for tower C, floors 12 to 20.",
    "The developer has a 2% early-bird discount until the end of the month.",
    "Following up on the site visit: how did you find the layout?",
)
INVESTOR_REPLIES = ("Yes, call me after 6 pm", "Saturday works", "ok thanks", "Can you share the floor plan?")
# Broker messages' fates: WhatsApp's statuses, and failures with the provider's words.
FATES = (("read", None), ("read", None), ("delivered", None), ("sent", None), ("failed", 131026))


# -- the thread --------------------------------------------------------------------------------------


def make_lead_with_thread(messages: int, rng: random.Random) -> int:
    """A broker who claimed a lead whose conversation holds ``messages`` messages over the last
    ten days, and a few notes on its timeline; returns the lead's id (committed)."""
    broker = create_user(db.session, BROKER, "broker", "Ravi Anand", PASSWORD, areas=["Golf Course Road"])
    now = datetime.now(UTC)
    lead = Lead(
        phone="+" + WA_ID,
        name="Kavya Iyer",
        channel="whatsapp",
        stage="broker_requested",
        reference="IC-40001",
        budget_min_inr=Decimal("50000000"),
        budget_max_inr=Decimal("80000000"),
        areas=["Golf Course Road"],
        timeline="1-3 months",
        unit_kinds=["4BHK"],
        qualified_at=now - timedelta(days=10),
        broker_requested_at=now - timedelta(days=10),
        last_inbound_at=now,
    )
    db.session.add(lead)
    db.session.commit()
    lead = claim_lead(db.session, lead.id, broker)
    for note in (
        "Called, wants a corner unit.",
        "Site visit pencilled in for Saturday.",
        "Asked for the cost sheet.",
    ):
        add_note(db.session, lead, broker, note)
    at, rows = now - timedelta(days=10), []
    while len(rows) < messages:
        at += timedelta(minutes=rng.randint(5, 120))
        kind = rng.choices(("question", "broker", "reply"), (5, 3, 2))[0]
        if kind == "question" and messages - len(rows) >= 2:
            question, answer, route = rng.choice(QUESTIONS)
            inbound = investor_wrote(lead.id, lead.phone, question)
            body = finish(answer, [Citation(BROCHURE, rng.randint(3, 40))], 700)
            reply = Reply(body, route=route, answered=True, latency_ms=rng.uniform(200, 900))
            [bot] = persist_outcome(db.session, lead, inbound, Outcome(state_of(lead), [reply]))
            mark_sent(bot, rng.choice(FATES[:4])[0], at)
            rows += [(inbound, at), (bot, at + timedelta(seconds=2))]
        elif kind == "broker":
            written = write_to_investor(db.session, lead, broker, rng.choice(BROKER_TEXTS), {}, now=at)
            status, code = rng.choice(FATES)
            mark_sent(written.message, status, at, code)
            rows.append((written.message, at))
        else:
            rows.append((investor_wrote(lead.id, lead.phone, rng.choice(INVESTOR_REPLIES)), at))
    for message, created in rows:
        message.created_at = created
    db.session.commit()
    return lead.id


def mark_sent(message: Message, status: str, at: datetime, error_code: int | None = None) -> None:
    """The message as WhatsApp's status webhooks leave it: sent, delivered, read or failed."""
    message.provider_message_id = f"wamid.{uuid.uuid4().hex}"
    message.sent_at, message.status, message.status_at = at, status, at + timedelta(minutes=1)
    if error_code:
        message.error, message.error_code = f"({error_code}) Message undeliverable", error_code


# -- the served portal -------------------------------------------------------------------------------


def timed_get(browser: CookieClient, path: str, htmx: bool) -> float:
    """One GET's wall time in ms (fails on anything but a 200)."""
    started = time.perf_counter()
    status, _headers, _body = browser.get(path, **(HTMX if htmx else {}))
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}.")
    return elapsed


def sql_per_request(config: dict, lead_id: int) -> dict[str, int]:
    """Statements one request runs, page and fragment: the same app in this process, its engine
    watched (an N+1 shows here first)."""
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": config["DATABASE_URL"]})
    counts = {}
    with app.app_context():
        client = app.test_client()
        login(client, BROKER)
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(1))
        for name, path, headers in (
            ("page", f"/broker/leads/{lead_id}", {}),
            ("fragment", f"/broker/leads/{lead_id}/conversation", {"HX-Request": "true"}),
        ):
            statements.clear()
            assert client.get(path, headers=headers).status_code == 200
            counts[name] = len(statements)
        db.engine.dispose()
    return counts


def time_pages(browser: CookieClient, lead_id: int, requests: int, warm_up: int) -> dict[str, list[float]]:
    """Page and fragment, interleaved so a change in the machine's load hits both alike."""
    paths = {
        "page": (f"/broker/leads/{lead_id}", False),
        "fragment": (f"/broker/leads/{lead_id}/conversation", True),
    }
    for _ in range(warm_up):
        for path, htmx in paths.values():
            timed_get(browser, path, htmx)
    times: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(requests):
        for name, (path, htmx) in paths.items():
            times[name].append(timed_get(browser, path, htmx))
    return times


# -- inbound → visible -------------------------------------------------------------------------------


class Poller(threading.Thread):
    """The open lead page's polling: GET the conversation, swap it in, and 2 s after that response
    the swapped-in element's ``every 2s`` fires again. Notes when each awaited text first shows."""

    def __init__(self, browser: CookieClient, path: str):
        super().__init__(daemon=True)
        self.browser, self.path = browser, path
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.awaited: dict[str, float | None] = {}
        self.last_sent = time.monotonic()
        self.polls = 0

    def expect(self, text: str) -> None:
        with self.lock:
            self.awaited[text] = None

    def seen(self, text: str) -> float | None:
        with self.lock:
            return self.awaited.get(text)

    def run(self) -> None:
        while not self.stopped.is_set():
            with self.lock:
                self.last_sent = time.monotonic()
            _status, _headers, body = self.browser.get(self.path, **HTMX)
            received, page = time.monotonic(), body.decode()
            with self.lock:
                self.polls += 1
                for text, at in self.awaited.items():
                    if at is None and text in page:
                        self.awaited[text] = received
            self.stopped.wait(POLL_SECONDS)


def post_webhook(base_url: str, text: str) -> str:
    """POST a signed Cloud API webhook with ``text`` from the lead's number; returns its message id."""
    message_id = f"wamid.bench{uuid.uuid4().hex}"
    raw = body_of(meta_text(message_id, text, WA_ID, name="Kavya Iyer"))
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, APP_SECRET)}
    request = urllib.request.Request(
        base_url + "/webhooks/whatsapp", data=raw, headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        if response.status != 200:
            raise RuntimeError(f"The webhook answered {response.status}.")
    return message_id


def time_visible(base_url: str, poller: Poller, samples: int, rng: random.Random) -> list[dict]:
    """``samples`` inbound messages, each at a random phase of the poll cycle: webhook
    acknowledged → its text in a polled conversation (seconds)."""
    results = []
    for n in range(samples):
        time.sleep(rng.uniform(0, POLL_SECONDS))
        text = f"Can we move the visit to Sunday? (ref {n:03d}-{uuid.uuid4().hex[:6]})"
        poller.expect(text)
        message_id = post_webhook(base_url, text)
        acked = time.monotonic()
        with poller.lock:
            phase = acked - poller.last_sent
        while (seen := poller.seen(text)) is None:
            if time.monotonic() - acked > 60:
                raise RuntimeError(f"{text!r} did not show on the page within 60 s.")
            time.sleep(0.01)
        results.append({"message_id": message_id, "seconds": seen - acked, "phase": phase})
    return results


def worker_seconds(message_ids: list[str]) -> list[float]:
    """Webhook stored → a worker started processing it (the rest is the worker's job and the
    wait for the next poll)."""
    rows = db.session.execute(
        select(Message.created_at, Message.processed_at).where(Message.provider_message_id.in_(message_ids))
    ).all()
    db.session.rollback()
    return [(processed - created).total_seconds() for created, processed in rows if processed]


# -- the run -----------------------------------------------------------------------------------------


def summary(values: list[float], unit: str, scale: float = 1.0) -> str:
    scaled = [v * scale for v in values]
    digits = 1 if unit == "ms" else 2
    p50, p95 = statistics.median(scaled), percentile(scaled, 95)
    return f"p50 {p50:.{digits}f} {unit}, p95 {p95:.{digits}f} {unit}, max {max(scaled):.{digits}f} {unit}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200, help="messages in the lead's thread")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warm-up", type=int, default=20)
    parser.add_argument("--samples", type=int, default=50, help="inbound messages timed to the page")
    parser.add_argument("--web-processes", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="50 requests and 10 samples: a smoke run")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "instance" / "bench-lead-page")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.warm_up, args.samples = 50, 5, 10
    sys.stdout.reconfigure(line_buffering=True)
    rng = random.Random(SEED)

    url = fresh_database(args.data_dir, DATABASE)
    redis_url = embedded.redis_url(args.data_dir, name="redis-bench-lead-page.db")
    with FakeGraph() as graph:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("WHATSAPP_", "WATI_"))}
        config = {
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "RQ_QUEUE": f"bench-lead-page-{uuid.uuid4().hex[:8]}",
            "SECRET_KEY": uuid.uuid4().hex * 2,
            "INVESTOCHAT_DATA_DIR": str(args.data_dir),
            "WHATSAPP_PROVIDER": "meta",
            "WHATSAPP_APP_SECRET": APP_SECRET,
            "OPENAI_API_KEY": "",
            # One investor writes every few seconds here; the per-sender limit (20/minute) would
            # answer the later ones with "slow down" instead of running the engine.
            "SENDER_RATE_LIMIT": "1000/minute",
            "LOG_LEVEL": "WARNING",
            **graph.config(),
        }
        app = create_app({**config, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            lead_id = make_lead_with_thread(args.messages, rng)
            sql = sql_per_request(config, lead_id)
        args.data_dir.mkdir(parents=True, exist_ok=True)
        options = ("--workers", "1", "--web-processes", str(args.web_processes))
        with serving(env | config, args.data_dir / "serve.log", options) as tree:
            browser = CookieClient(tree)
            if not browser.log_in(BROKER).endswith("/broker/"):
                raise RuntimeError(f"Logging in as {BROKER} failed; see {tree.log}.")
            _status, _headers, page = browser.get(f"/broker/leads/{lead_id}")
            _status, _headers, fragment = browser.get(f"/broker/leads/{lead_id}/conversation", **HTMX)
            kilobytes = {"page": len(page) / 1024, "fragment": len(fragment) / 1024}
            shown = len(re.findall(r'id="message-\d+"', page.decode()))
            print(
                f"lead {lead_id}: {shown} messages on the page; `investochat serve`, "
                f"{args.web_processes} web processes, 1 worker; {os.cpu_count()} CPUs"
            )
            times = time_pages(browser, lead_id, args.requests, args.warm_up)
            poller = Poller(browser, f"/broker/leads/{lead_id}/conversation")
            poller.start()
            try:
                time_visible(tree.url(""), poller, 2, rng)  # warm-up: the worker's first job loads the engine
                visible = time_visible(tree.url(""), poller, args.samples, rng)
            finally:
                poller.stopped.set()
                poller.join(10)
        with app.app_context():
            processing = worker_seconds([sample["message_id"] for sample in visible])
            db.session.remove()
            db.engine.dispose()

    ok = True
    print(f"\n{args.requests} requests each after {args.warm_up} warm-up, through gunicorn on loopback")
    for name in ("page", "fragment"):
        p95 = percentile(times[name], 95)
        ok &= p95 <= PAGE_P95_MS
        print(
            f"  {name:<8} {summary(times[name], 'ms')} (target p95 ≤ {PAGE_P95_MS:.0f} ms; "
            f"ratio {p95 / PAGE_P95_MS:.2f}); {sql[name]} SQL statements, {kilobytes[name]:.0f} KB"
        )
    seconds = [sample["seconds"] for sample in visible]
    phases = [sample["phase"] for sample in visible]
    p95 = percentile(seconds, 95)
    ok &= p95 <= VISIBLE_P95_S
    print(
        f"\ninbound message → visible on the open page, {len(visible)} samples, "
        f"polled every {POLL_SECONDS:g} s"
    )
    print(
        f"  webhook acked → text in a polled response: {summary(seconds, 's')} "
        f"(target p95 ≤ {VISIBLE_P95_S:g} s; ratio {p95 / VISIBLE_P95_S:.2f})"
    )
    print(f"  of which stored → a worker started on it: {summary(processing, 's')}")
    print(f"  webhook acked this long after a poll was sent: {summary(phases, 's')} (random phase)")
    print("PASS" if ok else "FAIL")

    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    raw = {"args": {k: str(v) for k, v in vars(args).items()}, "ms": times, "sql": sql, "visible": visible}
    (results / f"lead-page-{stamp}.json").write_text(json.dumps(raw, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
