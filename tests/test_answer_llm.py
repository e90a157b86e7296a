"""LLM-written answers through `answer_question`, with the real openai client on a fake server.

The app under test has an OpenAI key, so both the embedder (text-embedding-3-small, 1536
dimensions) and the chat composer talk to the fake. The extractive answer is the fallback
whenever the model is unavailable, declines, or writes a figure no passage contains.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.commands.catalog import DEMO_DIR, DEMO_PROJECT, ingest_files
from app.extensions import db
from app.models import Chunk, Project
from app.rag.answer import Answer, answer_question
from app.rag.llm import NOT_IN_DOCUMENTS
from tests.fakes.openai_server import TEST_API_KEY, FakeOpenAI, RecordedRequest

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
