"""Answer quality on the real brochure corpus, judged as `investochat eval` judges it."""

import pytest

from app.rag.answer import answer_question
from app.rag.evaluate import load_questions, report, score
from tests.shared_data import EVAL_FILE, require


@pytest.fixture
def questions(corpus):
    return load_questions(require(EVAL_FILE))


def test_dev_questions_meet_the_quality_bar(corpus, questions):
    from app.extensions import db

    outcomes = [score(db.session, q, answer_question(q.question, project=q.project)) for q in questions]
    summary = report(outcomes)
    wrong = [(o.question.id, o.answer.answer[:120]) for o in outcomes if not o.correct]
    assert summary["answer_accuracy"] >= 0.9, wrong
    assert summary["refusal_accuracy"] == 1.0, wrong
    assert summary["grounding_violations"] == 0


def test_refusals_carry_no_figure_and_offer_an_advisor(corpus, questions):
    for question in (q for q in questions if not q.answerable):
        answer = answer_question(question.question, project=question.project)
        assert answer.answered is False
        assert answer.route == "none" and answer.citations == []
        assert "not in the brochures" in answer.answer
        assert "advisor" in answer.answer
        assert not any(ch.isdigit() for ch in answer.answer)


@pytest.mark.parametrize(
    ("question", "project", "expected_page", "must_contain"),
    [
        ("What is the posession date?", "TARC Ishva", None, None),  # typo, and not in the brochure
        ("What is the PLP rate per sq ft?", "Trevoc 56", 102, "22,000"),  # jargon expansion
        ("how far is the airport from the estate residences", "Trevoc 56", 25, "23"),
    ],
)
def test_jargon_typos_and_lower_case_names(corpus, question, project, expected_page, must_contain):
    answer = answer_question(question, project=project)
    if expected_page is None:
        assert answer.answered is False
    else:
        assert answer.answered, answer.answer
        assert expected_page in [c.page for c in answer.citations]
        assert must_contain in answer.answer


def test_cross_project_question_uses_the_sql_route(corpus):
    answer = answer_question("Which projects have 4 BHK in Sector 63A?")
    assert answer.route == "sql"
    assert "TARC Ishva" in answer.answer
    assert "Godrej SORA" not in answer.answer  # Sector 53


def test_project_is_detected_from_the_question(corpus):
    answer = answer_question("What is the HRERA number of Godrej Sora?")
    assert answer.project == "Godrej SORA"
    assert "976/708/2025/79" in answer.answer
