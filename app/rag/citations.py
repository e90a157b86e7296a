"""Citations: the brochure page an answer came from, and the source line that names them."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SOURCE_LINE_RE = re.compile(r"^\W*sources?\s*:", re.IGNORECASE)


@dataclass
class Citation:
    """A page an answer came from."""

    document: str
    page: int


# What an answer route returns: the answer's body and the pages it cites.
CitedText = tuple[str, list[Citation]]


def source_line(citations: list[Citation]) -> str:
    """'Source: Godrej_SORA.pdf p.7' (or several pages of one document, or several documents)."""
    by_doc: dict[str, list[int]] = {}
    for citation in citations:
        pages = by_doc.setdefault(citation.document, [])
        if citation.page not in pages:
            pages.append(citation.page)
    parts = [f"{doc} p.{', '.join(str(p) for p in pages)}" for doc, pages in by_doc.items()]
    return "Source: " + "; ".join(parts)


def strip_source_lines(answer: str) -> str:
    """Remove trailing "Source: X.pdf p.7" lines (and blank lines) from ``answer``."""
    lines = answer.rstrip().splitlines()
    while lines and (not lines[-1].strip() or _SOURCE_LINE_RE.match(lines[-1].strip())):
        lines.pop()
    return "\n".join(lines)
