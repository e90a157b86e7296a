"""Read brochure sources (page-level OCR JSONL or PDF) into cleaned pages with parsed tables.

Pure Python: no database, no Flask. Cleaning removes markup, image placeholders and OCR
repetitions and normalises whitespace; it never rewrites a figure (digits, commas, ₹, %).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfplumber.page import Page as PdfPage
from pdfplumber.table import Table


class IngestError(Exception):
    """A source file cannot be read; ``str()`` names the file, the line or page, and the problem."""

    def __init__(self, path: str | Path, location: str | None, message: str) -> None:
        self.path = Path(path)
        self.location = location
        self.message = message
        where = f"{self.path.name} {location}" if location else self.path.name
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class ParsedTable:
    """One table of a page, as cell text, with what it holds."""

    rows: list[list[str]]  # cell text, whitespace-normalised; rows[0] is the header if has_header
    caption: str  # nearest short line above the table on the page, or ""
    kind: str  # "payment_plan" | "price_list" | "unit_areas" | "specifications" | "other"
    has_header: bool = False  # rows[0] came from <th> cells (or looked like a header in a PDF)


@dataclass
class Page:
    """One source page: cleaned text (tables linearised in place) and its tables."""

    number: int  # 1-based page number from the source
    text: str  # cleaned text; each table replaced in place by table_as_text(table)
    tables: list[ParsedTable]
    image_only: bool  # no usable text (fewer than MIN_ALPHA_CHARS letters)


@dataclass
class SourceDocument:
    """One brochure file read into pages."""

    source: str  # citation name, e.g. "Godrej_SORA.pdf"
    pages: list[Page]  # sorted by number, unique numbers


MIN_ALPHA_CHARS = 20
_MAX_REPEAT_BLOCK = 10  # longest line block we look for when collapsing OCR loops
_CAPTION_MAX = 80

_PLACEHOLDER_RE = re.compile(
    r"<!--.*?-->|!\[[^\]]*\]\([^)]*\)|<img\b[^>]*>"
    r"|\[(?:image|img|figure|picture|photo|logo)\b[^\]\n]*\]",
    re.IGNORECASE | re.DOTALL,
)
_BREAK_TAG_RE = re.compile(r"<br\s*/?>|</?(?:p|div|li|ul|ol|h[1-6]|tr)\b[^>]*>", re.IGNORECASE)
_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_TABLE_TAG_RE = re.compile(r"<(/?)table\b[^>]*>", re.IGNORECASE)
_FIGURE_RE = re.compile(r"[\d.,%\s]+")
_SPACE_RE = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


# --------------------------------------------------------------------------- cleaning


def clean_text(raw: str) -> str:
    """Return ``raw`` without markup, image placeholders or OCR repetitions.

    Line breaks between lines are kept (runs of blank lines become one), spaces inside a
    line are collapsed, and a line repeated consecutively, or a short block of lines
    repeated three or more times in a row, is kept once. Figures are never changed.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\u200b", "")
    text = _PLACEHOLDER_RE.sub("", text)
    text = _BREAK_TAG_RE.sub("\n", text)
    text = _TAG_RE.sub("", text)
    text = unescape(text).replace("**", "").replace("__", "")
    lines = [_SPACE_RE.sub(" ", line).strip() for line in text.split("\n")]
    lines = [re.sub(r"^#{1,6} ", "", line) for line in lines]
    out: list[str] = []
    for line in _collapse_repeats(lines):
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def _collapse_repeats(lines: list[str]) -> list[str]:
    """Keep once a line repeated consecutively or a line block repeated 3+ times in a row."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        loop = _repeat_end(lines, i) if lines[i] else None
        if loop is None:
            out.append(lines[i])
            i += 1
        else:
            size, end = loop
            out.extend(lines[i : i + size])
            i = end
    return out


def _repeat_end(lines: list[str], i: int) -> tuple[int, int] | None:
    """Return (block size, index after the repeats) when an OCR loop starts at ``i``."""
    for size in range(1, _MAX_REPEAT_BLOCK + 1):
        block = lines[i : i + size]
        if len(block) < size:
            return None
        reps = 1
        while lines[i + reps * size : i + (reps + 1) * size] == block:
            reps += 1
        if reps >= (2 if size == 1 else 3):
            j = i + reps * size
            k = 0  # the loop often stops part-way through the block, cut off mid-line
            while j < len(lines) and k < size and lines[j] == block[k]:
                j, k = j + 1, k + 1
            if j < len(lines) and k < size and lines[j] and block[k].startswith(lines[j]):
                j += 1
            return size, j
    return None


# --------------------------------------------------------------------------- tables


class _TableParser(HTMLParser):
    """Collect the cells of one <table> (th/td, colspan/rowspan); nested markup becomes text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[tuple[bool, list[tuple[str, int, int]]]] = []  # (all th, cells)
        self._row: list[tuple[str, int, int]] | None = None
        self._row_th = True
        self._cell: list[str] | None = None
        self._spans = (1, 1)
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._depth += 1
        if self._depth > 1 or tag == "br":  # a nested table is flattened into its cell
            self.handle_data("; " if tag in ("br", "td", "th", "tr") else " ")
        elif tag == "tr":
            self._end_row()
            self._row, self._row_th = [], True
        elif tag in ("td", "th"):
            self._end_cell()
            if self._row is None:
                self._row, self._row_th = [], True
            self._row_th = self._row_th and tag == "th"
            found = dict(attrs)
            self._spans = (_span(found.get("colspan")), _span(found.get("rowspan")))
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._depth -= 1
            if self._depth <= 0:
                self._end_row()
        elif self._depth > 1:
            return
        elif tag in ("td", "th"):
            self._end_cell()
        elif tag == "tr":
            self._end_row()

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif data.strip():  # stray text inside the table: keep it as a cell of its own
            self.handle_starttag("td", [])
            self._cell = [data]
            self._end_cell()

    def close(self) -> None:
        """Finish parsing; a row left open by truncated markup is kept."""
        super().close()
        self._end_row()

    def _end_cell(self) -> None:
        if self._cell is not None and self._row is not None:
            text = _SPACE_RE.sub(" ", clean_text("".join(self._cell)).replace("\n", " "))
            self._row.append((text.strip(" ;"), *self._spans))
        self._cell = None

    def _end_row(self) -> None:
        self._end_cell()
        if self._row:
            self.rows.append((self._row_th, self._row))
        self._row = None


def _span(value: str | None) -> int:
    return min(int(value), 50) if value and value.strip().isdigit() and int(value) > 0 else 1


def _grid(spec: list[list[tuple[str, int, int]]]) -> list[list[str]]:
    """Lay cells out on a grid: rowspan repeats the text below, colspan pads with ""."""
    grid: list[list[str]] = []
    carried: dict[int, tuple[str, int]] = {}
    for cells in spec:
        row: list[str] = []
        queue = list(cells)
        while queue or any(col >= len(row) for col in carried):
            col = len(row)
            if col in carried:
                text, left = carried.pop(col)
                if left > 1:
                    carried[col] = (text, left - 1)
                row.append(text)
                continue
            if not queue:
                row.append("")
                continue
            text, colspan, rowspan = queue.pop(0)
            if rowspan > 1:
                carried[col] = (text, rowspan - 1)
            row.extend([text] + [""] * (colspan - 1))
        grid.append(row)
    return grid


def _make_table(rows: list[list[str]], caption: str, header: bool) -> ParsedTable | None:
    """Square the rows up, drop empty ones, classify; None when no cell has text."""
    width = max((len(row) for row in rows), default=0)
    kept = [(i, row + [""] * (width - len(row))) for i, row in enumerate(rows) if any(row)]
    if not kept:
        return None
    table_rows = [row for _, row in kept]
    has_header = header and kept[0][0] == 0  # an all-blank header row was dropped
    return ParsedTable(table_rows, caption, classify_table(table_rows, caption), has_header)


def _html_table(markup: str, caption: str) -> ParsedTable | None:
    parser = _TableParser()
    parser.feed(markup)
    parser.close()
    header = bool(parser.rows) and parser.rows[0][0]  # the first row is all <th> cells
    return _make_table(_grid([cells for _, cells in parser.rows]), caption, header)


def _caption(before: str) -> str:
    lines = [line for line in clean_text(before).split("\n") if line]
    return lines[-1] if lines and len(lines[-1]) <= _CAPTION_MAX else ""


def _split_tables(text: str) -> list[str | ParsedTable]:
    """Split page text into plain-text segments and the tables between them."""
    segments: list[str | ParsedTable] = []
    depth, start, pos = 0, 0, 0
    spans: list[tuple[int, int]] = []
    for match in _TABLE_TAG_RE.finditer(text):
        if not match.group(1):
            if depth == 0:
                start = match.start()
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                spans.append((start, match.end()))
    if depth:  # an unclosed table runs to the end of the page
        spans.append((start, len(text)))
    for start, end in spans:
        segments.append(text[pos:start])
        table = _html_table(text[start:end], _caption(text[pos:start]))
        if table is not None:
            segments.append(table)
        pos = end
    segments.append(text[pos:])
    return segments


def parse_html_tables(text: str) -> tuple[str, list[ParsedTable]]:
    """Replace each ``<table>…</table>`` in ``text`` by its linearised rows.

    Returns the text (other text untouched) and the parsed tables in page order.
    """
    parts: list[str] = []
    tables: list[ParsedTable] = []
    for segment in _split_tables(text):
        if isinstance(segment, ParsedTable):
            tables.append(segment)
            parts.append(f"\n{table_as_text(segment)}\n")
        else:
            parts.append(segment)
    return "".join(parts), tables


def table_as_text(table: ParsedTable) -> str:
    """One line per row, cells joined by " | ", each value prefixed "Header: " under a header.

    Every cell's text appears verbatim; a header over a column that is empty in every row
    is printed on its own (it is usually the row label, e.g. the unit type).
    """
    rows = [row for row in table.rows if any(row)]
    if not (table.has_header and len(rows) > 1):
        return "\n".join(" | ".join(cell for cell in row if cell) for row in rows)
    header, body = rows[0], rows[1:]
    filled = {i for row in body for i, cell in enumerate(row) if cell}
    lines = []
    for row in body:
        parts = []
        for i, cell in enumerate(row):
            label = header[i] if i < len(header) else ""
            if cell:
                parts.append(f"{label}: {cell}" if label else cell)
            elif label and i not in filled:
                parts.append(label)
        lines.append(" | ".join(parts))
    return "\n".join(lines)


_PAYMENT_HEAD_RE = re.compile(
    r"payment plan|payment schedule|linked plan|\bclp\b|\bplp\b|instal+ment|milestone", re.I
)
_MILESTONE_RE = re.compile(
    r"booking|allotment|possession|completion|foundation|slab|within \d+ days|registry"
    r"|\beoi\b|\boc\b|occupation|application",
    re.I,
)
_PRICE_HEAD_RE = re.compile(r"price|\brate\b|\bbsp\b|\bplc\b|cost|₹|per sq", re.I)
_AREA_RE = re.compile(
    r"carpet|saleable|super (?:built|area)|built[- ]?up|rera exclusive|balcony area|unit area",
    re.I,
)
_SPEC_RE = re.compile(
    r"specification|flooring|emulsion|marble|vitrified|tiles|fittings|false ceiling|wardrobe"
    r"|granite|upvc|modular",
    re.I,
)


def classify_table(rows: list[list[str]], caption: str) -> str:
    """Name what a table holds from its caption, first row and cells."""
    head = " ".join([caption, *(rows[0] if rows else [])])
    body = " ".join([head, *(" ".join(row) for row in rows)])
    schedule_rows = sum(
        1
        for row in rows
        if any("%" in cell for cell in row) and any(_MILESTONE_RE.search(cell) for cell in row)
    )
    if _PAYMENT_HEAD_RE.search(head) or schedule_rows >= 2:
        return "payment_plan"
    if _PRICE_HEAD_RE.search(head):
        return "price_list"
    if _AREA_RE.search(body):
        return "unit_areas"
    if "specification" in head.lower() or len(_SPEC_RE.findall(body)) >= 3:
        return "specifications"
    return "other"


# --------------------------------------------------------------------------- pages


def _make_page(number: int, segments: list[str | ParsedTable]) -> Page:
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
    return Page(number=number, text=text, tables=tables, image_only=image_only)


def chunk_page(page: Page, max_chars: int = 900) -> list[str]:
    """Split one page's text into chunks of at most ``max_chars`` characters.

    Paragraphs are packed whole; a longer paragraph is split between lines, and only a
    single line longer than ``max_chars`` is split (between words where possible). No text
    is dropped and no chunk is empty.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    units: list[tuple[str, str]] = []  # (text, separator placed before it inside a chunk)
    for paragraph in re.split(r"\n\s*\n", page.text):
        lines = [line.strip() for line in paragraph.split("\n") if line.strip()]
        if not lines:
            continue
        if len("\n".join(lines)) <= max_chars:
            units.append(("\n".join(lines), "\n\n"))
            continue
        pieces = [piece for line in lines for piece in _split_line(line, max_chars)]
        units.extend((piece, "\n\n" if i == 0 else "\n") for i, piece in enumerate(pieces))
    chunks: list[str] = []
    current = ""
    for text, separator in units:
        if current and len(current) + len(separator) + len(text) <= max_chars:
            current += separator + text
        else:
            if current:
                chunks.append(current)
            current = text
    if current:
        chunks.append(current)
    return chunks


def _split_line(line: str, max_chars: int) -> list[str]:
    if len(line) <= max_chars:
        return [line]
    pieces: list[str] = []
    current = ""
    for word in line.split(" "):
        while len(word) > max_chars:  # no space to break at: cut the word itself
            if current:
                pieces.append(current)
                current = ""
            pieces.append(word[:max_chars])
            word = word[max_chars:]
        if current and len(current) + 1 + len(word) <= max_chars:
            current += " " + word
        else:
            if current:
                pieces.append(current)
            current = word
    if current:
        pieces.append(current)
    return pieces


# --------------------------------------------------------------------------- readers


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
    pages = [_make_page(n, _split_tables("\n\n".join(texts[n]))) for n in sorted(texts)]
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
    """Read a PDF's text layer and ruled tables with pdfplumber, one Page per PDF page.

    A damaged, encrypted or empty PDF raises IngestError naming the file; a page that
    fails to parse raises IngestError naming the page.
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
    return SourceDocument(source=path.name, pages=pages)


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
        table = _make_table(rows, caption if len(caption) <= _CAPTION_MAX else "", header)
        segments.append("\n".join(lines))
        lines, bottom = [], None
        if table is not None:
            segments.append(table)
    segments.append("\n".join(lines))
    return segments
