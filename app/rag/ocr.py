"""Read the text of PDF pages that have no text layer (scanned or designed-as-image pages).

Each page is rendered with pypdfium2 and read by RapidOCR (PP-OCR detection and recognition
models shipped inside the ``rapidocr-onnxruntime`` wheel, run on the CPU by onnxruntime: nothing
is downloaded at run time). The recognised lines are put in reading order (rows top to bottom,
boxes in a row left to right) and the spaces the recogniser left out are put back
(``app.rag.word_breaks``). The next hop is ``app.rag.readers.read_pdf``, which treats the text as
it treats a text layer. Pure Python: no database, no Flask.
"""

from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium

from app.rag.word_breaks import restore_spaces

log = logging.getLogger(__name__)

# 2 px per PDF point (144 dpi): body text of 9-12 pt comes out 18-24 px tall, which the
# recogniser (48 px input lines) reads best; larger scales were slower and no better.
RENDER_SCALE = 2.0
MAX_RENDER_SIDE = 2400  # a poster-sized page is rendered smaller, to bound the time per page
MIN_SCORE = 0.5  # recognised lines less confident than this are dropped


@dataclass
class OcrLine:
    """One recognised line: its text and its box on the rendered page (pixels)."""

    text: str
    left: float
    top: float
    right: float
    bottom: float


class OcrUnavailable(RuntimeError):
    """The OCR engine cannot run on this machine (its package is missing or broken)."""


@lru_cache(maxsize=1)
def _engine():
    """The recogniser, loaded once per process (loading its models takes a fraction of a second)."""
    try:
        from rapidocr_onnxruntime import RapidOCR  # imported here: heavy, and only ingest needs it
    except ImportError as exc:  # pragma: no cover - a broken install
        raise OcrUnavailable(f"the OCR engine is not installed ({exc}); run make install") from exc
    # Pages are upright once rendered (pdfium applies /Rotate); the angle classifier only
    # mistakes short upright lines for upside-down ones.
    return RapidOCR(use_cls=False, max_side_len=MAX_RENDER_SIDE, print_verbose=False)


def ocr_pages(path: Path, numbers: list[int]) -> dict[int, str]:
    """The text OCR reads on each page in ``numbers`` (1-based) of the PDF at ``path``.

    Raises whatever pypdfium2 raises for a file it cannot open (the caller has opened it already).
    """
    if not numbers:
        return {}
    texts: dict[int, str] = {}
    pdf = pdfium.PdfDocument(str(path))
    try:
        for number in numbers:
            texts[number] = page_text(read_lines(_render(pdf[number - 1])))
    finally:
        pdf.close()
    return texts


def _render(page: pdfium.PdfPage) -> np.ndarray:
    width, height = page.get_size()
    scale = min(RENDER_SCALE, MAX_RENDER_SIDE / max(width, height, 1))
    bitmap = page.render(scale=scale)
    try:
        return np.asarray(bitmap.to_pil().convert("RGB"))
    finally:
        bitmap.close()
        page.close()


def read_lines(image: np.ndarray) -> list[OcrLine]:
    """The lines RapidOCR reads in ``image`` (H×W×3 RGB), spaces restored, in no set order."""
    result, _ = _engine()(image, use_cls=False, return_word_box=True, text_score=MIN_SCORE)
    lines: list[OcrLine] = []
    for box, text, _score, char_boxes, chars, *_ in result or []:
        xs = [point[0] for point in box]
        ys = [point[1] for point in box]
        steps = _character_steps(char_boxes) if "".join(chars) == text else None
        line = restore_spaces(text, steps).strip()
        if line:
            lines.append(OcrLine(line, min(xs), min(ys), max(xs), max(ys)))
    return lines


def _character_steps(char_boxes: list) -> list[float]:
    """Distance from each character's centre to the next one's, along the line."""
    centres = [(box[0][0] + box[1][0]) / 2 for box in char_boxes]
    return [b - a for a, b in zip(centres, centres[1:], strict=False)]


def page_text(lines: list[OcrLine]) -> str:
    """Lines in reading order: rows by height on the page, boxes in a row left to right; a
    vertical gap taller than a line starts a new paragraph."""
    if not lines:
        return ""
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda item: (item.top + item.bottom) / 2):
        middle = (line.top + line.bottom) / 2
        row = rows[-1] if rows else None
        if row is not None and row[0].top <= middle <= row[0].bottom:
            row.append(line)
        else:
            rows.append([line])
    height = statistics.median(line.bottom - line.top for line in lines)
    out: list[str] = []
    bottom = None
    for row in rows:
        top = min(line.top for line in row)
        if bottom is not None and top - bottom > height:
            out.append("")
        out.append(" ".join(line.text for line in sorted(row, key=lambda item: item.left)))
        bottom = max(line.bottom for line in row)
    return "\n".join(out)
