"""WhatsApp end to end: odd webhook bodies in-process, then `investochat serve` as real processes.

The served tests run the supervisor, gunicorn and an RQ worker as subprocesses against a
database of their own (a copy of a template migrated and loaded with the demo through the CLI,
so everything they read is committed), a queue of their own on the test Redis, a fake Graph API
and, where an LLM is needed, a fake OpenAI. Nothing they commit reaches the shared test
database; the copies are dropped at the end of the module.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import psutil
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app import embedded
from app.extensions import db
from app.models import Activity, InboundEvent, Lead, Message, OutboxEvent
from tests.fakes.graph_server import FakeGraph
from tests.fakes.openai_server import FakeOpenAI
from tests.served import ServedTree, demo_databases, served_env, serving
from tests.whatsapp_helpers import (
    APP_SECRET,
    WAIT_SECONDS,
    body_of,
    e164,
    empty_queue,
    meta_envelope,
    meta_text,
    post_signed,
    sign,
    sweep,
    text_message,
    user_id_text,
)
from workers.inbound_jobs import job_id
from workers.queues import get_queue
from workers.recovery import recover_stalled
from workers.tasks import process_message

QUEUE = f"investochat-e2e-{uuid.uuid4().hex[:8]}"
SOURCE = "Source: Aravali_Crest_Brochure.pdf"
QUESTION = "What is the payment plan of Aravali Crest?"


# -- odd bodies, through the Flask test client -------------------------------------------------


@pytest.fixture
def webhook(app_ctx):
    """The Meta webhook secret configured, on a queue of this module's own; restored after."""
    config = app_ctx.config
    saved = {key: config.get(key) for key in ("WHATSAPP_APP_SECRET", "RQ_QUEUE", "REDIS_URL")}
    config.update(WHATSAPP_APP_SECRET=APP_SECRET, RQ_QUEUE=QUEUE)
    queue = get_queue(config)
    empty_queue(queue)
    yield config
    config.update(saved)
    empty_queue(queue)


def stored(message_id: str) -> Message | None:
    return db.session.scalars(select(Message).where(Message.provider_message_id == message_id)).one_or_none()


def events() -> int:
    return db.session.scalar(select(func.count()).select_from(InboundEvent))


def test_a_batch_with_an_unknown_type_and_a_malformed_message_keeps_and_queues_the_valid_one(client, webhook):
    wa_id = "919810000401"
    valid = text_message("wamid.MIX-TEXT", "What is the payment plan?", wa_id)
    unknown = {"from": wa_id, "id": "wamid.MIX-NEW", "timestamp": valid["timestamp"], "type": "hologram"}
    no_id = {"from": wa_id, "timestamp": valid["timestamp"], "type": "text", "text": {"body": "no id"}}
    no_body = {**valid, "id": "wamid.MIX-NOBODY", "text": {}}
    payload = meta_envelope(unknown, no_id, valid, no_body)

    response = post_signed(client, body_of(payload))

    assert response.status_code == 200
    assert response.get_json() == {"received": 2, "new": 1, "duplicates": 0, "statuses": 0}
    text_row, unknown_row = stored("wamid.MIX-TEXT"), stored("wamid.MIX-NEW")
    assert text_row.status == "received" and text_row.processed_at is None
    # Stored for the record, never answered.
    assert unknown_row.kind == "other" and unknown_row.status == "skipped"
    assert unknown_row.processed_at is not None
    assert stored("wamid.MIX-NOBODY") is None
    assert sweep(get_queue(webhook)) == [text_row.id]  # the skipped one is never queued
    [job] = get_queue(webhook).jobs
    assert job.func is process_message and job.args == (text_row.id,)
    # Nothing is lost: the raw event keeps the two messages that could not be parsed.
    raw = db.session.scalars(select(InboundEvent.payload).order_by(InboundEvent.id.desc())).first()
    kept = raw["entry"][0]["changes"][0]["value"]["messages"]
    assert [m.get("id") for m in kept] == ["wamid.MIX-NEW", None, "wamid.MIX-TEXT", "wamid.MIX-NOBODY"]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe{not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[]", "not a WhatsApp envelope"),
        (b"null", "not a WhatsApp envelope"),
        (b'{"object": "page", "entry": []}', "'page', not 'whatsapp_business_account'"),
        (b'{"object": "whatsapp_business_account", "entry": [{"changes": "x"}]}', "no 'changes' list"),
        (b'{"entry": [{"changes": [{"field": "messages", "value": []}]}]}', "no 'value' object"),
    ],
    ids=["bytes", "empty", "list", "null", "other-object", "changes-not-list", "value-not-object"],
)
def test_a_signed_body_that_is_not_a_whatsapp_envelope_is_a_400_that_says_why(client, webhook, raw, reason):
    before = events()

    response = post_signed(client, raw)

    assert response.status_code == 400
    assert reason in response.get_json()["message"]
    assert events() == before and sweep(get_queue(webhook)) == []


def test_an_oversize_body_is_a_413_with_a_json_error_and_nothing_stored(client, webhook):
    before = events()
    raw = body_of(meta_text("wamid.HUGE", "x" * (4 * 1024 * 1024), "919810000402"))

    response = post_signed(client, raw)

    assert response.status_code == 413
    assert response.get_json()["error"] == "Request Entity Too Large"
    assert events() == before and stored("wamid.HUGE") is None


def test_a_message_received_while_redis_is_down_is_stored_and_recovered(client, webhook, tmp_path):
    good_redis = webhook["REDIS_URL"]
    webhook["REDIS_URL"] = f"unix://{tmp_path}/no-redis-here.sock"

    response = post_signed(client, body_of(meta_text("wamid.NOREDIS", "Hello", "919810000403")))

    webhook["REDIS_URL"] = good_redis
    assert response.status_code == 200 and response.get_json()["new"] == 1  # no Redis needed
    message = stored("wamid.NOREDIS")
    assert message.status == "received" and get_queue(webhook).count == 0
    assert recover_stalled()["reprocessed"] >= 1  # what a worker runs when it starts
    queued = [job.args for job in get_queue(webhook).jobs if job.func is process_message]
    assert (message.id,) in queued
    assert message.id not in sweep(get_queue(webhook))  # queued: the dispatcher's sweep leaves it


def test_a_starting_worker_reruns_started_jobs_but_never_queues_a_waiting_one_twice(client, webhook):
    queue = get_queue(webhook)
    for n in (1, 2):
        post_signed(client, body_of(meta_text(f"wamid.RECOVER-{n}", "Hello", f"91981000041{n}")))
    waiting, started = stored("wamid.RECOVER-1"), stored("wamid.RECOVER-2")
    assert sorted(sweep(queue)) == [waiting.id, started.id]
    queue.fetch_job(job_id(queue.name, started.id)).set_status("started")  # taken by a worker that then died
    queue.remove(job_id(queue.name, started.id))

    recovered = recover_stalled()

    assert recovered["reprocessed"] == 1
    assert queue.job_ids == [
        job_id(queue.name, waiting.id),
        job_id(queue.name, started.id),
    ]  # each once, in order


# -- `investochat serve` as real processes -----------------------------------------------------


@pytest.fixture(scope="module")
def stack_redis(tmp_path_factory) -> Iterator[str]:
    """An embedded Redis of the served tests' own, shut down after them.

    Every test session empties the shared test Redis when it starts (FLUSHALL); on a machine
    where several sessions run at once that would drop a served stack's queue mid-test.
    """
    with embedded.redis_server(tmp_path_factory.mktemp("wa-redis")) as url:
        yield url


@pytest.fixture(scope="module")
def demo_database(database_url, stack_redis, tmp_path_factory) -> Iterator[Callable[[], str]]:
    """A factory of committed databases holding the demo project (copies of one template)."""
    with demo_databases(database_url, stack_redis, tmp_path_factory.mktemp("wa-cli")) as databases:
        yield databases


@dataclass
class Stack(ServedTree):
    """A running `investochat serve` tree and what it talks to."""

    engine: Engine
    graph: FakeGraph

    def session(self) -> Session:
        return Session(self.engine)

    def post(self, raw: bytes, signature: str | None) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        request = urllib.request.Request(
            self.url("/webhooks/whatsapp"), data=raw, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def sent_to(self, wa_id: str) -> list:
        return [m for m in self.graph.sent if m.to == wa_id]


@contextmanager
def serve(database: str, graph: FakeGraph, log: Path, redis_url: str, **extra: str) -> Iterator[Stack]:
    """`python -m app serve` with one web process and one worker, sending through ``graph``."""
    env = served_env(
        database,
        redis_url,
        log.parent,
        WHATSAPP_PROVIDER="meta",
        WHATSAPP_APP_SECRET=APP_SECRET,
        WHATSAPP_TEMPLATE_NAME="",
        **graph.config(),
        **extra,
    )
    engine = create_engine(database, poolclass=NullPool)
    try:
        with serving(env, log) as tree:
            yield Stack(**vars(tree), engine=engine, graph=graph)
    finally:
        engine.dispose()


_sentinels = count(1)


def dead(process: psutil.Process) -> bool:
    """Gone, or a zombie nobody has reaped yet (its parent may be frozen)."""
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def settle(stack: Stack) -> None:
    """Wait until every job queued so far has run and its replies went out.

    With one worker taking jobs first in, first out, a sentinel "hello" posted now is answered
    only after everything queued before it (and the sends those jobs queued) has finished.
    """
    wa_id = f"9198100099{next(_sentinels):02d}"
    status, _ = stack.post(*signed(meta_text(f"wamid.SENTINEL-{uuid.uuid4().hex}", "hello", wa_id)))
    assert status == 200
    stack.wait(lambda: stack.sent_to(wa_id), "the sentinel greeting being sent")
    assert stack.queue().scheduled_job_registry.count == 0, "a send is waiting to be retried"


def signed(payload: dict) -> tuple[bytes, str]:
    raw = body_of(payload)
    return raw, sign(raw)


def conversation(stack: Stack, message_id: str) -> tuple[Message, list[Message]]:
    """The stored inbound message and its replies, in sequence order."""
    with stack.session() as session:
        inbound = session.scalars(select(Message).where(Message.provider_message_id == message_id)).one()
        replies = session.scalars(
            select(Message).where(Message.in_reply_to_id == inbound.id).order_by(Message.sequence)
        ).all()
        session.expunge_all()
        return inbound, list(replies)


def lead_history(stack: Stack, wa_id: str) -> tuple[list[str], list[str]]:
    """The activity kinds and outbox topics recorded for a lead."""
    with stack.session() as session:
        lead_id = session.scalar(select(Lead.id).where(Lead.phone == e164(wa_id)))
        kinds = session.scalars(
            select(Activity.kind).where(Activity.lead_id == lead_id).order_by(Activity.id)
        )
        topics = session.scalars(
            select(OutboxEvent.topic).where(OutboxEvent.aggregate_id == lead_id).order_by(OutboxEvent.id)
        )
        return list(kinds), list(topics)


@pytest.fixture(scope="module")
def stack(demo_database, stack_redis, tmp_path_factory) -> Iterator[Stack]:
    """One served stack with offline answers, shared by the tests that do not break it."""
    with FakeGraph() as graph:
        log = tmp_path_factory.mktemp("wa-serve") / "serve.log"
        with serve(demo_database(), graph, log, stack_redis) as running:
            yield running


def test_a_signed_question_gets_exactly_one_reply_greeting_and_cited_answer(stack):
    wa_id = "919810000501"

    status, body = stack.post(*signed(meta_text("wamid.E2E-ASK", QUESTION, wa_id)))

    assert status == 200 and body["new"] == 1
    stack.wait(lambda: stack.sent_to(wa_id), "the answer being sent")
    settle(stack)
    [answer] = stack.sent_to(wa_id)
    text = answer.payload["text"]["body"]
    assert text.startswith("Hello Rohan!") and "On booking: 10% of BSP" in text
    assert text.endswith(f"{SOURCE} p.6")
    inbound, replies = conversation(stack, "wamid.E2E-ASK")
    assert inbound.status == "processed" and inbound.processed_at is not None
    assert [(r.sequence, r.status, r.route) for r in replies] == [(0, "sent", "tables")]
    assert [r.provider_message_id for r in replies] == [answer.message_id]


def test_the_same_message_delivered_three_times_is_answered_once(stack):
    wa_id = "919810000502"
    raw, signature = signed(meta_text("wamid.E2E-THRICE", QUESTION, wa_id))

    answers = [stack.post(raw, signature) for _ in range(3)]

    assert [status for status, _ in answers] == [200, 200, 200]
    assert [body["new"] for _, body in answers] == [1, 0, 0]
    assert [body["duplicates"] for _, body in answers] == [0, 1, 1]
    stack.wait(lambda: stack.sent_to(wa_id), "the answer being sent")
    settle(stack)
    sent = stack.sent_to(wa_id)
    assert len(sent) == 1 and SOURCE in sent[0].payload["text"]["body"]
    _, replies = conversation(stack, "wamid.E2E-THRICE")
    assert len(replies) == 1
    kinds, topics = lead_history(stack, wa_id)
    assert kinds.count("lead_created") == 1 and topics.count("lead.created") == 1


def test_unsigned_or_wrongly_signed_webhooks_are_refused_and_never_answered(stack):
    wa_id = "919810000503"
    raw = body_of(meta_text("wamid.E2E-FORGED", QUESTION, wa_id))
    forgeries = {
        "unsigned": None,
        "wrong secret": sign(raw, "not-the-app-secret"),
        "another body": sign(raw + b" "),
        "malformed": "sha1=" + sign(raw).removeprefix("sha256="),
    }

    for label, signature in forgeries.items():
        status, body = stack.post(raw, signature)
        assert status == 403, label
        assert "X-Hub-Signature-256" in body["message"], label

    settle(stack)
    assert stack.sent_to(wa_id) == []
    with stack.session() as session:
        assert session.scalar(select(func.count()).where(Message.phone == e164(wa_id))) == 0
        leaked = text("SELECT count(*) FROM inbound_events WHERE payload::text LIKE '%E2E-FORGED%'")
        assert session.scalar(leaked) == 0


def test_a_user_known_only_by_a_user_id_is_answered_through_recipient(stack):
    user_id = "IN.6011223344556677"  # WhatsApp withholds this user's phone: no "from", no "wa_id"
    payload = user_id_text("wamid.E2E-BSUID", QUESTION, user_id, username="nikhil.builds", name="Nikhil Sen")

    status, body = stack.post(*signed(payload))

    assert status == 200 and body["new"] == 1
    stack.wait(lambda: stack.sent_to(user_id), "the answer being sent to the user id")
    settle(stack)
    [answer] = stack.sent_to(user_id)
    assert answer.payload["recipient"] == user_id and "to" not in answer.payload
    text = answer.payload["text"]["body"]
    assert text.startswith("Hello Nikhil!") and text.endswith(f"{SOURCE} p.6")
    inbound, replies = conversation(stack, "wamid.E2E-BSUID")
    assert (inbound.phone, inbound.whatsapp_user_id, inbound.status) == (None, user_id, "processed")
    assert [(r.status, r.provider_message_id) for r in replies] == [("sent", answer.message_id)]
    with stack.session() as session:
        lead = session.scalars(select(Lead).where(Lead.whatsapp_user_id == user_id)).one()
        assert (lead.phone, lead.whatsapp_username, lead.name) == (None, "nikhil.builds", "Nikhil Sen")


# -- a worker killed in the middle of a job --------------------------------------------------

AMENITIES = "What amenities does the clubhouse have at Aravali Crest?"
LLM_ANSWER = "The clubhouse has an indoor pool, a gym, a squash court and a banquet hall."


def test_a_worker_killed_mid_answer_answers_exactly_once_after_restart(demo_database, stack_redis, tmp_path):
    wa_id = "919810000601"
    release = threading.Event()

    def compose(_request: dict) -> str:
        # Every answer waits for the test: the first worker dies while its answer is pending,
        # and the test looks at the database before any answer can be written.
        release.wait(WAIT_SECONDS * 3)
        return LLM_ANSWER

    with FakeOpenAI() as openai_api, FakeGraph() as graph:
        openai_api.chat_handler = compose
        llm = {**openai_api.config(), "OPENAI_TIMEOUT": "600"}  # never time out and ask twice
        try:
            with serve(demo_database(), graph, tmp_path / "serve.log", stack_redis, **llm) as stack:
                [worker] = stack.workers()
                status, _ = stack.post(*signed(meta_text("wamid.E2E-KILL", AMENITIES, wa_id)))
                assert status == 200
                stack.wait(lambda: openai_api.requests_to("/chat/completions"), "the job asking the LLM")

                # The job runs in the worker process itself (it does not fork per job), so killing
                # the worker kills the job; its scheduler child goes too. The supervisor is frozen
                # meanwhile, so the checks below see what the crash left behind before any
                # restart can change it.
                forked = worker.children(recursive=True)
                horses = [p for p in forked if os.getpgid(p.pid) == p.pid]
                assert horses == [], f"expected no work-horse among {[p.cmdline() for p in forked]}"
                supervisor = psutil.Process(stack.process.pid)
                supervisor.suspend()
                try:
                    for process in (worker, *forked):
                        process.kill()
                    stack.wait(lambda: all(map(dead, (worker, *forked))), "the worker and its children dying")
                    inbound, replies = conversation(stack, "wamid.E2E-KILL")
                    assert inbound.processed_at is None and inbound.status == "received"
                    assert replies == [] and stack.sent_to(wa_id) == []
                    # Nothing is queued: only the restarted worker's recovery sweep can bring the
                    # message back.
                    assert stack.queue().count == 0
                finally:
                    supervisor.resume()

                def restarted() -> list[psutil.Process]:
                    return [p for p in stack.workers() if p.pid != worker.pid]

                stack.wait(restarted, "the supervisor restarting the worker")
                stack.wait(
                    lambda: len(openai_api.requests_to("/chat/completions")) >= 2, "the job running again"
                )
                release.set()
                stack.wait(lambda: stack.sent_to(wa_id), "the answer being sent")
                settle(stack)

                [answer] = stack.sent_to(wa_id)
                assert answer.payload["text"]["body"].startswith("Hello Rohan!")
                assert LLM_ANSWER in answer.payload["text"]["body"]
                assert SOURCE in answer.payload["text"]["body"]
                assert len(openai_api.requests_to("/chat/completions")) == 2
                inbound, replies = conversation(stack, "wamid.E2E-KILL")
                assert inbound.status == "processed"
                assert [(r.sequence, r.status) for r in replies] == [(0, "sent")]
                assert [r.provider_message_id for r in replies] == [answer.message_id]
                kinds, topics = lead_history(stack, wa_id)
                assert kinds.count("lead_created") == 1 and topics.count("lead.created") == 1
        finally:
            release.set()
