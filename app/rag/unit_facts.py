"""Facts about unit types: carpet, saleable and balcony areas per unit ("3BHK TYPE B"), from
area tables, inline phrasings and label/figure blocks, and the unit types a brochure lists."""

from __future__ import annotations

import re

from app.rag.fact_evidence import EVIDENCE_MAX, ExtractedFact, fact_at, fact_of_row, page_lines
from app.rag.readers import Page
from app.rag.tables import ParsedTable, table_as_text

_I = re.IGNORECASE
_MEASURE = (
    r"(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>sq\.?\s*m(?:trs?|eters?|etres?)?\b\.?"
    r"|sq\.?\s*ft\.?|sq\.?\s*feet|sqm\.?|sqft\.?|sft\b|sfs\b|square\s+(?:feet|met(?:er|re)s))"
)
_MEASURE_LINE = re.compile(rf"[•*–-]?\s*{_MEASURE}\s*(?:\(approx\.?\))?", _I)
_AREA_LABEL = (
    r"(?P<label>(?:rera\s+)?carpet\s+area|saleable\s+area|super(?:\s+built[- ]?up)?\s+area"
    r"|(?:total\s+)?balcony\s+areas?|deck\s+area|private\s+useable\s+area|built[- ]?up\s+area)"
)
_LABEL_LINE = re.compile(_AREA_LABEL, _I)
_AREA_INLINE = (
    re.compile(rf"{_MEASURE}\s+{_AREA_LABEL}", _I),
    re.compile(rf"{_AREA_LABEL}\s*[:=–-]?\s*{_MEASURE}", _I),
)
_AREA_KEYS = (
    ("carpet", "carpet_area"),
    ("saleable", "saleable_area"),
    ("super", "saleable_area"),
    ("balcony", "balcony_area"),
)
_UNIT_RE = re.compile(r"\b(?P<n>\d(?:\.\d)?)\s*BHKK?\b|\bSTUDIO\b|\bPENTHOUSE\b", _I)
_TYPE_RE = re.compile(r"\bTYPE[\s-]*\(?(?P<t>[A-Z0-9]{1,3})\)?(?![A-Z0-9])", _I)
_UNIT_LIST_RE = re.compile(r"\b(?P<nums>\d(?:\s*,\s*\d)*\s*(?:&|and|/)\s*\d)\s*BHK\b", _I)


def _unit_name(line: str, following: str = "") -> str | None:
    """Normalise a unit heading: "UNIT PLAN – 3 BHK (TYPE B)" -> "3BHK TYPE B".

    Returns None unless the line names exactly one unit type.
    """
    matches = list(_UNIT_RE.finditer(line))
    names = {_unit_token(match) for match in matches}
    if len(names) != 1 or _UNIT_LIST_RE.search(line):  # "2, 3 & 4 BHK" names three types
        return None
    name = names.pop()
    for extra in re.findall(r"\+\s*([A-Za-z][A-Za-z' ]*)", line[matches[0].end() :]):
        name += "+" + " ".join(extra.split()).upper()  # "4 BHK + HR" -> "4BHK+HR"
    kind = _TYPE_RE.search(line) or _TYPE_RE.search(following)
    return f"{name} TYPE {kind.group('t').upper()}" if kind else name


_VARIANT_RE = re.compile(r"(?:\s*\+\s*[A-Za-z][A-Za-z'’]*(?:\s[A-Za-z][A-Za-z'’]*)?)+")


def _variant(text: str, match: re.Match[str]) -> str:
    """The rooms a unit type's name adds, printed right after it: " + STUDY" of "3 BHK + Study"."""
    extra = _VARIANT_RE.match(text, match.end())
    return re.sub(r"\s*\+\s*", " + ", extra.group()) if extra else ""


def _unit_token(match: re.Match[str]) -> str:
    return f"{match.group('n')}BHK" if match.group("n") else match.group().upper()


def _measure(number: str, unit: str) -> str:
    return f"{number} {'sq ft' if re.search(r'ft|feet|sft|sfs', unit, _I) else 'sq m'}"


def _area_key(label: str) -> str | None:
    return next((key for word, key in _AREA_KEYS if word in label.lower()), None)


def area_facts(page: Page) -> list[ExtractedFact]:
    """Carpet/saleable/balcony areas per unit type: area tables, inline and block layouts."""
    facts = [fact for table in page.tables for fact in _table_areas(page, table)]
    lines = page_lines(page.text)
    unit: str | None = None
    run: list[tuple[int, str]] = []  # consecutive label-only / figure-only lines
    for index, (offset, line) in enumerate([*lines, (len(page.text) + 1, "")]):
        text = line.strip()
        if _LABEL_LINE.fullmatch(text) or _MEASURE_LINE.fullmatch(text):
            run.append((offset, text))
            continue
        if re.fullmatch(r"\(approx\.?\)", text, _I):
            continue
        facts += _area_block(page, run, unit)
        run = []
        if len(text) <= 60 and _UNIT_RE.search(text):
            following = " ".join(x for _, x in lines[index + 1 : index + 3])
            unit = _unit_name(text, following)
        for pattern in _AREA_INLINE:
            for match in pattern.finditer(line):
                key = _area_key(match.group("label"))
                if unit and key:
                    value = _measure(match.group("num"), match.group("unit"))
                    span = offset + match.start(), offset + match.end()
                    facts.append(fact_at(f"{key}:{unit}", value, page, *span))
    return facts


def _area_block(page: Page, run: list[tuple[int, str]], unit: str | None) -> list[ExtractedFact]:
    """Pair labels with figures; the first line tells whether labels precede their figures."""
    if not unit or not run:
        return []
    label_first = bool(_LABEL_LINE.fullmatch(run[0][1]))
    groups: list[tuple[tuple[int, str], list[tuple[int, str]]]] = []
    pending: list[tuple[int, str]] = []
    for item in run:
        if _LABEL_LINE.fullmatch(item[1]):
            groups.append((item, [] if label_first else pending))
            pending = []
        elif label_first and groups:
            groups[-1][1].append(item)
        else:
            pending.append(item)
    facts = []
    for (label_at, label), figures in groups:
        key = _area_key(label)
        for figure_at, figure in figures if key else []:
            match = _MEASURE_LINE.fullmatch(figure)
            value = _measure(match.group("num"), match.group("unit"))
            start = min(label_at, figure_at)
            end = max(label_at + len(label), figure_at + len(figure))
            facts.append(fact_at(f"{key}:{unit}", value, page, start, end))
    return facts


def _table_areas(page: Page, table: ParsedTable) -> list[ExtractedFact]:
    """Area columns of a unit-area table; the unit comes from the row or the header."""
    if table.kind != "unit_areas" or not table.has_header or len(table.rows) < 2:
        return []
    header = table.rows[0]
    facts = []
    for row, line in zip(table.rows[1:], table_as_text(table).split("\n"), strict=True):
        unit = next(filter(None, map(_unit_name, row)), None) or _unit_name(header[0])
        for label, cell in zip(header, row, strict=False):
            key = _area_key(label)
            measure = re.fullmatch(_MEASURE, cell, _I)
            if unit and key and (measure or re.fullmatch(r"\d[\d,]*(?:\.\d+)?", cell)):
                value = _measure(*measure.group("num", "unit")) if measure else _measure(cell, label)
                facts.append(fact_of_row(f"{key}:{unit}", value, page, line))
    return facts


def unit_type_facts(page: Page) -> list[ExtractedFact]:
    """Unit types listed together: in a table of 3+ rows (a master plan) or "3 and 4 BHK"."""
    facts = []
    for table in page.tables:
        text = table_as_text(table)
        found = list(_UNIT_RE.finditer(text))
        # Each type as printed ("3 BHK + Study" or "4BHK"), once.
        printed = {}
        for match in found:
            unit = _unit_token(match)
            if re.match(r"\d(?:\.\d)?\s", match.group()):
                unit = unit.replace("BHK", " BHK")  # printed "3 BHK", kept so
            name = " ".join((unit + _variant(text, match)).upper().split())
            printed.setdefault(name.replace(" ", ""), name)
        names = list(printed.values())
        at = page.text.find(text)
        if len(table.rows) >= 3 and len(names) >= 2 and at >= 0:
            start, end = at + found[0].start(), at + found[-1].end()
            evidence = page.text[page.text.rfind("\n", 0, start) + 1 : end][-EVIDENCE_MAX:]
            facts.append(ExtractedFact("unit_types", ", ".join(names), page.number, evidence))
    for offset, line in page_lines(page.text):
        for match in _UNIT_LIST_RE.finditer(line):
            names = list(dict.fromkeys(f"{n}BHK" for n in re.findall(r"\d", match.group("nums"))))
            span = offset + match.start(), offset + match.end()
            facts.append(fact_at("unit_types", ", ".join(names), page, *span))
    return facts
