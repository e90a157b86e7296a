"""Read brochure sources (page-level OCR JSONL or PDF) into cleaned pages with parsed tables.

A PDF page with no text layer is read by OCR (``app.rag.ocr``) and marked ``ocr``.

Pure Python: no database, no Flask. A file that cannot be read raises ``IngestError`` naming the
file and the line or page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfplumber.page import Page as PdfPage
from pdfplumber.table import Table

from app.rag.cleanup import clean_text
from app.rag.ocr import ocr_pages
from app.rag.tables import CAPTION_MAX, ParsedTable, make_table, split_tables, table_as_text


class IngestError(Exception):
    """A source file cannot be read; ``str()`` names the file, the line or page, and the problem."""

    def __init__(self, path: str | Path, location: str | None, message: str) -> None:
        self.path = Path(path)
        self.location = location
        self.message = message
        where = f"{self.path.name} {location}" if location else self.path.name
        super().__init__(f"{where}: {message}")


@dataclass
class Page:
    """One source page: cleaned text (tables linearised in place) and its tables."""

    number: int  # 1-based page number from the source
    text: str  # cleaned text; each table replaced in place by table_as_text(table)
    tables: list[ParsedTable]
    image_only: bool  # no usable text (fewer than MIN_ALPHA_CHARS letters), even by OCR
    ocr: bool = False  # the text was read by OCR from the rendered page (it has no text layer)


@dataclass
class SourceDocument:
    """One brochure file read into pages."""

    source: str  # citation name, e.g. "Godrej_SORA.pdf"
    pages: list[Page]  # sorted by number, unique numbers


MIN_ALPHA_CHARS = 20
_FIGURE_RE = re.compile(r"[\d.,%\s]+")


def _make_page(number: int, segments: list[str | ParsedTable], ocr: bool = False) -> Page:
    """A page from its text segments and tables in page order, each table written as text."""
    parts: list[str] = []
    tables: list[ParsedTable] = []
    for segment in segments:
        if isinstance(segment, ParsedTable):
            tables.append(segment)
            parts.append(table_as_text(segment))
        else:
            parts.append(clean_text(segment))
    text = "\n\n".join(part for part in parts if part)
    image_only = sum(ch.isalpha() for ch in text) < MIN_ALPHA_CHARS
    return Page(number=number, text=text, tables=tables, image_only=image_only, ocr=ocr and not image_only)


def read_document(path: Path) -> SourceDocument:
    """Read a ``.jsonl`` (page-level OCR) or ``.pdf`` source; other types raise IngestError."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return read_jsonl(path)
    if suffix == ".pdf":
        return read_pdf(path)
    raise IngestError(path, None, f"unsupported file type '{suffix}'; use a .pdf or .jsonl file")


def read_jsonl(path: Path) -> SourceDocument:
    """Read OCR JSONL, one ``{"source", "page", "text"}`` object a line, into a document.

    Blank lines are skipped; a bad line raises IngestError naming its line number; text of
    a page number seen twice is appended to that page.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(path, None, f"cannot be read ({exc.strerror or exc})") from exc
    source: str | None = None
    texts: dict[int, list[str]] = {}
    for number, raw in enumerate(data.splitlines(), start=1):
        where = f"line {number}"
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise IngestError(path, where, "not UTF-8 text; save the file as UTF-8") from exc
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise IngestError(path, where, f"not valid JSON ({exc.msg})") from exc
        name, page, text = _check_record(path, where, record)
        if source is not None and name != source:
            raise IngestError(
                path, where, f'source "{name}" differs from "{source}"; use one file per brochure'
            )
        source = name
        texts.setdefault(page, []).append(text)
    if source is None:
        raise IngestError(path, None, "the file is empty; expected one JSON object per page")
    pages = [_make_page(n, split_tables("\n\n".join(texts[n]))) for n in sorted(texts)]
    return SourceDocument(source=source, pages=pages)


def _check_record(path: Path, where: str, record: object) -> tuple[str, int, str]:
    if not isinstance(record, dict):
        raise IngestError(path, where, 'expected a JSON object with "source", "page" and "text"')
    for field, kind in (("source", str), ("page", int), ("text", str)):
        if field not in record:
            raise IngestError(path, where, f'missing field "{field}"')
        value = record[field]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise IngestError(path, where, f'field "{field}" must be a {kind.__name__}')
    if not record["source"].strip():
        raise IngestError(path, where, 'field "source" is empty')
    if record["page"] < 1:
        raise IngestError(path, where, f'field "page" must be 1 or more (got {record["page"]})')
    return record["source"].strip(), record["page"], record["text"]


def read_pdf(path: Path) -> SourceDocument:
    """Read a PDF's text layer and ruled tables with pdfplumber, one Page per PDF page; a page
    without a text layer is read by OCR.

    A damaged, encrypted or empty PDF raises IngestError naming the file; a page that
    fails to parse or to OCR raises IngestError naming the page.
    """
    path = Path(path)
    if not path.is_file():
        raise IngestError(path, None, "file not found")
    try:
        pdf = pdfplumber.open(path)
    except Exception as exc:  # pdfminer raises many types for damaged or encrypted files
        raise IngestError(path, None, _pdf_problem(exc)) from exc
    with pdf:
        try:
            pdf_pages = list(pdf.pages)
        except Exception as exc:
            raise IngestError(path, None, _pdf_problem(exc)) from exc
        if not pdf_pages:
            raise IngestError(path, None, "the PDF has no pages")
        pages = []
        for pdf_page in pdf_pages:
            try:
                pages.append(_make_page(pdf_page.page_number, _pdf_segments(pdf_page)))
            except Exception as exc:
                where = f"page {pdf_page.page_number}"
                raise IngestError(path, where, f"cannot be read ({exc})") from exc
    return SourceDocument(source=path.name, pages=_with_ocr(path, pages))


def _with_ocr(path: Path, pages: list[Page]) -> list[Page]:
    """``pages`` with each one that has no text layer read again by OCR."""
    read: list[Page] = []
    for page in pages:
        if not page.image_only:
            read.append(page)
            continue
        try:
            text = ocr_pages(path, [page.number])[page.number]
        except Exception as exc:  # the renderer and the recogniser raise many types
            raise IngestError(path, f"page {page.number}", f"cannot be read by OCR ({exc})") from exc
        read.append(_make_page(page.number, [text], ocr=True) if text else page)
    return read


def _pdf_problem(exc: Exception) -> str:
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
    if isinstance(inner, PDFPasswordIncorrect | PDFEncryptionError):
        return "the PDF is password-protected; upload a copy without a password"
    return f"not a readable PDF ({inner or type(inner).__name__}); export it again and re-upload"


def _pdf_segments(pdf_page: PdfPage) -> list[str | ParsedTable]:
    """Text lines outside ruled tables, and the tables, in top-to-bottom order."""
    found = pdf_page.find_tables()
    outside = pdf_page
    for table in found:
        outside = outside.outside_bbox(table.bbox)
    items: list[tuple[float, dict | Table]] = [
        (line["top"], line) for line in outside.extract_text_lines(return_chars=False)
    ]
    items += [(table.bbox[1], table) for table in found]
    segments: list[str | ParsedTable] = []
    lines: list[str] = []
    bottom = None
    for _, item in sorted(items, key=lambda pair: pair[0]):
        if isinstance(item, dict):
            if bottom is not None and item["top"] - bottom > item["bottom"] - item["top"]:
                lines.append("")  # a gap taller than a line starts a new paragraph
            lines.append(item["text"])
            bottom = item["bottom"]
            continue
        rows = [[" ".join((cell or "").split()) for cell in row] for row in item.extract()]
        rows = [row for row in rows if any(row)]
        caption = next((line for line in reversed(lines) if line), "")
        # PDFs do not mark header cells: a first row of labels, all filled, is taken as one
        header = len(rows) >= 2 and all(rows[0]) and not any(_FIGURE_RE.fullmatch(c) for c in rows[0])
        table = make_table(rows, caption if len(caption) <= CAPTION_MAX else "", header)
        segments.append("\n".join(lines))
        lines, bottom = [], None
        if table is not None:
            segments.append(table)
    segments.append("\n".join(lines))
    return segments
