"""LLM-written answers through `answer_question`, with the real openai client on a fake server.

The app under test has an OpenAI key, so both the embedder (text-embedding-3-small, 1536
dimensions) and the chat composer talk to the fake. The extractive answer is the fallback
whenever the model is unavailable, declines, or writes a figure no passage contains. What the
fake received also shows that no Aadhaar number and no investor's name is ever sent to OpenAI,
whichever way the question came in (``/api/ask``, the widget, WhatsApp).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.commands.catalog import DEMO_DIR, DEMO_PROJECT, ingest_files
from app.extensions import db
from app.models import Chunk, InboundEvent, Lead, Message, Project
from app.rag.answer import Answer, answer_question
from app.rag.llm import NOT_IN_DOCUMENTS
from app.widget.conversations import post_message, start_conversation
from tests.fakes.graph_server import FakeGraph
from tests.fakes.openai_server import TEST_API_KEY, FakeOpenAI, RecordedRequest
from tests.test_pii import AADHAAR, DEVANAGARI, FULL_WIDTH, grouped
from tests.whatsapp_helpers import body_of, meta_text, post_signed
from workers.tasks import process_message

DEMO_SOURCE = "Aravali_Crest_Brochure.pdf"
AIRPORT_QUESTION = "How far is the airport?"
AIRPORT_LINE = "IGI Airport: 28 km (40 mins)"


class ChatFailuresOnly(FakeOpenAI):
    """Scripted failures hit chat completions only, so the question's embedding still works."""

    def _record(self, request: RecordedRequest):
        if request.path.endswith("/chat/completions"):
            return super()._record(request)
        with self._lock:
            self.requests.append(request)
        return None


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with ChatFailuresOnly() as fake:
        yield fake


@pytest.fixture
def llm_app(app_ctx: Flask, fake_openai: FakeOpenAI) -> Iterator[Flask]:
    """A second app on the same test database, with OpenAI on."""
    settings = ("TESTING", "DATABASE_URL", "SQLALCHEMY_DATABASE_URI", "REDIS_URL", "SECRET_KEY")
    application = create_app({**{k: app_ctx.config[k] for k in settings}, **fake_openai.config()})
    with application.app_context():
        ingest_files(DEMO_PROJECT, [str(DEMO_DIR)], progress=False)
        fake_openai.requests.clear()
        yield application
        db.engine.dispose()


def ask(question: str) -> Answer:
    return answer_question(question, project=DEMO_PROJECT)


def chat_requests(fake: FakeOpenAI) -> list[RecordedRequest]:
    return fake.requests_to("/chat/completions")


def test_the_demo_is_embedded_with_the_openai_embedder(llm_app, fake_openai):
    project = db.session.scalar(select(Project).where(Project.name == DEMO_PROJECT))
    embedders = set(
        db.session.execute(select(Chunk.embedder, Chunk.embedding_dim).where(Chunk.project_id == project.id))
    )
    assert embedders == {("openai:text-embedding-3-small", 1536)}


def test_a_grounded_llm_answer_is_used_and_cites_the_page_with_the_figure(llm_app, fake_openai):
    fake_openai.chat_replies.append("IGI Airport is just 28 km away, about 40 mins by road.")

    answer = ask(AIRPORT_QUESTION)

    assert answer.answered is True
    assert answer.route == "documents"
    assert answer.answer.startswith("IGI Airport is just 28 km away, about 40 mins by road.")
    assert answer.answer.endswith(f"Source: {DEMO_SOURCE} p.3")
    assert [(c.document, c.page) for c in answer.citations] == [(DEMO_SOURCE, 3)]
    # The question was embedded by the fake, then answered by one chat call.
    assert len(fake_openai.requests_to("/embeddings")) == 1
    assert len(chat_requests(fake_openai)) == 1


def test_the_chat_request_carries_the_question_and_brochure_passages(llm_app, fake_openai):
    fake_openai.chat_replies.append("IGI Airport is 28 km away.")

    ask(AIRPORT_QUESTION)

    [request] = chat_requests(fake_openai)
    assert request.headers["authorization"] == f"Bearer {TEST_API_KEY}"
    assert request.body["model"] == "gpt-4o-mini"
    system, user = request.body["messages"]
    assert NOT_IN_DOCUMENTS in system["content"]
    assert f"Question: {AIRPORT_QUESTION}" in user["content"]
    assert f"Project in focus: {DEMO_PROJECT}" in user["content"]
    assert f"{DEMO_SOURCE}, page 3" in user["content"]
    assert AIRPORT_LINE in user["content"]


def test_an_llm_answer_with_an_invented_figure_falls_back_to_the_extractive_one(llm_app, fake_openai):
    fake_openai.chat_replies.append("IGI Airport is 28 km away and homes start at ₹3.75 Cr.")

    answer = ask(AIRPORT_QUESTION)

    assert len(chat_requests(fake_openai)) == 1
    assert "3.75" not in answer.answer
    assert "homes start" not in answer.answer
    assert answer.answered is True
    assert answer.route == "documents"
    assert AIRPORT_LINE in answer.answer
    assert [(c.document, c.page) for c in answer.citations] == [(DEMO_SOURCE, 3)]


def test_an_llm_that_keeps_failing_falls_back_to_the_extractive_answer(llm_app, fake_openai):
    fake_openai.fail_next(500, times=3)

    answer = ask(AIRPORT_QUESTION)

    assert len(chat_requests(fake_openai)) == 3  # the first try and the client's two retries
    assert answer.answered is True
    assert answer.route == "documents"
    assert AIRPORT_LINE in answer.answer
    assert answer.answer.endswith(f"Source: {DEMO_SOURCE} p.3")


def test_not_in_documents_leaves_the_answer_to_the_extractive_route(llm_app, fake_openai):
    fake_openai.fail_next(500, times=3)
    extractive = ask(AIRPORT_QUESTION)
    fake_openai.chat_replies.append(NOT_IN_DOCUMENTS)

    answer = ask(AIRPORT_QUESTION)

    assert len(chat_requests(fake_openai)) == 4
    assert NOT_IN_DOCUMENTS not in answer.answer
    assert (answer.answer, answer.answered, answer.route, answer.citations) == (
        extractive.answer,
        extractive.answered,
        extractive.route,
        extractive.citations,
    )


def test_not_in_documents_for_an_absent_topic_is_a_refusal(llm_app, fake_openai):
    fake_openai.chat_replies.append(NOT_IN_DOCUMENTS)

    answer = ask("Is there a helipad on the roof?")

    assert len(chat_requests(fake_openai)) == 1  # the model was asked, and declined
    assert answer.answered is False
    assert answer.route == "none"
    assert answer.citations == []
    assert NOT_IN_DOCUMENTS not in answer.answer


def test_fact_answers_do_not_call_the_llm(llm_app, fake_openai):
    answer = ask("What is the RERA number?")

    assert answer.route == "facts"
    assert "DEMO-GGM-2026-0001" in answer.answer
    assert chat_requests(fake_openai) == []


# -- What OpenAI is sent: never an Aadhaar number, never the investor's name --------------------

NAME = "Zubin Kothavala"


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def sent_to_openai(fake: FakeOpenAI) -> str:
    """Every text the fake received (embedding inputs, chat messages), one per line, read the way
    a person would read a number in it: digits of any script as ASCII, invisible characters and
    the separators between digits dropped ("२३४५.६७८९" reads "23456789")."""
    text = "\n".join(string for request in fake.requests for string in _strings(request.body))
    text = "".join(
        str(unicodedata.decimal(char)) if unicodedata.decimal(char, None) is not None else char
        for char in unicodedata.normalize("NFKC", text)
        if unicodedata.category(char) != "Cf"
    )
    return re.sub(r"(?<=\d)[\s._/\\-]+(?=\d)", "", text)


@pytest.mark.parametrize(
    "typed",
    [
        grouped(AADHAAR),
        grouped(AADHAAR, "."),
        grouped(AADHAAR, "\n"),
        grouped(AADHAAR).translate(DEVANAGARI),
        AADHAAR.translate(FULL_WIDTH),
        f"UID{AADHAAR}",
    ],
)
def test_an_aadhaar_number_asked_through_the_api_never_reaches_the_embedder_or_the_model(
    llm_app, fake_openai, typed
):
    fake_openai.chat_replies.append("IGI Airport is 28 km away.")
    question = f"My aadhaar is {typed}. {AIRPORT_QUESTION}"

    response = llm_app.test_client().post("/api/ask", json={"question": question, "project": DEMO_PROJECT})

    assert response.status_code == 200, response.get_data(as_text=True)
    assert fake_openai.requests_to("/embeddings")  # the question was embedded ...
    sent = sent_to_openai(fake_openai)
    assert "[aadhaar removed]" in sent  # ... and asked, without the number
    assert AADHAAR not in sent


def test_the_widget_visitors_name_and_an_aadhaar_in_their_message_never_reach_the_model(llm_app, fake_openai):
    fake_openai.chat_replies.append("IGI Airport is 28 km away.")
    project = db.session.scalar(select(Project).where(Project.name == DEMO_PROJECT))
    typed_name = f"{NAME} {grouped(AADHAAR, '.')}"  # an Aadhaar typed into the name field
    conversation = start_conversation(db.session, typed_name, "+91 98111 55501", project, consent=True)
    text = f"{AIRPORT_QUESTION} aadhaar {grouped(AADHAAR, '/')}"
    message_id, _ = post_message(db.session, conversation, text, uuid.uuid4().hex)
    db.session.commit()

    process_message(message_id)

    assert db.session.get(Lead, conversation.lead_id).name == NAME  # the portal can still address them
    assert db.session.get(Message, message_id).body == f"{AIRPORT_QUESTION} aadhaar [aadhaar removed]"
    sent = sent_to_openai(fake_openai)
    assert fake_openai.requests_to("/embeddings") and "airport" in sent
    assert AADHAAR not in sent
    assert not [word for word in NAME.split() if word in sent]


def test_a_whatsapp_profile_name_is_stored_without_pii_and_never_reaches_the_model(llm_app, fake_openai):
    fake_openai.chat_replies.append("IGI Airport is 28 km away.")
    profile = f"{NAME} {grouped(AADHAAR).translate(DEVANAGARI)}"
    payload = meta_text("wamid.PROFILE-PII", AIRPORT_QUESTION, "919811155502", name=profile)

    with FakeGraph() as graph:
        llm_app.config.update(graph.config(), WHATSAPP_APP_SECRET="profile-secret")
        response = post_signed(llm_app.test_client(), body_of(payload), "profile-secret")
        assert response.status_code == 200, response.get_data(as_text=True)
        message = db.session.scalars(
            select(Message).where(Message.provider_message_id == "wamid.PROFILE-PII")
        ).one()
        process_message(message.id)

    db.session.refresh(message)
    assert message.interactive == {"profile_name": NAME}
    assert db.session.get(Lead, message.lead_id).name == NAME
    raw = db.session.scalars(select(InboundEvent.payload).order_by(InboundEvent.id.desc())).first()
    [contact] = raw["entry"][0]["changes"][0]["value"]["contacts"]
    assert contact["profile"]["name"] == f"{NAME} [aadhaar removed]"
    sent = sent_to_openai(fake_openai)
    assert fake_openai.requests_to("/embeddings") and "airport" in sent
    assert AADHAAR not in sent
    assert not [word for word in NAME.split() if word in sent]
