"""OCR of pages without a text layer: the spaces the recogniser leaves out, and a brochure whose
price page is only an image, ingested by `investochat ingest` and answered with its citation."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from fpdf import FPDF
from sqlalchemy import select

from app.cli import main
from app.extensions import db
from app.models import Chunk, Document, Project
from app.rag.readers import read_document
from app.rag.word_breaks import restore_spaces

SOURCE = "Ocr_Heights_Brochure.pdf"
PRICE_PAGE = (
    "OCR HEIGHTS PRICE LIST",
    "Basic Sale Price: Rs. 18,500 per sq.ft. of saleable area",
    "Car parking charges of Rs. 5,00,000 per covered parking space",
    "Club membership charges are payable at the time of offer of possession",
)


@pytest.mark.parametrize(
    ("recognised", "restored"),
    [
        ("BasicSalePrice", "Basic Sale Price"),
        ("Rs.18,500per sq.ft.ofsaleablearea", "Rs.18,500 per sq.ft. of saleable area"),
        (
            "Carparking chargesofRs.5,00,0o0percoveredparking space",
            "Car parking charges of Rs.5,00,000 per covered parking space",
        ),
        (
            "RERARegistrationNo.RC/REP/HARERA/GGM/712/444/2023/36",
            "RERA Registration No.RC/REP/HARERA/GGM/712/444/2023/36",
        ),
        (
            "Payment Plan:10% on booking,40% within 90 days",
            "Payment Plan: 10% on booking, 40% within 90 days",
        ),
        ("possessionby December2027", "possession by December 2027"),
        ("Rs. 8,0o,000 per covered slot", "Rs. 8,00,000 per covered slot"),  # an O beside the comma
        ("Rs. 18,5O0 per sq.ft.", "Rs. 18,500 per sq.ft."),
    ],
)
def test_the_spaces_the_recogniser_left_out_are_put_back(recognised, restored):
    assert restore_spaces(recognised) == restored


@pytest.mark.parametrize(
    "kept",
    [
        "Gurugram",
        "Buildcon",
        "Westin",
        "2BHK",
        "SCO10B",
        "3BHK+Study",
        "10:30",
        "2,150",
        "Rs. 3,05,25,000",
        "sales@godrejproperties.com",
        "www.aravalicrest.in",
        "HARERA/GGM/712",
        "apartments",
    ],
)
def test_names_codes_and_figures_are_never_cut(kept):
    assert restore_spaces(kept) == kept


def test_a_wide_gap_between_characters_is_a_space():
    # "costsheet" read with a gap after "cost" twice the usual step between characters
    steps = [10.0, 10.0, 10.0, 20.0, 10.0, 10.0, 10.0, 10.0]
    assert restore_spaces("costsheet", steps) == "cost sheet"
    assert restore_spaces("costsheet", [10.0] * 8) == "costsheet"  # no evidence: not a cut worth it


def image_only_pdf(path: Path) -> Path:
    """Page 1 a text layer (the cover); page 2 the price list as a picture only: the text is drawn
    by fpdf2, rendered to pixels by pdfium and placed as the page's only content."""
    drawn = FPDF()
    drawn.add_page()
    drawn.set_font("Helvetica", "B", 18)
    drawn.cell(0, 12, PRICE_PAGE[0], new_x="LMARGIN", new_y="NEXT")
    drawn.set_font("Helvetica", size=12)
    for line in PRICE_PAGE[1:]:
        drawn.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    picture = pdfium.PdfDocument(bytes(drawn.output()))[0].render(scale=2).to_pil().convert("L")

    brochure = FPDF()
    brochure.add_page()
    brochure.set_font("Helvetica", size=14)
    brochure.multi_cell(0, 10, "OCR HEIGHTS\nSector 77, Gurugram\nLuxury residences by Test Builders")
    brochure.add_page()
    brochure.image(picture, x=0, y=0, w=brochure.w, h=brochure.h)
    brochure.output(str(path))
    return path


@pytest.fixture(scope="module")
def brochure(tmp_path_factory) -> Path:
    return image_only_pdf(tmp_path_factory.mktemp("ocr") / SOURCE)


def test_the_price_page_has_no_text_layer_and_is_read_by_ocr(brochure):
    cover, prices = read_document(brochure).pages
    assert not cover.ocr and not cover.image_only
    assert prices.ocr and not prices.image_only
    assert "Basic Sale Price" in prices.text
    assert "18,500 per sq.ft." in prices.text
    assert "Car parking charges" in prices.text


def test_an_ocr_page_is_ingested_marked_and_answered_with_its_citation(runner, brochure):
    name = f"Ocr Heights {uuid.uuid4().hex[:8]}"

    result = runner.invoke(main, ["ingest", str(brochure), "--project", name])

    assert result.exit_code == 0, result.output
    assert "read by OCR (no text layer): pages 2" in result.output
    project = db.session.scalar(select(Project).where(Project.name == name))
    document = db.session.scalar(select(Document).where(Document.project_id == project.id))
    assert document.ocr_pages == [2] and document.image_only_pages == []
    page_two = " ".join(
        db.session.scalars(select(Chunk.text).where(Chunk.document_id == document.id, Chunk.page == 2))
    )
    assert "Basic Sale Price" in page_two

    asked = runner.invoke(main, ["ask", "What is the basic sale price?", "--project", name, "--json"])

    assert asked.exit_code == 0, asked.output
    answer = json.loads(asked.stdout)
    assert answer["answered"] is True, answer
    assert "18,500" in answer["answer"]
    assert {"document": SOURCE, "page": 2} in answer["citations"]
    assert answer["answer"].endswith("(p.2 read from a scanned page)")  # check it against the brochure
