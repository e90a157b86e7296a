"""Question analysis: terms, investor jargon expansion, typo tolerance, intent and unit type.

Everything here is plain Python over strings, so it is cheap and easy to test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA, Levenshtein
from spellchecker import SpellChecker  # ships a 160,000-word English frequency list

from app.rag.rows import expand_row_shorthand

STOPWORDS = frozenset(
    """a an the of in on at to for from by with about is are was were be been being do does did
    what which who whom whose when where why how much many any some there their its it this that
    these those i me my we our you your he she they them can could would should will shall may
    might tell please give show me us and or but if than then so as per via into under over up
    out also just get got have has had there's whats what's kindly let know want like one each
    every all available offer offers provide project property projects used use come comes expected
    included include provided given get gets does much doing done not exactly actually really
    approximately approx roughly currently basically precisely compare comparison versus vs""".split()
)

NUMBER_WORDS = {
    word: str(n)
    for n, word in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())
}
BEDROOM_RE = re.compile(r"\b(one|two|three|four|five|six|[1-6])[\s-]*bed(?:room)?(s?)\b", re.I)
BHK_RE = re.compile(r"\b(\d)\s*(?:\.5\s*)?-?\s*bhk\b", re.I)
UNIT_VARIANT_RE = re.compile(r"\btype[\s-]*([a-z0-9]{1,2})\b", re.I)
# "EDC/IDC" is two words; "02/09/2024" and "2.5" are one.
# A word naming a kind of home, as ``tokenize`` writes it ("3bhk", "4bhkk" as OCR prints it).
UNIT_TOKEN_RE = re.compile(r"^\d(\.5)?bhk+$|^(studio|penthouse|villa|duplex|simplex)$")
WORD_RE = re.compile(r"[a-z0-9]+(?:(?:\.|(?<=\d)/(?=\d))[a-z0-9]+)*", re.I)
CONTRACTION_RE = re.compile(r"(?<=[a-z])(?:n['’]t|['’](?:s|re|ll|ve|d|m))\b", re.I)  # "who's", "isn't"

# Investor and brochure jargon: each key also expands to its values, and values back to the key.
JARGON: dict[str, list[str]] = {
    "psf": ["per sq ft", "per square feet", "rate"],
    "bsp": ["basic sale price", "base price"],
    "plc": ["preferential location charges"],
    "ifms": ["interest free maintenance security", "ifmd", "maintenance deposit"],
    "ifmd": ["interest free maintenance deposit", "ifms"],
    "clp": ["construction linked plan"],
    "plp": ["possession linked plan"],
    "tsv": ["total sale value", "total consideration"],
    "oc": ["occupation certificate"],
    "cc": ["completion certificate"],
    "edc": ["external development charges"],
    "idc": ["infrastructure development charges"],
    "rera": ["hrera", "registration"],
    "hrera": ["rera", "registration"],
    "carpet": ["carpet area"],
    "super area": ["saleable area", "super built up area"],
    "possession": ["handover", "posession", "completion"],
    "poss": ["possession", "handover"],
    "rental yield": ["yield", "rental income", "returns"],
    "price": ["rate", "cost", "price list", "per sq ft"],
    "cost": ["price", "rate", "amount"],
    "extra": ["additional"],
    # whether a charge is in the price: a line saying either way answers
    "included": ["inclusive", "extra", "excluded", "exclusive"],
    "incl": ["included", "inclusive", "extra", "excluded", "exclusive"],
    "far": ["km", "kms", "mins", "minutes", "distance"],
    "distance": ["km", "kms", "mins"],
    "travel time": ["mins", "minutes", "km", "distance"],
    "commute": ["mins", "minutes", "km", "distance"],
    "big": ["area", "size", "acre", "sq ft"],
    "size": ["area", "sq ft", "acre"],
    "land": ["land area", "acre", "site area", "plot area"],
    "parking": ["car parking", "parkings"],
    "parkings": ["car parking", "parking"],
    "lift": ["elevator", "lifts"],
    "ac": ["air conditioning", "air conditioner", "vrf", "vrv"],
    "elevator": ["lift"],
    "located": ["location", "sector", "address"],
    "location": ["located", "sector", "address"],
    "flooring": ["floor", "marble", "tiles", "wooden"],
    "living room": ["living", "living dining", "drawing room", "lounge"],
    "swimming pool": ["pool", "lap pool", "infinity pool"],
    "national highway": ["nh"],
    "double glazed": ["double glass", "dgu", "double glazing", "dcgu"],
    "bathroom": ["toilet", "washroom", "bath"],
    "level": ["tier", "tiered", "tiers"],
    "levels": ["tier", "tiered", "tiers"],
    "bathtub": ["bath tub", "tub"],
    "maintenance": ["maintain", "maintained", "upkeep"],
    "highway": ["nh", "expressway"],
    "developing": ["developer", "developed by", "developers"],
    "designed": ["architect", "designer", "design"],
    "landscape": ["landscaping", "landscape architect"],
    # Green building ratings India uses
    "green rating": ["griha", "igbc", "leed", "green building"],
    "green certification": ["griha", "igbc", "leed", "green building"],
    "sustainability": ["griha", "igbc", "leed", "green building", "rainwater harvesting", "solar"],
    "amenities": ["clubhouse", "club", "pool", "gym", "facilities"],
    "booking": ["booking amount", "application"],
    "floors": ["floor", "storeys"],
    "units": ["apartments", "homes"],
    "home": ["residence", "apartment", "unit", "flat"],
    "homes": ["residences", "apartments", "units", "flats"],
    "apartments": ["units"],
    "towers": ["tower"],
    "bhk": ["bedroom"],
    "plot": ["plots", "acre"],
    "registration": ["registry"],
    "number": ["no"],
    # How investors say what brochures print in trade terms
    "usable area": ["carpet area", "carpet"],
    "usable floor space": ["carpet area", "carpet"],
    "usable space": ["carpet area", "carpet"],
    "floor space": ["carpet area", "area"],
    "livable area": ["carpet area", "carpet"],
    "built up area": ["super area", "super built up area", "saleable area"],
    "construction company": ["contractor", "construction partner", "civil contractor"],
    "building work": ["contractor", "construction partner", "civil contractor"],
    "keys": ["possession", "handover"],
    "move in": ["possession", "ready to move"],
    "pay later": ["possession linked plan", "plp"],
    "interiors": ["internal finishing", "interior finishing", "internal plaster"],
    "add ons": ["extra", "additional", "other charges"],
    "small kids": ["nursery", "play school", "creche", "toddler"],
    "handed over": ["handover", "possession"],
    "get into": ["enter", "entry", "access"],
    "get in": ["enter", "entry", "access"],
    "housing": ["residential", "homes", "residences"],
    # "done any … before?" is answered by a line saying it is the first
    "before": ["first", "previously", "earlier"],
    "hand over": ["handover", "possession"],
    "registered": ["registry", "registration"],
    # Construction milestones as investors say them and payment plans print them
    "topped out": ["top floor roof slab", "top floor slab", "top slab", "topping out"],
    "topping out": ["top floor roof slab", "top floor slab", "top slab"],
    "staff room": ["servant room", "servant"],
    "maid room": ["servant room", "servant"],
    "help room": ["servant room", "servant"],
    "homes per floor": ["per floor", "residences per floor", "apartments per floor"],
    "each floor": ["per floor"],
    # English words often typed for one another
    "principle": ["principal"],
    "complimentary": ["complementary"],
    "stationary": ["stationery"],
    "dinning": ["dining"],
    "types": ["type", "configuration", "bhk"],
    "unit types": ["bhk", "configurations", "typologies"],
    "configurations": ["bhk", "unit types"],
}

INTENT_PATTERNS: list[tuple[str, str]] = [
    ("rera", r"\b(h?rera|registration (no|number))\b"),
    ("price", r"\b(price|prices|cost|rate|psf|per sq\.? ?ft|bsp|how much does .* cost)\b"),
    (
        "distance",
        r"\b(how far|distance|far from|minutes? from|km from|drive|travel time|commute|time to reach"
        r"|how long .* to reach)\b",
    ),
    (
        "possession",
        # "on offer of possession" names a payment milestone, not a date
        r"\b((?<!offer of )(?<!on )(?:possession|posession|poss)(?! linked)|handover|ready to move"
        r"|completion date|when .* ready)\b",
    ),
    (
        "payment",
        r"\b(payment plan|clp|plp|linked plan|installment|instalment|milestone|paid|pay"
        r"|booking amount|on booking|due|payable)\b",
    ),
    ("charges", r"\b(charges?|ifms|ifmd|plc|edc|idc|deposit|fees?)\b"),
    (
        "area",
        r"\b(carpet|super area|saleable|area|size|how big|sq\.? ?ft|sqft|acre|dimensions?|measurements?)\b",
    ),
    (
        "count",
        # ("how many acres" asks for a measure, not a count)
        r"\bhow many\b(?!\s+(?:acres?|sq|square|km|kms|kilomet\w*|minutes?|mins?|hours?|hrs?|years?|yrs?"
        r"|metres?|meters?|feet|ft|lakhs?|crores?|rupees|percent)\b)"
        r"|\b(?:more|fewer|most|fewest|number of|total|how much)\s+"
        r"(?:units|towers|floors|homes|apartments|residences|flats|storeys|villas|plots)\b",
    ),
    ("location", r"\b(where|located|location|sectors?|address)\b"),
    ("developer", r"\b(developer|builder|developed by|who (built|is building|is developing|develops))\b"),
]


def _words(*words: str) -> str:
    """Alternatives that match as whole words even next to a digit ("Rs18,500", "5lakh") but
    never inside a word ("Particulars", "Residences")."""
    return "|".join(rf"(?<![a-z]){word}(?![a-z])" for word in words)


MONEY_WORDS = _words("rs", "inr", "lakhs?", "lacs?", "crores?", "cr")

# Intents whose answer must contain a figure of a given shape to count as an answer.
FIGURE_SHAPES: dict[str, str] = {
    "price": rf"(₹|{MONEY_WORDS}|/-|per sq|{_words('psf')}|\d+\s*l\b)",
    "distance": r"\d+(\.\d+)?\s*(km|kms|kilomet|min|mins|minutes|hr|hour)"
    r"|\((km|kms|min|mins)[^)]*\)\s*:\s*\d",
    # a date, or how long after booking ("within 90 days", "36 months")
    "possession": r"(\b20\d\d\b|\b(q[1-4]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
    r"|\b\d+\s*(?:days?|weeks?|months?|years?)\b)",
    "count": r"\b\d+\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|twelve)\b",
    # "3,575 sq. ft.", or a table cell whose header carries the unit: "Super Area (sq. ft.): 3,575"
    "area": r"\d[\d,]*(\.\d+)?\s*(sq|acre|sqm|sqft|m2|ft)|acre|\((sq|sqm|sqft|m2)[^)]*\)\s*:\s*\d"
    r"|\b(sq\.?\s*(ft|m|yd)|sqft|sqm)\s*:\s*\d"  # a column headed by the unit: "sq ft: 1,430"
    r"|\d\s*[x×]\s*\d|\d\s*['’]\s*-?\s*\d",  # a room's size: "6200 x 5900", "20'-4\" x 19'-4\""
    "charges": rf"(₹|{MONEY_WORDS}|\d+\s*%|\d+\s*l\b|as per actual)",
    "payment": rf"(\d+\s*%|₹|{_words('rs', 'lakhs?')})",
    "rera": r"\d",
}


def tokenize_plain(text: str) -> list[str]:
    """Lower-cased word tokens without stemming (for building phrase tables)."""
    return [normalize_token(t) for t in WORD_RE.findall(text.lower())]


@lru_cache(maxsize=100_000)
def normalize_token(token: str) -> str:
    """Light stemming so 'parkings'/'parking' and 'towers'/'tower' meet."""
    token = token.lower()
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def without_words(text: str, words: set[str] | frozenset[str]) -> str:
    """``text`` with the words whose normal form is in ``words`` blanked out (a project's name)."""
    return re.sub(r"[A-Za-z0-9]+", lambda m: " " if normalize_token(m.group()) in words else m.group(), text)


def _bedrooms(match: re.Match) -> str:
    """ "Four-bedroom" names a kind of home; "4 Bedrooms" on a floor plan also counts its rooms."""
    number = NUMBER_WORDS.get(match.group(1).lower(), match.group(1))
    counted = bool(match.group(2)) and " " in match.group(0)
    return f" {number}bhk {number} bedrooms " if counted else f" {number}bhk "


def tokenize(text: str) -> list[str]:
    """Normalised word tokens of ``text`` ("3BHK", "3 BHK" and "three-bedroom" give "3bhk")."""
    text = BEDROOM_RE.sub(_bedrooms, text)
    text = BHK_RE.sub(lambda m: f" {m.group(1)}bhk ", text)
    return [normalize_token(t) for t in WORD_RE.findall(text.lower())]


@dataclass
class Term:
    """A search term. Terms of one ``group`` are alternatives (a word and its expansions);
    a question is covered when its groups are. ``optional`` groups only add ranking signal."""

    tokens: tuple[str, ...]
    weight: float
    group: int
    optional: bool = False
    name: bool = False  # a proper name from the question ("Grand Residences", "IGI Airport")
    brand: bool = False  # a name printed across the brochure: locates the section, not the answer

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


@dataclass
class QueryAnalysis:
    """What a question asks, in terms retrieval and composition can use."""

    question: str
    terms: list[Term]
    intents: list[str]
    bhk: str | None = None
    unit_variant: str | None = None
    corrections: dict[str, str] = field(default_factory=dict)
    focus: int | None = None  # the group the wh-word asks about ("which FLOORS", "how FAR")
    # Words the answer's line must not have: "the 4 BHK WITHOUT THE STAFF ROOM" is not the
    # "4 BHK + Servant" row (the staff room's jargon counts: servant).
    excluded: frozenset[str] = frozenset()

    @property
    def primary_intent(self) -> str | None:
        return self.intents[0] if self.intents else None

    def search_words(self) -> list[str]:
        """Distinct words for the full-text query (core and expansion terms)."""
        words: list[str] = []
        for term in self.terms:
            for token in term.tokens:
                if token not in words and token not in STOPWORDS:
                    words.append(token)
        return words


# "Which projects…", "which of your projects…", "any project on…", "list the projects with…";
# not "what is the possession date of the project?".
LISTING_RE = re.compile(
    r"\b(?:which|what)\s+(?:of\s+(?:your|these|the)\s+)?projects?\b|\bany\s+projects?\b"
    r"|\b(?:list|show)\b.*\bprojects\b",
    re.I,
)


def detect_intents(question: str) -> list[str]:
    """Intents in priority order (a question may have several, e.g. price + area)."""
    lowered = question.lower()
    return [name for name, pattern in INTENT_PATTERNS if re.search(pattern, lowered)]


def _expand(token_text: str) -> list[str]:
    expansions = list(_JARGON_NORMALISED.get(token_text, []))
    for key, values in _JARGON_NORMALISED.items():
        if token_text in values and key not in expansions:
            expansions.append(key)
    return expansions


# Multi-word jargon, longest first, matched as phrases (after tokenising, so "sq. ft" == "sq ft").
PHRASES = sorted(
    {" ".join(tokenize_plain(p)) for key, values in JARGON.items() for p in [key, *values] if " " in p},
    key=len,
    reverse=True,
)


_STOPWORDS_NORMALISED = STOPWORDS | {normalize_token(w) for w in STOPWORDS}
_JARGON_NORMALISED = {
    " ".join(tokenize_plain(key)): [" ".join(tokenize_plain(v)) for v in values]
    for key, values in JARGON.items()
}

# Words we know are spelt right, so typo correction never turns "price" into "place".
LEXICON = frozenset(
    {w for key, values in JARGON.items() for phrase in [key, *values] for w in tokenize_plain(phrase)}
    | set(tokenize_plain(" ".join(p for _, p in INTENT_PATTERNS)))
)


RIGHT_BY_RE = re.compile(
    r"\bright(?=\s+(?:next|beside|opposite|across|by|behind|in front|outside|at)\b)", re.I
)
_LONG_LEXICON = frozenset(w for w in LEXICON if len(w) >= 6 and w.isalpha())

# Words that say what happens to the thing asked about ("how much is payable on…", "what is
# included in…"), never the thing itself.
PREDICATE_WORDS = frozenset(
    normalize_token(w)
    for w in "payable due paid pay charged applicable required needed included incl inclusive allowed "
    "permitted given provided offered separately separate share shared fall falls".split()
)
# "Which FIRM is the contractor?", "village NAME?", "what are the towers CALLED?": the kind of
# answer wanted, which the line need not name.
ENTITY_NOUNS = frozenset(
    normalize_token(w)
    for w in "company firm agency organisation organization name named called "
    # who the question is about, whom the brochure addresses as "you": "how do RESIDENTS enter…"
    "resident residents owner owners buyer buyers occupant occupants".split()
)
# "What security FEATURES…?", "hospitals CLOSE to…", "a school INSIDE the project?": the kind of
# answer, or where it lies from the project, which the answer's line need not say ("5-Tier
# Security", "Max Hospital", "NURSERY SCHOOL" on the master plan).
KIND_WORDS = frozenset(
    normalize_token(w)
    for w in "feature facility option provision system close near nearby nearest closest vicinity "
    "proximity room inside within onsite campus premises regular normal ordinary plain "
    # "how SOON after booking…": the measure of a time, which the line gives ("within 90 days")
    "soon quickly after".split()
)
STRUCTURE_WORDS = frozenset(normalize_token(w) for w in "building structure".split())
TIME_MEASURE_WORDS = frozenset(normalize_token(w) for w in "soon long quickly early".split())
MILESTONE_WORDS = frozenset(normalize_token(w) for w in "stage milestone point".split())
UNIT_NOUNS = frozenset(normalize_token(w) for w in "unit flat apartment home".split())
INCLUDED_IN_RE = re.compile(
    r"\b(?:included|incl|inclusive|extra|payable|charged|part)\s+(?:in|of|with|on|over)\b((?:\s+[a-z0-9]+){1,4})$"
)
HAS_FOCUS_RE = re.compile(
    r"^(?:doe|do|is|are|will|can)\b.*?\b(?:have|ha|come with|include|offer|provide|get)\b"
    r"((?:\s+[a-z0-9]+){1,6})"
)
WH_FOCUS_RE = re.compile(r"\b(?:which|what|how|who|when|where)\b((?:\s+[a-z0-9]+){1,6})")


def _starts_name(pair: list[str]) -> bool:
    """Whether a question opens with a two-word name ("Garden Suites ke bedrooms…"), not a
    question word ("Is There…")."""
    return all(w[0].isupper() and w.lower() not in STOPWORDS for w in pair)


def proper_name_tokens(question: str) -> set[str]:
    """Tokens of capitalised words past the first word ("Grand Residences"), minus jargon."""
    words = re.findall(r"[A-Za-z][\w'-]*", question)
    # The first word is capitalised anyway; it names something only when written in capitals
    # ("IGI airport distance?"), as acronyms are.
    first = (
        words[:1]
        if words
        and len(words[0]) >= 2
        and (words[0].isupper() or (len(words) > 1 and words[0][0].isupper() and _starts_name(words[:2])))
        else []
    )
    return {
        normalize_token(w)
        for w in first + words[1:]
        if w[0].isupper() and not (w.isupper() and normalize_token(w) in LEXICON) and not BHK_RE.search(w)
    }


COMMON_WORD_FREQUENCY = 1000  # "coverage", "ground", "principle"; not "wat" or "dinning"


@lru_cache(maxsize=1)
def _english_frequencies():
    return SpellChecker(distance=1).word_frequency


def is_common_english(token: str) -> bool:
    """Whether ``token`` is an everyday English word, so a word the brochures lack ("FAR and
    ground coverage") is asked as written rather than "corrected" to one they have."""
    return _english_frequencies()[token] >= COMMON_WORD_FREQUENCY


_PHRASE_WORDS = frozenset(w for p in PHRASES for w in p.split() if len(w) >= 4 and w.isalpha())
_QUESTION_STOPWORDS = frozenset(w for w in STOPWORDS if len(w) >= 4 and w.isalpha())


def _misspelt_stopword(token: str, vocabulary: frozenset[str] | None, first: bool = False) -> bool:
    """ "wich", "wher": a question word typed in a hurry, not a word to search for (three letters
    only as the question's first word: "wat AC system…")."""
    if (
        vocabulary is None
        or token in vocabulary
        or len(token) < (3 if first else 4)
        or is_common_english(token)
    ):
        return False
    return any(Levenshtein.distance(token, word, score_cutoff=1) <= 1 for word in _QUESTION_STOPWORDS)


def _names_project(token: str, project_words: set[str]) -> bool:
    """Whether ``token`` is a word of the project's name, as typed ("lakeshre" for Lakeshore)."""
    if token in project_words:
        return True
    return (
        len(token) >= 5
        and not is_common_english(token)  # "power" is not a misspelt "Tower"
        and any(
            len(word) >= 5 and OSA.distance(token, word, score_cutoff=1) <= 1  # ("hieghts")
            for word in project_words
        )
    )


def correct_typo(token: str, vocabulary: frozenset[str]) -> str | None:
    """The brochure word closest to a misspelt ``token``: one edit away (a swapped pair of letters
    is one edit) for words of up to six letters, two for longer ones. Ties go to a word with the
    same first letter, then to one not shorter than the typed word (a letter left out is the
    commoner slip: "developr" is "developer", not "develop"), then the alphabetically first, so
    the same question always reads the same way."""
    cutoff = 1 if len(token) <= 6 else 2
    # (OSA: a swapped pair of letters is one edit: "aera" is "area")
    matches = process.extract(token, vocabulary, scorer=OSA.distance, score_cutoff=cutoff, limit=None)
    if not matches:
        return None
    best = min(distance for _, distance, _ in matches)
    closest = [word for word, distance, _ in matches if distance == best]
    return min(closest, key=lambda word: (word[0] != token[0], len(word) < len(token), word))


def _expand_contraction(match: re.Match) -> str:
    """ "isn't" reads "is not"; "who's" and "they're" read "who" and "they"."""
    return " not" if match.group().lower().startswith("n") else ""


IRREGULAR_NEGATIVES_RE = re.compile(r"\b(can|won)['’]t\b", re.I)  # "can't", "won't"


def _unit_nouns_optional(terms: list[Term], tokens: list[str]) -> None:
    """ "Flats mein AC milega?": "flats" only says where; the line need not repeat it when the
    question asks about something else (unless it asks how many, or the noun qualifies the next
    word: "apartment configurations")."""
    groups: dict[int, list[Term]] = {}
    for term in terms:
        groups.setdefault(term.group, []).append(term)
    qualifying = {a for a, b in zip(tokens, tokens[1:], strict=False) if b not in _STOPWORDS_NORMALISED}
    unit_groups = {
        g
        for g, ts in groups.items()
        if not ts[0].optional
        and any(t.tokens[0] in UNIT_NOUNS for t in ts if t.weight == 1.0)  # as typed or corrected
        and ts[0].tokens[0] not in qualifying
    }
    others = {g for g, ts in groups.items() if not ts[0].optional and g not in unit_groups}
    if unit_groups and others:
        for group in unit_groups:
            for term in groups[group]:
                term.optional = True


ASKS_HOW_SOON_RE = re.compile(r"\s*(?:how soon|how long|how quickly|by when|in how many)\b", re.I)
COUNTED_FROM_RE = re.compile(r"\b(?:after|from|of)\s+(?:the\s+|my\s+)?([a-z]+)", re.I)


def _counted_from(question: str) -> set[str]:
    """ "How soon after BOOKING…", "how long from PAYMENT…": the moment a time is counted from,
    which the line giving the time ("within 90 days") need not repeat."""
    if not ASKS_HOW_SOON_RE.match(question):
        return set()
    return {t for match in COUNTED_FROM_RE.finditer(question) for t in tokenize(match.group(1))}


SHARE_OF_PRICE_RE = re.compile(
    r"\b(?:how much|what (?:part|portion|share|percent(?:age)?)|what %|which %)\s+of\s+(?:the\s+)?"
    r"(?:[a-z]+\s+)?(?:price|bsp|cost|amount|consideration|value)\b",
    re.I,
)
EXCLUSION_RE = re.compile(
    r"\b(?:without|excluding|except(?:\s+for)?|other\s+than|minus|sans)\s+(?:the\s+|a\s+|an\s+|any\s+)?"
    r"([a-z][a-z'-]*(?:\s+[a-z][a-z'-]*){0,2})",
    re.I,
)


def _set_aside_exclusions(question: str) -> tuple[str, frozenset[str]]:
    """The question without what it rules out ("the 4 BHK, the one without the staff room"), and
    the distinctive words of what it rules out, with their jargon ("staff room": servant)."""
    excluded: set[str] = set()
    for match in EXCLUSION_RE.finditer(question):
        phrase = " ".join(tokenize(match.group(1)))
        meanings = [phrase, *_expand(phrase), *(m for t in phrase.split() for m in _expand(t))]
        excluded.update(
            t
            for meaning in meanings
            for t in tokenize(meaning)
            if t not in _STOPWORDS_NORMALISED and t not in KIND_WORDS and t not in UNIT_NOUNS
        )
    if not excluded:
        return question, frozenset()
    return EXCLUSION_RE.sub(" ", question), frozenset(excluded)


def analyze(
    question: str, vocabulary: frozenset[str] | None = None, drop: set[str] | None = None
) -> QueryAnalysis:
    """Turn a question into weighted term groups with jargon expansion and typo correction.

    ``vocabulary`` (words seen in the brochures) lets misspelt words be matched to the closest
    real word; ``drop`` removes words that only name the project in focus.
    """
    drop = drop or set()
    question = expand_row_shorthand(question)  # "ph2 psf?"
    question, excluded = _set_aside_exclusions(question)
    question = RIGHT_BY_RE.sub(" ", question)  # "what is RIGHT next to the plot": no right to look for
    expanded = IRREGULAR_NEGATIVES_RE.sub(
        lambda m: "can not" if m.group(1).lower() == "can" else "will not", question
    )
    all_tokens = tokenize(CONTRACTION_RE.sub(_expand_contraction, expanded))
    tokens = [
        t
        for n, t in enumerate(all_tokens)
        if t not in _STOPWORDS_NORMALISED
        and not _names_project(t, drop)
        and not _misspelt_stopword(t, vocabulary, first=n == 0)
    ]
    terms: list[Term] = []
    corrections: dict[str, str] = {}
    seen: set[tuple[str, ...]] = set()

    names = proper_name_tokens(question)
    # An everyday word written in capitals in a question that is not all capitals is an acronym
    # ("What FAR is allowed?"): a name, not the word ("how far") and its expansions.
    acronyms = (
        {
            normalize_token(w)
            for w in re.findall(r"(?<!\bhow )(?<!\bHow )(?<!\bHOW )\b[A-Z]{2,3}\b", question)
            if is_common_english(w.lower())
        }
        if re.search(r"[a-z]", question)
        else set()
    )
    names |= acronyms

    def add(tokens_: tuple[str, ...], weight: float, group: int, optional: bool = False) -> None:
        if tokens_ and tokens_ not in seen:
            seen.add(tokens_)
            terms.append(Term(tokens_, weight, group, optional, name=all(t in names for t in tokens_)))

    # A misspelt jargon word still makes its phrase: "nationl highway" is "national highway".
    phrase_spelling = {
        t: match
        for t in set(all_tokens)
        if len(t) >= 4
        and t not in _PHRASE_WORDS
        and (vocabulary is None or t not in vocabulary)
        and not is_common_english(t)
        and (match := correct_typo(t, _PHRASE_WORDS))
    }
    lowered = " ".join(phrase_spelling.get(t, t) for t in all_tokens)
    absorbed: set[str] = set()
    absorbed_phrases: list[str] = []
    group = 0
    for phrase in (p for p in PHRASES if re.search(rf"\b{re.escape(p)}\b", lowered)):
        if any(phrase in longer for longer in absorbed_phrases):
            continue
        absorbed_phrases.append(phrase)
        add(tuple(phrase.split()), 1.5, group)
        for expansion in _expand(phrase):
            add(tuple(tokenize(expansion)), 1.2, group)
        absorbed.update(phrase.split())
        absorbed.update(t for t, match in phrase_spelling.items() if match in phrase.split())
        group += 1
    bhk = next((t for t in all_tokens if re.fullmatch(r"\dbhk", t)), None)  # "4 BHK", "four-bedroom"
    counted_from = _counted_from(question)
    for token in tokens:
        if token in absorbed or (token,) in seen:
            continue  # already asked for, as a phrase or as another word's expansion
        match = None
        if (
            vocabulary
            and len(token) >= 3
            and not any(c.isdigit() for c in token)
            and token not in vocabulary
            and token not in LEXICON
            and not is_common_english(token)
        ):
            # the closest of a brochure's words and investor jargon ("developr", "floorng"), the
            # brochure's on a tie
            match = correct_typo(token, vocabulary)
            jargon = correct_typo(token, _LONG_LEXICON) if len(token) >= 6 else None
            if jargon and (match is None or OSA.distance(token, jargon) < OSA.distance(token, match)):
                match = jargon
            if match and len(token) == 3 and match[0] != token[0]:
                match = None  # three letters say too little to guess from a different start
            if match and ((match,) in seen or match in _STOPWORDS_NORMALISED):
                continue  # "floor rise for 28th flor": the floor is asked for already; "wat"
        # "What is DUE on offer of possession?", "the 4 BHK UNIT": words that say what happens
        # to the thing asked about, or repeat what a configuration is, help rank but are not
        # required on the answer's line.
        optional = (
            token in NUMBER_WORDS
            or token in counted_from
            or any(  # ("all FOUR towers"…)
                word in PREDICATE_WORDS
                or word in ENTITY_NOUNS
                or word in KIND_WORDS
                or (bhk is not None and word in UNIT_NOUNS)
                for word in (token, match)  # as typed, or as corrected ("sytem")
                if word
            )
        )
        add((token,), 1.0, group, optional)
        if match:
            corrections[token] = match
            add((match,), 1.0, group, optional)
        for expansion in [] if token in acronyms else _expand(token):
            add(tuple(tokenize(expansion)), 0.8, group, optional)
        group += 1
    for first, second in zip(tokens, tokens[1:], strict=False):
        add((first, second), 0.6, group, optional=True)
        group += 1
    # The kind of question as corrected: "developr name?" asks who the developer is; and as its
    # jargon means it: "usable floor space" asks for an area (the carpet area).
    intents = detect_intents(
        re.sub(r"[A-Za-z]+", lambda m: corrections.get(normalize_token(m.group()), m.group()), question)
    )
    for phrase in absorbed_phrases:
        for meaning in _expand(phrase):
            intents += [intent for intent in detect_intents(meaning) if intent not in intents]
    if "payment" in intents and SHARE_OF_PRICE_RE.search(question):
        # "How much OF THE BASE PRICE is due at…": a share of the price (10%), not a price.
        intents = ["payment", *(intent for intent in intents if intent != "payment")]
    if intents[:1] == ["payment"]:
        # "…due when the BUILDING is topped out": every stage of a payment plan is the building's.
        structure = {t.group for t in terms if len(t.tokens) == 1 and t.tokens[0] in STRUCTURE_WORDS}
        for term in terms:
            if term.group in structure:
                term.optional = True
    if "count" not in intents:
        _unit_nouns_optional(terms, all_tokens)
    reference = INCLUDED_IN_RE.search(joined_all := " ".join(all_tokens))
    if reference and not re.match(r"(?:what|which|how|who|where|when|why)\b", joined_all):
        # …and the kind of figure it asks for is that of what it asks about, not of the BSP.
        intents = detect_intents(joined_all[: reference.start(1)])
        # "Is EDC/IDC included in the BSP?" asks about EDC/IDC; the BSP is what it is measured
        # against, and the line about EDC ("EDC & IDC: Rs. 1,025 per sq ft (extra)") need not name it.
        after = set(reference.group(1).split())
        measured = {term.group for term in terms if set(term.tokens) <= after}
        for term in terms:
            if term.group in measured:
                term.optional = True
    variant = UNIT_VARIANT_RE.search(question)
    focus = None
    joined = " ".join(all_tokens)
    # "Does the 3BHK have a separate UTILITY room?": what a yes-or-no question asks is had.
    asked = WH_FOCUS_RE.search(joined) or HAS_FOCUS_RE.search(joined)
    # "How soon … will the plot be handed over?" asks for a time, not about the plot.
    if asked and not ASKS_HOW_SOON_RE.match(question):
        for token in asked.group(1).split():
            if token in PREDICATE_WORDS or token in MILESTONE_WORDS or token in TIME_MEASURE_WORDS:
                # "how much is PAYABLE on casting…" asks about casting, not payable; "at which
                # STAGE is it payable" wants a milestone row, which need not say "stage"
                continue
            group = next((t.group for t in terms if token in t.tokens and not t.optional), None)
            if group is not None:
                focus = group
                break
    return QueryAnalysis(
        question=question,
        terms=terms,
        intents=intents,
        bhk=bhk,
        unit_variant=variant.group(1).lower() if variant else None,
        corrections=corrections,
        focus=focus,
        excluded=excluded,
    )


# Words that say what kind of figure is wanted, not what it is about: "parking COST", "carpet
# AREA", "possession DATE". A line answering "extra parking cost?" must speak of parking.
ANSWER_KIND_WORDS = frozenset(
    normalize_token(w)
    for w in "price prices cost costs rate rates psf amount charge charges fee fees much area size big "
    "sq ft sqft sqm distance far km kms time date dates number no total many long minutes mins travel "
    "dimension dimensions measurement measurements "
    "commute value figure detail details exact approx approximate current latest starting stage stages "
    "milestone milestones percent percentage bigger larger smaller biggest largest smallest more less "
    "cheaper costlier higher lower".split()
)


def content_groups(analysis: QueryAnalysis) -> frozenset[int]:
    """The required term groups that name what the question is about, beyond the kind of
    figure it wants; empty for a question that is all kind ("price?")."""
    first: dict[int, Term] = {}
    for term in analysis.terms:
        if not term.optional:
            first.setdefault(term.group, term)
    return frozenset(
        group
        for group, term in first.items()
        if term.name or not all(t in ANSWER_KIND_WORDS for t in term.tokens)
    )


OVERVIEW_WORDS = frozenset(
    normalize_token(w)
    for w in "about overview details detail info information summary brief highlights key facts more "
    "everything project brochure".split()
)
OVERVIEW_RE = re.compile(
    r"\b(about|overview|details?|info|information|summary|brief|highlights|key facts)\b", re.I
)


def is_overview(analysis: QueryAnalysis) -> bool:
    """Whether a question asks about the project as a whole ("tell me about X", "X overview",
    or just the project's name): no term is left once overview words are set aside."""
    asked = {t for term in analysis.terms if not term.optional for t in term.tokens} - OVERVIEW_WORDS
    if asked:
        return False
    # Nothing left but the project's name; a question with no words at all (a Hindi word the
    # language tables do not know was left out) asks something nobody can tell.
    named_only = not analysis.terms and bool(re.search(r"[a-z]", analysis.question, re.I))
    return named_only or bool(OVERVIEW_RE.search(analysis.question))
