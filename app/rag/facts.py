"""Extract investor-relevant facts from a brochure, each with its page and verbatim evidence.

Precision over recall: each rule matches a narrow, explicit phrasing on a single line (or
a table row, or a small block of label/figure lines) and emits nothing when the text does
not state the fact. Figures are copied exactly as printed.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Set
from pathlib import Path

from app.rag import fact_evidence, tables, unit_facts
from app.rag.fact_evidence import ExtractedFact, fact_at, fact_of_row, page_lines
from app.rag.readers import Page, SourceDocument
from app.rag.tables import table_as_text
from app.rag.unit_facts import area_facts, unit_type_facts

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
    # a highlights bullet that opens with the acreage: "• 4.85 acres (19,627 sq m) on Golf Course Road"
    (
        "land_area",
        # followed by its metric figure, a place or nothing: not "3 acres central greens"
        re.compile(
            r"^[\W_]*(?P<v>\d[\d,]*(?:\.\d+)?\s*acres?)\b(?=\s*(?:\(|,|$|on\b|at\b|in\s+sector\b))", _I
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
            r"\b(?i:developed by) (?:M/s\.? ?)?(?P<v>[A-Z][\w&.]*(?: [A-Z][\w&.]*){0,4}? "
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
_AMOUNT_RE = re.compile(r"%|₹|\b(?:rs\.?|inr|lakhs?|lacs?|crores?|cr)\b|\d\s*L\b", _I)
_DISTANCE = r"\d+(?:\.\d+)?\s*(?:kms?|kilomet(?:er|re)s?|mins?|minutes|hrs?|hours?)\b\.?"
_DISTANCE_LINE = re.compile(rf"{_DISTANCE}(?:\s*\(\s*{_DISTANCE}\s*\))?", _I)
_DISTANCE_FROM = re.compile(
    rf"(?P<v>{_DISTANCE})\s+(?:away\s+)?from\s+(?:the\s+)?"
    rf"(?P<to>[A-Za-z][\w'&. -]{{2,40}}?)(?=[,.;:!]|$)",
    _I,
)


def _extractor_version() -> str:
    """A fingerprint of the extractor's code: it changes whenever these modules do, so facts of
    files already ingested are extracted again on their next ingest."""
    digest = hashlib.sha256()
    for module in (__file__, fact_evidence.__file__, unit_facts.__file__, tables.__file__):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()[:16]


FACTS_VERSION = _extractor_version()


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


def _city(name: str) -> str:
    return "Gurugram" if name.lower() == "gurgaon" else " ".join(map(str.capitalize, name.split()))


def _is_foreign(page: Page, own_cities: Set[str]) -> bool:
    return is_foreign_text(page.text, own_cities)


def is_foreign_text(text: str, own_cities: Set[str]) -> bool:
    """Whether ``text`` names cities, none of them the project's own (a portfolio page about
    the developer's project in Goa)."""
    named = {_city(match.group()) for match in _ANY_CITY_RE.finditer(text)}
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
        lines = page_lines(page.text)
        for (offset, line), pattern in ((item, p) for item in lines for p in _PLACE_RES):
            for match in pattern.finditer(line):
                loc = match.group("loc").strip()
                start, end = offset + match.start("loc"), offset + match.end("loc")
                sector = match.groupdict().get("sec") or _search_group(_SECTOR, loc, "sec")
                if sector:
                    facts.append(fact_at("sector", f"Sector {sector.upper()}", page, start, end))
                if (sector or loc).lower() not in located:
                    located.add((sector or loc).lower())
                    facts.append(fact_at("location", loc, page, start, end))
                if city := _CITY_RE.search(loc):
                    facts.append(fact_at("city", _city(city.group()), page, start, end))
        # a location map marks the project's own sector on a line of its own
        if any(re.match(r"location\b", line, _I) for _, line in lines):
            lone = [(i, m) for i, (_, x) in enumerate(lines) if (m := re.fullmatch(_SECTOR, x, _I))]
            if len({match.group("sec").upper() for _, match in lone}) == 1:
                index, match = lone[0]
                offset = lines[index][0]
                sector = match.group("sec").upper()
                facts.append(fact_at("sector", f"Sector {sector}", page, offset, offset + 1))
                above = lines[index - 1] if index else (0, "")
                if _CITY_RE.fullmatch(above[1]):
                    facts.append(fact_at("city", _city(above[1]), page, above[0], offset + 1))
    return facts


def _search_group(pattern: str, text: str, group: str) -> str | None:
    match = re.search(pattern, text, _I)
    return match.group(group) if match else None


def _rera_facts(page: Page) -> list[ExtractedFact]:
    return [
        fact_at(
            "rera_number",
            match.group("v").rstrip("./-"),
            page,
            offset + match.start(),
            offset + match.end(),
        )
        for offset, line in page_lines(page.text)
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
    for offset, line in page_lines(page.text):
        for key, pattern in _LINE_RULES:
            for match in pattern.finditer(line):
                around = line[max(0, match.start() - 25) : match.start()]
                around += re.split(r"[,.;|]| and ", line[match.end() : match.end() + 25])[0]
                if key in ("towers", "floors", "units") and _NOT_BUILDING_RE.search(around):
                    continue  # "3 floors of parking", "clubhouse over 2 floors"
                span = offset + match.start(), offset + match.end()
                facts.append(fact_at(key, match.group("v"), page, *span))
    if page.number <= 2:  # a cover line "by <developer>"
        for offset, line in page_lines(page.text):
            if match := re.fullmatch(r"by\s+(?P<v>[A-Z0-9][\w&. ]{1,40})", line.strip(), _I):
                facts.append(fact_at("developer", match.group("v"), page, offset, offset + len(line)))
            # "A Prakriti Infracon Ltd. Project", "- an Oriel Infrastructure creation -"
            elif match := COVER_MAKER_RE.fullmatch(line.strip()):
                facts.append(fact_at("developer", match.group("v").strip(), page, offset, offset + len(line)))
    return facts


# A cover's maker line names a company: its last word is a company's ("Ltd.", "Infracon").
COVER_MAKER_RE = re.compile(
    r"[-–—\s]*(?i:an?)\s+(?P<v>(?:[A-Z][\w&.]*\s+){0,4}"
    r"(?:Ltd\.?|Limited|LLP|Group|Infra\w*|Developers?|Builders?|Build\w+|Realty|Realtors|Estates?|Properties"
    r"|Homes|Housing|Constructions?|Projects|Corporation|Corp\.?|Company|Co\.)"
    r")\s+(?i:project|development|creation|offering)[-–—\s]*"
)


def _price_facts(page: Page) -> list[ExtractedFact]:
    """A rate per sq ft, with the payment plan named on the line or just above it."""
    facts = []
    lines = page_lines(page.text)
    for index, (offset, line) in enumerate(lines):
        for match in _PRICE_RE.finditer(line):
            if _CHARGE_RE.search(line):
                continue
            value, start = match.group("v"), offset + match.start()
            for above, text in reversed(lines[max(0, index - 3) : index]):
                if re.search(r"\bplan\b", text, _I) and not re.search(r"\bplan\b", line, _I):
                    value, start = f"{value}, {text.strip()}", above
                    break
            facts.append(fact_at("price_psf", value, page, start, offset + match.end()))
    return facts


def _club_facts(page: Page) -> list[ExtractedFact]:
    """Club area: a sq ft figure on a line that, or whose heading, names the club."""
    facts = []
    heading = ""
    for offset, line in page_lines(page.text):
        named = re.search(r"\bclub", f"{heading} {line}", _I)
        if named and not re.search(r"carpet|saleable|balcony|deck|plot|land|unit", line, _I):
            for match in _SQFT_RE.finditer(line):
                span = offset + match.start(), offset + match.end()
                facts.append(fact_at("club_size", match.group(), page, *span))
        heading = line if line.strip() else heading
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
                facts.append(fact_of_row(f"payment:{_milestone(row[index])}", amount, page, line))
    return facts


def _milestone(text: str) -> str:
    name = " ".join(text.lower().split()).strip(" :.-")
    if "booking" in name and not re.search(r"within|after|days|balance", name):
        return "on booking"
    return name


def _distance_facts(page: Page) -> list[ExtractedFact]:
    """Distances: a "2.4 KMS (5 MINS)" line paired with a landmark line, or "20 mins from X"."""
    facts = []
    lines = [(offset, line.strip()) for offset, line in page_lines(page.text)]
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
                facts.append(fact_at(f"distance:{name}", distance, page, first[0], end))
    for offset, line in lines:
        for match in _DISTANCE_FROM.finditer(line):
            landmark = " ".join(match.group("to").split())
            if len(landmark.split()) <= 6:
                span = offset + match.start(), offset + match.end()
                facts.append(fact_at(f"distance:{landmark}", match.group("v"), page, *span))
    return facts


_PROJECT_EXTRACTORS: tuple[Callable[[Page], list[ExtractedFact]], ...] = (
    _line_facts,
    _price_facts,
    _club_facts,
    area_facts,
    _payment_facts,
    unit_type_facts,
)
