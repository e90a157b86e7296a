"""Questions as investors phrase them, read for what they mean: a unit "without the staff room"
is not the servant-room variant; "how much of the base price" asks for a share; "topped out" is
the top floor's slab; "usable floor space" asks for an area; "is there a creche inside?" is
answered by the master plan's label."""

from __future__ import annotations

import pytest

from app.rag.answer import answer_question
from app.rag.query import analyze
from tests.test_retrieval import brochure


@pytest.fixture
def cedar_court(app_ctx, tmp_path):
    return brochure(
        tmp_path,
        "Cedar Court",
        {
            1: "CEDAR COURT\nSector 911, Gurugram",
            2: "UNIT TYPES\n<table><tr><th>Type</th><th>Configuration</th><th>Carpet Area (sq. ft.)</th></tr>"
            "<tr><td>A</td><td>3 BHK</td><td>1,640</td></tr>"
            "<tr><td>B</td><td>3 BHK + Servant</td><td>1,915</td></tr></table>",
            3: "CONSTRUCTION LINKED PLAN\n<table><tr><th>Stage</th><th>% of BSP</th></tr>"
            "<tr><td>On booking</td><td>10%</td></tr>"
            "<tr><td>On casting of 12th floor roof slab</td><td>15%</td></tr>"
            "<tr><td>On casting of top floor roof slab</td><td>12.5%</td></tr>"
            "<tr><td>On offer of possession</td><td>5%</td></tr></table>",
            4: "SITE PLAN\n<table><tr><td>CRECHE</td><td>MAIN GATE</td></tr>"
            "<tr><td>CLUBHOUSE</td><td>TOWER A</td></tr></table>",
            5: "ABOUT THE DEVELOPER\nCedar Court is our first residential project in the region.",
            6: "SMART ACCESS\nJust enter the 6-digit code on your phone to reach your sky lounge.",
            7: "VILLA PLAN\n<table><tr><th>Milestone</th><th>Due</th></tr>"
            "<tr><td>Agreement (within 30 days)</td><td>40%</td></tr>"
            "<tr><td>Registry and Handover (within 120 days)</td><td>60%</td></tr></table>",
        },
    )


def test_what_a_question_rules_out_is_set_aside_with_its_jargon():
    analysis = analyze("Carpet area of the 3 BHK, the one without the staff room?")
    assert {"staff", "servant"} <= analysis.excluded and "room" not in analysis.excluded
    assert "staff" not in analysis.question
    assert analyze("Carpet area of the 3 BHK?").excluded == frozenset()


def test_a_share_of_the_price_is_a_payment_question_and_topping_out_is_the_top_slab():
    analysis = analyze("How much of the base price falls due when the tower is topped out?")
    assert analysis.primary_intent == "payment"
    assert ("top", "floor", "roof", "slab") in {term.tokens for term in analysis.terms}
    assert analyze("What is the base price?").primary_intent == "price"


def test_usable_floor_space_asks_for_an_area():
    assert "area" in analyze("How much usable floor space does the 3 BHK have?").intents


def test_the_unit_without_the_servant_room_is_the_plain_row(cedar_court):
    answer = answer_question(
        "How much usable floor space does the regular three-bedroom flat, the one without the staff "
        "room, offer?",
        project=cedar_court,
    )
    assert answer.answered and "1,640" in answer.answer and "1,915" not in answer.answer, answer.answer


def test_the_share_due_when_the_building_is_topped_out(cedar_court):
    answer = answer_question(
        "How much of the base price falls due when the building is topped out?", project=cedar_court
    )
    assert answer.answered and "12.5%" in answer.answer and "15%" not in answer.answer, answer.answer


def test_a_label_on_the_site_plan_answers_whether_there_is_one(cedar_court):
    answer = answer_question("Is there a creche inside the project?", project=cedar_court)
    assert answer.answered and "CRECHE" in answer.answer and "p.4" in answer.answer, answer.answer
    missing = answer_question("Is there a helipad inside the project?", project=cedar_court)
    assert missing.answered is False, missing.answer


def test_done_any_before_is_answered_by_a_first(cedar_court):
    answer = answer_question("Has this developer done any housing in the region before?", project=cedar_court)
    assert answer.answered and "first residential project" in answer.answer, answer.answer


def test_how_residents_get_in_is_answered_by_what_you_enter(cedar_court):
    answer = answer_question("How do residents get into their sky lounge?", project=cedar_court)
    assert answer.answered and "6-digit code" in answer.answer, answer.answer


def test_how_soon_after_booking_is_answered_by_a_duration(cedar_court):
    analysis = analyze("How soon after booking is the villa handed over?")
    assert analysis.focus is None and "possession" in analysis.intents
    answer = answer_question("How soon after booking is the villa handed over?", project=cedar_court)
    assert answer.answered and "120 days" in answer.answer, answer.answer


def test_two_things_done_at_once_are_asked_once(cedar_court):
    from app.rag.multipart import split_question

    question = "How soon after booking will the villa be registered and handed over?"
    assert [part.question for part in split_question(question)] == [question]
    assert len(split_question("Are the parking and the clubhouse included?")) == 2  # two things
    answer = answer_question(question, project=cedar_court)
    assert answer.answered and "120 days" in answer.answer, answer.answer
