"""Answers about the row and the thing asked: the phase, the tower, the place, the attribute."""

from __future__ import annotations

import pytest

from app.rag.answer import answer_question
from app.rag.compose import qualifiers
from tests.test_retrieval import brochure


@pytest.fixture
def hill_view(app_ctx, tmp_path):
    return brochure(
        tmp_path,
        "Hill View",
        {
            1: "HILL VIEW\nSector 977, Gurugram",
            2: "PRICE LIST - PHASE 1 (TOWERS T1 & T2)\nBasic Sale Price: ₹ 14,000 per sq ft of super area",
            3: "PRICE LIST - PHASE 2 (TOWERS T3 & T4)\nBasic Sale Price: ₹ 15,500 per sq ft of super area",
            4: "POSSESSION\nTower Aster & Tower Lily: June 2029\nTower Orchid: March 2031\n"
            "RERA completion date: 31.12.2031 (all towers)",
            5: "CONNECTIVITY\nSector 55 Metro Station: 4 km (9 mins)\n"
            "International Airport (Jewar) by road: 60 km (55 mins)",
        },
    )


def test_row_labels_are_read_from_text():
    assert qualifiers("PRICE LIST - PHASE 1 (TOWERS T1 & T2)") == {"phase": {"1"}, "tower": {"1", "2"}}
    assert qualifiers("When is possession for Tower Orchid?") == {"tower": {"orchid"}}
    assert qualifiers("4 BHK Type-C, all towers") == {"type": {"c"}}


def test_a_price_for_one_phase_is_not_answered_with_another_phases_row(hill_view):
    answer = answer_question("What is the BSP per sq ft for Phase 2?", project=hill_view)
    assert answer.answered and "15,500" in answer.answer and "14,000" not in answer.answer
    missing = answer_question("What is the BSP per sq ft for Phase 3?", project=hill_view)
    assert missing.answered is False, missing.answer


def test_a_named_towers_date_comes_from_the_line_naming_it(hill_view):
    answer = answer_question("When is possession for Tower Orchid?", project=hill_view)
    assert answer.answered and "March 2031" in answer.answer, answer.answer


def test_a_distance_question_naming_a_sector_is_not_answered_with_the_projects_sector(hill_view):
    answer = answer_question("How far is it from the Sector 55 Metro Station?", project=hill_view)
    assert answer.answered and "4 km" in answer.answer, answer.answer


def test_an_acronym_opening_the_question_must_be_on_the_page(hill_view):
    answer = answer_question("IGI International Airport distance by road?", project=hill_view)
    assert answer.answered is False, answer.answer


def test_a_two_cell_table_row_reads_as_label_and_value(app_ctx, tmp_path):
    name = brochure(
        tmp_path,
        "Teak Court",
        {
            1: "TEAK COURT\nSector 977, Gurugram",
            2: "AT A GLANCE\nParticulars: Power backup | Details: 100% DG backup for common areas\n"
            "Unit: 3 BHK | Super Area: 2,400 sq ft | Floors: 12 to 30",
        },
    )
    answer = answer_question("What power backup is provided?", project=name)
    assert answer.answered, answer.answer
    assert "Power backup: 100% DG backup for common areas" in answer.answer
    assert "Particulars" not in answer.answer
