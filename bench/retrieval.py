"""Retrieval benchmark: answer latency and index-versus-exact search over 50,000+ chunks.

    python bench/retrieval.py [--chunks 50000] [--queries 200] [--data-dir instance/bench]

Starts its own embedded PostgreSQL and Redis in --data-dir, ingests the shared brochure corpus,
bulk-loads synthetic projects, then prints answer latency percentiles per query group against
the p95 target, HNSW versus exact vector search (speed-up, recall@10) and full text versus a
sequential ILIKE scan. bench/retrieval.md explains how to read the output.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/retrieval.py` puts bench/, not the checkout, first
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402
from sqlalchemy import text as sql_text  # noqa: E402

from app import create_app, embedded  # noqa: E402
from app.commands.catalog import ingest_files  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Chunk, Project  # noqa: E402
from app.rag.answer import answer_question  # noqa: E402
from app.rag.corpus_stats import corpus_stats  # noqa: E402
from app.rag.embed import HashingEmbedder  # noqa: E402
from app.rag.evaluate import corpus_projects, load_questions, percentile  # noqa: E402
from app.rag.query import analyze  # noqa: E402
from app.rag.retrieve import full_text_ranking, vector_ranking  # noqa: E402
from bench import synthetic  # noqa: E402
from tests.shared_data import CORPUS_DIR, EVAL_FILE  # noqa: E402

DATABASE = "investochat_bench"
TARGET_P95_MS = 150.0
SEED = 20240601
GROUPS = ("corpus", "synthetic", "cross-search", "cross-listing")
DEPTH = 40  # how many chunks search_pages asks each ranking for
EXACT = "exact scan (no index)"
VECTOR_MODES = {
    "HNSW ef_search=40 (default)": "SET LOCAL hnsw.ef_search = 40",
    "HNSW ef_search=100": "SET LOCAL hnsw.ef_search = 100",
    "HNSW ef_search=200": "SET LOCAL hnsw.ef_search = 200",
    EXACT: "SET LOCAL enable_indexscan = off",
}


class BenchQuery(NamedTuple):
    """One timed question: its group, text and the project in focus (None = search all)."""

    group: str
    question: str
    project: str | None


def connect(data_dir: Path, reuse: bool) -> tuple[str, str]:
    """Start the embedded server; drop the bench database unless reusing it. (URL, socket dir)."""
    base = embedded.postgres_url(data_dir, database="postgres")
    host = unquote(base.split("host=", 1)[1])
    if not reuse:
        with psycopg.connect(host=host, user="postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    return embedded.postgres_url(data_dir, database=DATABASE), host


def ingest_corpus() -> int:
    """Ingest the shared brochures under their README project names; returns chunks added."""
    if not CORPUS_DIR.is_dir():
        print(
            f"Shared corpus not found at {CORPUS_DIR} (set INVESTOCHAT_SHARED_DIR to the "
            "shared/ folder); continuing with synthetic data only."
        )
        return 0
    chunks = 0
    for file_name, project in sorted(corpus_projects(CORPUS_DIR).items()):
        if (CORPUS_DIR / file_name).exists():
            results = ingest_files(project, [str(CORPUS_DIR / file_name)], progress=False)
            chunks += sum(r.chunks for r in results)
    return chunks


def load_data(args: argparse.Namespace, host: str, projects: list) -> dict:
    """Fill the bench database (unless --reuse finds enough); returns what was loaded."""
    is_synthetic = Project.name.like("Synthetic %")
    count = select(func.count(Chunk.id)).join(Project).where(is_synthetic)
    info: dict = {}
    if args.reuse and db.session.scalar(count) >= args.chunks:
        print(f"Reusing the synthetic chunks already in {DATABASE}.")
    else:
        if args.reuse:  # too little data to reuse: start again from an empty database
            db.session.remove()
            db.engine.dispose()
            connect(args.data_dir, reuse=False)
            upgrade()
        print("Ingesting the shared corpus ...")
        ingest_corpus()
        print(f"Generating and loading {args.chunks:,} synthetic chunks ...")
        rng = random.Random(SEED + 2)
        for project in projects:
            synthetic.fill_pages(project, rng)
        with psycopg.connect(host=host, user="postgres", dbname=DATABASE) as conn:
            conn.autocommit = True  # load() opens its own transaction, then VACUUMs
            info["load_seconds"] = synthetic.load(conn, projects, HashingEmbedder())
    query = select(is_synthetic, func.count(Chunk.id)).join(Chunk).group_by(is_synthetic)
    counts = dict(db.session.execute(query).all())
    return info | {"synthetic_chunks": counts.get(True, 0), "corpus_chunks": counts.get(False, 0)}


def query_mix(total: int, projects: list[synthetic.SyntheticProject]) -> list[BenchQuery]:
    """The dev questions (when the corpus is loaded), then 60% synthetic-project questions,
    30% cross-project searches and 10% cross-project listings ('Which projects have ...')."""
    rng = random.Random(SEED + 1)
    known = {name.lower() for name in db.session.scalars(select(Project.name))}
    dev = []
    if EVAL_FILE.exists():
        dev = [
            BenchQuery("corpus", q.question, q.project)
            for q in load_questions(EVAL_FILE)
            if q.project is None or q.project.lower() in known
        ][: total // 2]
    rest = total - len(dev)
    listing, cross = rest // 10, rest * 3 // 10
    mix = dev + [
        BenchQuery("synthetic", rng.choice(synthetic.PROJECT_QUESTIONS)(p, rng), p.name)
        for p in rng.choices(projects, k=rest - listing - cross)
    ]
    mix += [
        BenchQuery("cross-search", rng.choice(synthetic.CROSS_QUESTIONS)(rng), None) for _ in range(cross)
    ]
    mix += [
        BenchQuery("cross-listing", rng.choice(synthetic.LISTING_QUESTIONS)(p, rng), None)
        for p in rng.choices(projects, k=listing)
    ]
    rng.shuffle(mix)
    return mix


def warm_up(mix: list[BenchQuery]) -> dict[str, float]:
    """Time the corpus-statistics cache builds (their cold cost), then answer a few questions."""
    started = time.perf_counter()
    corpus_stats(db.session, None)
    cold = {"stats_all_ms": (time.perf_counter() - started) * 1000}
    names = sorted({q.project for q in mix if q.project})[:10]
    ids = db.session.scalars(select(Project.id).where(Project.name.in_(names))).all()
    started = time.perf_counter()
    for project_id in ids:
        corpus_stats(db.session, project_id)
    cold["stats_per_project_ms"] = (time.perf_counter() - started) * 1000 / max(1, len(ids))
    for query in mix[:: max(1, len(mix) // 20)]:
        answer_question(query.question, project=query.project)
        db.session.remove()
    return cold


def time_answers(mix: list[BenchQuery]) -> list[dict]:
    """Answer every question once; wall time in ms with the route each answer took."""
    timings = []
    for query in mix:
        started = time.perf_counter()
        answer = answer_question(query.question, project=query.project)
        elapsed = (time.perf_counter() - started) * 1000
        db.session.remove()  # what a request's teardown does
        timings.append({**query._asdict(), "ms": elapsed, "route": answer.route})
    return timings


def latency_rows(timings: list[dict]) -> list[dict]:
    """p50/p95/p99 and route counts per group and overall (overall last)."""
    rows = []
    for group in (*GROUPS, "overall"):
        items = [t for t in timings if group in (t["group"], "overall")]
        values = [t["ms"] for t in items]
        if values:
            p95 = percentile(values, 95)
            rows.append(
                {
                    "group": group,
                    "n": len(items),
                    "p50": percentile(values, 50),
                    "p95": p95,
                    "p99": percentile(values, 99),
                    "result": "PASS" if p95 <= TARGET_P95_MS else "MISS",
                    "routes": dict(Counter(t["route"] for t in items).most_common()),
                }
            )
    return rows


def timed(run: Callable[[], object]) -> tuple[float, object, str]:
    """Run one query: wall time in ms, its result, and the scan PostgreSQL planned for it."""
    captured: list[tuple[str, object]] = []

    def remember(conn, cursor, statement, parameters, context, executemany) -> None:
        captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        started = time.perf_counter()
        result = run()
        elapsed = (time.perf_counter() - started) * 1000
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    statement, parameters = captured[-1]  # EXPLAIN in the same transaction (same SET LOCALs)
    plan = db.session.connection().exec_driver_sql("EXPLAIN " + statement, parameters)
    scans = [line.strip(" ->").split("  (")[0] for line in plan.scalars() if "Scan" in line]
    return elapsed, result, next((s for s in scans if "Index" in s), scans[0] if scans else "?")


def summarize(ms: list[float], plans: Counter, **extra: float) -> dict:
    """p50/p95 of one retrieval mode with the plans it used."""
    return {"p50": percentile(ms, 50), "p95": percentile(ms, 95), **extra, "plans": dict(plans.most_common())}


def compare_vector(questions: list[str], k: int = 10) -> dict[str, dict]:
    """Cross-project vector_ranking through HNSW (several ef_search) versus an exact scan."""
    session, embedder = db.session, HashingEmbedder()
    runs = {mode: ([], [], Counter()) for mode in VECTOR_MODES}  # ms, ids, plans
    for question in questions:
        for mode, setting in VECTOR_MODES.items():
            session.execute(sql_text(setting))
            ms, ids, plan = timed(partial(vector_ranking, session, question, embedder, None, k))
            session.rollback()
            runs[mode][0].append(ms)
            runs[mode][1].append(set(ids))
            runs[mode][2][plan] += 1
    exact = runs[EXACT][1]
    return {
        mode: summarize(
            ms,
            plans,
            recall_at_10=statistics.mean(
                len(got & truth) / max(1, len(truth)) for got, truth in zip(ids, exact, strict=True)
            ),
        )
        for mode, (ms, ids, plans) in runs.items()
    }


def compare_full_text(questions: list[str]) -> dict[str, dict]:
    """full_text_ranking over all projects versus a sequential ILIKE scan for the same words."""
    session = db.session
    ilike = sql_text("SELECT id FROM chunks WHERE text ILIKE ANY(:patterns)")
    runs = {"full text (tsv @@, ts_rank_cd)": ([], Counter()), "ILIKE scan": ([], Counter())}

    def ilike_scan(patterns: list[str]) -> list:
        return session.execute(ilike, {"patterns": patterns}).all()

    for question in questions:
        analysis = analyze(question)
        patterns = [f"%{word}%" for word in analysis.search_words()] or ["%"]
        calls = (partial(full_text_ranking, session, analysis, None, DEPTH), partial(ilike_scan, patterns))
        for (ms, plans), call in zip(runs.values(), calls, strict=True):
            elapsed, _, plan = timed(call)
            ms.append(elapsed)
            plans[plan] += 1
        session.rollback()
    return {mode: summarize(ms, plans) for mode, (ms, plans) in runs.items()}


def profile(timings: list[dict], per_group: int = 3, top: int = 14) -> str:
    """cProfile of the slowest questions of each group that misses the target."""
    out = io.StringIO()
    for row in latency_rows(timings)[:-1]:
        if row["result"] == "PASS":
            continue
        slowest = sorted((t for t in timings if t["group"] == row["group"]), key=lambda t: -t["ms"])
        profiler = cProfile.Profile()
        for item in slowest[:per_group]:
            profiler.runcall(answer_question, item["question"], project=item["project"])
            db.session.remove()
        out.write(
            f"\n--- profile: {per_group} slowest '{row['group']}' questions, e.g. "
            f"{slowest[0]['question']!r} ({slowest[0]['ms']:.0f} ms) ---\n"
        )
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(r"app[/\\]rag|psycopg[/\\]cursor\.py.*\(execute\)", top)
    return out.getvalue()


def print_summary(info: dict, rows: list[dict], timings: list[dict], compared: dict) -> None:
    """The compact tables printed at the end of a run."""
    print("\n== InvestoChat retrieval benchmark ==")
    print(
        f"chunks: {info['synthetic_chunks'] + info['corpus_chunks']:,} "
        f"({info['synthetic_chunks']:,} synthetic in {info['synthetic_projects']} projects, "
        f"{info['corpus_chunks']:,} from the shared corpus)"
    )
    if info.get("load_seconds"):
        print("load (s): " + ", ".join(f"{k} {v:.1f}" for k, v in info["load_seconds"].items()))
    print(
        f"corpus_stats cache, cold build: all chunks {info['cold']['stats_all_ms']:,.0f} ms, "
        f"one project {info['cold']['stats_per_project_ms']:.1f} ms"
    )
    print(f"\nanswer_question latency (ms), target p95 <= {TARGET_P95_MS:.0f} ms")
    print(f"{'group':<14}{'n':>5}{'p50':>9}{'p95':>9}{'p99':>9}  result  routes")
    for r in rows:
        routes = ", ".join(f"{k} {v}" for k, v in r["routes"].items())
        print(
            f"{r['group']:<14}{r['n']:>5}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['p99']:>9.1f}"
            f"  {r['result']:<6}  {routes}"
        )
    for t in sorted(timings, key=lambda t: -t["ms"])[:3]:
        print(f"  slow: {t['ms']:,.0f} ms {t['group']} {t['question']!r}")
    print(f"\nretrieval alone, all projects, {info['compared']} queries (ms)")
    print(f"  {'query path':<44}{'p50':>8}{'p95':>9}  recall@10  plans")
    for name, result in compared.items():
        recall = f"{result['recall_at_10']:.3f}" if "recall_at_10" in result else ""
        plans = "; ".join(f"{plan} x{n}" for plan, n in result["plans"].items())
        print(f"  {name:<44}{result['p50']:>8.1f}{result['p95']:>9.1f}  {recall:<9}  {plans}")
    hnsw, text = compared["HNSW ef_search=40 (default)"], compared["full text (tsv @@, ts_rank_cd)"]
    print(
        f"  speed-up: HNSW {compared[EXACT]['p50'] / hnsw['p50']:.1f}x over the exact scan, "
        f"full text {compared['ILIKE scan']['p50'] / text['p50']:.1f}x over ILIKE (p50)"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns 0 when overall p95 meets the target, else 1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=50_000, help="synthetic chunks to load")
    parser.add_argument("--projects", type=int, default=200, help="synthetic projects")
    parser.add_argument("--queries", type=int, default=200, help="timed questions")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "instance" / "bench")
    parser.add_argument("--reuse", action="store_true", help="keep a database already loaded")
    parser.add_argument("--no-profile", action="store_true", help="skip profiling on MISS")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # progress shows up even when piped to a file

    url, host = connect(args.data_dir, args.reuse)
    redis_url = embedded.redis_url(args.data_dir, name="redis-bench.db")
    app = create_app(
        {
            "DATABASE_URL": url,
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": redis_url,
            "OPENAI_API_KEY": "",
            "LOG_LEVEL": "WARNING",
        }
    )
    projects = synthetic.make_projects(args.projects, args.chunks, random.Random(SEED))
    with app.app_context():
        upgrade()
        info = load_data(args, host, projects) | {"synthetic_projects": args.projects}
        mix = query_mix(args.queries, projects)
        print(f"Warming up, then timing {len(mix)} questions ...")
        info["cold"] = warm_up(mix)
        timings = time_answers(mix)
        rows = latency_rows(timings)
        print("Comparing indexed and exact retrieval ...")
        sample = [q.question for q in mix[:60]]
        compared = compare_vector(sample) | compare_full_text(sample)
        info["compared"] = len(sample)
        report = "" if args.no_profile else profile(timings)
    print(report, end="")
    print_summary(info, rows, timings, compared)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    out = results / f"retrieval-{time.strftime('%Y%m%d-%H%M%S')}.json"
    payload = {
        "args": {k: str(v) for k, v in vars(args).items()},
        **info,
        "latency": rows,
        "retrieval": compared,
        "timings": timings,
    }
    out.write_text(json.dumps(payload, indent=1))
    print(f"\nwrote {out.relative_to(ROOT)}")
    return 0 if rows[-1]["result"] == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
