"""Reading brochure sources into pages: the real OCR corpus, synthetic strings, generated PDFs."""

import json
import re
from functools import cache

import pytest
from fpdf import FPDF
from pypdf import PdfWriter

from app.rag.chunking import chunk_page
from app.rag.cleanup import clean_text
from app.rag.readers import IngestError, Page, SourceDocument, read_document, read_jsonl, read_pdf
from app.rag.tables import ParsedTable, classify_table, parse_html_tables, table_as_text
from tests.shared_data import CORPUS_DIR, require

PAGE_COUNTS = {  # from the corpus README
    "Godrej_SORA.jsonl": 9,
    "TARC_Ishva.jsonl": 33,
    "The_Sanctuaries.jsonl": 41,
    "Trevoc_56.jsonl": 102,
    "Project_1.jsonl": 16,
    "Estate_360.jsonl": 1,
}


@cache
def _corpus(name: str) -> SourceDocument:
    return read_document(CORPUS_DIR / name)


def corpus_page(name: str, number: int) -> Page:
    require(CORPUS_DIR / name)
    return next(page for page in _corpus(name).pages if page.number == number)


def raw_text(name: str, number: int) -> str:
    lines = require(CORPUS_DIR / name).read_text(encoding="utf-8").splitlines()
    return "\n\n".join(r["text"] for r in map(json.loads, filter(None, lines)) if r["page"] == number)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --------------------------------------------------------------------------- real corpus


@pytest.mark.parametrize(("name", "count"), PAGE_COUNTS.items())
def test_corpus_files_read_with_readme_page_counts(name, count):
    doc = read_jsonl(require(CORPUS_DIR / name))
    assert doc.source == name.replace(".jsonl", ".pdf")
    assert [page.number for page in doc.pages] == list(range(1, count + 1))
    for page in doc.pages:
        assert "<table" not in page.text and "<td" not in page.text and "<!--" not in page.text


def test_godrej_unit_plan_table_keeps_carpet_figures():
    page = corpus_page("Godrej_SORA.jsonl", 7)
    [table] = page.tables
    assert table.kind == "unit_areas" and table.has_header
    assert "3BHK" in table.rows[0][0] and "CARPET" in table.rows[0][1]
    assert table.rows[1][1:] == ["144.14", "34.38"]
    assert table_as_text(table) in page.text
    assert "CARPET SQM.: 144.14" in page.text


def test_tarc_payment_plan_table_is_classified_and_keeps_inline_markup_text():
    page = corpus_page("TARC_Ishva.jsonl", 30)
    [table] = page.tables
    assert table.kind == "payment_plan"
    assert "CLP" in table.caption
    assert len(table.rows) == 10 and not table.has_header  # the blank <th> row is dropped
    assert all(row[1].startswith("10% of TSV") for row in table.rows)
    assert any("10th Floor" in row[0] for row in table.rows)  # 10<sup>th</sup> joined


def test_tarc_unit_area_page_keeps_areas_as_text():
    # p.33 carries its unit areas as label/figure lines, not <table> markup (see facts tests)
    page = corpus_page("TARC_Ishva.jsonl", 33)
    assert page.tables == []
    assert "200.34 sq.m." in page.text and "2,156.50 sq.ft." in page.text


def test_sanctuaries_price_list_and_payment_plan_on_one_page():
    page = corpus_page("The_Sanctuaries.jsonl", 31)
    assert [table.kind for table in page.tables] == ["price_list", "payment_plan"]
    assert page.tables[1].caption == "PAYMENT PLAN"
    assert [row[1] for row in page.tables[1].rows] == ["5%", "25%", "50%", "20%", "100%"]


def test_trevoc_plp_table_pairs_cells_with_the_header():
    page = corpus_page("Trevoc_56.jsonl", 102)
    [table] = page.tables
    assert table.kind == "payment_plan" and table.has_header and len(table.rows[0]) == 3
    header, row = table.rows[0], table.rows[3]
    assert f"{header[1]}: {row[1]} | {header[2]}: {row[2]}" in page.text
    assert table.rows[-1][-1] == "100%"  # colspan row padded, figure in the last column


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("Trevoc_56.jsonl", 21),
        ("Trevoc_56.jsonl", 44),
        ("Project_1.jsonl", 6),
        ("Project_1.jsonl", 11),
    ],
)
def test_repeated_ocr_lines_are_collapsed_without_losing_a_line(name, number):
    raw_lines = {line.strip() for line in raw_text(name, number).split("\n") if line.strip()}
    page = corpus_page(name, number)
    lines = [line for line in page.text.split("\n") if line]
    assert len(raw_text(name, number).split("\n")) > 100
    assert len(lines) < 60
    assert max(lines.count(line) for line in lines) <= 3  # raw pages repeat lines 100+ times
    for line in raw_lines:  # every distinct line survives (a cut-off repeat as its full line)
        assert any(kept.startswith(line) for kept in lines), line


def test_image_only_pages_are_flagged():
    assert corpus_page("Estate_360.jsonl", 1).image_only
    assert corpus_page("Trevoc_56.jsonl", 8).image_only  # a table holding only an <img>
    assert corpus_page("Trevoc_56.jsonl", 8).tables == []
    assert not corpus_page("Godrej_SORA.jsonl", 9).image_only


@pytest.mark.parametrize("max_chars", [120, 400, 900])
@pytest.mark.parametrize("name", PAGE_COUNTS)
def test_chunks_respect_the_limit_and_lose_no_text(name, max_chars):
    require(CORPUS_DIR / name)
    for page in _corpus(name).pages:
        chunks = chunk_page(page, max_chars)
        assert all(chunk.strip() and len(chunk) <= max_chars for chunk in chunks)
        assert squeeze("".join(chunks)) == squeeze(page.text)


# --------------------------------------------------------------------------- synthetic text


def test_clean_text_collapses_consecutive_and_looping_repeats():
    assert clean_text("LIFT\nLIFT\nLIFT\nLOBBY") == "LIFT\nLOBBY"
    loop = "ROOM A\nROOM B\n" * 40 + "ROOM A\nROO\nKITCHEN"
    assert clean_text(loop) == "ROOM A\nROOM B\nKITCHEN"
    twice = "BALCONY\n1800 WIDE\nBALCONY\n1800 WIDE"
    assert clean_text(twice) == twice  # a block seen twice is real content, not an OCR loop


def test_clean_text_drops_placeholders_and_markup_but_never_figures():
    raw = (
        "<!-- image -->\nPRICE  ₹ 1,25,00,000  onwards [image]\n\n\n\n"
        "![render](a.png)<img src='x.png'>**Carpet** 2,156.50 sq.ft. &amp; 10% of TSV\n"
        "10<sup>th</sup> Floor<br>Tower 2"
    )
    assert clean_text(raw) == (
        "PRICE ₹ 1,25,00,000 onwards\n\nCarpet 2,156.50 sq.ft. & 10% of TSV\n10th Floor\nTower 2"
    )


def test_parse_html_tables_handles_spans_and_nested_markup():
    text = (
        "Intro line\nPAYMENT PLAN\n<table><tr><th>Stage</th><th>Due</th><th>Note</th></tr>"
        "<tr><td rowspan='2'><b>Slab</b> casting</td><td>10%</td><td>a &amp; b</td></tr>"
        "<tr><td>15%</td><td>c</td></tr>"
        "<tr><td colspan='2'>Total</td><td>25%</td></tr></table>\nAfter"
    )
    replaced, [table] = parse_html_tables(text)
    assert table.caption == "PAYMENT PLAN" and table.has_header
    assert table.rows == [
        ["Stage", "Due", "Note"],
        ["Slab casting", "10%", "a & b"],
        ["Slab casting", "15%", "c"],
        ["Total", "", "25%"],
    ]
    assert replaced.startswith("Intro line\nPAYMENT PLAN\n") and replaced.endswith("\nAfter")
    assert "Stage: Slab casting | Due: 10% | Note: a & b" in replaced


def test_table_as_text_keeps_every_cell_verbatim():
    table = ParsedTable(
        [["4BHK (TYPE 1)", "CARPET SQM.", "EXCLUSIVE"], ["", "180.39", "47.28"]],
        "",
        "unit_areas",
        has_header=True,
    )
    assert table_as_text(table) == "4BHK (TYPE 1) | CARPET SQM.: 180.39 | EXCLUSIVE: 47.28"
    plain = ParsedTable([["EOI", "5%"], ["Registry", "₹ 1,20,000"]], "", "other")
    assert table_as_text(plain) == "EOI | 5%\nRegistry | ₹ 1,20,000"


@pytest.mark.parametrize(
    ("rows", "caption", "kind"),
    [
        ([["On booking", "10%"], ["On possession", "90%"]], "", "payment_plan"),
        (
            [["Milestone", "Amount"], ["Start", "Rs 5 Lakh"]],
            "Construction linked plan",
            "payment_plan",
        ),
        (
            [["Type", "Size", "Base price"], ["3BHK", "1,800", "₹ 3.2 Cr"]],
            "PRICE LIST",
            "price_list",
        ),
        ([["Unit", "Carpet area", "Balcony"], ["3BHK", "1,200 sq ft", "200"]], "", "unit_areas"),
        (
            [
                ["Living", "Italian marble flooring", "Plastic emulsion"],
                ["Kitchen", "Granite", "Tiles"],
            ],
            "",
            "specifications",
        ),
        ([["TOWER - A", "TOWER - B"], ["01", "01"]], "", "other"),
    ],
)
def test_classify_table(rows, caption, kind):
    assert classify_table(rows, caption) == kind


def test_chunk_page_splits_between_lines_and_only_cuts_overlong_lines():
    row = "Stage: On booking | Due: 10% of TSV | Note: cheque in favour of the developer"
    page = Page(1, "\n".join([row] * 6) + "\n\n" + "x" * 250, [], False)
    chunks = chunk_page(page, 100)
    assert all(len(chunk) <= 100 for chunk in chunks)
    assert sum(chunk.count(row) for chunk in chunks) == 6  # rows never split
    assert squeeze("".join(chunks)) == squeeze(page.text)
    assert chunk_page(Page(2, "", [], True)) == []


# --------------------------------------------------------------------------- JSONL errors


def write_lines(path, *lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_bad_jsonl_line_names_file_and_line(tmp_path):
    good = json.dumps({"source": "A.pdf", "page": 1, "text": "hello"})
    path = write_lines(tmp_path / "TARC.jsonl", good, "", '{"source": "A.pdf", "page": 2,')
    with pytest.raises(IngestError) as caught:
        read_jsonl(path)
    assert str(caught.value).startswith("TARC.jsonl line 3: not valid JSON (")


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"source": "A.pdf", "text": "x"}, 'missing field "page"'),
        ({"source": "A.pdf", "page": 0, "text": "x"}, "must be 1 or more"),
        ({"source": "A.pdf", "page": "2", "text": "x"}, 'field "page" must be a int'),
        ({"source": "B.pdf", "page": 2, "text": "x"}, 'source "B.pdf" differs'),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_invalid_records_name_their_line(tmp_path, record, message):
    first = json.dumps({"source": "A.pdf", "page": 1, "text": "x"})
    path = write_lines(tmp_path / "b.jsonl", first, json.dumps(record))
    with pytest.raises(IngestError, match=re.escape(message)) as caught:
        read_jsonl(path)
    assert str(caught.value).startswith("b.jsonl line 2: ")


def test_empty_jsonl_is_an_error(tmp_path):
    for content in ("", "\n  \n"):
        (tmp_path / "e.jsonl").write_text(content, encoding="utf-8")
        with pytest.raises(IngestError, match=r"^e\.jsonl: the file is empty"):
            read_jsonl(tmp_path / "e.jsonl")


def test_duplicate_page_numbers_are_appended_and_pages_sorted(tmp_path):
    lines = [
        json.dumps({"source": "A.pdf", "page": n, "text": t})
        for n, t in ((2, "second page text"), (1, "first part"), (1, "second part"))
    ]
    doc = read_jsonl(write_lines(tmp_path / "d.jsonl", *lines))
    assert [page.number for page in doc.pages] == [1, 2]
    assert doc.pages[0].text == "first part\n\nsecond part"


def test_unsupported_file_type(tmp_path):
    (tmp_path / "brochure.docx").write_bytes(b"PK")
    with pytest.raises(IngestError, match=r"^brochure\.docx: unsupported file type"):
        read_document(tmp_path / "brochure.docx")


# --------------------------------------------------------------------------- PDF


def test_pdf_text_and_table_are_read_back(tmp_path):
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.cell(text="Skyline Residences construction linked payment plan", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    rows = [
        ["Milestone", "Amount"],
        ["On booking", "10% of BSP"],
        ["On possession", "Rs. 12,50,000"],
    ]
    with pdf.table() as table:
        for cells in rows:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.ln(4)
    pdf.cell(text="Carpet area 1,850 sq ft for the 3BHK")
    pdf.add_page()  # blank page: a scan without a text layer looks the same
    path = tmp_path / "Skyline.pdf"
    pdf.output(str(path))

    doc = read_document(path)
    assert doc.source == "Skyline.pdf" and [page.number for page in doc.pages] == [1, 2]
    first, blank = doc.pages
    [table] = first.tables
    assert table.rows == rows and table.has_header and table.kind == "payment_plan"
    assert "payment plan" in table.caption
    assert first.text.index("payment plan") < first.text.index("Milestone: On booking")
    assert first.text.index("Amount: Rs. 12,50,000") < first.text.index("1,850 sq ft")
    assert not first.image_only and blank.image_only and blank.text == ""


def test_corrupt_pdf_names_the_file(tmp_path):
    path = tmp_path / "Broken.pdf"
    path.write_bytes(b"%PDF-1.4\nnot really a pdf")
    with pytest.raises(IngestError, match=r"^Broken\.pdf: not a readable PDF"):
        read_pdf(path)


def test_encrypted_pdf_asks_for_an_unprotected_copy(tmp_path):
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.cell(text="Confidential price list")
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.output(str(tmp_path / "Locked.pdf"))
    with pytest.raises(IngestError, match=r"^Locked\.pdf: .*password"):
        read_pdf(tmp_path / "Locked.pdf")


def test_pdf_without_pages_is_an_error(tmp_path):
    with open(tmp_path / "Empty.pdf", "wb") as handle:
        PdfWriter().write(handle)
    with pytest.raises(IngestError, match=r"^Empty\.pdf: the PDF has no pages"):
        read_pdf(tmp_path / "Empty.pdf")


def test_letters_ocr_read_as_digits_are_mended_and_figures_are_not():
    text = clean_text(
        "P0SSESSION: Sep 2030\nTOWER CUSHI0N | HIGHL1GHTS\nFloors G+45, T1, 32ND, A1B, 2,450 sq ft"
    )
    assert text.splitlines() == [
        "POSSESSION: Sep 2030",
        "TOWER CUSHION | HIGHLIGHTS",
        "Floors G+45, T1, 32ND, A1B, 2,450 sq ft",
    ]
    assert clean_text("MASTER BEDR00M 4500 x 3900, A100B") == "MASTER BEDROOM 4500 x 3900, A100B"
    assert clean_text("Plot SCO10B, Sector10A, Unit FLAT101C") == "Plot SCO10B, Sector10A, Unit FLAT101C"
