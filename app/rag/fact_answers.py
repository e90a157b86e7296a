"""The facts route: answer from one unambiguous curated or extracted fact, with its page."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Fact
from app.rag.citations import Citation, CitedText
from app.rag.corpus_stats import CorpusStats
from app.rag.language import is_yes_no
from app.rag.query import (
    INTENT_PATTERNS,
    NUMBER_WORDS,
    QueryAnalysis,
    content_groups,
    tokenize,
    without_words,
)
from app.rag.sections import Section

# (intent or None, question pattern, fact key, sentence template)
FACT_RULES: list[tuple[str | None, str, str, str]] = [
    (
        "rera",
        r"\b(h?rera|registration)\b.*\b(no|number|id)\b"
        r"|\bh?rera (registered|registration)\b|\bregistered with\b",
        "rera_number",
        "The RERA registration number is {value}.",
    ),
    ("developer", r"", "developer", "The developer is {value}."),
    ("possession", r"\bwhen\b|\bdate\b|\bexpected\b", "possession", "Possession: {value}."),
    ("count", r"\btowers?\b", "towers", "Towers: {value}."),
    # (not "how many homes share each floor": the project's total does not answer it)
    (
        "count",
        r"\b(units|apartments|homes|residences)\b(?!.*\b(per|each|every|a) (floor|tower|core)\b)",
        "units",
        "Units: {value}.",
    ),
    ("count", r"\b(floors|storeys|stories)\b", "floors", "Floors: {value}."),
    ("location", r"\b(where|located|location|address)\b", "location", "Location: {value}."),
    (
        None,
        # (not "Cedar Residences Type B", a unit type's name)
        r"\b((unit|residence|apartment|home|flat|villa)s? types?(?!\s+(?:[a-z]|\d{1,2})\b)|configurations?"
        r"|typolog\w*|unit mix|bhk options|types? of (units|apartments|homes|residences|flats|villas))\b",
        "unit_types",
        "Unit types: {value}.",
    ),
    ("location", r"\bsectors?\b", "sector", "It is in {value}."),
    (
        "area",
        r"\b(land|site|plot) (area|size)\b|\bhow big is the (project|land|site)\b|\bproject (land|area)\b"
        r"|\bacres? of (land|site)\b"
        r"|\b(total|overall) area\b(?!.*\b(\d?bhks?|units?|flats?|apartments?|penthouses?|types?|club\w*"
        r"|towers?|villas?|plots?|homes?|residences?)\b)",
        "land_area",
        "Land area: {value}.",
    ),
    ("area", r"\bclub(house)?\b", "club_size", "Clubhouse: {value}."),
    ("area", r"\bcarpet\b", "carpet_area", "Carpet area: {value}."),
]


def _same_value(value: str) -> str:
    """A value as compared with others: "Four towers" and "4 towers" are one value."""
    words = value.strip().lower().split()
    return " ".join(NUMBER_WORDS.get(w, w) for w in words)


def _settle(facts: list[Fact]) -> Fact | None:
    """One fact from candidates: the only value, a list holding all the others, or the values
    of one page together ("128.68 sq m / 1385 sq ft"); None when they disagree."""
    values = {_same_value(f.value) for f in facts}
    if len(values) == 1:
        return next(
            (f for f in facts if re.search(r"\d", f.value)), facts[0]
        )  # "4 towers" over "Four towers"
    if not facts:
        return None
    # A name and its full form ("Maheshwar Buildcon" and "Maheshwar Buildcon Private Limited").
    fullest = max(facts, key=lambda f: len(f.value))
    if all(_same_value(fullest.value).startswith(_same_value(f.value)) for f in facts):
        return fullest
    # Lists: the longest holds every other (unit types by their base: "3BHK, 4BHK" is in
    # "3BHK + STUDY, 4BHK, PENTHOUSE").
    unit_list = facts[0].key == "unit_types"
    as_sets = [
        ({(v.split("+")[0] if unit_list else v).replace(" ", "") for v in f.value.lower().split(",")}, f)
        for f in facts
    ]
    widest = max(as_sets, key=lambda item: (len(item[0]), len(item[1].value)))
    if all(other <= widest[0] for other, _ in as_sets):
        return widest[1]
    pages = {(f.document_id, f.page) for f in facts}
    if len(pages) == 1:
        merged = Fact(
            key=facts[0].key,
            value=" / ".join(dict.fromkeys(f.value.strip() for f in facts)),
            page=facts[0].page,
            origin=facts[0].origin,
        )
        merged.document = facts[0].document
        return merged
    return None


def _unit_facts(
    session: Session, project_id: int, analysis: QueryAnalysis, every_variant: bool = False
) -> list[Fact]:
    """Carpet-area facts of the unit the question names ("3 BHK Type B"); the variants with
    more rooms ("4 BHK + Servant") only when named, or with ``every_variant``."""
    if not analysis.bhk:
        return []
    wanted = analysis.bhk.upper()
    facts = session.scalars(
        select(Fact)
        .where(Fact.project_id == project_id, Fact.key.like("carpet_area:%"))
        .order_by(Fact.page, Fact.id)
    ).all()
    matching = []
    for fact in facts:
        unit = fact.key.split(":", 1)[1].upper()
        if not unit.replace(" ", "").startswith(wanted):
            continue
        variant = re.search(r"TYPE\s*([A-Z0-9]+)", unit)
        if analysis.unit_variant and (
            not variant or variant.group(1).lower().lstrip("0") != analysis.unit_variant.lstrip("0")
        ):
            continue
        if not (analysis.unit_variant or every_variant) and "+" in unit and "+" not in analysis.question:
            continue
        matching.append(fact)
    return matching


COVER_KEYS = frozenset({"location", "sector", "city"})
SUPERLATIVE_RE = re.compile(r"\b(smallest|largest|biggest|minimum|maximum|least|tiniest)\b", re.I)
SMALLEST_WORDS = {"smallest", "minimum", "least", "tiniest"}
AREA_RE = re.compile(r"([\d,]+(?:\.\d+)?)\s*(sq\.?\s*ft|sqft|square feet|sq\.?\s*m|sqm|square met)", re.I)
SQ_FT_PER_SQ_M = Decimal("10.7639")


def _square_feet(value: str) -> Decimal | None:
    match = AREA_RE.search(value)
    if match is None:
        return None
    number = Decimal(match.group(1).replace(",", ""))
    return number if "f" in match.group(2).lower() else number * SQ_FT_PER_SQ_M


def _unit_label(unit: str) -> str:
    """ "4bhk+servant" as "4 BHK + SERVANT"."""
    return unit.upper().replace("BHK", " BHK").replace("+", " + ")


def _extreme(facts: list[Fact], smallest: bool) -> list[Fact] | None:
    """The smallest (or largest) of several layouts' areas, with the same area in its other unit
    printed beside it; None when the areas cannot be compared or there is one layout."""
    sized = [
        (size, f) for f in facts if (size := _square_feet(f.value)) is not None and f.document and f.page
    ]
    if len({round(size) for size, _ in sized}) < 2:
        return None
    size, chosen = (min if smallest else max)(sized, key=lambda item: item[0])
    twins = [
        f
        for other, f in sized
        if f is not chosen
        and (f.page, f.key) == (chosen.page, chosen.key)
        and abs(other - size) <= size / 100
    ]
    return [chosen, *twins]


def _facts(session: Session, project_id: int, key: str, within: Section | None = None) -> list[Fact]:
    query = (
        select(Fact)
        .where(Fact.project_id == project_id, Fact.key == key)
        .order_by(Fact.origin.asc(), Fact.page, Fact.id)  # "curated" sorts before "extracted"
    )
    return _only_within(list(session.scalars(query)), within)


def _only_within(facts: list[Fact], within: Section | None) -> list[Fact]:
    """The facts printed in one part of a bound brochure file (all of them without a part)."""
    return facts if within is None else [f for f in facts if within.holds(f.document_id, f.page)]


def fact_answer(
    session: Session,
    analysis: QueryAnalysis,
    project_id: int,
    stats: CorpusStats | None = None,
    within: Section | None = None,
    drop: frozenset[str] | set[str] = frozenset(),
) -> CitedText | None:
    """Answer from a single unambiguous fact, curated facts first (``drop``: the words of the
    project's name, which ask nothing: "Cedar Residences" does not ask how many residences).

    When a brochure holds several projects (several values for one key), names in the
    question ("Cedar Residences") pick the value printed in that project's pages; ``within``,
    the part of a bound brochure file the question names, keeps its pages' facts only.
    """
    question = without_words(analysis.question.lower(), drop)
    for intent, pattern, key, template in FACT_RULES:
        # The fact must be what is asked first: "how far is it from the Sector 55 metro" asks a
        # distance, not the sector the project is in.
        if intent and intent != analysis.primary_intent:
            continue
        if pattern and not re.search(pattern, question):
            continue
        facts = _facts(session, project_id, key, within)
        curated = [f for f in facts if f.origin == "curated"]
        if key == "carpet_area":
            superlative = SUPERLATIVE_RE.search(question)
            facts = _only_within(_unit_facts(session, project_id, analysis, bool(superlative)), within)
            extreme = _extreme(facts, superlative.group(1) in SMALLEST_WORDS) if superlative else None
            if extreme is not None:
                label = _unit_label(extreme[0].key.split(":", 1)[1])
                values = " / ".join(f.value for f in extreme)
                word = superlative.group(1).lower()
                body = f"The {word} {_unit_label(analysis.bhk)} by carpet area is the {label}: {values}."
                return body, [Citation(extreme[0].document.source, extreme[0].page)]
        chosen = curated[:1] or facts
        brand = (
            stats.rarest([t.tokens[0] for t in analysis.terms if t.brand and len(t.tokens) == 1])
            if stats
            else None
        )
        if len(chosen) > 1 and brand:
            chosen = [f for f in chosen if f.page and stats.near(brand, f.page)] or chosen
        if len(chosen) > 1 and key in COVER_KEYS:
            # The project's own address is on its cover; other sectors are the developer's
            # other projects ("Oriel Vista, Sector 75") or places nearby.
            chosen = [f for f in chosen if f.page == (within.first if within else 1)] or chosen
        chosen = _settle(chosen)
        if chosen is None and key == "unit_types" and not facts:
            derived = unit_types(session, project_id, within)  # the types whose areas are printed
            if derived is not None:
                return template.format(value=derived[0]), derived[1]
        if chosen is None:
            continue  # nothing known, or several different values: let the documents decide
        fact = chosen
        if is_yes_no(analysis.question) and not _speaks_of(analysis, fact, pattern, intent):
            continue  # "Has the developer built homes before?" is not answered by the developer's name
        citations = []
        if fact.page is not None and fact.document is not None:
            citations = [Citation(fact.document.source, fact.page)]
        elif fact.page is not None:
            continue  # a curated fact without a document cannot be cited by page
        body = template.format(value=fact.value.strip().rstrip("."))
        if not citations:
            body += " (confirmed by our team)"
        return body, citations
    return _confirmed_by_the_team(session, analysis, project_id)


RULE_KEYS = frozenset(key for _, _, key, _ in FACT_RULES)


def _confirmed_by_the_team(session: Session, analysis: QueryAnalysis, project_id: int) -> CitedText | None:
    """A fact the partner confirmed or corrected (facts review) whose name the question asks
    about, every word of it as typed or as jargon ("price psf" for "price per sq ft?"): for the
    facts no rule above reads, so a correction reaches investors whatever the brochure's line says."""
    asked = {token for term in analysis.terms for token in term.tokens}
    best: tuple[int, Fact] | None = None
    for fact in session.scalars(
        select(Fact).where(
            Fact.project_id == project_id,
            Fact.origin == "curated",
            Fact.document_id.is_not(None),
            Fact.page.is_not(None),
            ~Fact.key.startswith("answer:"),
        )
    ):
        if fact.key in RULE_KEYS:
            continue
        words = set(tokenize(re.sub(r"[_:]", " ", fact.key)))
        if words and words <= asked and (best is None or len(words) > best[0]):
            best = (len(words), fact)
    if best is None:
        return None
    fact = best[1]
    label = re.sub(r"[_:]", " ", fact.key).strip().capitalize()
    return f"{label}: {fact.value.strip().rstrip('.')}.", [Citation(fact.document.source, fact.page)]


def _speaks_of(analysis: QueryAnalysis, fact: Fact, pattern: str, intent: str | None) -> bool:
    """Whether ``fact`` (its value, its line, the words that ask for it) covers everything the
    question is about."""
    words = set(tokenize(f"{fact.value} {fact.evidence or ''} {re.sub(r'[^a-z ]', ' ', pattern)}"))
    words.update(tokenize(re.sub(r"[^a-z ]", " ", dict(INTENT_PATTERNS).get(intent or "", ""))))
    return all(
        any(set(term.tokens) <= words for term in analysis.terms if term.group == group)
        for group in content_groups(analysis)
    )


# What an overview of a project lists, in this order: (fact key, label).
OVERVIEW_FACTS: tuple[tuple[str, str], ...] = (
    ("location", "Location"),
    ("developer", "Developer"),
    ("rera_number", "RERA"),
    ("unit_types", "Homes"),
    ("towers", "Towers"),
    ("units", "Residences"),
    ("land_area", "Land"),
    ("possession", "Possession"),
    ("price_psf", "Price"),
    ("club_size", "Clubhouse"),
)
# "carpet_area:4BHK+SERVANT TYPE 2" is a 4 BHK + SERVANT home.
UNIT_KEY_RE = re.compile(r"^carpet_area:(\d(?:\.5)?BHK(?:\+\w+)*|PENTHOUSE|VILLA|STUDIO)\b", re.I)


def project_overview(session: Session, project_id: int, within: Section | None = None) -> CitedText | None:
    """ "Tell me about X": the project's key facts, one a line, each with its page."""
    lines: list[str] = []
    citations: list[Citation] = []
    for key, label in OVERVIEW_FACTS:
        found = _overview_fact(session, project_id, key, within)
        if found is None:
            continue  # unknown, ambiguous, or without a page to cite
        value, cited = found
        lines.append(f"• {label}: {value} (p.{', '.join(str(c.page) for c in cited)})")
        citations.extend(c for c in cited if c not in citations)
    if len(lines) < 2:
        return None
    return "\n".join(["Key facts from the brochure:", *lines]), citations


def _overview_fact(
    session: Session, project_id: int, key: str, within: Section | None
) -> tuple[str, list[Citation]] | None:
    fact = _settle(_facts(session, project_id, key, within))
    if fact is not None:
        if fact.document is None or fact.page is None:
            return None
        return fact.value.strip().rstrip("."), [Citation(fact.document.source, fact.page)]
    return unit_types(session, project_id, within) if key == "unit_types" else None


def unit_types(
    session: Session, project_id: int, within: Section | None
) -> tuple[str, list[Citation]] | None:
    """The unit types a brochure gives areas for ("3 BHK, 4 BHK + SERVANT"), when it lists none,
    each cited to the first page giving its area."""
    query = select(Fact).where(Fact.project_id == project_id, Fact.key.like("carpet_area:%"))
    facts = _only_within(list(session.scalars(query.order_by(Fact.page, Fact.id))), within)
    names: list[str] = []
    citations: list[Citation] = []
    for fact in facts:
        unit = UNIT_KEY_RE.match(fact.key)
        if unit is None or fact.document is None or fact.page is None:
            continue
        name = _unit_label(unit.group(1))
        if name not in names:
            names.append(name)
            citation = Citation(fact.document.source, fact.page)
            citations.extend([citation] if citation not in citations else [])
    names.sort(key=lambda name: (not name[0].isdigit(), name))  # 3 BHK before 4 BHK, then the rest
    return (", ".join(names), citations) if names else None
