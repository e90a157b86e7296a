"""OCR benchmark: pages per minute read by OCR, and `investochat ingest` of a 40-page brochure
whose pages are all images.

    python bench/ocr.py [--pages 40] [--data-dir instance/bench-ocr]

Draws a brochure of --pages pages (price lists, payment plans, specifications in body-size
type), renders each page to a picture and makes a PDF whose pages hold only those pictures (no
text layer). Times the OCR of every page (render + recognise + reading order + spaces), then
ingests the whole file end to end into its own embedded PostgreSQL (read, OCR, chunk, extract
facts, embed, write) and checks every page was read by OCR. bench/ocr.md explains the output.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/ocr.py` puts bench/, not the checkout, first
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import pypdfium2 as pdfium  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from fpdf import FPDF  # noqa: E402

from app import create_app, embedded  # noqa: E402
from app.commands.catalog import ingest_files  # noqa: E402
from app.rag.evaluate import percentile  # noqa: E402
from app.rag.ocr import ocr_pages  # noqa: E402
from bench.synthetic import inr  # noqa: E402

DATABASE = "investochat_bench_ocr"
TARGET_PAGES_PER_MINUTE = 10.0
SEED = 20261207
TOPICS = ("Price List", "Payment Plan", "Specifications", "Location Advantages")


def page_lines(number: int, rng: random.Random) -> list[str]:
    """One brochure page of running text and figures, varied by page."""
    topic = TOPICS[number % len(TOPICS)]
    rate = rng.randrange(9000, 30000, 250)
    return [
        f"Bench Towers - {topic} (page {number})",
        f"Basic Sale Price: Rs. {rate:,} per sq.ft. of saleable area",
        f"3 BHK apartment of {rng.randrange(1500, 2600, 25):,} sq.ft. from {inr(rate * 1800)}",
        f"Car parking charges of {inr(rng.randrange(3, 9) * 100000)} per covered parking space",
        f"Payment plan: {rng.choice((10, 15, 20))}% on booking, balance within 90 days of booking",
        f"Possession expected by December {rng.randrange(2027, 2031)} subject to force majeure",
        "Club membership charges are payable at the time of offer of possession",
        f"Distance from the international airport: {rng.randrange(15, 45)} minutes by road",
        "Vitrified tiles in living and dining, laminated wooden flooring in the bedrooms",
        "Modular kitchen with granite counter, stainless steel sink and chimney",
        f"RERA Registration No. RC/REP/HARERA/GGM/{rng.randrange(100, 999)}/2026/{number}",
    ]


def image_only_brochure(path: Path, pages: int) -> Path:
    """A PDF of ``pages`` pages, each only a picture of drawn text (no text layer)."""
    rng = random.Random(SEED)
    drawn = FPDF()
    for number in range(1, pages + 1):
        drawn.add_page()
        for i, line in enumerate(page_lines(number, rng)):
            drawn.set_font("Helvetica", "B" if i == 0 else "", 16 if i == 0 else 11)
            drawn.cell(0, 11 if i == 0 else 9, line, new_x="LMARGIN", new_y="NEXT")
    rendered = pdfium.PdfDocument(bytes(drawn.output()))
    brochure = FPDF()
    for page in rendered:
        brochure.add_page()
        brochure.image(page.render(scale=2).to_pil().convert("L"), x=0, y=0, w=brochure.w, h=brochure.h)
    brochure.output(str(path))
    return path


def time_pages(path: Path, pages: int) -> tuple[list[float], dict[int, str]]:
    """Seconds to OCR each page, one at a time as ingest does (the engine loaded beforehand)."""
    ocr_pages(path, [1])  # load the models once, as the first page of any ingest does
    seconds, texts = [], {}
    for number in range(1, pages + 1):
        started = time.perf_counter()
        texts |= ocr_pages(path, [number])
        seconds.append(time.perf_counter() - started)
    return seconds, texts


def time_ingest(path: Path, data_dir: Path) -> tuple[float, list]:
    """Seconds for ``investochat ingest`` of ``path`` into a fresh database, and its results."""
    base = embedded.postgres_url(data_dir, database="postgres")
    with psycopg.connect(host=unquote(base.split("host=", 1)[1]), user="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    url = embedded.postgres_url(data_dir, database=DATABASE)
    app = create_app(
        {
            "DATABASE_URL": url,
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": embedded.redis_url(data_dir, name="redis-bench-ocr.db"),
            "OPENAI_API_KEY": "",
            "LOG_LEVEL": "WARNING",
        }
    )
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        results = ingest_files("Bench Towers", [str(path)], progress=False)
        return time.perf_counter() - started, results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "instance" / "bench-ocr")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)

    with tempfile.TemporaryDirectory() as tmp:
        path = image_only_brochure(Path(tmp) / "Bench_Towers_Scanned.pdf", args.pages)
        print(f"{args.pages} image-only pages, {path.stat().st_size / 1e6:.1f} MB")
        seconds, texts = time_pages(path, args.pages)
        read = sum("Basic Sale Price" in text for text in texts.values())
        rate = 60 * len(seconds) / sum(seconds)
        print(
            f"OCR per page (s): p50 {percentile(seconds, 50):.2f}  p90 {percentile(seconds, 90):.2f}  "
            f"p95 {percentile(seconds, 95):.2f}  max {max(seconds):.2f}  mean {statistics.mean(seconds):.2f}"
        )
        print(
            f"OCR throughput: {rate:.1f} pages/minute; target ≥ {TARGET_PAGES_PER_MINUTE:.0f} "
            f"(ratio {rate / TARGET_PAGES_PER_MINUTE:.2f}); 'Basic Sale Price' read on {read}/{args.pages}"
        )
        total, results = time_ingest(path, args.data_dir)
    [result] = results
    ingest_rate = 60 * args.pages / total
    print(
        f"investochat ingest, {args.pages} pages end to end: {total:.1f} s = {ingest_rate:.1f} pages/minute "
        f"(ratio {ingest_rate / TARGET_PAGES_PER_MINUTE:.2f}); {len(result.ocr_pages)} pages read by OCR, "
        f"{result.chunks} chunks, {result.facts} facts"
    )
    met = min(rate, ingest_rate) >= TARGET_PAGES_PER_MINUTE and len(result.ocr_pages) == args.pages
    print("PASS" if met else "MISS")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
