"""Two brochures bound in one file: a question naming one answers from its pages only."""

from __future__ import annotations

import uuid

import pytest

from app.rag.answer import answer_question
from app.rag.sections import find_sections, match_sections
from tests.test_retrieval import brochure


def bound_pages() -> dict[int, str]:
    """Twenty pages: the Aspen Residences on pages 1–10, the Cedar Grand Residences after."""
    pages = {
        1: "Alder Group\nTHE ASPEN RESIDENCES\nSector 901, Gurugram",
        2: "THE ASPEN RESIDENCES\nLand area: 5.2 acres\nTwo towers of 30 floors",
        3: "A GARDEN TO COME HOME TO\nThe Aspen Residences open onto a central lawn.\n240 units in all",
        4: "CLUBHOUSE\nA 20,000 sq ft clubhouse with a library and a games room\nA banked velodrome track",
        5: "THE ASPEN RESIDENCES\nEvery home faces the lawn.",
        6: "SPECIFICATIONS\nFlooring: imported marble in the living room",
        7: "Homes at The Aspen Residences come with a private deck.",
        8: "CONSULTANTS\n\nARCHITECT\nStudio Alder\n\nSTRUCTURE\nOak Engineers",
        9: "RERA\nHARERA Registration No. RC/REP/HARERA/GGM/101/2024/11",
        10: "Alder Group builds homes across the city.",
        11: "CEDAR GRAND RESIDENCES\nGolf Course Extension Road",
        12: "Cedar Grand Residences rise on a plot of 3.1 acres.\nLand area: 3.1 acres\n"
        "PRICE LIST\nBasic Sale Price: Rs. 21,500 per sq ft",
        13: "CEDAR GRAND RESIDENCES\nA sky lounge on the 40th floor\n172 units in all",
        14: "AMENITIES\nInfinity pool, spa, squash court\nIndoor velodrome",
        15: "SPECIFICATIONS\nFlooring: engineered wood in the bedrooms",
        16: "Life at Cedar Grand Residences is lived above the city.",
        17: "UNIT PLAN\n4 BHK - 4,200 sq ft",
        18: "CONSULTANTS\n\nARCHITECT\nBirch & Partners\n\nLANDSCAPE\nFern Studio",
        19: "CEDAR GRAND RESIDENCES\nDeveloped by Cedar Estates Pvt. Ltd.",
        20: "RERA\nHARERA Registration No. RC/REP/HARERA/GGM/202/2024/22",
    }
    return pages


def test_a_bound_file_splits_where_one_brochures_name_gives_way_to_the_others():
    first, second = find_sections(7, bound_pages())
    assert (first.document_id, first.first, first.last) == (7, 1, 10)
    assert (second.first, second.last) == (11, 20)
    assert first.title == "The Aspen Residences" and second.title == "Cedar Grand Residences"
    [match] = match_sections("what is the rera no of cedar grand?", [first, second])
    assert match.section == second
    assert match.without_name("What is the RERA number of the Cedar Grand?") == "What is the RERA number of ?"


def test_a_single_brochure_is_not_split_by_a_heading_it_repeats():
    pages = {n: f"Page {n} of the Larch Court brochure\nLarch Court homes" for n in range(1, 21)}
    pages.update({12: "FLOOR PLANS\n3 BHK", 15: "FLOOR PLANS\n4 BHK", 18: "PAYMENT PLAN\n10% on booking"})
    pages.update({2: "THE NEIGHBOURHOOD\nSchools and malls", 9: "THE NEIGHBOURHOOD\nHospitals"})
    assert find_sections(1, pages) == []
    assert find_sections(1, {1: "THE ASPEN RESIDENCES", 2: "CEDAR GRAND RESIDENCES"}) == []


@pytest.fixture
def bound(app_ctx, tmp_path):
    return brochure(tmp_path, "Alder Kit", bound_pages())


def test_a_question_naming_one_brochure_is_answered_from_its_pages(bound):
    aspen = answer_question("What is the RERA number of The Aspen Residences?", project=bound)
    assert aspen.answered and "101/2024/11" in aspen.answer and "202/2024" not in aspen.answer
    assert [c.page for c in aspen.citations] == [9]
    cedar = answer_question("cedar grand rera no?", project=bound)
    assert cedar.answered and "202/2024/22" in cedar.answer, cedar.answer
    architect = answer_question("Who is the architect of Cedar Grand Residences?", project=bound)
    assert architect.answered and "Birch" in architect.answer and "Studio Alder" not in architect.answer


def test_a_fact_of_one_brochure_is_not_given_for_the_other(bound):
    answer = answer_question("What is the land area of the Cedar Grand Residences?", project=bound)
    assert answer.answered and "3.1 acres" in answer.answer and "5.2" not in answer.answer
    assert answer.citations[0].page == 12


def test_a_question_naming_both_brochures_answers_each_with_its_label(bound):
    answer = answer_question(
        "Which has the bigger land area - The Aspen Residences or Cedar Grand Residences?", project=bound
    )
    assert answer.answered
    aspen, cedar = answer.answer.split("\n\n")[:2]
    assert aspen.startswith("The Aspen Residences:") and "5.2 acres" in aspen
    assert cedar.startswith("Cedar Grand Residences:") and "3.1 acres" in cedar


def test_which_of_two_bound_brochures_has_more_homes_gives_both_counts(bound):
    answer = answer_question(
        "Which has more units - The Aspen Residences or Cedar Grand Residences?", project=bound
    )
    assert "240 units" in answer.answer and "172 units" in answer.answer, answer.answer


def test_a_multi_part_question_keeps_the_named_brochure_for_every_part(bound):
    answer = answer_question(
        "What flooring do the Aspen Residences have, and who is the architect?", project=bound
    )
    assert answer.answered and "marble" in answer.answer and "Studio Alder" in answer.answer
    assert "wood" not in answer.answer and "Birch" not in answer.answer


def test_a_catalogue_listing_names_the_part_of_a_bound_file_that_answers(bound):
    sector = answer_question("Which projects are in Sector 901?")
    assert f"{bound} (The Aspen Residences)" in sector.answer, sector.answer
    track = answer_question("Which projects have a velodrome?")
    assert f"{bound} (The Aspen Residences): " in track.answer, track.answer
    assert f"{bound} (Cedar Grand Residences): " in track.answer, track.answer
    assert "Alder_Kit.pdf p.4" in track.answer and "Alder_Kit.pdf p.14" in track.answer


def test_a_comparison_with_another_project_keeps_the_named_brochure_of_a_bound_file(app_ctx, tmp_path):
    # The bound file's project is named for the second brochure's brand, as a sales kit often is.
    bound = brochure(tmp_path, "Cedar Kit", bound_pages())
    other = brochure(
        tmp_path,
        "Birch Lane",
        {1: "BIRCH LANE\nSector 952", 2: "PRICE LIST\nBasic Sale Price: Rs. 18,250 per sq ft"},
    )
    answer = answer_question(f"Compare the per sq ft price of {other} and Cedar Grand Residences.")
    assert f"{bound} (Cedar Grand Residences): " in answer.answer and "21,500" in answer.answer, answer.answer
    assert "18,250" in answer.answer


def test_a_file_of_three_brochures_growing_in_size_splits_in_three():
    pages = {}
    for first, last, name in ((1, 8, "ALDER COURT"), (9, 20, "BIRCH HEIGHTS"), (21, 40, "CEDAR GROVE")):
        for page in range(first, last + 1):
            pages[page] = (
                f"{name}\nPage {page} of the brochure" if (page - first) % 3 == 0 else f"Page {page}"
            )
        pages[last] += f"\n{name.title()} by its developer"
    parts = find_sections(3, pages)
    assert [(p.first, p.last) for p in parts] == [(1, 8), (9, 20), (21, 40)]
    assert [p.title for p in parts] == ["Alder Court", "Birch Heights", "Cedar Grove"]


def test_the_parts_of_a_file_are_kept_at_ingest_and_filled_in_for_older_documents(app_ctx, tmp_path):
    from sqlalchemy import select, update

    from app.commands.catalog import ingest_files
    from app.extensions import db
    from app.models import Document
    from tests.test_retrieval import write_jsonl

    path = write_jsonl(tmp_path / "kit.jsonl", bound_pages(), source="Pine_Kit.pdf")
    name = uuid.uuid4().hex[:6]
    ingest_files(f"Pine Kit {name}", [str(path)], progress=False)
    document = db.session.scalar(
        select(Document).where(Document.source == "Pine_Kit.pdf").order_by(Document.id.desc())
    )
    assert [(p["first"], p["last"], p["title"]) for p in document.parts] == [
        (1, 10, "The Aspen Residences"),
        (11, 20, "Cedar Grand Residences"),
    ]
    db.session.execute(update(Document).where(Document.id == document.id).values(parts=None))
    db.session.commit()
    (again,) = ingest_files(f"Pine Kit {name}", [str(path)], progress=False)
    db.session.expire_all()
    assert again.status == "unchanged" and len(db.session.get(Document, document.id).parts) == 2
