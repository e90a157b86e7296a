"""Extract investor-relevant facts from a brochure, each with its page and verbatim evidence.

Precision over recall: every extractor matches a narrow, explicit phrasing and emits
nothing when the text does not state the fact. Figures are copied exactly as printed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from app.rag.pages import Page, ParsedTable, SourceDocument, table_as_text


@dataclass(frozen=True)
class ExtractedFact:
    key: str  # e.g. "rera_number", "carpet_area:3BHK TYPE 1", "distance:IGI Airport"
    value: str  # text from the page, figures exactly as printed
    page: int
    evidence: str  # the source line/sentence, verbatim, at most EVIDENCE_MAX characters


EVIDENCE_MAX = 300
_I = re.IGNORECASE
_CITY = r"(?:greater noida|new delhi|gurugram|gurgaon|manesar|noida|faridabad|ghaziabad|sohna)"
_ROAD = (
    r"(?:golf course (?:extension |extn\.? )?road|dwarka expressway|sohna road"
    r"|southern peripheral road|new gurgaon|nh[- ]?48)"
)
_SECTOR = r"sector\s*[-–—]?\s*(?P<sec>\d{1,3}[a-z]?)\b"
_PLACE_RES = (
    re.compile(
        rf"(?P<loc>\b{_SECTOR}(?:\s*[,–—-]\s*|\s+)(?:urban area\s+)?"
        rf"(?:{_ROAD}|{_CITY})(?:\s*,\s*(?:{_ROAD}|{_CITY}))*)",
        _I,
    ),
    re.compile(rf"(?P<loc>\b{_CITY}\s*[,–—-]\s*{_SECTOR}(?:\s*,\s*{_ROAD})?)", _I),
    re.compile(rf"\b(?:in|at)\s+(?P<loc>(?P<sec>\d{{1,3}}[a-z]?)\s*,?\s+{_CITY})\b", _I),
    re.compile(
        rf"\b(?:located|situated|nestled|landmark|address)\s+(?:in|at|on|along)\s+"
        rf"(?:the\s+)?(?P<loc>[^.,;:\n()]*?\b(?:{_ROAD}|{_CITY})\b[^.,;:\n()]*)",
        _I,
    ),
    re.compile(rf"(?:^|[.!?]\s+)At\s+(?P<loc>{_CITY})\s*,", _I | re.M),
)
_CITY_RE = re.compile(rf"\b{_CITY}\b", _I)
_OTHER_CITY_RE = re.compile(
    r"\b(?:new delhi|goa|mumbai|bengaluru|bangalore|pune|hyderabad|chennai|kolkata|jaipur"
    r"|udaipur|chandigarh|lucknow|noida|ghaziabad|faridabad|gurugram|gurgaon|manesar)\b",
    _I,
)
_RERA_RES = (
    re.compile(r"\b(?:RC/)?REP/[A-Z]{3,7}/[A-Z]{2,4}/\d+(?:/\d+){1,4}"),
    re.compile(
        r"\b(?:[A-Z]*RERA)\s+(?:Regn|Registration|Reg)\.?\s*(?:No|Number)\.?\s*[:.-]?\s*"
        r"(?P<id>[A-Z0-9][A-Z0-9/.-]*\d[A-Z0-9/-]*)",
        _I,
    ),
)
_DEVELOPER_RES = (
    re.compile(r"(?P<v>[A-Z][\w&.]*(?: [A-Z][\w&.]*){0,4}) *\(\s*[\"“”']*Developer\b"),
    re.compile(
        r"\bdeveloped by (?:M/s\.? ?)?(?P<v>[A-Z][\w&.]*(?: [A-Z][\w&.]*){0,4}? "
        r"(?:Limited|Ltd\.?|LLP|Pvt\.? Ltd\.?))"
    ),
)
_PRICE_RE = re.compile(
    r"(?:@|\bRs\.?|\bINR|₹)\s*(?P<v>\d[\d,]*(?:\.\d+)?\s*(?:/-)?\s*(?:per\s*sq\.?\s*(?:ft|feet)\.?"
    r"|/\s*sq\.?\s*ft\.?|psf\b|per\s*sft\b))",
    _I,
)
_CHARGE_RE = re.compile(r"\b(?:plc|ifms|ifmd|maintenance|edc|idc|parking|membership)\b", _I)
_POSSESSION_RE = re.compile(
    r"\bposs?ess?ion\b(?! linked)[^.\n]{0,30}?\b(?P<v>(?:[QH][1-4]\s*(?:FY\s*)?'?\d{2,4})"
    r"|(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s*'?\d{2,4})"
    r"|(?:20\d\d))\b",
    _I,
)
_NUM = r"(?:\d[\d,]*\+?|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_COUNT_RES = {
    "towers": re.compile(rf"\b(?P<v>{_NUM} +(?:residential +)?towers?)\b", _I),
    "floors": re.compile(rf"\b(?P<v>{_NUM} +(?:storeys|stories|floors?)(?: +each)?)\b", _I),
    "units": re.compile(
        rf"\b(?P<v>{_NUM}\s+(?:exclusive\s+|luxury\s+|premium\s+|residential\s+)?"
        r"(?:units|apartments|residences))\b",
        _I,
    ),
}
_NOT_BUILDING_RE = re.compile(r"club|basement|parking|podium|retail|mall|office", _I)
_SQFT = r"\d[\d,]*(?:\.\d+)?\s*(?:sq\.?\s*ft|sqft|sft|square\s+feet)"
_LAND_RE = re.compile(
    r"\b(?:admeasuring|area\s+measuring|measuring|developed\s+on|land\s+area\s*(?:of|:)?|"
    r"spread\s+(?:over|across)|sprawling)\s+(?:an?\s+area\s+of\s+)?(?P<v>\d[\d,]*(?:\.\d+)?\s*"
    r"(?:acres?|square\s+met(?:er|re)s|sq\.?\s*m(?:trs?|eters?|etres?)?\b\.?|sq\.?\s*yds?\.?|hectares?))",
    _I,
)
_MEASURE = (
    r"(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>sq\.?\s*m(?:trs?|tr|eters?|etres?)?\b\.?"
    r"|sq\.?\s*ft\.?|sq\.?\s*feet|sqm\.?|sqft\.?|sft\b|sfs\b|square\s+(?:feet|met(?:er|re)s))"
)
_MEASURE_LINE = re.compile(rf"^[•\-–*]?\s*{_MEASURE}\s*(?:\(approx\.?\))?$", _I)
_AREA_LABEL = (
    r"(?P<label>(?:rera\s+)?carpet\s+area|saleable\s+area|super(?:\s+built[- ]?up)?\s+area"
    r"|(?:total\s+)?balcony\s+areas?|deck\s+area|private\s+useable\s+area|built[- ]?up\s+area)"
)
_LABEL_LINE = re.compile(rf"^{_AREA_LABEL}$", _I)
_AREA_INLINE = (
    re.compile(rf"{_MEASURE}\s+{_AREA_LABEL}", _I),
    re.compile(rf"{_AREA_LABEL}\s*[:=–-]?\s*{_MEASURE}", _I),
)
_UNIT_RE = re.compile(r"\b(?P<n>\d(?:\.\d)?)\s*BHKK?\b|\bSTUDIO\b|\bPENTHOUSE\b", _I)
_TYPE_RE = re.compile(r"\bTYPE[\s-]*\(?(?P<t>[A-Z0-9]{1,3})\)?(?![A-Z0-9])", _I)
_UNIT_LIST_RE = re.compile(r"\b(?P<nums>\d(?:\s*,\s*\d)*\s*(?:&|and|/)\s*\d)\s*BHK\b", _I)
_DISTANCE = r"\d+(?:\.\d+)?\s*(?:kms?|kilomet(?:er|re)s?|mins?|minutes|hrs?|hours?)\b\.?"
_DISTANCE_LINE = re.compile(rf"^{_DISTANCE}(?:\s*\(\s*{_DISTANCE}\s*\))?$", _I)
_DISTANCE_FROM = re.compile(
    rf"(?P<v>{_DISTANCE})\s+(?:away\s+)?from\s+(?:the\s+)?"
    rf"(?P<to>[A-Za-z][\w'&. -]{{2,40}}?)(?=[,.;:!]|$)",
    _I | re.M,
)


def extract_facts(doc: SourceDocument) -> list[ExtractedFact]:
    """Return the facts the brochure states, in page order, one per distinct key and value.

    Pages about another city than the brochure's own (a developer's portfolio pages) only
    contribute RERA numbers and distances, so another project's figures are not taken.
    """
    facts = _place_facts(doc)
    own_cities = {fact.value for fact in facts if fact.key == "city"}
    for page in doc.pages:
        facts += _rera_facts(page) + _distance_facts(page)
        if own_cities and _is_foreign(page, own_cities):
            continue
        for extract in _PROJECT_EXTRACTORS:
            facts += extract(page)
    return _dedupe(sorted(_merge_rera(facts), key=lambda fact: fact.page))


# --------------------------------------------------------------------------- helpers


def _evidence(text: str, start: int, end: int) -> str:
    """The line(s) holding text[start:end]; the sentence, or a window, when that is too long."""
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    hi = len(text) if hi < 0 else hi
    if hi - lo > EVIDENCE_MAX:
        stop = text.rfind(". ", lo, start)
        lo = lo if stop < 0 else stop + 2
        stop = text.find(". ", end, hi)
        hi = hi if stop < 0 else stop + 1
    if hi - lo > EVIDENCE_MAX:
        lo = max(lo, start - max(0, EVIDENCE_MAX - (end - start)) // 2)
        hi = min(hi, lo + EVIDENCE_MAX)
    return text[lo:hi].strip()


def _fact(key: str, value: str, page: Page, start: int, end: int) -> ExtractedFact:
    return ExtractedFact(key, value.strip(" .,;:"), page.number, _evidence(page.text, start, end))


def _lines(text: str) -> list[tuple[int, str]]:
    """(offset, line) for every line of ``text``."""
    offset, out = 0, []
    for line in text.split("\n"):
        out.append((offset, line))
        offset += len(line) + 1
    return out


def _paragraphs(text: str) -> list[list[tuple[int, str]]]:
    groups: list[list[tuple[int, str]]] = [[]]
    for offset, line in _lines(text):
        if line.strip():
            groups[-1].append((offset, line.strip()))
        elif groups[-1]:
            groups.append([])
    return [group for group in groups if group]


def _city(name: str) -> str:
    return (
        "Gurugram" if name.lower() == "gurgaon" else " ".join(w.capitalize() for w in name.split())
    )


def _is_foreign(page: Page, own_cities: set[str]) -> bool:
    named = {_city(match.group()) for match in _OTHER_CITY_RE.finditer(page.text)}
    return bool(named) and not named & own_cities


def _dedupe(facts: list[ExtractedFact]) -> list[ExtractedFact]:
    seen: set[tuple[str, str]] = set()
    out = []
    for fact in facts:
        marker = (fact.key, " ".join(fact.value.casefold().split()))
        if fact.value and marker not in seen:
            seen.add(marker)
            out.append(fact)
    return out


# --------------------------------------------------------------------------- extractors


def _place_facts(doc: SourceDocument) -> list[ExtractedFact]:
    """Location, sector and city from explicit address phrasings; one location per sector."""
    facts: list[ExtractedFact] = []
    located: set[str] = set()
    for page in doc.pages:
        for pattern in _PLACE_RES:
            for match in pattern.finditer(page.text):
                span = match.start("loc"), match.end("loc")
                sector = match.groupdict().get("sec")
                if sector:
                    facts.append(_fact("sector", f"Sector {sector.upper()}", page, *span))
                if (sector or match.group("loc").lower()) not in located:
                    located.add(sector or match.group("loc").lower())
                    facts.append(_fact("location", match.group("loc"), page, *span))
                city = _CITY_RE.search(match.group("loc"))
                if city:
                    facts.append(_fact("city", _city(city.group()), page, *span))
        # a location map marks the project's own sector on a line of its own
        if re.search(r"^location\b", page.text, _I | re.M):
            lone = list(re.finditer(rf"^{_SECTOR}$", page.text, _I | re.M))
            if len({match.group("sec").upper() for match in lone}) == 1:
                sector = lone[0].group("sec").upper()
                facts.append(_fact("sector", f"Sector {sector}", page, *lone[0].span()))
    return facts


def _rera_facts(page: Page) -> list[ExtractedFact]:
    facts = []
    for pattern in _RERA_RES:
        for match in pattern.finditer(page.text):
            group = "id" if "id" in pattern.groupindex else 0
            value = match.group(group).rstrip("./-")
            if len(re.findall(r"\d", value)) >= 6:
                facts.append(_fact("rera_number", value, page, *match.span(group)))
    return facts


def _merge_rera(facts: list[ExtractedFact]) -> list[ExtractedFact]:
    """OCR garbles some copies of a RERA number; keep the most printed form per number."""
    rera = [fact for fact in facts if fact.key == "rera_number"]
    counts = Counter(fact.value for fact in rera)
    best: dict[str, ExtractedFact] = {}
    for fact in rera:
        digits = re.sub(r"\D", "", fact.value)
        if digits not in best or counts[fact.value] > counts[best[digits].value]:
            best[digits] = fact
    keep = {id(fact) for fact in best.values()}
    first = {}
    for fact in rera:  # the first page that prints the chosen form
        first.setdefault(fact.value, fact)
    chosen = {id(first[fact.value]) for fact in rera if id(fact) in keep}
    return [fact for fact in facts if fact.key != "rera_number" or id(fact) in chosen]


def _developer_facts(page: Page) -> list[ExtractedFact]:
    facts = [
        _fact("developer", match.group("v"), page, *match.span("v"))
        for pattern in _DEVELOPER_RES
        for match in pattern.finditer(page.text)
    ]
    if page.number <= 2:  # a cover line "by <developer>"
        for match in re.finditer(r"^by\s+(?P<v>[A-Z0-9][\w&. ]{1,40})$", page.text, _I | re.M):
            facts.append(_fact("developer", match.group("v"), page, *match.span("v")))
    return facts


def _price_facts(page: Page) -> list[ExtractedFact]:
    facts = []
    lines = _lines(page.text)
    for match in _PRICE_RE.finditer(page.text):
        index = max(i for i, (offset, _) in enumerate(lines) if offset <= match.start())
        if _CHARGE_RE.search(lines[index][1]):
            continue
        value, start = match.group("v"), match.start()
        for offset, line in reversed(lines[max(0, index - 3) : index + 1]):
            if re.search(r"\bplan\b", line, _I):  # the plan this rate belongs to
                value, start = (
                    (value, start)
                    if offset == lines[index][0]
                    else (f"{value}, {line.strip()}", offset)
                )
                break
        facts.append(_fact("price_psf", value, page, start, match.end()))
    return facts


def _simple_facts(page: Page) -> list[ExtractedFact]:
    """Possession date, tower/floor/unit counts, land area and club size."""
    text = page.text
    facts = [
        _fact("possession", m.group("v"), page, *m.span()) for m in _POSSESSION_RE.finditer(text)
    ]
    facts += [_fact("land_area", m.group("v"), page, *m.span()) for m in _LAND_RE.finditer(text)]
    for key, pattern in _COUNT_RES.items():
        for match in pattern.finditer(text):
            after = re.split(r"[,.;|\n]| and ", text[match.end() : match.end() + 25])[0]
            if not _NOT_BUILDING_RE.search(
                text[max(0, match.start() - 25) : match.start()] + after
            ):
                facts.append(_fact(key, match.group("v"), page, *match.span()))
    lines = [line for _, line in _lines(text)]
    for number, (offset, line) in enumerate(_lines(text)):
        heading = next((x for x in reversed(lines[:number]) if x.strip()), "")
        if re.search(r"\bclub", f"{heading} {line}", _I) and not re.search(
            r"carpet|saleable|balcony|deck|plot|land|unit", line, _I
        ):
            for match in re.finditer(_SQFT, line, _I):
                facts.append(
                    _fact(
                        "club_size",
                        match.group(),
                        page,
                        offset + match.start(),
                        offset + match.end(),
                    )
                )
    return facts


_AREA_KEYS = (
    ("carpet", "carpet_area"),
    ("saleable", "saleable_area"),
    ("super", "saleable_area"),
    ("balcony", "balcony_area"),
)


def _area_key(label: str) -> str | None:
    return next((key for word, key in _AREA_KEYS if word in label.lower()), None)


def _measure(number: str, unit: str) -> str:
    return f"{number} {'sq ft' if re.search(r'ft|feet|sft|sfs', unit, _I) else 'sq m'}"


def _unit_name(line: str, following: str = "") -> str | None:
    """Normalise a unit heading, e.g. "UNIT PLAN – 3 BHK (TYPE B)" -> "3BHK TYPE B"."""
    matches = list(_UNIT_RE.finditer(line))
    names = {_unit_token(match) for match in matches}
    if len(names) != 1:
        return None
    name = names.pop()
    extras = re.findall(r"\+\s*([A-Za-z][A-Za-z' ]*)", line[matches[0].end() :])
    name += "".join(f"+{' '.join(extra.split()).upper()}" for extra in extras)
    kind = _TYPE_RE.search(line) or _TYPE_RE.search(following)
    return f"{name} TYPE {kind.group('t').upper()}" if kind else name


def _unit_token(match: re.Match[str]) -> str:
    return f"{match.group('n')}BHK" if match.group("n") else match.group().upper()


def _area_facts(page: Page) -> list[ExtractedFact]:
    """Carpet/saleable/balcony areas per unit type from area tables and area blocks."""
    facts = [fact for table in page.tables for fact in _table_areas(page, table)]
    lines = _lines(page.text)
    unit = None
    for number, (offset, line) in enumerate(lines):
        if len(line) <= 60 and not _MEASURE_LINE.match(line):
            found = _unit_name(line, " ".join(text for _, text in lines[number + 1 : number + 3]))
            unit = found or unit
        for pattern in _AREA_INLINE:
            for match in pattern.finditer(line):
                key = _area_key(match.group("label"))
                if unit and key:
                    value = _measure(match.group("num"), match.group("unit"))
                    facts.append(
                        _fact(
                            f"{key}:{unit}",
                            value,
                            page,
                            offset + match.start(),
                            offset + match.end(),
                        )
                    )
    for paragraph in _paragraphs(page.text):
        facts += _area_block(page, paragraph, lines)
    return facts


def _area_block(page: Page, paragraph: list[tuple[int, str]], lines) -> list[ExtractedFact]:
    """A run of label lines and measurement lines ("Carpet Area / 154.02 sq.m. / ...")."""
    run = [
        (offset, line) for offset, line in paragraph if not re.fullmatch(r"\(approx\.?\)", line, _I)
    ]
    if not run or not all(_LABEL_LINE.match(line) or _MEASURE_LINE.match(line) for _, line in run):
        return []
    unit = None
    for offset, line in lines:
        if offset >= run[0][0]:
            break
        if len(line) <= 60 and not _MEASURE_LINE.match(line):
            following = " ".join(text for o, text in lines if offset < o <= offset + 120)
            unit = _unit_name(line, following) or unit
    if unit is None:
        return []
    label_first = bool(_LABEL_LINE.match(run[0][1]))
    groups: list[tuple[tuple[int, str], list[tuple[int, str]]]] = []
    pending: list[tuple[int, str]] = []
    for item in run:
        if _LABEL_LINE.match(item[1]):
            if label_first:
                groups.append((item, []))
            else:
                groups.append((item, pending))
                pending = []
        elif label_first and groups:
            groups[-1][1].append(item)
        else:
            pending.append(item)
    facts = []
    for (label_offset, label), measures in groups:
        key = _area_key(label)
        for offset, line in measures if key else []:
            match = _MEASURE_LINE.match(line)
            start, end = sorted([label_offset, offset])
            end += len(line) if end == offset else len(label)
            facts.append(
                _fact(
                    f"{key}:{unit}",
                    _measure(match.group("num"), match.group("unit")),
                    page,
                    start,
                    end,
                )
            )
    return facts


def _table_areas(page: Page, table: ParsedTable) -> list[ExtractedFact]:
    if table.kind != "unit_areas" or not table.has_header or len(table.rows) < 2:
        return []
    header, body = table.rows[0], table.rows[1:]
    row_lines = table_as_text(table).split("\n")
    start = page.text.find(row_lines[0])
    facts = []
    for row, line in zip(body, row_lines, strict=True):
        unit = next(filter(None, (_unit_name(cell) for cell in row)), None) or _unit_name(header[0])
        for label, cell in zip(header, row, strict=False):
            key = _area_key(label)
            number = re.fullmatch(r"\d[\d,]*(?:\.\d+)?", cell)
            measure = re.fullmatch(_MEASURE, cell, _I)
            if not (unit and key and (number or measure)):
                continue
            value = (
                _measure(measure.group("num"), measure.group("unit"))
                if measure
                else _measure(cell, label)
            )
            at = page.text.find(line, max(start, 0))
            facts.append(
                ExtractedFact(f"{key}:{unit}", value, page.number, line[:EVIDENCE_MAX])
                if at < 0
                else _fact(f"{key}:{unit}", value, page, at, at + len(line))
            )
    return facts


_AMOUNT_RE = re.compile(r"%|₹|\b(?:rs\.?|inr|lakhs?|lacs?|crores?|cr)\b|\d\s*L\b", _I)


def _payment_facts(page: Page) -> list[ExtractedFact]:
    """One ``payment:<milestone>`` fact per row of a payment plan table."""
    facts = []
    for table in page.tables:
        if table.kind != "payment_plan":
            continue
        body = table.rows[1:] if table.has_header and len(table.rows) > 1 else table.rows
        for row, line in zip(body, table_as_text(table).split("\n"), strict=True):
            index = next((i for i, cell in enumerate(row) if re.search(r"[A-Za-z]{2}", cell)), None)
            if index is None or re.match(r"total\b", row[index], _I):
                continue
            amount = next((c for c in reversed(row[index + 1 :]) if _AMOUNT_RE.search(c)), None)
            if amount:
                at = page.text.find(line)
                facts.append(
                    ExtractedFact(
                        f"payment:{_milestone(row[index])}",
                        amount,
                        page.number,
                        _evidence(page.text, at, at + len(line))
                        if at >= 0
                        else line[:EVIDENCE_MAX],
                    )
                )
    return facts


def _milestone(text: str) -> str:
    name = " ".join(text.lower().split()).strip(" :.-")
    if "booking" in name and not re.search(r"within|after|days|balance", name):
        return "on booking"
    return name


def _distance_facts(page: Page) -> list[ExtractedFact]:
    """Landmark distances: "2.4 KMS (5 MINS)" paired with the landmark line, or "20 mins from X"."""
    facts = []
    for paragraph in _paragraphs(page.text):
        kinds = ["D" if _DISTANCE_LINE.match(line) else "N" for _, line in paragraph]
        pairs = len(kinds) // 2
        if (
            len(kinds) % 2
            or "D" not in kinds
            or kinds not in (["N", "D"] * pairs, ["D", "N"] * pairs)
        ):
            continue
        for first, second in zip(paragraph[::2], paragraph[1::2], strict=True):
            (_, name), (_, distance) = (first, second) if kinds[0] == "N" else (second, first)
            if 2 <= len(name) <= 60 and not name.endswith(":"):
                start, end = first[0], second[0] + len(second[1])
                facts.append(_fact(f"distance:{name}", distance, page, start, end))
    for match in _DISTANCE_FROM.finditer(page.text):
        landmark = " ".join(match.group("to").split())
        if len(landmark.split()) <= 6:
            facts.append(_fact(f"distance:{landmark}", match.group("v"), page, *match.span()))
    return facts


def _unit_type_facts(page: Page) -> list[ExtractedFact]:
    """Unit types listed together: a master-plan table or a phrase like "3 and 4 BHK"."""
    facts = []
    for table in page.tables:
        text = table_as_text(table)
        found = [(m, _unit_token(m)) for m in _UNIT_RE.finditer(text)]
        names = list(dict.fromkeys(name for _, name in found))
        at = page.text.find(text)
        if len(names) >= 2 and at >= 0:
            start, end = at + found[0][0].start(), at + found[-1][0].end()
            value = ", ".join(names)
            evidence = page.text[page.text.rfind("\n", 0, start) + 1 : end]
            facts.append(ExtractedFact("unit_types", value, page.number, evidence[-EVIDENCE_MAX:]))
    for match in _UNIT_LIST_RE.finditer(page.text):
        names = list(dict.fromkeys(f"{n}BHK" for n in re.findall(r"\d", match.group("nums"))))
        if len(names) >= 2:
            facts.append(_fact("unit_types", ", ".join(names), page, *match.span()))
    return facts


_PROJECT_EXTRACTORS = (
    _developer_facts,
    _price_facts,
    _simple_facts,
    _area_facts,
    _payment_facts,
    _unit_type_facts,
)
