"""Questions that ask for several things: split into parts, each answered and cited on its own."""

from __future__ import annotations

import pytest

from app.rag.answer import answer_question
from app.rag.multipart import split_question
from tests.test_retrieval import brochure


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "What are the lobby, deck and terrace heights of the penthouse?",
            [
                "What are the lobby heights of the penthouse?",
                "What are the deck heights of the penthouse?",
                "What are the terrace heights of the penthouse?",
            ],
        ),
        (
            "What is the maintenance deposit and the club fee at Lotus Meadows?",
            ["What is the maintenance deposit at Lotus Meadows?", "What is the club fee at Lotus Meadows?"],
        ),
        (
            "How far is the site from the metro and from the highway?",
            ["How far is the site from the metro?", "How far is the site from the highway?"],
        ),
        (
            "Which school and which hospital are nearest?",
            ["Which school are nearest?", "Which hospital are nearest?"],
        ),
        (
            "What is the booking amount, and when is the next instalment due?",
            ["What is the booking amount?", "when is the next instalment due?"],
        ),
        (
            "What is the price of the 2 and 3 BHK?",
            ["What is the price of the 2 BHK?", "What is the price of the 3 BHK?"],
        ),
    ],
)
def test_a_question_is_split_into_one_question_per_thing_it_asks(question, parts):
    assert [p.question for p in split_question(question)] == parts


@pytest.mark.parametrize(
    "question", ["What is the payment plan?", "Is the clubhouse open to guests?", "Tell me about the towers"]
)
def test_a_question_asking_one_thing_is_left_whole(question):
    [part] = split_question(question)
    assert part.question == question


def test_a_pronoun_in_the_second_question_takes_the_topic_of_the_first():
    question = "What is the maintenance deposit for a 3 BHK and at which stage is it payable?"
    first, second = split_question(question)
    assert first.question == "What is the maintenance deposit for a 3 BHK?"
    assert "maintenance deposit" in second.question and second.question.startswith("at which stage")


@pytest.fixture
def lotus(app_ctx, tmp_path):
    return brochure(
        tmp_path,
        "Lotus Meadows",
        {
            1: "LOTUS MEADOWS\nSector 977, Gurugram",
            3: "3 BHK RESIDENCE\nCarpet Area: 1,940 sq ft\nBalcony Area: 260 sq ft",
            5: "CONNECTIVITY\nRapid Metro: 1.2 km (4 mins)\nGolf Course Road: 3 km (8 mins)",
        },
    )


def test_each_part_is_answered_with_its_own_citation(lotus):
    answer = answer_question("What are the carpet and balcony areas of the 3 BHK?", project=lotus)

    assert answer.answered
    assert "1,940" in answer.answer and "260" in answer.answer
    assert answer.answer.count("Source: Lotus_Meadows.pdf p.3") == 2
    assert [c.page for c in answer.citations] == [3]


def test_parts_on_different_pages_cite_each_page(lotus):
    question = "What is the carpet area of the 3 BHK and how far is the Rapid Metro?"
    answer = answer_question(question, project=lotus)

    assert "1,940" in answer.answer and "1.2 km" in answer.answer
    assert sorted(c.page for c in answer.citations) == [3, 5]


def test_a_part_the_brochure_does_not_answer_is_named_missing_and_the_rest_is_answered(lotus):
    answer = answer_question("How far are the Rapid Metro and the helipad?", project=lotus)

    assert answer.answered
    assert "1.2 km" in answer.answer
    assert "Helipad: not in the brochures I have" in answer.answer
    assert [c.page for c in answer.citations] == [5]


def test_a_multi_part_question_with_no_part_answered_is_one_refusal(lotus):
    answer = answer_question("What are the helipad and the marina charges?", project=lotus)

    assert answer.answered is False
    assert answer.answer.startswith("That is not in the brochures I have")
