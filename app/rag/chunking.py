"""Cut a page's text into chunks small enough to embed and rank, dropping nothing."""

from __future__ import annotations

import re

from app.rag.readers import Page


def chunk_page(page: Page, max_chars: int = 900) -> list[str]:
    """Split one page's text into chunks of at most ``max_chars`` characters.

    Paragraphs are packed whole; a longer paragraph is split between lines, and only a
    single line longer than ``max_chars`` is split (between words where possible). No text
    is dropped and no chunk is empty.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    units: list[tuple[str, str]] = []  # (text, separator placed before it inside a chunk)
    for paragraph in re.split(r"\n\s*\n", page.text):
        lines = [line.strip() for line in paragraph.split("\n") if line.strip()]
        if not lines:
            continue
        if len("\n".join(lines)) <= max_chars:
            units.append(("\n".join(lines), "\n\n"))
            continue
        pieces = [piece for line in lines for piece in _split_line(line, max_chars)]
        units.extend((piece, "\n\n" if i == 0 else "\n") for i, piece in enumerate(pieces))
    chunks: list[str] = []
    current = ""
    for text, separator in units:
        if current and len(current) + len(separator) + len(text) <= max_chars:
            current += separator + text
        else:
            if current:
                chunks.append(current)
            current = text
    if current:
        chunks.append(current)
    return chunks


def _split_line(line: str, max_chars: int) -> list[str]:
    if len(line) <= max_chars:
        return [line]
    pieces: list[str] = []
    current = ""
    for word in line.split(" "):
        while len(word) > max_chars:  # no space to break at: cut the word itself
            if current:
                pieces.append(current)
                current = ""
            pieces.append(word[:max_chars])
            word = word[max_chars:]
        if current and len(current) + 1 + len(word) <= max_chars:
            current += " " + word
        else:
            if current:
                pieces.append(current)
            current = word
    if current:
        pieces.append(current)
    return pieces
