"""`investochat ingest` and `investochat facts` end to end on the real test database."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from fpdf import FPDF
from sqlalchemy import func, select

from app.cli import main
from app.extensions import db
from app.models import Chunk, Document, DocumentTable, Fact, Project

SOURCE = "Skyline_Grove_Brochure.pdf"
LONG_PARAGRAPH = (
    "The pgthreemark clubhouse wraps a landscaped courtyard with shaded seating, reading "
    "nooks and a children's play lawn that opens onto the central greens. "
)
PAGES = {
    1: "SKYLINE GROVE pgonemark\nSector 99, Dwarka Expressway, Gurugram\n"
    "Developer: Grove Test Builders\nHRERA Registration No. TEST-GGM-2030-0042",
    2: "PAYMENT PLAN pgtwomark\n<table>\n"
    "<tr><th>Milestone</th><th>Amount</th></tr>\n"
    "<tr><td>On booking</td><td>10% of BSP</td></tr>\n"
    "<tr><td>Within 90 days of booking</td><td>40% of BSP</td></tr>\n"
    "<tr><td>On offer of possession</td><td>50% of BSP</td></tr>\n"
    "</table>",
    # Several paragraphs longer than one chunk, so page 3 is split into more than one chunk.
    3: "\n\n".join(f"AMENITIES part {n}\n" + LONG_PARAGRAPH * 4 for n in range(1, 5)),
}
PAGE_MARKERS = {1: "pgonemark", 2: "pgtwomark", 3: "pgthreemark"}


def unique_name(label: str) -> str:
    return f"{label} {uuid.uuid4().hex[:8]}"


def write_jsonl(path: Path, pages: dict[int, str], source: str = SOURCE) -> Path:
    lines = [json.dumps({"source": source, "page": n, "text": text}) for n, text in pages.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def invoke(runner, *args: str):
    return runner.invoke(main, list(args))


def set_fact(runner, project: str, key: str, value: str, page: int) -> None:
    """Curate a fact with ``investochat facts set``, which must succeed."""
    result = invoke(runner, "facts", "set", project, key, value, "--page", str(page))
    assert result.exit_code == 0, result.output


def find_project(name: str) -> Project | None:
    return db.session.scalar(select(Project).where(Project.name == name))


def row_counts(name: str) -> dict[str, int]:
    """Rows each catalog table holds for project ``name`` (all zero when it does not exist)."""
    project = find_project(name)
    counts = {"projects": int(project is not None)}
    for model in (Document, Chunk, DocumentTable, Fact):
        counts[model.__tablename__] = (
            db.session.scalar(select(func.count()).select_from(model).where(model.project_id == project.id))
            if project
            else 0
        )
    return counts


def chunks_of(name: str) -> list[Chunk]:
    project = find_project(name)
    return list(db.session.scalars(select(Chunk).where(Chunk.project_id == project.id)))


def make_pdf(path: Path) -> Path:
    """A one-page brochure with a text layer and a ruled table, drawn by fpdf2."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, "SKYLINE GROVE PRICE LIST\nBasic sale price applies to the super area.")
    pdf.ln(4)
    with pdf.table() as table:
        for cells in (
            ("Unit type", "Carpet area", "Price"),
            ("3 BHK", "1,650 sq ft", "Rs. 3,05,25,000"),
            ("4 BHK", "2,250 sq ft", "Rs. 4,16,25,000"),
        ):
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.ln(4)
    pdf.multi_cell(0, 8, "Prices exclude GST and stamp duty.")
    pdf.output(str(path))
    return path


# --------------------------------------------------------------------------- JSONL


def test_ingest_jsonl_writes_documents_chunks_tables_and_facts(runner, tmp_path):
    name = unique_name("Skyline Grove")
    path = write_jsonl(tmp_path / "skyline.jsonl", PAGES)

    result = invoke(runner, "ingest", str(path), "--project", name)

    assert result.exit_code == 0, result.output
    assert f"{SOURCE}: added — 3 pages" in result.output
    counts = row_counts(name)
    assert counts["documents"] == 1
    assert counts["chunks"] >= 4  # page 3 alone is longer than one chunk
    assert counts["document_tables"] == 1
    assert counts["facts"] >= 1
    document = db.session.scalar(select(Document).where(Document.project_id == find_project(name).id))
    assert (document.source, document.page_count) == (SOURCE, 3)


def test_chunks_never_cross_pages(runner, tmp_path):
    name = unique_name("Skyline Grove")
    path = write_jsonl(tmp_path / "skyline.jsonl", PAGES)
    assert invoke(runner, "ingest", str(path), "--project", name).exit_code == 0

    chunks = chunks_of(name)
    assert {chunk.page for chunk in chunks} == set(PAGES)
    for chunk in chunks:
        markers = {page for page, marker in PAGE_MARKERS.items() if marker in chunk.text}
        assert markers <= {chunk.page}, f"chunk of page {chunk.page} holds text of pages {markers}"
    page_three = [chunk for chunk in chunks if chunk.page == 3]
    assert len(page_three) > 1
    assert sorted(chunk.ordinal for chunk in page_three) == list(range(len(page_three)))
    # Splitting drops no text: every paragraph heading of page 3 is in one of its chunks.
    for n in range(1, 5):
        assert any(f"AMENITIES part {n}" in chunk.text for chunk in page_three)


def test_html_table_becomes_a_document_table(runner, tmp_path):
    name = unique_name("Skyline Grove")
    path = write_jsonl(tmp_path / "skyline.jsonl", PAGES)
    assert invoke(runner, "ingest", str(path), "--project", name).exit_code == 0

    [table] = db.session.scalars(
        select(DocumentTable).where(DocumentTable.project_id == find_project(name).id)
    )
    assert table.page == 2
    assert table.kind == "payment_plan"
    assert table.rows == [
        ["Milestone", "Amount"],
        ["On booking", "10% of BSP"],
        ["Within 90 days of booking", "40% of BSP"],
        ["On offer of possession", "50% of BSP"],
    ]
    page_two = " ".join(chunk.text for chunk in chunks_of(name) if chunk.page == 2)
    assert "<table>" not in page_two and "<td>" not in page_two
    assert "On booking" in page_two and "10% of BSP" in page_two


def test_reingesting_the_same_file_changes_nothing(runner, tmp_path):
    name = unique_name("Skyline Grove")
    path = write_jsonl(tmp_path / "skyline.jsonl", PAGES)
    assert invoke(runner, "ingest", str(path), "--project", name).exit_code == 0
    before = row_counts(name)
    chunk_ids = {chunk.id for chunk in chunks_of(name)}

    result = invoke(runner, "ingest", str(path), "--project", name)

    assert result.exit_code == 0, result.output
    assert f"{SOURCE}: unchanged" in result.output
    assert row_counts(name) == before
    assert {chunk.id for chunk in chunks_of(name)} == chunk_ids


def test_an_edited_file_replaces_the_previous_version(runner, tmp_path):
    name = unique_name("Skyline Grove")
    path = write_jsonl(tmp_path / "skyline.jsonl", PAGES)
    assert invoke(runner, "ingest", str(path), "--project", name).exit_code == 0
    old_chunk_ids = {chunk.id for chunk in chunks_of(name)}

    edited = {**PAGES, 2: "PAYMENT PLAN pgtwomark\nRevised: 20% on booking, 80% on possession."}
    write_jsonl(path, edited)
    result = invoke(runner, "ingest", str(path), "--project", name)

    assert result.exit_code == 0, result.output
    assert f"{SOURCE}: replaced" in result.output
    counts = row_counts(name)
    assert counts["documents"] == 1
    assert counts["document_tables"] == 0  # the table was removed in the new version
    chunks = chunks_of(name)
    assert not old_chunk_ids & {chunk.id for chunk in chunks}
    assert db.session.scalar(select(func.count()).where(Chunk.id.in_(old_chunk_ids))) == 0
    page_two = " ".join(chunk.text for chunk in chunks if chunk.page == 2)
    assert "Revised: 20% on booking" in page_two
    assert "10% of BSP" not in page_two


def test_a_directory_argument_ingests_the_files_inside(runner, tmp_path):
    name = unique_name("Skyline Grove")
    folder = tmp_path / "brochures"
    (folder / "nested").mkdir(parents=True)
    write_jsonl(folder / "main.jsonl", PAGES)
    write_jsonl(folder / "nested" / "floor_plans.jsonl", {1: PAGES[1]}, source="Floor_Plans.pdf")
    (folder / "notes.txt").write_text("not a brochure", encoding="utf-8")

    result = invoke(runner, "ingest", str(folder), "--project", name)

    assert result.exit_code == 0, result.output
    sources = db.session.scalars(select(Document.source).where(Document.project_id == find_project(name).id))
    assert sorted(sources) == ["Floor_Plans.pdf", SOURCE]


# --------------------------------------------------------------------------- PDF


def test_ingest_pdf_stores_its_text_and_table(runner, tmp_path):
    name = unique_name("Skyline Grove")
    path = make_pdf(tmp_path / "Skyline_Grove_Prices.pdf")

    result = invoke(runner, "ingest", str(path), "--project", name)

    assert result.exit_code == 0, result.output
    assert "Skyline_Grove_Prices.pdf: added — 1 pages" in result.output
    text = "\n".join(chunk.text for chunk in chunks_of(name))
    assert "SKYLINE GROVE PRICE LIST" in text
    assert "Prices exclude GST and stamp duty." in text
    assert "Rs. 3,05,25,000" in text
    [table] = db.session.scalars(
        select(DocumentTable).where(DocumentTable.project_id == find_project(name).id)
    )
    assert table.page == 1
    assert table.rows[0] == ["Unit type", "Carpet area", "Price"]
    assert ["3 BHK", "1,650 sq ft", "Rs. 3,05,25,000"] in table.rows


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("file_name", "content", "expected"),
    [
        ("broken.pdf", b"%PDF-1.4\nthis is not really a pdf\n", r"broken\.pdf: not a readable PDF"),
        ("random.pdf", b"\x00\x01\x02garbage" * 20, r"random\.pdf: not a readable PDF"),
        ("empty.jsonl", b"", r"empty\.jsonl: the file is empty"),
        ("blank.pdf", b"  \n\n", r"blank\.pdf: the file is empty"),
        ("notes.txt", b"some notes", r"notes\.txt: unsupported file type"),
    ],
)
def test_an_unreadable_file_fails_and_writes_nothing(runner, tmp_path, file_name, content, expected):
    name = unique_name("Broken Brochure")
    path = tmp_path / file_name
    path.write_bytes(content)

    result = invoke(runner, "ingest", str(path), "--project", name)

    assert result.exit_code != 0
    assert re.search(expected, result.output), result.output
    assert row_counts(name) == {
        "projects": 0,
        "documents": 0,
        "chunks": 0,
        "document_tables": 0,
        "facts": 0,
    }


def test_a_bad_jsonl_line_is_named_and_nothing_is_written(runner, tmp_path):
    name = unique_name("Broken Brochure")
    path = write_jsonl(tmp_path / "skyline.jsonl", {1: PAGES[1], 2: PAGES[2]})
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"source": "Skyline_Grove_Brochure.pdf", "page": 3, "text": \n')

    result = invoke(runner, "ingest", str(path), "--project", name)

    assert result.exit_code != 0
    assert "skyline.jsonl line 3" in result.output
    assert "not valid JSON" in result.output
    assert find_project(name) is None


def test_a_bad_second_file_means_nothing_from_the_first_is_written(runner, tmp_path):
    name = unique_name("Broken Brochure")
    good = write_jsonl(tmp_path / "a_good.jsonl", PAGES)
    bad = tmp_path / "b_bad.jsonl"
    bad.write_text('{"source": "Other.pdf", "page": 0, "text": "x"}\n', encoding="utf-8")

    result = invoke(runner, "ingest", str(good), str(bad), "--project", name)

    assert result.exit_code != 0
    assert "b_bad.jsonl line 1" in result.output
    assert find_project(name) is None
    assert (
        db.session.scalar(
            select(func.count())
            .where(Document.source == SOURCE)
            .where(Document.project_id.in_(select(Project.id).where(Project.name == name)))
        )
        == 0
    )


def test_a_missing_path_is_named(runner, tmp_path):
    name = unique_name("Broken Brochure")
    result = invoke(runner, "ingest", str(tmp_path / "nowhere.jsonl"), "--project", name)
    assert result.exit_code != 0
    assert "nowhere.jsonl: no such file or directory" in result.output
    assert find_project(name) is None


def test_missing_project_option_is_a_usage_error(runner, tmp_path):
    path = write_jsonl(tmp_path / "skyline.jsonl", PAGES)
    result = invoke(runner, "ingest", str(path))
    assert result.exit_code == 2
    assert "Missing option '--project'" in result.output


def test_a_blank_project_name_is_refused(runner, tmp_path):
    path = write_jsonl(tmp_path / "skyline.jsonl", PAGES)
    result = invoke(runner, "ingest", str(path), "--project", "   ")
    assert result.exit_code != 0
    assert "project name is required" in result.output
    assert db.session.scalar(select(func.count()).select_from(Project).where(Project.name == "")) == 0


# --------------------------------------------------------------------------- curated facts


@pytest.fixture
def ingested(runner, tmp_path) -> tuple[str, Path]:
    name = unique_name("Skyline Grove")
    path = write_jsonl(tmp_path / "skyline.jsonl", PAGES)
    assert invoke(runner, "ingest", str(path), "--project", name).exit_code == 0
    return name, path


def test_a_curated_fact_is_listed_and_answers_the_question(runner, ingested):
    name, _ = ingested
    set_fact(runner, name, "rera_number", "RC/REP/HARERA/GGM/777", page=1)

    listing = invoke(runner, "facts", "list", name)
    assert listing.exit_code == 0, listing.output
    rera_lines = [
        line.split("\t") for line in listing.output.splitlines() if line.startswith("rera_number\t")
    ]
    assert ["rera_number", "RC/REP/HARERA/GGM/777", "curated", f"{SOURCE} p.1"] in rera_lines
    assert ["rera_number", "TEST-GGM-2030-0042", "extracted", f"{SOURCE} p.1"] in rera_lines

    asked = invoke(runner, "ask", "What is the RERA number?", "--project", name, "--json")
    assert asked.exit_code == 0, asked.output
    answer = json.loads(asked.stdout)
    assert answer["route"] == "facts"
    assert answer["answered"] is True
    assert "RC/REP/HARERA/GGM/777" in answer["answer"]
    assert "TEST-GGM-2030-0042" not in answer["answer"]
    assert answer["citations"] == [{"document": SOURCE, "page": 1}]


def test_setting_a_curated_fact_again_replaces_it(runner, ingested):
    name, _ = ingested
    set_fact(runner, name, "possession", "March 2031", page=1)
    set_fact(runner, name, "possession", "June 2031", page=1)
    curated = db.session.scalars(
        select(Fact.value).where(
            Fact.project_id == find_project(name).id,
            Fact.key == "possession",
            Fact.origin == "curated",
        )
    ).all()
    assert curated == ["June 2031"]


def test_curated_facts_survive_a_brochure_update(runner, ingested):
    name, path = ingested
    set_fact(runner, name, "rera_number", "RC/REP/777", page=1)

    write_jsonl(path, {**PAGES, 2: "PAYMENT PLAN pgtwomark\nRevised: 20% on booking."})
    assert "replaced" in invoke(runner, "ingest", str(path), "--project", name).output

    listing = invoke(runner, "facts", "list", name).output
    assert f"rera_number\tRC/REP/777\tcurated\t{SOURCE} p.1" in listing.splitlines()
    answer = json.loads(invoke(runner, "ask", "What is the RERA number?", "--project", name, "--json").stdout)
    assert "RC/REP/777" in answer["answer"]
    assert answer["citations"] == [{"document": SOURCE, "page": 1}]


def test_a_curated_fact_keeps_its_value_when_its_page_is_gone(runner, ingested):
    name, path = ingested
    set_fact(runner, name, "club_size", "9,000 sq ft", page=3)

    write_jsonl(path, {1: PAGES[1], 2: PAGES[2]})
    assert "replaced — 2 pages" in invoke(runner, "ingest", str(path), "--project", name).output

    assert "club_size\t9,000 sq ft\tcurated\t-" in invoke(runner, "facts", "list", name).output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("RERA Number", "X-1"), "Invalid fact key 'RERA Number'"),
        (("rera_number", "X-1", "--page", "9"), "has 3 pages; page 9 does not exist"),
        (("rera_number", "X-1", "--page", "0"), "--page must be 1 or more"),
        (("rera_number", "   "), "non-empty value"),
        (
            ("rera_number", "X-1", "--page", "1", "--document", "Other.pdf"),
            "no document named 'Other.pdf'",
        ),
    ],
)
def test_an_invalid_curated_fact_is_refused_clearly(runner, ingested, args, message):
    name, _ = ingested
    result = invoke(runner, "facts", "set", name, *args)
    assert result.exit_code != 0
    assert message in result.output
    curated = db.session.scalar(
        select(func.count())
        .select_from(Fact)
        .where(Fact.project_id == find_project(name).id, Fact.origin == "curated")
    )
    assert curated == 0


def test_facts_for_an_unknown_project_name_the_known_ones(runner, ingested):
    name, _ = ingested
    result = invoke(runner, "facts", "set", "No Such Project 1f3a", "rera_number", "X-1")
    assert result.exit_code != 0
    assert "Unknown project 'No Such Project 1f3a'" in result.output
    assert name in result.output


def test_facts_are_read_again_when_the_extractor_changed(app_ctx, tmp_path):
    """A deploy that improves fact extraction refreshes the facts of files already ingested (the
    chunks, tables and curated facts stay), and a second ingest is again 'unchanged'."""
    from sqlalchemy import func, select, update

    from app.commands.catalog import ingest_files
    from app.extensions import db
    from app.models import Chunk, Document, Fact
    from app.rag.ingest import DOCUMENT_VERSION, READ_VERSION
    from tests.test_retrieval import write_jsonl

    pages = {1: "MAPLE ROW\nSector 993, Gurugram", 2: "Possession: December 2030"}
    path = write_jsonl(tmp_path / "maple.jsonl", pages, source="Maple_Row.pdf")
    name = f"Maple Row {uuid.uuid4().hex[:6]}"
    (first,) = ingest_files(name, [str(path)], progress=False)
    document = db.session.scalar(
        select(Document).where(Document.source == "Maple_Row.pdf").order_by(Document.id.desc())
    )
    assert first.status == "added" and document.facts_version == DOCUMENT_VERSION
    chunks = db.session.scalar(select(func.count(Chunk.id)).where(Chunk.document_id == document.id))
    db.session.execute(
        update(Document).where(Document.id == document.id).values(facts_version=f"{READ_VERSION}older")
    )
    db.session.execute(update(Fact).where(Fact.document_id == document.id).values(value="stale"))
    db.session.commit()

    (second,) = ingest_files(name, [str(path)], progress=False)
    db.session.expire_all()
    assert second.status == "facts refreshed" and second.facts >= 1
    values = db.session.scalars(select(Fact.value).where(Fact.document_id == document.id)).all()
    assert "December 2030" in values and "stale" not in values
    assert db.session.scalar(select(func.count(Chunk.id)).where(Chunk.document_id == document.id)) == chunks
    (third,) = ingest_files(name, [str(path)], progress=False)
    assert third.status == "unchanged"


def test_a_file_is_read_again_whole_when_the_reader_changed(app_ctx, tmp_path):
    """A deploy that improves how text is read (OCR mending, chunking) re-reads files already
    ingested: new chunks replace the old ones, the curated facts stay."""
    from sqlalchemy import select, update

    from app.commands.catalog import ingest_files
    from app.extensions import db
    from app.models import Chunk, Document, Fact
    from app.rag.ingest import DOCUMENT_VERSION
    from tests.test_retrieval import write_jsonl

    pages = {1: "LARCH GATE\nSector 992, Gurugram", 2: "P0SSESSION: March 2031"}
    path = write_jsonl(tmp_path / "larch.jsonl", pages, source="Larch_Gate.pdf")
    name = f"Larch Gate {uuid.uuid4().hex[:6]}"
    ingest_files(name, [str(path)], progress=False)
    latest = select(Document).where(Document.source == "Larch_Gate.pdf").order_by(Document.id.desc())
    first = db.session.scalar(latest)
    curated = Fact(
        project_id=first.project_id,
        document_id=first.id,
        key="possession",
        value="Q1 2031",
        page=2,
        origin="curated",
    )
    db.session.add(curated)
    db.session.execute(update(Chunk).where(Chunk.document_id == first.id).values(text="stale"))
    db.session.execute(update(Document).where(Document.id == first.id).values(facts_version="olderreadr"))
    db.session.commit()

    (again,) = ingest_files(name, [str(path)], progress=False)
    db.session.expire_all()
    assert again.status == "text refreshed", again
    second = db.session.scalar(latest)
    assert second.facts_version == DOCUMENT_VERSION
    texts = db.session.scalars(select(Chunk.text).where(Chunk.document_id == second.id)).all()
    assert "POSSESSION: March 2031" in "\n".join(texts) and "stale" not in texts
    assert db.session.scalar(select(Document).where(Document.id == first.id)) is None
    kept = db.session.scalar(select(Fact).where(Fact.origin == "curated", Fact.value == "Q1 2031"))
    assert kept is not None and kept.document_id == second.id  # the team's fact follows the new read
