"""Brochures bound together: one PDF holding two projects' brochures one after the other.

A developer's sales kit often binds a second project's brochure behind the first. Each part
prints its own name on its cover and through its pages ("THE ASPEN RESIDENCES" on pages 1–16,
"CEDAR GRAND RESIDENCES" on pages 30–101) and never the other's. A question naming one part is
answered from that part's pages only: its RERA number, its land area, its architects.

How a part is found, with no word list:
- a *title* is a whole printed line of two to five words, printed on two pages or more;
- a document splits at page ``b`` when one title is printed only before ``b`` and another only
  from ``b`` on (its first page is ``b``), each over at least half of its part, and each part
  has at least ``MIN_SECTION_PAGES`` pages;
- a part is named by its titles printed on its first pages (the cover) and nowhere outside it,
  and by the pieces of those titles that are printed only inside it too ("Cedar Grand").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.rag.query import STOPWORDS, WORD_RE, is_common_english, normalize_token, tokenize

MIN_SECTION_PAGES = 8
COVER_PAGES = 3  # a part's name is printed on one of its first pages
MIN_SPREAD = 0.5
MIN_TITLE_PAGES = 3  # a title that splits a file is printed across half of its part


@dataclass(frozen=True)
class Section:
    """One part of a document: its pages and the phrases that name it."""

    document_id: int
    first: int
    last: int
    title: str
    names: frozenset[tuple[str, ...]] = field(default_factory=frozenset)

    def holds(self, document_id: int | None, page: int | None) -> bool:
        return document_id == self.document_id and page is not None and self.first <= page <= self.last

    def stored(self) -> dict:
        """The part as a document row keeps it."""
        return {
            "first": self.first,
            "last": self.last,
            "title": self.title,
            "names": sorted(map(list, self.names)),
        }

    @classmethod
    def from_stored(cls, document_id: int, part: dict) -> Section:
        names = frozenset(tuple(name) for name in part["names"])
        return cls(document_id, part["first"], part["last"], part["title"], names)


@dataclass(frozen=True)
class SectionMatch:
    """A part a question names, and the words of the question naming it."""

    section: Section
    phrase: tuple[str, ...]

    def without_name(self, question: str) -> str:
        """``question`` without the words naming the part ("…at The Aspen Residences?")."""
        words = [(m.start(), m.end(), normalize_token(m.group())) for m in WORD_RE.finditer(question)]
        size = len(self.phrase)
        if not size:
            return question
        for i in range(len(words) - size + 1):
            if tuple(w for _, _, w in words[i : i + size]) == self.phrase:
                start = words[i - 1][0] if i and words[i - 1][2] == "the" else words[i][0]
                return f"{question[:start]}{question[words[i + size - 1][1] :]}"
        return question


def _phrase(line: str) -> tuple[str, ...] | None:
    """A line's words when the whole line could be a title."""
    if any(mark in line for mark in "|:<"):  # a table row, a label, markup
        return None
    words = tokenize(line)
    if words and words[0] == "the":
        words = words[1:]
    if not 2 <= len(words) <= 5 or not any(w.isalpha() and w not in STOPWORDS for w in words):
        return None
    return tuple(words)


def _display(line: str) -> str:
    line = re.sub(r"\s+", " ", line.strip(" .,-–—"))
    return line.title() if line.isupper() else line


def find_sections(document_id: int, pages: dict[int, str]) -> list[Section]:
    """The parts of one document (``pages``: page number → text); [] for a single brochure."""
    if len(pages) < 2 * MIN_SECTION_PAGES:
        return []
    texts = {page: f" {' '.join(tokenize(text))} " for page, text in pages.items()}
    printed: dict[tuple[str, ...], str] = {}  # title → the line as printed, first time
    lines_on: dict[tuple[str, ...], set[int]] = {}  # title → the pages printing it as a line
    for page in sorted(pages):
        for line in pages[page].splitlines():
            phrase = _phrase(line)
            if phrase is not None:
                printed.setdefault(phrase, line)
                lines_on.setdefault(phrase, set()).add(page)
    cache: dict[tuple[str, ...], list[int]] = {}

    def mentions(phrase: tuple[str, ...]) -> list[int]:
        if phrase not in cache:
            needle = f" {' '.join(phrase)} "
            cache[phrase] = [page for page in sorted(texts) if needle in texts[page]]
        return cache[phrase]

    titles = {phrase: found for phrase in printed if len(found := mentions(phrase)) >= 2}
    # A part's name is printed as a line on its first page and on MIN_TITLE_PAGES pages in all.
    splitting = {
        phrase: found
        for phrase, found in titles.items()
        if len(found) >= MIN_TITLE_PAGES and found[0] in lines_on[phrase]
    }
    bounds = _split(splitting, min(pages), max(pages))
    if len(bounds) < 2:
        return []
    sections = []
    for first, last in bounds:
        inside = lambda found, f=first, la=last: all(f <= p <= la for p in found)  # noqa: E731
        covers = [
            phrase for phrase, found in titles.items() if inside(found) and found[0] < first + COVER_PAGES
        ]
        names: set[tuple[str, ...]] = set()
        for phrase in covers:
            for size in range(1, len(phrase) + 1):
                for start in range(len(phrase) - size + 1):
                    piece = phrase[start : start + size]
                    if _telling(piece) and len(found := mentions(piece)) >= 2 and inside(found):
                        names.add(piece)
        full = [p for p in covers if p in names]
        most = max(full, key=lambda p: (len(mentions(p)), -mentions(p)[0]), default=None)
        title = _display(printed[most]) if most else ""
        sections.append(Section(document_id, first, last, title, frozenset(names)))
    return sections


def _telling(piece: tuple[str, ...]) -> bool:
    """Whether a piece of a title can name a part: two words or more that are not all small
    words, or one word no dictionary has (a brand)."""
    if len(piece) == 1:
        word = piece[0]
        return word.isalpha() and len(word) >= 4 and word not in STOPWORDS and not is_common_english(word)
    return any(w.isalpha() and w not in STOPWORDS for w in piece)


def _split(titles: dict[tuple[str, ...], list[int]], first: int, last: int) -> list[tuple[int, int]]:
    """Page ranges of the parts between ``first`` and ``last``: split at the first page where a
    title of the part before gives way to a title opening a part of its own."""
    parts: dict[int, list[tuple[int, int]]] = {}  # the parts from a page to ``last``, worked out once

    def from_page(start: int) -> list[tuple[int, int]]:
        if start in parts:
            return parts[start]
        inside = {phrase: [p for p in found if start <= p <= last] for phrase, found in titles.items()}
        inside = {phrase: found for phrase, found in inside.items() if len(found) >= 2}
        found_parts = [(start, last)]
        for boundary in sorted({found[0] for found in inside.values()}):
            before = boundary - start
            if before < MIN_SECTION_PAGES or last - boundary + 1 < MIN_SECTION_PAGES:
                continue
            left = max(
                (
                    f[-1] - f[0] + 1
                    for f in inside.values()
                    if f[-1] < boundary and f[0] < start + COVER_PAGES
                ),
                default=0,
            )
            if left < MIN_SPREAD * before:
                continue
            rest = from_page(boundary)
            end = rest[0][1]  # the part the boundary opens ends where the next one begins
            right = max(
                (f[-1] - f[0] + 1 for f in inside.values() if f[0] == boundary and f[-1] <= end), default=0
            )
            if right >= MIN_SPREAD * (end - boundary + 1):
                found_parts = [(start, boundary - 1), *rest]
                break
        parts[start] = found_parts
        return found_parts

    return from_page(first)


def match_sections(question: str, sections: list[Section]) -> list[SectionMatch]:
    """The parts ``question`` names, in the order it names them, each by its longest name."""
    words = tuple(tokenize(question))
    found: dict[Section, tuple[int, tuple[str, ...]]] = {}  # part → (where, the name)
    for section in sections:
        for name in section.names:
            size = len(name)
            at = next((i for i in range(len(words) - size + 1) if words[i : i + size] == name), None)
            if at is not None and size > len(found.get(section, (0, ()))[1]):
                found[section] = (at, name)
    ordered = sorted(found.items(), key=lambda item: item[1][0])
    return [SectionMatch(section, name) for section, (_, name) in ordered]
