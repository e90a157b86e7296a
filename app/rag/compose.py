"""Extractive answers: find the lines of the retrieved pages that answer the question.

Every figure in an extractive answer is copied from the cited page, so it can never invent a
number. A question is answered only when the chosen lines cover what it asks and, for
questions that want a figure (price, distance, date…), contain a figure of that shape.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from app.rag.corpus_stats import CorpusStats
from app.rag.language import is_yes_no
from app.rag.query import (
    FIGURE_SHAPES,
    LISTING_RE,
    NUMBER_WORDS,
    STOPWORDS,
    UNIT_TOKEN_RE,
    QueryAnalysis,
    content_groups,
    is_common_english,
    tokenize,
)
from app.rag.retrieve import PageHit
from app.rag.rows import qualifiers

MIN_COVERAGE = 0.6
# Words that ask for a kind of figure, and the figure that answers them wherever they are asked.
KIND_WORD_SHAPES = {
    "date": FIGURE_SHAPES["possession"],
    "price": FIGURE_SHAPES["price"],
    "cost": FIGURE_SHAPES["price"],
    "distance": FIGURE_SHAPES["distance"],
    "area": FIGURE_SHAPES["area"],
    "size": FIGURE_SHAPES["area"],
    "dimension": FIGURE_SHAPES["area"],
}
BRAND_SPREAD = 0.2  # a word on a fifth of a project's pages names the project, not the answer
LONG_LINE = 220
SIBLING_RATIO = 0.8
MAX_SIBLINGS = 5
SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
# A full stop that ends an abbreviation or an initial ("Fenwick Estates Pvt. Ltd.", "Mira K. Sethi")
# does not end the sentence.
ABBREVIATION_RE = re.compile(
    r"(?:\b(?:pvt|ltd|co|inc|no|nos|rs|sq|ft|mt|st|dr|mr|mrs|ms|sr|jr|govt|approx|vs|etc|ph|tel|"
    r"sec|opp|nr)|\b[A-Z])\.$",
    re.I,
)
TABLE_ROW_RE = re.compile(r"\S\s\|\s\S")
HAS_DIGIT_RE = re.compile(r"\d")
ALPHA_WORD_RE = re.compile(r"[A-Za-z]{3,}")
FIGURE_UNIT_WORDS = {
    "kms",
    "km",
    "min",
    "mins",
    "minutes",
    "sq",
    "ft",
    "sqft",
    "sqm",
    "m",
    "approx",
    "acre",
    "acres",
    "lakh",
    "lakhs",
    "cr",
    "crore",
    "rs",
    "inr",
    "per",
    "floor",
    "to",
    "from",
}


@dataclass
class Evidence:
    """Lines chosen from one page to answer a question."""

    document: str
    page: int
    project_id: int
    lines: list[str]
    score: float
    coverage: float
    from_table: bool = False
    heading: str = ""
    extra: list[str] = field(default_factory=list)


@lru_cache(maxsize=50_000)
def is_figure_only(line: str) -> bool:
    """A line that is just a value ("45 mins", "200.34 sq.m.", "23 KMS (30 MINS)")."""
    if not HAS_DIGIT_RE.search(line):
        return False
    words = [w.lower() for w in ALPHA_WORD_RE.findall(line)]
    return all(w.rstrip(".") in FIGURE_UNIT_WORDS or w.endswith(("st", "nd", "rd", "th")) for w in words)


@lru_cache(maxsize=262_144)
def _close(a: str, b: str) -> bool:
    """Typo-tolerant token equality for OCR text ("posession" ~ "possession"); two real words
    are never one ("rather" is not "gather")."""
    if a == b:
        return True
    if min(len(a), len(b)) < 6 or Levenshtein.distance(a, b, score_cutoff=1) > 1:
        return False
    return not (is_common_english(a) and is_common_english(b))


def _group_weights(
    analysis: QueryAnalysis, documents: list[list[frozenset[str]]], stats: CorpusStats | None
) -> dict[int, float]:
    """Weight each term group by how rare its words are among the candidate lines (IDF).

    Words printed on most pages of the project (brand and sub-project names) say little about
    which line answers, so they count for less.
    """
    lines = [line for page in documents for line in page]
    total = max(1, len(lines))
    weights: dict[int, float] = {}
    for term in analysis.terms:
        df = sum(1 for line in lines if set(term.tokens) <= line)
        idf = math.log(1 + total / (1 + df))
        weight = term.weight * max(idf, 0.3) * (0.5 if term.optional else 1.0)
        if all(t.isdigit() and len(t) <= 2 for t in term.tokens):
            weight *= 0.4  # bare small numbers ("tower 2") say little on their own
        if stats is not None and min(stats.spread(t) for t in term.tokens) >= BRAND_SPREAD:
            weight *= 0.25
        weights[term.group] = max(weights.get(term.group, 0.0), weight)
    return weights


def _split_lines(text: str) -> list[str]:
    return [line for line, _ in _lines_with_context(text)]


def _block_numbers(text: str) -> list[int]:
    """For each line of :func:`_lines_with_context`, the number of the block it is in."""
    numbers: list[int] = []
    for number, block in enumerate(re.split(r"\n\s*\n", text)):
        numbers.extend([number] * len(_lines_with_context(block)))
    return numbers


def _lines_with_context(text: str) -> list[tuple[str, str]]:
    """Each line of a page with the label of its block ("LIVING / DINING" above "FLOOR: Marble").

    Blocks are separated by blank lines; a block's first line labels the rest when it carries no
    figure. Over-long lines are split into sentences.
    """
    result: list[tuple[str, str]] = []
    for block in re.split(r"\n\s*\n", text):
        lines: list[str] = []
        for raw in block.splitlines():
            line = raw.strip()
            if len(line) > LONG_LINE:
                lines.extend(_sentences(line))
            elif line:
                lines.append(line)
        label = (
            lines[0] if len(lines) > 1 and not HAS_DIGIT_RE.search(lines[0]) and len(lines[0]) <= 80 else ""
        )
        result.extend((line, label if line != label else "") for line in lines)
    return result


def _sentences(line: str) -> list[str]:
    """A long line cut into its sentences."""
    sentences: list[str] = []
    for piece in (p.strip() for p in SENTENCE_RE.split(line)):
        if sentences and ABBREVIATION_RE.search(sentences[-1]):
            sentences[-1] += " " + piece
        elif piece:
            sentences.append(piece)
    return sentences


def is_heading(line: str) -> bool:
    """A caption or title ("CLP Plan:", "PAYMENT PLAN") rather than a statement."""
    if HAS_DIGIT_RE.search(line):
        return False
    words = line.split()
    return line.endswith(":") or (line.isupper() and len(words) <= 6)


def _attach_values(lines: list[str], index: int, shape: str | None, blocks: list[int]) -> list[int]:
    """A label line with its value lines ("Carpet Area" + "200.34 sq.m." + "2,156.50 sq.ft."),
    as line indexes within the same block.

    A label may hold digits of its own ("DLF Phase 5"); it still takes the value lines when it
    lacks the figure the question wants (a distance, a price…).
    """
    line = lines[index]
    if is_figure_only(line) or (re.search(shape, line, re.I) if shape else HAS_DIGIT_RE.search(line)):
        return [index]
    after = []
    for offset in range(index + 1, min(index + 4, len(lines))):
        if blocks[offset] != blocks[index] or not is_figure_only(lines[offset]):
            break
        after.append(offset)
    if after:
        return [index, *after]
    if index > 0 and blocks[index - 1] == blocks[index] and is_figure_only(lines[index - 1]):
        return [index - 1, index]
    return [index]


def _labels_a_value(lines: list[str], index: int, label: str, block: list[int], title_block: bool) -> bool:
    """Whether ``label`` is a caption of the one or two value lines under it: a short block
    ("LANDSCAPE CONSULTANT" / "DESIGN ACCORD"), not a section title above a list. ``block``: the
    indexes of the lines of ``index``'s block; ``title_block``: whether it is the page's first."""
    if not label or not is_heading(label) or title_block or len(lines[index].split()) > 8:
        return False  # (the page's own title block is a title, not a caption)
    return len(block) <= 3 and lines[block[0]] == label and index != block[0]


def _captioned_line(lines: list[str], index: int, block: list[int], title_block: bool) -> int | None:
    """The line a caption inside a short block names: the one right under it, or the one above
    it when the caption ends a two-line block ("GARY E. GREENE, AIA" / "ARCHITECT")."""
    if title_block or len(block) > 3:
        return None
    if index + 1 in block:
        named = index + 1
    elif len(block) == 2 and index - 1 in block:
        named = index - 1
    else:
        return None
    return named if len(lines[named].split()) <= 8 else None


def _wanted_shape(analysis: QueryAnalysis) -> str | None:
    """The figure an answer must hold: a price for "BSP?", none for "Is GST included in the
    BSP?", which a line saying "5% extra on BSP" answers."""
    if is_yes_no(analysis.question):
        return None
    return FIGURE_SHAPES.get(analysis.primary_intent or "")


def _extends(word: str, token: str) -> bool:
    """Whether ``token`` is ``word`` with a suffix of up to three letters ("gardener")."""
    return len(word) >= 5 and word.isalpha() and token.startswith(word) and 0 < len(token) - len(word) <= 3


class _PageTerms:
    """Which term groups a page can match, worked out once per page (fuzzy matches included)."""

    def __init__(self, analysis: QueryAnalysis, page_set: frozenset[str]):
        self._nearby: dict[str, frozenset[str]] = {}
        self.single: list[tuple[int, frozenset[str], bool]] = []
        self.phrases: list[tuple[int, tuple[frozenset[str], ...], bool]] = []
        best: dict[int, float] = {}
        for term in analysis.terms:
            best[term.group] = max(best.get(term.group, 0.0), term.weight)
        for term in analysis.terms:
            primary = term.weight >= best[term.group]  # the asked word, not an expansion of it
            if len(term.tokens) == 1:
                word = term.tokens[0]
                if word == "bhk" and primary:  # "BHK options?": any configuration: 3BHK, 4BHKK (OCR)…
                    close = {t for t in page_set if UNIT_TOKEN_RE.match(t)}
                elif len(word) >= 6:
                    close = {t for t in page_set if _close(word, t)}
                else:
                    close = {word} & page_set
                if close:
                    self.single.append((term.group, frozenset(close), primary))
                # "garden" in "Gardener-on-call", "develop" in "developer": a longer word made
                # on the asked one counts, as an expansion does.
                longer = {t for t in page_set if _extends(word, t)} - close if primary else set()
                if longer:
                    self.single.append((term.group, frozenset(longer), False))
            else:
                parts = tuple(self._near(part, page_set) for part in term.tokens)
                if all(parts):
                    self.phrases.append((term.group, parts, primary))
        # "28th floor" is on the row "26th to 31st"
        self.numbers = [
            (term.group, int(m.group(1)), bool(m.group(2)))
            for term in analysis.terms
            if len(term.tokens) == 1 and (m := NUMBER_TOKEN_RE.match(term.tokens[0]))
        ]

    def _near(self, word: str, page_set: frozenset[str]) -> frozenset[str]:
        """The page's words a phrase's word matches: itself, or a close spelling of a long word
        (each word worked out once a page: phrases share their words)."""
        if word not in self._nearby:
            self._nearby[word] = (
                frozenset(t for t in page_set if _close(word, t))
                if len(word) >= 6
                else frozenset({word} & page_set)
            )
        return self._nearby[word]

    def groups(self, tokens: list[str]) -> frozenset[int]:
        """The term groups ``tokens`` (a line, a unit or the whole page) match."""
        return frozenset(self.match(tokens))

    def match(self, tokens: list[str]) -> dict[int, bool]:
        """The term groups ``tokens`` match, each with whether the asked word itself matched
        (not only one of its expansions: "designed" for "architect")."""
        token_set = frozenset(tokens)
        found: dict[int, bool] = {}
        for group, close, primary in self.single:
            if not found.get(group) and not close.isdisjoint(token_set):
                found[group] = primary
        for group, parts, primary in self.phrases:
            if not found.get(group) and not parts[0].isdisjoint(token_set) and _has_phrase(parts, tokens):
                found[group] = found.get(group, False) or primary
        for group, number, ordinal in self.numbers:
            if group not in found and _in_a_range(number, ordinal, tokens):
                found[group] = True
        return found


NUMBER_TOKEN_RE = re.compile(r"^(\d{1,3})(st|nd|rd|th)?$")


def _in_a_range(number: int, ordinal: bool, tokens: list[str]) -> bool:
    """Whether ``tokens`` hold a range of the same kind ("26th to 31st", "6th - 15th") that
    takes in ``number``."""
    bounds = [
        (i, int(m.group(1)))
        for i, token in enumerate(tokens)
        if (m := NUMBER_TOKEN_RE.match(token)) and bool(m.group(2)) == ordinal
    ]
    for (i, low), (j, high) in zip(bounds, bounds[1:], strict=False):
        between = tokens[i + 1 : j]
        # "26th to 31st", "6th - 15th" (the dash is not a token); plain numbers need the "to":
        # "1,250" is two tokens, not a range.
        if low < high and (between == ["to"] or (ordinal and not between)) and low <= number <= high:
            return True
    return False


def _has_phrase(parts: tuple[frozenset[str], ...], tokens: list[str]) -> bool:
    """Whether ``tokens`` hold the phrase whose k-th word may be any of ``parts[k]`` (the
    page's spellings close to it), in order and adjacent."""
    n = len(parts)
    return any(
        all(tokens[i + k] in parts[k] for k in range(n))
        for i in range(len(tokens) - n + 1)
        if tokens[i] in parts[0]
    )


LEAD_BONUS = 0.5
EXPANSION_CREDIT = 0.7  # a line with "designed" speaks of an architect less than one saying so
LABEL_RE = re.compile(r"^([^:|]{2,50}):\s*\S")


def line_label(line: str) -> str:
    """What a line is about: "IFMS" of "IFMS : Rs. 250 per sq ft"; of a table row, its first
    cell with words ("On offer of possession" of "S.No.: 11 | Stage: On offer of possession |
    …"). A line where the asked word is the label is about it, not a mention of it."""
    if "|" in line:
        for cell in line.split("|"):
            value = cell.split(":", 1)[-1].strip()
            if ALPHA_WORD_RE.search(value):
                return value
        return ""
    match = LABEL_RE.match(line)
    return match.group(1).strip() if match else ""


@dataclass
class _Candidate:
    page_index: int
    line_index: int
    unit: list[str]
    groups: frozenset[int]
    score: float
    coverage: float
    page_groups: frozenset[int] = frozenset()


def _candidates(analysis: QueryAnalysis, hits: list[PageHit], stats: CorpusStats | None) -> list[_Candidate]:
    pages = []
    for hit in hits:
        context = _lines_with_context(hit.text)
        lines = [line for line, _ in context]
        line_tokens = [tokenize(line) for line in lines]
        page_tokens = [t for tokens in line_tokens for t in tokens]
        if stats is not None:  # "HIGHLIGHTS" after "UNIT PLAN – 4 BHK (TYPE C)" is about that unit
            page_tokens += tokenize(stats.continued_title(hit.document_id, hit.page, hit.text))
        terms = _PageTerms(analysis, frozenset(page_tokens))
        pages.append((hit, context, lines, line_tokens, terms, terms.groups(page_tokens)))
    weights = _group_weights(analysis, [[frozenset(t) for t in page[3]] for page in pages], stats)
    required = {t.group for t in analysis.terms if not t.optional}
    total_required = sum(weights[g] for g in required) or 1.0
    shape = _wanted_shape(analysis)
    top_prior = max(hit.rank_score for hit in hits) or 1.0
    brands = [t.tokens[0] for t in analysis.terms if t.brand and len(t.tokens) == 1]
    brand = stats.rarest(brands) if stats else None
    focus = analysis.focus
    focus_on_pages = focus is not None and any(focus in page[5] for page in pages)
    content = content_groups(analysis)
    # "Is there a nursery school?": a label naming all it asks about ("NURSERY SCHOOL" on a master
    # plan) says there is one, though a label alone answers no other kind of question.
    asks_whether = is_yes_no(analysis.question)
    bare_price = analysis.primary_intent == "price" and not content
    kind_shapes = {
        t.group: KIND_WORD_SHAPES[t.tokens[0]]
        for t in analysis.terms
        if not t.optional and len(t.tokens) == 1 and t.tokens[0] in KIND_WORD_SHAPES
    }
    name_groups = {t.group for t in analysis.terms if t.name}
    subject = content - name_groups  # what is asked about the names, when the question says
    found: list[_Candidate] = []
    for page_index, (hit, context, lines, line_tokens, terms, page_groups) in enumerate(pages):
        if not page_groups & required:
            continue
        labels = [label for _, label in context]
        titled = len(lines) > 1 and len(lines[0]) <= 80 and "|" not in lines[0]
        title_groups = terms.groups(line_tokens[0]) if titled else frozenset()
        label_groups_of = {label: terms.groups(tokenize(label)) for label in set(labels) if label}
        blocks = _block_numbers(hit.text)
        members: dict[int, list[int]] = {}  # block number → the indexes of its lines
        for line_index, number in enumerate(blocks):
            members.setdefault(number, []).append(line_index)
        prior = 0.5 * hit.rank_score / top_prior
        page_bonus = 0.5 if analysis.bhk and analysis.bhk in page_groups_tokens(line_tokens) else 0.0
        if brand and stats is not None and stats.near(brand, hit.page):
            page_bonus += 1.0
        for index in range(len(lines)):
            if index == 0 and len(lines) > 3 and len(lines[0]) <= 80 and "|" not in lines[0]:
                continue  # the page title is context for the lines below, not an answer
            unit_ids = _attach_values(lines, index, shape, blocks)
            if (
                lines[index].rstrip().endswith("?")
                and index + 1 < len(lines)
                and blocks[index + 1] == blocks[index]
            ):
                # A question the brochure asks itself ("Can NRIs buy?") is answered by the line after it.
                unit_ids = sorted({*unit_ids, index + 1})
            matched = terms.match([t for i in unit_ids for t in line_tokens[i]])
            groups = frozenset(matched)
            label_groups = label_groups_of[labels[index]] - groups if labels[index] else frozenset()
            if index and titled:
                # The page's title qualifies every line under it ("CLUB—GROUND FLOOR" above the list).
                label_groups |= title_groups - groups
            block = members[blocks[index]]
            captioned = _labels_a_value(lines, index, labels[index], block, blocks[index] == 0)
            # A capitalised line in a list under its block's title ("N GOLF COURSE" / "E GRAND
            # HYATT" / …) is an item of the list, not a heading.
            listed = bool(labels[index]) and len(block) > 3 and index != block[0]
            if len(unit_ids) == 1 and is_heading(lines[index]) and not listed:
                caption_of = (
                    _captioned_line(lines, index, block, blocks[index] == 0) if groups & required else None
                )
                if caption_of is not None:  # "LANDSCAPE CONSULTANT" / "DESIGN ACCORD"
                    unit_ids = sorted([index, caption_of])
                elif not captioned and not (asks_whether and content and content <= groups):
                    continue
            if not groups & required:
                if not (label_groups & required and captioned):
                    continue
                # "PRINCIPAL CONTRACTOR" above "ARABIAN CONSTRUCTION CO.": the caption says
                # what the line under it is.
                groups, label_groups = label_groups, frozenset()
                unit_ids = [block[0], *unit_ids]  # the caption is the block's first line
            if (
                focus_on_pages
                and focus not in groups | label_groups
                and not (
                    focus not in content
                    and shape
                    and re.search(shape, " ".join(lines[i] for i in unit_ids), re.I)
                )
            ):
                # "which floors…": the line must speak of floors; "how big…" is answered by a
                # size ("6200 x 5900") without the word.
                continue
            if content and not content & (groups | label_groups):
                continue  # "extra parking cost?": a price line that does not speak of parking
            if subject and not subject & (groups | label_groups | page_groups):
                continue  # "Garden Suites ke wardrobes?": a line naming the suites only is no answer
            unit = [lines[i] for i in unit_ids]
            if analysis.excluded and analysis.excluded & {t for i in unit_ids for t in line_tokens[i]}:
                continue  # "the one without the staff room": not the "+ Servant" row
            score = (
                prior
                + page_bonus
                + sum(weights[g] * (1.0 if matched.get(g, True) else EXPANSION_CREDIT) for g in groups)
                + 0.8 * sum(weights[g] for g in label_groups)
                + 0.35 * sum(weights[g] for g in page_groups - groups - label_groups)
            )
            if bare_price:
                # "psf?", "rate?": the base price, not a location charge or a deposit per sq ft.
                said = " ".join([labels[index], *unit])
                score += BASE_PRICE_BONUS * (
                    bool(BASE_PRICE_RE.search(said)) - bool(OTHER_CHARGE_RE.search(said))
                )
            if focus is not None and focus in groups:
                score += weights.get(focus, 0.0)
            if content <= groups | label_groups:
                # Of lines that speak of everything asked, one labelled with it is about it.
                lead_groups = terms.groups(tokenize(line_label(lines[index]))) & groups & required
                score += LEAD_BONUS * sum(weights[g] for g in lead_groups)
            covered = (groups | page_groups) & required
            if shape:
                has_figure = bool(re.search(shape, " ".join(unit), re.I))
                score += 1.0 if has_figure else -1.0
                if has_figure and content and analysis.primary_intent != "count":
                    # "possession date": the date on a possession line is the date asked for
                    # (a bare number is too weak a sign to stand for "how many… in total").
                    covered |= required - content
            for group, kind_shape in kind_shapes.items():
                # "registration date": a date on the registration line is the date asked for.
                if group not in covered and re.search(kind_shape, " ".join(unit), re.I):
                    covered |= {group}
            coverage = sum(weights[g] for g in covered) / total_required
            if label_groups and labels[index] and labels[index] not in unit:
                unit = [labels[index], *unit]
            found.append(
                _Candidate(page_index, index, unit, groups | label_groups, score, coverage, page_groups)
            )
    return found


def _page_title(hit: PageHit) -> str:
    """A page's first line: its title, context for the lines below it."""
    return _split_lines(hit.text)[0] if hit.text.strip() else ""


def page_groups_tokens(line_tokens: list[list[str]]) -> frozenset[str]:
    """Every token of a page."""
    return frozenset(t for tokens in line_tokens for t in tokens)


def find_evidence(
    analysis: QueryAnalysis,
    hits: list[PageHit],
    stats: CorpusStats | None = None,
    avoid: frozenset[str] = frozenset(),
) -> Evidence | None:
    """The best-supported lines among ``hits``, or None when nothing answers the question.

    Lines in ``avoid`` (what another part of the question was answered with) are passed over.
    """
    if not hits or not analysis.terms:
        return None
    found = [c for c in _candidates(analysis, hits, stats) if not set(c.unit) <= avoid]
    candidates = _right_rows(analysis, hits, found, stats)
    if not candidates:
        return None
    shape = _wanted_shape(analysis)
    if shape and analysis.primary_intent == "count":
        # "How many levels?" is not answered by "four-side open … the next level"
        content = content_groups(analysis)
        candidates = [c for c in candidates if _counts_focus(analysis, content, c.unit)]
        if not candidates:
            return None
    asks_whether = is_yes_no(analysis.question) or LISTING_RE.search(analysis.question) is not None
    if not asks_whether:
        # A line made of the question's own words ("Hospital" for "which hospitals…") says
        # nothing; whether there is one is answered by a line that repeats it ("Private lift").
        candidates = [c for c in candidates if _adds_information(analysis, c.unit)]
        if not candidates:
            return None
    if shape:
        # "the dimensions of the living room": a line with a size, not "all dimensions in mm".
        candidates = [c for c in candidates if re.search(shape, " ".join(c.unit), re.I)]
        if not candidates:
            return None
    best = max(candidates, key=lambda c: (c.score, -len(c.unit)))
    if best.coverage < MIN_COVERAGE:
        return None
    # A name the question asks about ("Jewar airport", "Tower Marquise") that is not on the page
    # means the page speaks of something else, however well the rest of the question matches.
    names = {t.group for t in analysis.terms if t.name and not t.optional and not t.brand}
    if not names <= best.page_groups:
        return None
    hit = hits[best.page_index]
    # Sibling lines on the same page that answer as well (e.g. every unit type of a master plan).
    # "…for all four towers": every row on the page that gives the figure, whatever it scores.
    every_row = EVERY_ROW_RE.search(analysis.question) is not None

    def row_of_its_own(c: _Candidate) -> bool:
        text = " ".join(c.unit)
        return bool(qualifiers(text)) and (shape is None or re.search(shape, text, re.I) is not None)

    siblings = sorted(
        (
            c
            for c in candidates
            if c.page_index == best.page_index
            and c is not best
            and (
                (c.groups >= best.groups and c.score >= SIBLING_RATIO * best.score)
                or (every_row and row_of_its_own(c))
            )
        ),
        key=lambda c: -c.score,
    )[:MAX_SIBLINGS]
    chosen = sorted([best, *siblings], key=lambda c: c.line_index)
    lines: list[str] = []
    for candidate in chosen:
        lines.extend(line for line in candidate.unit if line not in lines)
    asked = {token for term in analysis.terms for token in term.tokens}
    lines = [_cells_asked(line, asked) for line in lines]
    title = _page_title(hit)
    return Evidence(
        document=hit.document,
        page=hit.page,
        project_id=hit.project_id,
        lines=lines,
        score=best.score,
        coverage=best.coverage,
        from_table=any(TABLE_ROW_RE.search(line) for line in best.unit),
        heading=title if title not in lines else "",
    )


LONG_ROW = 200
BASE_PRICE_BONUS = 2.0
BASE_PRICE_RE = re.compile(r"\b(bsp|basic (sale )?price|base price|basic rate|sale price)\b", re.I)
OTHER_CHARGE_RE = re.compile(
    r"\b(plc|preferential|floor rise|edc|idc|ifms|ifmd|gst|stamp|parking|club|maintenance|deposit|"
    r"power backup)\b",
    re.I,
)
EVERY_ROW_RE = re.compile(
    r"\b(?:all|each|every|both)\s+(?:the\s+)?(?:\w+\s+)?(?:towers?|phases?|blocks?|wings?|types?)\b", re.I
)


def _cells_asked(line: str, asked: set[str]) -> str:
    """A long table row cut to its first cell and the cells holding words asked about, and a long
    cell to the items asked about: a specifications row of twenty items answers "swimming pool?"
    with the one item about it."""
    if len(line) <= LONG_ROW or " | " not in line:
        return line  # (a sentence is quoted whole)
    cells = line.split(" | ")
    if len(cells) >= 3:
        kept = [cells[0], *(cell for cell in cells[1:] if asked & set(tokenize(cell)))]
        cells = kept if 1 < len(kept) < len(cells) else cells
    return " | ".join(_items_asked(cell, asked) if len(cell) > LONG_ROW // 2 else cell for cell in cells)


def _items_asked(cell: str, asked: set[str]) -> str:
    """A cell listing items ("Label: a, b; c"): its label and the items asked about."""
    label, items = ("", cell)
    if re.match(r"^[^:]{1,40}: ", cell):
        label, items = cell.split(": ", 1)
    parts = [p.strip() for p in re.split(r";|,(?!\d)", items) if p.strip()]  # (not "42,000")
    chosen = [p for p in parts if asked & set(tokenize(p))]
    if not chosen or len(chosen) == len(parts) or len(items) > 60 * len(parts):
        return cell  # nothing to cut, or sentences rather than items
    return f"{label}: {'; '.join(chosen)}" if label else "; ".join(chosen)


COUNT_WORD_RE = re.compile(rf"^(\d+|{'|'.join(NUMBER_WORDS)})$")


def _counts_focus(analysis: QueryAnalysis, content: frozenset[int], unit: list[str]) -> bool:
    """Whether a number on the lines counts what the question counts: "How many LEVELS" wants
    a number next to levels ("four levels", "Levels: 4"), not any number on the line."""
    if analysis.focus is None or analysis.focus not in content:
        return True  # "how many PERCENT…" names the kind of figure, not a thing counted
    words = {t for term in analysis.terms if term.group == analysis.focus for t in term.tokens}
    tokens = [t.split("-")[0] for t in tokenize(" ".join(unit).replace("-", " "))]
    return any(
        COUNT_WORD_RE.match(tokens[j])
        for i, token in enumerate(tokens)
        if token in words
        for j in range(max(0, i - 3), min(len(tokens), i + 4))
    )


def _adds_information(analysis: QueryAnalysis, unit: list[str]) -> bool:
    """Whether the lines say something the question did not: "South Point Mall" alone is the
    question's own words, not a distance."""
    asked = set(tokenize(analysis.question)) | set(analysis.corrections.values())
    asked |= {token for term in analysis.terms for token in term.tokens}
    said = {t for line in unit for t in tokenize(line)} - asked - STOPWORDS
    return bool(said)


def _right_rows(
    analysis: QueryAnalysis,
    hits: list[PageHit],
    candidates: list[_Candidate],
    stats: CorpusStats | None = None,
) -> list[_Candidate]:
    """Candidates about the row the question names: none labelled with another phase, tower or
    type; and, when some line carries the question's label, only those."""
    asked = qualifiers(analysis.question)
    # A name the brochure prints as a row label counts in any order ("orchid tower"), or alone
    # when it is no everyday word ("poss date jal?").
    words = set(tokenize(analysis.question))
    for kind, printed in ((stats.rows or {}) if stats else {}).items():
        named = {
            value
            for value in printed
            if len(value) >= 3
            and value.isalpha()
            and value in words
            and (
                re.search(rf"\b{value}\s+{kind}s?\b", analysis.question, re.I) or not is_common_english(value)
            )
        }
        if named:
            asked.setdefault(kind, set()).update(named)
    if not asked:
        return candidates
    titles = [
        f"{_page_title(hit)} {stats.continued_title(hit.document_id, hit.page, hit.text) if stats else ''}"
        for hit in hits
    ]

    def labels(candidate: _Candidate) -> dict[str, set[str]]:
        return qualifiers(" ".join([titles[candidate.page_index], *candidate.unit]))

    names = {value for values in asked.values() for value in values if len(value) >= 4}
    kept, named = [], []
    for candidate in candidates:
        own = labels(candidate)
        if any(own.get(kind) and not own[kind] & values for kind, values in asked.items()):
            continue  # Phase 1's price for a question about Phase 2
        kept.append(candidate)
        words = set(tokenize(" ".join(candidate.unit)))
        if any(own.get(kind, set()) & values for kind, values in asked.items()) or names & words:
            named.append(candidate)  # "Marquise & Princess – Mar 2031" names the tower asked about
    return named or kept


# "How many (residential) towers", not "how many lifts per tower".
COUNTED_ROWS_RE = re.compile(
    r"\bhow many\s+(?:(?!(?:per|in|of|for|each|every|a|an|the)\b)[a-z-]+\s+){0,2}?"
    r"(?P<kind>tower|block|wing|phase)s?\b",
    re.I,
)
COUNT_NAMES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty"
).split()


def _row_order(value: str) -> tuple[int, int | str]:
    return (0, int(value)) if value.isdigit() else (1, value)


def counted_labels(analysis: QueryAnalysis, hits: list[PageHit]) -> Evidence | None:
    """ "How many towers?" where no line gives the count but a page labels each tower ("Tower-A" …
    "Tower-F" on a master plan): the labels on the page that shows most of them, counted.

    Only for a question about every row of a kind: one that names a unit type or a row ("how
    many towers have 4 BHKs", "towers in Phase 2") is not answered by counting them all."""
    if analysis.primary_intent != "count" or analysis.bhk or analysis.unit_variant:
        return None
    if qualifiers(analysis.question):
        return None
    asked = COUNTED_ROWS_RE.search(analysis.question)
    if asked is None:
        return None
    kind = asked.group("kind").lower()
    counted = {term.group for term in analysis.terms if set(term.tokens) & {kind, *tokenize(asked.group())}}
    others = [
        {t for term in analysis.terms if term.group == group for t in term.tokens}
        for group in content_groups(analysis) - counted
    ]
    best: tuple[int, PageHit, list[str]] | None = None
    for hit in hits:
        labels: dict[str, str] = {}
        for line in _split_lines(hit.text):
            for value in sorted(qualifiers(line).get(kind, ())):
                labels.setdefault(value, line)
        page_tokens = set(tokenize(hit.text))
        about = sum(1 for words in others if words & page_tokens)
        if len(labels) < 2 or about * 2 < len(others):
            continue  # a page about something else the question names
        if best is None or len(labels) > best[0]:
            ordered = [labels[value] for value in sorted(labels, key=_row_order)]
            best = (len(labels), hit, ordered)
    if best is None or best[0] >= len(COUNT_NAMES):
        return None
    count, hit, lines = best
    names = ", ".join(
        f"{kind.title()} {value.upper()}"
        for value in sorted({v for line in lines for v in qualifiers(line)[kind]}, key=_row_order)
    )
    summary = f"The brochure labels {COUNT_NAMES[count]} {kind}s here: {names}."
    return Evidence(hit.document, hit.page, hit.project_id, [summary], 0.0, 1.0)
