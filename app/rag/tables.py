"""Tables of a brochure page: HTML tables parsed into rows, what each table holds, and the
table written as text lines for search and citation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from app.rag.cleanup import clean_one_line, clean_text

CAPTION_MAX = 80  # a longer line above a table is text, not the table's caption

_TABLE_TAG_RE = re.compile(r"<(/?)table\b[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedTable:
    """One table of a page, as cell text, with what it holds."""

    rows: list[list[str]]  # cell text, whitespace-normalised; rows[0] is the header if has_header
    caption: str  # nearest short line above the table on the page, or ""
    kind: str  # "payment_plan" | "price_list" | "unit_areas" | "specifications" | "other"
    has_header: bool = False  # rows[0] came from <th> cells (or looked like a header in a PDF)


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
            text = clean_one_line("".join(self._cell))
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


def make_table(rows: list[list[str]], caption: str, header: bool) -> ParsedTable | None:
    """A classified table from cell rows (``header``: rows[0] holds column labels).

    Rows are squared up to the widest and empty rows dropped; None when no cell has text.
    """
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
    return make_table(_grid([cells for _, cells in parser.rows]), caption, header)


def _caption(before: str) -> str:
    lines = [line for line in clean_text(before).split("\n") if line]
    return lines[-1] if lines and len(lines[-1]) <= CAPTION_MAX else ""


def split_tables(text: str) -> list[str | ParsedTable]:
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
    for segment in split_tables(text):
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
