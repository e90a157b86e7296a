"""Figure extraction, the grounding check and the LLM composer (against a fake OpenAI)."""

import time
from collections.abc import Iterator

import pytest

from app.rag.grounding import ContextPassage, extract_figures, grounding_violations
from app.rag.llm import NOT_IN_DOCUMENTS, LLMComposer, LLMUnavailable, composer_from_config
from tests.fakes.openai_server import FakeOpenAI

PASSAGES = [
    ContextPassage(
        "Skyline_Towers.pdf",
        30,
        "Payment plan: 10% on booking, 40% on completion of structure. "
        "Basic sale price Rs 18,500 per sq ft. Booking amount 21,00,000.",
    ),
    ContextPassage(
        "Skyline_Towers.pdf",
        31,
        "Villa price 5,00,00,000. Apartment from 250 lakh. Penthouse 1,22,50,000. "
        "HRERA No. GGM/512/244/2024/61. Plot price (₹ in Cr): 4.75",
    ),
]


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("18,500", ["18500"]),
        ("5,00,00,000", ["50000000"]),
        ("50,000,000", ["50000000"]),
        ("₹5 Cr", ["50000000"]),
        ("2.5 Cr", ["25000000"]),
        ("2.5 crore", ["25000000"]),
        ("250 lakh", ["25000000"]),
        ("50 lakh", ["5000000"]),
        ("10 L", ["1000000"]),
        ("₹21 L", ["2100000"]),
        ("21 Lakhs", ["2100000"]),
        ("Rs. 1.2 Cr", ["12000000"]),
        ("INR 75,000", ["75000"]),
        ("10%", ["10%"]),
        ("2 per cent", ["2%"]),
        ("152.36 sq m", ["152.36"]),
        ("3.50", ["3.5"]),
        ("7.0 and 1,234.00", ["7", "1234"]),
        ("RC/REP/HARERA/GGM/512/244/2024/61", ["512", "244", "2024", "61"]),
        ("Towers 1,2,3", ["1", "2", "3"]),
        ("₹2.5–3.5 Cr", ["25000000", "35000000"]),
        ("10-20%", ["10%", "20%"]),
        ("Sector 88B has 5 lifts", ["88", "5"]),
        ("no figures here", []),
    ],
)
def test_extract_figures(text: str, figures: list[str]) -> None:
    assert extract_figures(text) == figures


@pytest.mark.parametrize(
    "answer",
    [
        "Booking is ₹21 lakh (21 Lakhs, ₹21 L), then 40% on structure.",
        "Villas are ₹5 Cr; apartments start at 2.5 crore.",
        "The BSP is ₹18,500 per sq ft and 10% is due on booking.",
        "The penthouse is ₹1.23 Cr.",
        "A plot costs ₹4.75 Cr.",
        "HRERA number GGM/512/244/2024/61.",
        "Skyline Towers apartments start at ₹2.5 Cr.\nSource: Skyline_Towers.pdf p.7",
    ],
)
def test_grounding_accepts_equivalent_figures(answer: str) -> None:
    assert grounding_violations(answer, PASSAGES) == []


def test_grounding_flags_invented_figures_as_written() -> None:
    answer = "Villas are ₹5 Cr, the duplex is ₹3.5 Cr with 12% down and ₹1 Cr later."
    assert grounding_violations(answer, PASSAGES) == ["₹3.5 Cr", "12%", "₹1 Cr"]


def test_grounding_checks_the_body_but_not_the_source_line() -> None:
    answer = "Possession in 2031.\n\nSource: Skyline_Towers.pdf p.7"
    assert grounding_violations(answer, PASSAGES) == ["2031"]


def test_grounding_accepts_figures_from_names_and_the_question() -> None:
    passages = [ContextPassage("Skyline_88.pdf", 12, "BSP ₹18,500/sq ft")]
    answer = "For your 3 BHK at Skyline 88, the BSP is ₹18,500 per sq ft."
    assert grounding_violations(answer, passages) == ["3"]
    assert grounding_violations(answer, passages, also_grounded=["price of 3 BHK?"]) == []


def test_composer_returns_the_scripted_answer(fake_openai: FakeOpenAI) -> None:
    fake_openai.chat_replies.append("  Villas are *₹5 Cr* each. \n")
    composer = LLMComposer(fake_openai.client(), "gpt-4o-mini")
    answer = composer.compose("How much is a villa?", PASSAGES, "Skyline Towers")
    assert answer == "Villas are *₹5 Cr* each."


def test_composer_sends_the_passages_and_the_question(fake_openai: FakeOpenAI) -> None:
    fake_openai.chat_replies.append("Villas are ₹5 Cr.")
    LLMComposer(fake_openai.client(), "gpt-4o-mini").compose(
        "How much is a villa?", PASSAGES, "Skyline Towers"
    )
    [request] = fake_openai.requests_to("/chat/completions")
    assert request.body["model"] == "gpt-4o-mini"
    system, user = request.body["messages"]
    assert system["role"] == "system"
    assert NOT_IN_DOCUMENTS in system["content"]
    assert "600" in system["content"]
    assert user["role"] == "user"
    assert "How much is a villa?" in user["content"]
    assert "Skyline Towers" in user["content"]
    assert "[1] Skyline_Towers.pdf, page 30" in user["content"]
    assert "[2] Skyline_Towers.pdf, page 31" in user["content"]
    assert "Villa price 5,00,00,000." in user["content"]


@pytest.mark.parametrize("reply", [NOT_IN_DOCUMENTS, " NOT_IN_DOCUMENTS.", "`not_in_documents`"])
def test_composer_returns_none_when_not_in_documents(fake_openai: FakeOpenAI, reply: str) -> None:
    fake_openai.chat_replies.append(reply)
    composer = LLMComposer(fake_openai.client(), "gpt-4o-mini")
    assert composer.compose("Is there a helipad?", PASSAGES, None) is None


def test_composer_skips_the_call_without_passages(fake_openai: FakeOpenAI) -> None:
    composer = LLMComposer(fake_openai.client(), "gpt-4o-mini")
    assert composer.compose("Price?", [], None) is None
    assert fake_openai.requests == []


def test_composer_drops_a_source_line_and_keeps_answers_short(fake_openai: FakeOpenAI) -> None:
    fake_openai.chat_replies.append("Villas are ₹5 Cr.\nSource: Skyline_Towers.pdf p.31")
    fake_openai.chat_replies.append("A long answer. " * 80)
    composer = LLMComposer(fake_openai.client(), "gpt-4o-mini")
    assert composer.compose("Villa price?", PASSAGES, None) == "Villas are ₹5 Cr."
    long_answer = composer.compose("Tell me everything", PASSAGES, None)
    assert long_answer is not None
    assert len(long_answer) <= 600
    assert long_answer.endswith("answer.")


def test_composer_recovers_from_one_server_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.fail_next(500)
    fake_openai.chat_replies.append("Villas are ₹5 Cr.")
    composer = LLMComposer(fake_openai.client(max_retries=2), "gpt-4o-mini")
    assert composer.compose("Villa price?", PASSAGES, None) == "Villas are ₹5 Cr."
    assert len(fake_openai.requests_to("/chat/completions")) == 2


@pytest.mark.parametrize("status", [500, 429])
def test_composer_raises_llm_unavailable_when_the_api_keeps_failing(
    fake_openai: FakeOpenAI, status: int
) -> None:
    fake_openai.fail_next(status, times=3)
    composer = LLMComposer(fake_openai.client(max_retries=2), "gpt-4o-mini")
    with pytest.raises(LLMUnavailable, match="gpt-4o-mini"):
        composer.compose("Villa price?", PASSAGES, None)
    assert len(fake_openai.requests_to("/chat/completions")) == 3


def test_composer_raises_llm_unavailable_on_timeout(fake_openai: FakeOpenAI) -> None:
    def slow(_request: dict) -> str:
        time.sleep(1.0)
        return "too late"

    fake_openai.chat_handler = slow
    composer = LLMComposer(fake_openai.client(max_retries=0, timeout=0.2), "gpt-4o-mini")
    with pytest.raises(LLMUnavailable, match="Timeout"):
        composer.compose("Villa price?", PASSAGES, None)


def test_composer_raises_llm_unavailable_when_the_server_is_gone() -> None:
    with FakeOpenAI() as fake:
        client = fake.client(max_retries=0)
    with pytest.raises(LLMUnavailable, match="Connection"):
        LLMComposer(client, "gpt-4o-mini").compose("Villa price?", PASSAGES, None)


def test_composer_from_config(fake_openai: FakeOpenAI) -> None:
    assert composer_from_config({}) is None
    assert composer_from_config({"OPENAI_API_KEY": ""}) is None
    composer = composer_from_config({**fake_openai.config(), "OPENAI_CHAT_MODEL": "gpt-4.1-mini"})
    assert composer is not None
    assert composer.model == "gpt-4.1-mini"
    assert composer_from_config(fake_openai.config()).model == "gpt-4o-mini"
    fake_openai.chat_handler = lambda request: f"Model {request['model']} at your service."
    assert composer.compose("Hi", PASSAGES, None) == "Model gpt-4.1-mini at your service."
