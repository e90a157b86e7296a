"""What an extracted fact is, and how its verbatim evidence is cut from the page that states it."""

from __future__ import annotations

from dataclasses import dataclass

from app.rag.readers import Page


@dataclass(frozen=True)
class ExtractedFact:
    """A fact a brochure states: its key, its value as printed, its page and the words that say it."""

    key: str  # e.g. "rera_number", "carpet_area:3BHK TYPE 1", "distance:IGI Airport"
    value: str  # text from the page, figures exactly as printed
    page: int
    evidence: str  # the source line(s) or sentence, verbatim, at most EVIDENCE_MAX characters


EVIDENCE_MAX = 300


def page_lines(text: str) -> list[tuple[int, str]]:
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


def fact_at(key: str, value: str, page: Page, start: int, end: int) -> ExtractedFact:
    """The fact ``key`` = ``value`` stated at page.text[start:end], with the line(s) around it."""
    return ExtractedFact(key, value.strip(" .,;:"), page.number, _evidence(page.text, start, end))


def fact_of_row(key: str, value: str, page: Page, line: str) -> ExtractedFact:
    """The fact ``key`` = ``value`` stated by a table row, ``line`` being the row as page text."""
    at = page.text.find(line)
    if at < 0:  # cannot happen for tables read by app.rag.readers; keep the row itself
        return ExtractedFact(key, value, page.number, line[:EVIDENCE_MAX])
    return fact_at(key, value, page, at, at + len(line))
