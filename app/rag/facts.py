"""Extract investor-relevant facts from a brochure, each with its page and verbatim evidence.

Precision over recall: each rule matches a narrow, explicit phrasing on a single line (or
a table row, or a small block of label/figure lines) and emits nothing when the text does
not state the fact. Figures are copied exactly as printed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from app.rag.readers import Page, SourceDocument
from app.rag.tables import ParsedTable, table_as_text


@dataclass(frozen=True)
class ExtractedFact:
    key: str  # e.g. "rera_number", "carpet_area:3BHK TYPE 1", "distance:IGI Airport"
    value: str  # text from the page, figures exactly as printed
    page: int
    evidence: str  # the source line(s) or sentence, verbatim, at most EVIDENCE_MAX characters


EVIDENCE_MAX = 300
_I = re.IGNORECASE
_CITY = r"(?:greater noida|new delhi|gurugram|gurgaon|manesar|noida|faridabad|ghaziabad|sohna)"
_ROAD = (
    r"(?:golf course (?:extension |extn\.? )?road|dwarka expressway|sohna road"
    r"|southern peripheral road|new gurgaon|nh[- ]?48)"
)
_SECTOR = r"\bsector\s*[-–—]?\s*(?P<sec>\d{1,3}[a-z]?)\b"
_PLACE_RES = (  # group "loc" is the location; "sec", when present, its sector
    re.compile(
        rf"(?P<loc>{_SECTOR}(?:\s*[,–—-]\s*|\s+)(?:urban area\s+)?"
        rf"(?:{_ROAD}|{_CITY})(?:\s*,\s*(?:{_ROAD}|{_CITY}))*)",
        _I,
    ),
    re.compile(rf"(?P<loc>\b{_CITY}\s*[,–—-]\s*{_SECTOR}(?:\s*,\s*{_ROAD})?)", _I),
    re.compile(rf"\b(?:in|at)\s+(?P<loc>(?P<sec>\d{{1,3}}[a-z]?)\s*,?\s+{_CITY})\b", _I),
    re.compile(
        rf"\b(?:located|situated|nestled|landmark|address)\s+(?:in|at|on|along)\s+(?:the\s+)?"
        rf"(?P<loc>[^.,;:()]*?\b(?:{_ROAD}|{_CITY})\b[^.,;:()]*)",
        _I,
    ),
    re.compile(rf"(?:^|[.!?]\s+)At\s+(?P<loc>{_CITY})\s*,", _I),
)
_CITY_RE = re.compile(rf"\b{_CITY}\b", _I)
_ANY_CITY_RE = re.compile(
    r"\b(?:new delhi|goa|mumbai|bengaluru|bangalore|pune|hyderabad|chennai|kolkata|jaipur"
    r"|udaipur|chandigarh|lucknow|noida|ghaziabad|faridabad|gurugram|gurgaon|manesar)\b",
    _I,
)
_RERA_RES = (
    re.compile(r"\b(?P<v>(?:RC/)?REP/[A-Z]{3,7}/[A-Z]{2,4}/\d+(?:/\d+){1,4})"),
    re.compile(
        r"\b[A-Z]*RERA\s+(?:Regn|Registration|Reg)\.?\s*(?:No|Number)\.?\s*[:.-]?\s*"
        r"(?P<v>[A-Z0-9][A-Z0-9/.-]*\d[A-Z0-9/-]*)",
        _I,
    ),
)
_NUM = r"(?:\d[\d,]*\+?|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_POSSESSION_RE = re.compile(
    r"\bposs?ess?ion\b(?! linked)[^.]{0,30}?\b(?P<v>[QH][1-4]\s*(?:FY\s*)?'?\d{2,4}"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s*'?\d{2,4}|20\d\d)\b",
    _I,
)
_LINE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("possession", _POSSESSION_RE),
    (
        "land_area",
        re.compile(
            r"\b(?:admeasuring|measuring|developed\s+on|land\s+area\s*(?:of|:)?|sprawling"
            r"|spread\s+(?:over|across))\s+(?:an?\s+area\s+of\s+)?(?P<v>\d[\d,]*(?:\.\d+)?\s*"
            r"(?:acres?|square\s+met(?:er|re)s|sq\.?\s*m(?:trs?|eters?|etres?)?\b\.?"
            r"|sq\.?\s*yds?\.?|hectares?))",
            _I,
        ),
    ),
    ("towers", re.compile(rf"\b(?P<v>{_NUM}\s+(?:residential\s+)?towers?)\b", _I)),
    ("floors", re.compile(rf"\b(?P<v>{_NUM}\s+(?:storeys|stories|floors?))\b", _I)),
    (
        "units",
        re.compile(
            rf"\b(?P<v>{_NUM}\s+(?:exclusive\s+|luxury\s+|premium\s+|residential\s+)?"
            r"(?:units|apartments|residences))\b",
            _I,
        ),
    ),
    (
        "developer",
        re.compile(r"(?P<v>[A-Z][\w&.]*(?: [A-Z][\w&.]*){0,4}) *\(\s*[\"“”']*Developer\b"),
    ),
    (
        "developer",
        re.compile(
            r"\bdeveloped by (?:M/s\.? ?)?(?P<v>[A-Z][\w&.]*(?: [A-Z][\w&.]*){0,4}? "
            r"(?:Limited|Ltd\.?|LLP|Pvt\.? Ltd\.?))"
        ),
    ),
)
_NOT_BUILDING_RE = re.compile(r"\b(?:club\w*|basements?|parking|podium|retail|mall|office)\b", _I)
_PRICE_RE = re.compile(
    r"(?:@|\bRs\.?|\bINR|₹)\s*(?P<v>\d[\d,]*(?:\.\d+)?\s*(?:/-)?\s*"
    r"(?:per\s*sq\.?\s*(?:ft|feet)\.?|/\s*sq\.?\s*ft\.?|psf\b|per\s*sft\b))",
    _I,
)
_CHARGE_RE = re.compile(r"\b(?:plc|ifms|ifmd|maintenance|edc|idc|parking|membership)\b", _I)
_SQFT_RE = re.compile(r"\d[\d,]*(?:\.\d+)?\s*(?:sq\.?\s*ft|sqft|sft|square\s+feet)", _I)
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
_AMOUNT_RE = re.compile(r"%|₹|\b(?:rs\.?|inr|lakhs?|lacs?|crores?|cr)\b|\d\s*L\b", _I)
_DISTANCE = r"\d+(?:\.\d+)?\s*(?:kms?|kilomet(?:er|re)s?|mins?|minutes|hrs?|hours?)\b\.?"
_DISTANCE_LINE = re.compile(rf"{_DISTANCE}(?:\s*\(\s*{_DISTANCE}\s*\))?", _I)
_DISTANCE_FROM = re.compile(
    rf"(?P<v>{_DISTANCE})\s+(?:away\s+)?from\s+(?:the\s+)?"
    rf"(?P<to>[A-Za-z][\w'&. -]{{2,40}}?)(?=[,.;:!]|$)",
    _I,
)


def extract_facts(doc: SourceDocument) -> list[ExtractedFact]:
    """Return the facts the brochure states, in page order, one per distinct key and value.

    Pages naming only other cities than the brochure's own (a developer's portfolio pages)
    contribute RERA numbers and distances only, so another project's figures are not taken.
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


def _lines(text: str) -> list[tuple[int, str]]:
    """(offset, line) for every line of ``text``."""
    offset, out = 0, []
    for line in text.split("\n"):
        out.append((offset, line))
        offset += len(line) + 1
    return out


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


def _row_fact(key: str, value: str, page: Page, line: str) -> ExtractedFact:
    at = page.text.find(line)
    if at < 0:  # cannot happen for tables read by app.rag.readers; keep the row itself
        return ExtractedFact(key, value, page.number, line[:EVIDENCE_MAX])
    return _fact(key, value, page, at, at + len(line))


def _city(name: str) -> str:
    return "Gurugram" if name.lower() == "gurgaon" else " ".join(map(str.capitalize, name.split()))


def _is_foreign(page: Page, own_cities: set[str]) -> bool:
    named = {_city(match.group()) for match in _ANY_CITY_RE.finditer(page.text)}
    return bool(named) and not named & own_cities


def _dedupe(facts: list[ExtractedFact]) -> list[ExtractedFact]:
    """Keep the first page of each key and value; counts compare by their number only."""
    seen: set[tuple[str, str]] = set()
    out = []
    for fact in facts:
        value = " ".join(fact.value.casefold().split())
        if fact.key in ("towers", "floors", "units"):  # "248 EXCLUSIVE UNITS" == "248 units"
            value = value.split()[0]
        marker = (fact.key, value)
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
        lines = _lines(page.text)
        for (offset, line), pattern in ((item, p) for item in lines for p in _PLACE_RES):
            for match in pattern.finditer(line):
                loc = match.group("loc").strip()
                start, end = offset + match.start("loc"), offset + match.end("loc")
                sector = match.groupdict().get("sec") or _search_group(_SECTOR, loc, "sec")
                if sector:
                    facts.append(_fact("sector", f"Sector {sector.upper()}", page, start, end))
                if (sector or loc).lower() not in located:
                    located.add((sector or loc).lower())
                    facts.append(_fact("location", loc, page, start, end))
                if city := _CITY_RE.search(loc):
                    facts.append(_fact("city", _city(city.group()), page, start, end))
        # a location map marks the project's own sector on a line of its own
        if any(re.match(r"location\b", line, _I) for _, line in lines):
            lone = [(i, m) for i, (_, x) in enumerate(lines) if (m := re.fullmatch(_SECTOR, x, _I))]
            if len({match.group("sec").upper() for _, match in lone}) == 1:
                index, match = lone[0]
                offset = lines[index][0]
                sector = match.group("sec").upper()
                facts.append(_fact("sector", f"Sector {sector}", page, offset, offset + 1))
                above = lines[index - 1] if index else (0, "")
                if _CITY_RE.fullmatch(above[1]):
                    facts.append(_fact("city", _city(above[1]), page, above[0], offset + 1))
    return facts


def _search_group(pattern: str, text: str, group: str) -> str | None:
    match = re.search(pattern, text, _I)
    return match.group(group) if match else None


def _rera_facts(page: Page) -> list[ExtractedFact]:
    return [
        _fact(
            "rera_number",
            match.group("v").rstrip("./-"),
            page,
            offset + match.start(),
            offset + match.end(),
        )
        for offset, line in _lines(page.text)
        for pattern in _RERA_RES
        for match in pattern.finditer(line)
        if len(re.findall(r"\d", match.group("v"))) >= 6
    ]


def _merge_rera(facts: list[ExtractedFact]) -> list[ExtractedFact]:
    """OCR garbles some copies of a RERA number: keep its most printed form, first page."""
    rera = [fact for fact in facts if fact.key == "rera_number"]
    counts = Counter(fact.value for fact in rera)
    best: dict[str, str] = {}
    for fact in rera:
        digits = re.sub(r"\D", "", fact.value)
        if digits not in best or counts[fact.value] > counts[best[digits]]:
            best[digits] = fact.value
    keep = set(best.values())
    return [fact for fact in facts if fact.key != "rera_number" or fact.value in keep]


def _line_facts(page: Page) -> list[ExtractedFact]:
    """Possession, land area, tower/floor/unit counts and developer from one line each."""
    facts = []
    for offset, line in _lines(page.text):
        for key, pattern in _LINE_RULES:
            for match in pattern.finditer(line):
                around = line[max(0, match.start() - 25) : match.start()]
                around += re.split(r"[,.;|]| and ", line[match.end() : match.end() + 25])[0]
                if key in ("towers", "floors", "units") and _NOT_BUILDING_RE.search(around):
                    continue  # "3 floors of parking", "clubhouse over 2 floors"
                span = offset + match.start(), offset + match.end()
                facts.append(_fact(key, match.group("v"), page, *span))
    if page.number <= 2:  # a cover line "by <developer>"
        for offset, line in _lines(page.text):
            if match := re.fullmatch(r"by\s+(?P<v>[A-Z0-9][\w&. ]{1,40})", line.strip(), _I):
                facts.append(_fact("developer", match.group("v"), page, offset, offset + len(line)))
    return facts


def _price_facts(page: Page) -> list[ExtractedFact]:
    """A rate per sq ft, with the payment plan named on the line or just above it."""
    facts = []
    lines = _lines(page.text)
    for index, (offset, line) in enumerate(lines):
        for match in _PRICE_RE.finditer(line):
            if _CHARGE_RE.search(line):
                continue
            value, start = match.group("v"), offset + match.start()
            for above, text in reversed(lines[max(0, index - 3) : index]):
                if re.search(r"\bplan\b", text, _I) and not re.search(r"\bplan\b", line, _I):
                    value, start = f"{value}, {text.strip()}", above
                    break
            facts.append(_fact("price_psf", value, page, start, offset + match.end()))
    return facts


def _club_facts(page: Page) -> list[ExtractedFact]:
    """Club area: a sq ft figure on a line that, or whose heading, names the club."""
    facts = []
    heading = ""
    for offset, line in _lines(page.text):
        named = re.search(r"\bclub", f"{heading} {line}", _I)
        if named and not re.search(r"carpet|saleable|balcony|deck|plot|land|unit", line, _I):
            for match in _SQFT_RE.finditer(line):
                span = offset + match.start(), offset + match.end()
                facts.append(_fact("club_size", match.group(), page, *span))
        heading = line if line.strip() else heading
    return facts


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


def _unit_token(match: re.Match[str]) -> str:
    return f"{match.group('n')}BHK" if match.group("n") else match.group().upper()


def _measure(number: str, unit: str) -> str:
    return f"{number} {'sq ft' if re.search(r'ft|feet|sft|sfs', unit, _I) else 'sq m'}"


def _area_key(label: str) -> str | None:
    return next((key for word, key in _AREA_KEYS if word in label.lower()), None)


def _area_facts(page: Page) -> list[ExtractedFact]:
    """Carpet/saleable/balcony areas per unit type: area tables, inline and block layouts."""
    facts = [fact for table in page.tables for fact in _table_areas(page, table)]
    lines = _lines(page.text)
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
                    facts.append(_fact(f"{key}:{unit}", value, page, *span))
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
            facts.append(_fact(f"{key}:{unit}", value, page, start, end))
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
                facts.append(_row_fact(f"{key}:{unit}", value, page, line))
    return facts


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
                facts.append(_row_fact(f"payment:{_milestone(row[index])}", amount, page, line))
    return facts


def _milestone(text: str) -> str:
    name = " ".join(text.lower().split()).strip(" :.-")
    if "booking" in name and not re.search(r"within|after|days|balance", name):
        return "on booking"
    return name


def _distance_facts(page: Page) -> list[ExtractedFact]:
    """Distances: a "2.4 KMS (5 MINS)" line paired with a landmark line, or "20 mins from X"."""
    facts = []
    lines = [(offset, line.strip()) for offset, line in _lines(page.text)]
    blocks: list[list[tuple[int, str]]] = [[]]
    for item in lines:  # blank-line separated blocks
        blocks[-1].append(item) if item[1] else blocks.append([])
    for block in filter(None, blocks):
        kinds = ["D" if _DISTANCE_LINE.fullmatch(line) else "N" for _, line in block]
        pairs = len(kinds) // 2
        if "D" not in kinds or kinds not in (["N", "D"] * pairs, ["D", "N"] * pairs):
            continue
        for first, second in zip(block[::2], block[1::2], strict=True):
            name, distance = (first[1], second[1]) if kinds[0] == "N" else (second[1], first[1])
            if len(name) <= 60 and not name.endswith(":"):
                end = second[0] + len(second[1])
                facts.append(_fact(f"distance:{name}", distance, page, first[0], end))
    for offset, line in lines:
        for match in _DISTANCE_FROM.finditer(line):
            landmark = " ".join(match.group("to").split())
            if len(landmark.split()) <= 6:
                span = offset + match.start(), offset + match.end()
                facts.append(_fact(f"distance:{landmark}", match.group("v"), page, *span))
    return facts


def _unit_type_facts(page: Page) -> list[ExtractedFact]:
    """Unit types listed together: in a table of 3+ rows (a master plan) or "3 and 4 BHK"."""
    facts = []
    for table in page.tables:
        text = table_as_text(table)
        found = list(_UNIT_RE.finditer(text))
        names = list(dict.fromkeys(map(_unit_token, found)))
        at = page.text.find(text)
        if len(table.rows) >= 3 and len(names) >= 2 and at >= 0:
            start, end = at + found[0].start(), at + found[-1].end()
            evidence = page.text[page.text.rfind("\n", 0, start) + 1 : end][-EVIDENCE_MAX:]
            facts.append(ExtractedFact("unit_types", ", ".join(names), page.number, evidence))
    for offset, line in _lines(page.text):
        for match in _UNIT_LIST_RE.finditer(line):
            names = list(dict.fromkeys(f"{n}BHK" for n in re.findall(r"\d", match.group("nums"))))
            span = offset + match.start(), offset + match.end()
            facts.append(_fact("unit_types", ", ".join(names), page, *span))
    return facts


_PROJECT_EXTRACTORS: tuple[Callable[[Page], list[ExtractedFact]], ...] = (
    _line_facts,
    _price_facts,
    _club_facts,
    _area_facts,
    _payment_facts,
    _unit_type_facts,
)
