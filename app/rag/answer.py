"""Answer a brochure question: facts → tables → documents → cross-project SQL → refusal.

``answer_question`` is what the CLI, ``/api/ask`` and the conversation engine call. Answers are
WhatsApp-sized, end with their source, and never contain a figure that is not on a cited page.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import partial

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.conversation.pii import redact_pii
from app.extensions import db
from app.models import Document, Project
from app.rag.citations import Citation, CitedText, source_line, strip_source_lines
from app.rag.compose import Evidence, counted_labels, find_evidence
from app.rag.corpus_stats import corpus_stats
from app.rag.embed import Embedder, embedder_from_config
from app.rag.fact_answers import fact_answer, project_overview
from app.rag.facts import is_foreign_text
from app.rag.grounding import ContextPassage, grounding_violations
from app.rag.language import DEVANAGARI_RE, is_yes_no, to_english
from app.rag.llm import LLMUnavailable, composer_from_config
from app.rag.multipart import Part, split_question
from app.rag.project_focus import (
    COMMON_NAME_WORDS,
    UnknownProject,
    catalogue_names,
    project_words,
    question_projects,
)
from app.rag.project_listing import cross_project_answer
from app.rag.query import LISTING_RE, OVERVIEW_RE, STOPWORDS, analyze, is_overview, tokenize, without_words
from app.rag.retrieve import search_pages
from app.rag.rows import missing_rows, qualifiers
from app.rag.sections import SectionMatch, match_sections
from app.rag.table_answers import table_answer
from app.rag.team_answers import team_answer
from app.rag.transliterate import NameReader

__all__ = ["Answer", "UnknownProject", "answer_question", "refusal_text"]


@dataclass
class Answer:
    """The answer object shared by the CLI, the API and the chat channels."""

    answer: str
    answered: bool
    citations: list[Citation] = field(default_factory=list)
    route: str = "none"
    project: str | None = None
    latency_ms: float = 0.0
    evidence_lines: list[str] = field(default_factory=list)  # the brochure lines quoted, if any

    def to_dict(self) -> dict:
        """The JSON shape documented in the README."""
        data = asdict(self)
        del data["evidence_lines"]
        data["latency_ms"] = round(self.latency_ms, 1)
        return data


YES_NO_LEAD = "The brochure says: "


# The advisor offers answers end with; the engine rewords them once a broker owns the lead.
ADVISOR_OFFER = "Would you like an advisor to confirm it for you? Reply CONNECT."
PART_ADVISOR_OFFER = "reply CONNECT and an advisor will confirm it."


def refusal_text(project: Project | None) -> str:
    """A plain 'not in the brochures' reply with an advisor offer, and no figure at all."""
    name = f" for {project.name}" if project and not re.search(r"\d", project.name) else ""
    return f"That is not in the brochures I have{name}, so I won't guess. {ADVISOR_OFFER}"


def finish(body: str, citations: list[Citation], max_chars: int) -> str:
    """Trim ``body`` at a line or word boundary so body + source fit in ``max_chars``."""
    tail = "\n" + source_line(citations)
    budget = max_chars - len(tail)
    if len(body) > budget:
        cut = body[: budget - 1]
        cut = cut[: cut.rfind("\n")] if "\n" in cut[budget // 2 :] else cut[: cut.rfind(" ")]
        body = cut.rstrip(" ;,:") + "…"
    return body + tail


_readers: dict[tuple, NameReader] = {}


def _name_reader(session: Session, focus: Project | None) -> NameReader:
    """Reads the Devanagari spellings of the catalogue's names and, with a project in focus, of
    its brochures' words and the titles of its bound brochures."""
    phrases = catalogue_names(session)
    stats = corpus_stats(session, focus.id) if focus else None
    if stats is not None:
        phrases += [part.title for part in stats.sections if part.title]
    size = (stats.pages, len(stats.vocabulary)) if stats else (0, 0)
    key = (tuple(phrases), focus.id if focus else None, *size)
    if key not in _readers:
        if len(_readers) >= 64:
            _readers.clear()
        _readers[key] = NameReader(phrases, stats.vocabulary if stats else ())
    return _readers[key]


def _embedder() -> Embedder:
    cache = current_app.extensions.setdefault("investochat", {})
    if "embedder" not in cache:
        cache["embedder"] = embedder_from_config(current_app.config)
    return cache["embedder"]


def answer_question(question: str, project: str | None = None, *, session: Session | None = None) -> Answer:
    """Answer ``question`` from the brochures of ``project`` (or the project it names).

    Any Aadhaar, PAN, card number, CVV or OTP in ``question`` is redacted first, whoever asks
    (``/api/ask``, the widget, WhatsApp, the CLI): none reaches the embedder or the LLM."""
    question = redact_pii(question).text
    started = time.perf_counter()
    session = session or db.session
    config = current_app.config
    max_chars = config["ANSWER_MAX_CHARS"]
    yes_no = is_yes_no(question)
    if yes_no:
        max_chars -= len(YES_NO_LEAD)
    # Hinglish and Hindi are read as the English the brochures are written in; names spelt in
    # Devanagari as the catalogue's names, then as the words of the project in focus.
    hindi = DEVANAGARI_RE.search(question) is not None
    original, question = question, to_english(question, _name_reader(session, None) if hindi else None)
    focus, named = question_projects(session, question, project)  # "Compare A and B", whatever the focus
    if hindi and focus is not None:
        question = to_english(original, _name_reader(session, focus))
    if hindi and not OVERVIEW_RE.search(question) and _reads_nothing(question, focus):
        # Nothing read but the project's name (or not even that): the Hindi words that asked
        # were none the tables know. Not an overview, whatever the name.
        answer = Answer(refusal_text(focus), False, [], "none", focus.name if focus else None)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer
    taught = team_answer(session, focus.id, original) if focus is not None else None
    if taught is not None:  # the team answered this question on the unanswered-questions page
        body, citations = taught
        answer = Answer(finish(body, citations, max_chars), True, citations, "team", focus.name)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer
    # A brochure file holding two projects: the one the question names answers alone.
    sections = match_sections(question, corpus_stats(session, focus.id).sections) if focus else []
    within = sections[0] if len(sections) == 1 else None
    parts = split_question(within.without_name(question) if within else question) if focus is not None else []
    if len(named) > 1:
        answer = _answer_each_project(session, question, named, max_chars)
    elif len(sections) > 1:
        answer = _answer_each_section(session, question, focus, sections, max_chars)
    elif len(parts) > 1:
        answer = _answer_parts(session, parts, focus, max_chars, within)
    else:
        answer = _answer(session, question, focus, max_chars, within=within)
        if focus is None and answer.route != "sql" and LISTING_RE.search(question):
            answer = _answer_listing(session, question, max_chars) or answer
    if yes_no and answer.answered and len(parts) <= 1:
        # The line is quoted, not read as a yes or a no: the investor judges what it means.
        answer.answer = YES_NO_LEAD + answer.answer
    answer.project = focus.name if focus else answer.project
    if answer.answered and answer.citations:
        _say_which_pages_were_read_by_ocr(session, answer, config["ANSWER_MAX_CHARS"])
    answer.latency_ms = (time.perf_counter() - started) * 1000
    return answer


def _say_which_pages_were_read_by_ocr(session: Session, answer: Answer, max_chars: int) -> None:
    """A cited page that had no text layer was read from its picture: the answer says so, so the
    investor (and the broker) know to check the figure against the brochure."""
    sources = {citation.document for citation in answer.citations}
    scanned = {
        (source, page)
        for source, pages in session.execute(
            select(Document.source, Document.ocr_pages).where(
                Document.source.in_(sources), func.cardinality(Document.ocr_pages) > 0
            )
        )
        for page in pages
    }
    read = sorted({c.page for c in answer.citations if (c.document, c.page) in scanned})
    note = f" (p.{', '.join(map(str, read))} read from a scanned page)" if read else ""
    if note and len(answer.answer) + len(note) <= max_chars:
        answer.answer += note


LISTING_LIMIT = 12
LISTING_PAGES = 24
LISTING_BLOCK_CHARS = 140  # below this a project's line no longer reads


def _reads_nothing(question: str, focus: Project | None) -> bool:
    """Whether a (translated) question asks nothing once the project's name is set aside."""
    read = analyze(question, drop=project_words(focus) if focus else set())
    return not read.terms and not read.intents


def _answer_listing(session: Session, question: str, max_chars: int) -> Answer | None:
    """ "Which projects have a swimming pool?": every project whose brochures answer it, each
    with its line and citation; None when none does."""
    # Only projects with a page among the best across the catalogue are asked, best first.
    analysis = analyze(question)
    hits = search_pages(session, analysis, _embedder(), None, pages=LISTING_PAGES)
    ranked = list(dict.fromkeys(hit.project_id for hit in hits))
    projects = {p.id: p for p in session.scalars(select(Project).where(Project.id.in_(ranked)))}

    def asks() -> Iterator[tuple[str, Callable[[int], Answer]]]:
        """Each project to ask, best first (its statistics read only when it is reached)."""
        for project_id in ranked:
            project = projects[project_id]
            # A brochure file holding two projects lists each that answers, under its title.
            parts = [SectionMatch(part, ()) for part in corpus_stats(session, project_id).sections]
            for part in parts or [None]:
                yield _label(project, part), partial(_answer, session, question, project, within=part)

    found: list[tuple[str, Callable[[int], Answer], Answer]] = []
    for label, ask in asks():
        answer = ask(max_chars)
        if answer.answered and answer.route != "facts":
            found.append((label, ask, answer))
        if len(found) == LISTING_LIMIT:
            break
    if not found:
        return None
    found.sort(key=lambda item: item[0])
    citations: list[Citation] = []
    for _, _, answer in found:
        citations.extend(c for c in answer.citations if c not in citations)
    if len(found) > max(1, max_chars // LISTING_BLOCK_CHARS):
        # More than fit as blocks: one line each (its name alone when no line fits), one source.
        width = (max_chars - len(source_line(citations)) - 1) // len(found) - 1
        lines = []
        for label, _, answer in found:
            said = strip_source_lines(answer.answer)
            said = readable_row(answer.evidence_lines[0]) if answer.evidence_lines else said
            said = said.lstrip("•-* ")
            room = width - len(label) - 4
            lines.append(f"• {label}: {_clip(said.splitlines()[0], room)}" if room >= 30 else f"• {label}")
        return Answer(finish("\n".join(lines), citations, max_chars), True, citations, found[0][2].route)
    budget = (max_chars - 2 * (len(found) - 1)) // len(found)
    blocks: list[str] = []
    for label, ask, answer in found:
        if len(found) > 1:  # the same lines, within a share of the length
            shorter = ask(budget - len(label) - 2)
            answer = shorter if shorter.answered else answer
        blocks.append(f"{label}: {answer.answer}")
    return Answer("\n\n".join(blocks), True, citations, found[0][2].route)


def _clip(line: str, width: int) -> str:
    """``line`` cut at a word to ``width`` characters, marked with an ellipsis."""
    if len(line) <= width:
        return line
    cut = line[: width - 1]
    return cut[: cut.rfind(" ")].rstrip(" ;,:") + "…" if " " in cut else cut + "…"


def _label(project: Project, part: SectionMatch | None) -> str:
    """A project's name, with the title of the brochure of a bound file that answers."""
    return f"{project.name} ({part.section.title})" if part and part.section.title else project.name


def _answer_each_project(
    session: Session, question: str, named: list[tuple[Project, list[str]]], max_chars: int
) -> Answer:
    """A question about several projects ("Compare the price per sq ft of A and B") answered for
    each from its own brochures, side by side, each with its citation. ``named``: each project
    with where the question names it."""
    projects = [project for project, _ in named]
    asks: list[tuple[str, Callable[[int], Answer]]] = []
    for project, runs in named:
        # The other projects' mentions ("Cedar Park Grand Suites Type B") are not asked of this one.
        own = question
        for other, other_runs in named:
            for run in other_runs if other.id != project.id else []:
                own = own.replace(run, " ")
        others = set().union(*(project_words(p) for p in projects if p.id != project.id)) - COMMON_NAME_WORDS
        # "…and Cedar Grand Residences": the mention may name one brochure of a bound file.
        parts = match_sections(" ".join(runs), corpus_stats(session, project.id).sections)
        within = parts[0] if len(parts) == 1 else None
        asks.append(
            (_label(project, within), partial(_answer, session, own, project, drop=others, within=within))
        )
    return _side_by_side(asks, None, max_chars)


def _answer_each_section(
    session: Session, question: str, focus: Project, sections: list[SectionMatch], max_chars: int
) -> Answer:
    """A question naming two projects of one bound brochure file ("Which has more units, the
    Aspen or the Cedar Residences?") answered for each from its own pages, each labelled."""
    own = question
    for match in sections:
        own = match.without_name(own)
    asks = [
        (
            match.section.title or " ".join(match.phrase).title(),
            partial(_answer, session, own, focus, within=match),
        )
        for match in sections
    ]
    return _side_by_side(asks, focus, max_chars)


def _side_by_side(
    asks: list[tuple[str, Callable[[int], Answer]]], focus: Project | None, max_chars: int
) -> Answer:
    """One block per label, each answered within its share of the length ("A: not in the
    brochures I have." when it is not); the refusal when none is answered."""
    budget = (max_chars - 2 * (len(asks) - 1)) // len(asks)
    blocks: list[str] = []
    citations: list[Citation] = []
    answered = []
    for label, ask in asks:
        answer = ask(budget - len(label) - 2)
        if answer.answered:
            answered.append(answer)
            blocks.append(f"{label}: {answer.answer}")
            citations.extend(c for c in answer.citations if c not in citations)
        else:
            said = "price on request." if answer.route == ON_REQUEST else "not in the brochures I have."
            blocks.append(f"{label}: {said}")
    if not answered:
        return Answer(refusal_text(focus), False, [], "none")
    return Answer("\n\n".join(blocks), True, citations, answered[0].route)


def _answer_parts(
    session: Session, parts: list[Part], focus: Project, max_chars: int, within: SectionMatch | None = None
) -> Answer:
    """Each part of a multi-part question answered on its own, with its own citation; a part the
    brochures do not answer is said to be missing, for that part only."""
    budget = (max_chars - 2 * (len(parts) - 1)) // len(parts)
    answers: list[Answer] = []
    used: set[str] = set()  # each part answers with lines of its own
    for part in parts:
        answer = _answer(session, part.question, focus, budget, avoid=frozenset(used), within=within)
        answers.append(answer)
        used.update(answer.evidence_lines)
    if not any(a.answered for a in answers):
        return Answer(refusal_text(focus), False, [], "none")
    blocks: list[str] = []
    citations: list[Citation] = []
    for part, answer in zip(parts, answers, strict=True):
        if not answer.answered:
            # A label with a figure in it ("3 BHK") is not repeated: no figure without a page.
            label = part.item if part.item and not re.search(r"\d", part.item) else "Another part"
            blocks.append(f"{label[0].upper()}{label[1:]}: not in the brochures I have; {PART_ADVISOR_OFFER}")
        elif answer.answer not in blocks:
            blocks.append(answer.answer)
            citations.extend(c for c in answer.citations if c not in citations)
    first = next(a for a in answers if a.answered)
    return Answer("\n\n".join(blocks), True, citations, first.route)


def _answer(
    session: Session,
    question: str,
    focus: Project | None,
    max_chars: int,
    avoid: frozenset[str] = frozenset(),
    drop: set[str] | None = None,
    within: SectionMatch | None = None,
) -> Answer:
    """``avoid``: brochure lines another part of the question was answered with; ``drop``: words
    naming projects, when the question names more than the one in focus; ``within``: the part
    of a bound brochure file the question names, whose pages alone answer."""
    project_id = focus.id if focus else None
    section = within.section if within else None
    if within is not None:
        question = within.without_name(question)  # the name locates the pages; it is not what is asked
    # Brochure statistics (typo correction, brand names) are per project: across every project
    # they would cost a full pass over all chunks, so a question without a project goes without.
    stats = corpus_stats(session, project_id) if focus is not None else None
    analysis = analyze(
        question, stats.vocabulary if stats else None, drop=project_words(focus) | (drop or set())
    )
    if stats is not None:
        stats.mark_brands(analysis)

    if focus is None:
        structured = cross_project_answer(session, analysis)
        if structured is not None:
            body, citations = structured
            return Answer(finish(body, citations, max_chars), True, citations, "sql")

    # Row labels are read without the project's name ("how many tower Nilaya Heights in?").
    unnamed = without_words(question, project_words(focus)) if focus else question
    rows = qualifiers(unnamed)
    if stats is not None and stats.rows is not None and missing_rows(stats.rows, unnamed):
        return Answer(refusal_text(focus), False, [], "none")  # "Phase 3" of a two-phase project

    overview = project_overview(session, focus.id, section) if focus and is_overview(analysis) else None
    if overview is not None:
        body, citations = overview
        return Answer(finish(body, citations, max_chars), True, citations, "facts")

    # A project-wide fact does not answer for one phase or tower; a unit type's area facts do.
    whole_project = focus is not None and not set(rows) - {"type"}
    fact = (
        fact_answer(session, analysis, project_id, stats, section, project_words(focus))
        if whole_project
        else None
    )
    if fact is not None:
        body, citations = fact
        return Answer(finish(body, citations, max_chars), True, citations, "facts")

    hits = search_pages(session, analysis, _embedder(), project_id, within=section)
    if stats is not None and stats.cities and analysis.primary_intent not in ("distance", "rera", "location"):
        # Not the portfolio pages about the developer's projects elsewhere: a private pool in a
        # Goa villa does not answer for plots in Manesar. (Distances and RERA numbers are asked
        # of every page: a map page may name only the cities around.)
        hits = [hit for hit in hits if not is_foreign_text(_page_head(hit.text), stats.cities)]
    table = table_answer(session, analysis, hits, section)
    if table is not None:
        body, citations = table
        return Answer(finish(body, citations, max_chars), True, citations, "tables")

    evidence = find_evidence(analysis, hits, stats, avoid) or counted_labels(analysis, hits)
    llm_text = _llm_answer(question, focus, hits, evidence)
    if llm_text is not None:
        text, citations = llm_text
        return Answer(finish(text, citations, max_chars), True, citations, "documents")
    if evidence is None:
        return Answer(refusal_text(focus), False, [], "none")
    if analysis.primary_intent in ("price", "charges") and _price_on_request(evidence.lines):
        return Answer(ON_REQUEST_TEXT, False, [], ON_REQUEST)
    citations = [Citation(evidence.document, evidence.page)]
    route = "tables" if evidence.from_table else "documents"
    body = finish(render_evidence(evidence), citations, max_chars)
    return Answer(body, True, citations, route, evidence_lines=evidence.lines)


PAGE_HEAD_LINES = 3
ON_REQUEST_RE = re.compile(r"\b(?:on|upon|price on) request\b|\bto be announced\b|\bTBA\b", re.I)
AMOUNT_RE = re.compile(r"(?:₹|\brs\.?|\binr)\s*\d|\d[\d,.]*\s*(?:/-|lakhs?|lacs?|l\b|crores?|cr\b)", re.I)
ON_REQUEST = "on_request"  # the route of an answer saying a price is given on request
ON_REQUEST_TEXT = f"The brochure gives that price as “on request”, so I won't guess a figure. {ADVISOR_OFFER}"


def _price_on_request(lines: list[str]) -> bool:
    """Whether the line found for a price says it is given on request, with no amount."""
    text = " ".join(lines)
    return ON_REQUEST_RE.search(text) is not None and AMOUNT_RE.search(text) is None


def _page_head(text: str) -> str:
    """A page's first lines, where a portfolio page names its city ("Seaview Villas / Goa's…");
    a city in a biography further down ("offices in Delhi and Mumbai") or in a consultant's
    line ("Architect: Atelier Ruhani, Mumbai") does not make it one."""
    head = [line for line in text.splitlines() if line.strip()][:PAGE_HEAD_LINES]
    return "\n".join(line.split(":", 1)[0] for line in head)  # a label's value is not the page's place


# A table row of two cells, "Particulars: Clubhouse | Details: 42,000 sq ft", read as a phone
# reader would: "Clubhouse: 42,000 sq ft". Rows of more cells keep their column names.
TWO_CELL_ROW_RE = re.compile(r"^[^:|]{1,40}:\s*(?P<label>[^|]+?)\s*\|\s*[^:|]{1,40}:\s*(?P<value>[^|]+)$")


def readable_row(line: str) -> str:
    match = TWO_CELL_ROW_RE.match(line.strip())
    return f"{match['label']}: {match['value'].strip()}" if match else line


def render_evidence(evidence: Evidence) -> str:
    """The chosen lines, with the page heading for context when it adds something."""
    lines = [readable_row(line) for line in evidence.lines]
    body = " ".join(lines) if len(lines) > 1 and len(lines[0]) < 60 else "\n".join(lines)
    heading = evidence.heading.rstrip(" :")
    if heading and len(heading) <= 80 and heading.lower() not in body.lower():
        body = f"{heading}: {body}"
    return body


def _composer():
    cache = current_app.extensions.setdefault("investochat", {})
    if "composer" not in cache:
        cache["composer"] = composer_from_config(current_app.config)
    return cache["composer"]


def _words_supported(text: str, passages: list[ContextPassage], share: float = 0.6) -> bool:
    """Most content words of an LLM answer must appear in the passages: figures are checked
    exactly, and this catches an invented name or amenity ("Yes, there is a helipad")."""
    words = {w for w in tokenize(text) if len(w) >= 4 and w not in STOPWORDS and not w.isdigit()}
    if not words:
        return True
    context = set()
    for passage in passages:
        context.update(tokenize(passage.text))
    return len(words & context) / len(words) >= share


def _llm_answer(question, focus, hits, evidence) -> CitedText | None:
    composer = _composer()
    if composer is None or not hits:
        return None
    passages = [ContextPassage(hit.document, hit.page, hit.text) for hit in hits[:4]]
    try:
        text = composer.compose(question, passages, focus.name if focus else None)
    except LLMUnavailable:
        current_app.logger.warning("LLM unavailable; answering extractively")
        return None
    if text is None or grounding_violations(text, passages) or not _words_supported(text, passages):
        return None
    cited = [p for p in passages if evidence and p.page == evidence.page and p.document == evidence.document]
    cited = cited or passages[:1]
    if grounding_violations(text, cited):
        cited = passages
    return text, [Citation(p.document, p.page) for p in cited]
