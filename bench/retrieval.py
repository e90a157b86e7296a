"""Retrieval benchmark: answer latency and index-versus-exact search over 50,000+ chunks.

    python bench/retrieval.py [--chunks 50000] [--queries 200] [--data-dir instance/bench]

Starts its own embedded PostgreSQL and Redis in --data-dir, ingests the shared brochure corpus,
bulk-loads synthetic projects, then prints answer latency percentiles per query group against
the p95 target, HNSW versus exact vector search (speed-up, recall@10) and GIN full text versus
a sequential ILIKE scan. bench/README.md explains how to read the output.
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
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
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
from app.rag.embed import HashingEmbedder  # noqa: E402
from app.rag.evaluate import corpus_projects, load_questions, percentile  # noqa: E402
from app.rag.query import analyze  # noqa: E402
from app.rag.retrieve import corpus_stats, full_text_ranking, vector_ranking  # noqa: E402
from bench import synthetic  # noqa: E402
from tests.shared_data import CORPUS_DIR, EVAL_FILE  # noqa: E402

DATABASE = "investochat_bench"
TARGET_P95_MS = 150.0
SEED = 20240601
GROUPS = ("corpus", "synthetic", "cross-search", "cross-listing")


@dataclass
class BenchQuery:
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
        print(f"Shared corpus not found at {CORPUS_DIR} (set INVESTOCHAT_SHARED_DIR to the "
              "shared/ folder); continuing with synthetic data only.")
        return 0
    chunks = 0
    for file_name, project in sorted(corpus_projects(CORPUS_DIR).items()):
        if (CORPUS_DIR / file_name).exists():
            results = ingest_files(project, [str(CORPUS_DIR / file_name)], progress=False)
            chunks += sum(r.chunks for r in results)
    return chunks


def query_mix(total: int, projects: list[synthetic.SyntheticProject]) -> list[BenchQuery]:
    """The dev questions (when the corpus is loaded), then 60% synthetic-project questions,
    30% cross-project searches and 10% cross-project listings ('Which projects have ...')."""
    rng = random.Random(SEED + 1)
    known = {name.lower() for name in db.session.scalars(select(Project.name))}
    dev = []
    if EVAL_FILE.exists():
        dev = [BenchQuery("corpus", q.question, q.project) for q in load_questions(EVAL_FILE)
               if q.project is None or q.project.lower() in known][: total // 2]
    rest = total - len(dev)
    listing, cross = rest // 10, rest * 3 // 10
    mix = dev + [
        BenchQuery("synthetic", rng.choice(synthetic.PROJECT_QUESTIONS)(p, rng), p.name)
        for p in rng.choices(projects, k=rest - listing - cross)
    ]
    mix += [BenchQuery("cross-search", rng.choice(synthetic.CROSS_QUESTIONS)(rng), None)
            for _ in range(cross)]
    mix += [BenchQuery("cross-listing", rng.choice(synthetic.LISTING_QUESTIONS)(p, rng), None)
            for p in rng.choices(projects, k=listing)]
    rng.shuffle(mix)
    return mix


def warm_up(mix: list[BenchQuery]) -> dict[str, float]:
    """Time the corpus-statistics cache builds (their cold cost), then answer a few questions."""
    session = db.session
    started = time.perf_counter()
    corpus_stats(session, None)
    cold = {"stats_all_ms": (time.perf_counter() - started) * 1000}
    names = sorted({q.project for q in mix if q.project})[:10]
    ids = session.scalars(select(Project.id).where(Project.name.in_(names))).all()
    started = time.perf_counter()
    for project_id in ids:
        corpus_stats(session, project_id)
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
        timings.append({**asdict(query), "ms": elapsed, "route": answer.route})
    return timings


def latency_rows(timings: list[dict]) -> list[dict]:
    """p50/p95/p99 and route counts per group and overall."""
    rows = []
    for group in (*GROUPS, "overall"):
        items = [t for t in timings if group in (t["group"], "overall")]
        if not items:
            continue
        values = [t["ms"] for t in items]
        p95 = percentile(values, 95)
        rows.append({
            "group": group, "n": len(items), "p50": percentile(values, 50), "p95": p95,
            "p99": percentile(values, 99), "result": "PASS" if p95 <= TARGET_P95_MS else "MISS",
            "routes": dict(Counter(t["route"] for t in items).most_common()),
        })
    return rows


def scan_node(run: Callable[[], object]) -> str:
    """The scan PostgreSQL plans for the last statement ``run`` executes (same transaction)."""
    captured: list[tuple[str, object]] = []

    def remember(conn, cursor, statement, parameters, context, executemany) -> None:
        captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    statement, parameters = captured[-1]
    plan = db.session.connection().exec_driver_sql("EXPLAIN " + statement, parameters).scalars()
    lines = [line.strip(" ->") for line in plan]
    return next((line.split("  (")[0] for line in lines if "Scan" in line), lines[0])


def compare_vector(questions: list[str], k: int = 10) -> dict:
    """HNSW (cross-project vector_ranking) versus the same query with index scans disabled."""
    session, embedder = db.session, HashingEmbedder()
    modes = {"hnsw": "SET LOCAL hnsw.ef_search = 40", "exact": "SET LOCAL enable_indexscan = off"}
    ms: dict[str, list[float]] = {mode: [] for mode in modes}
    plans, recalls = {}, []
    for question in questions:
        found = {}
        for mode, setting in modes.items():
            session.execute(sql_text(setting))
            started = time.perf_counter()
            found[mode] = vector_ranking(session, question, embedder, None, k)
            ms[mode].append((time.perf_counter() - started) * 1000)
            if mode not in plans:
                plans[mode] = scan_node(partial(vector_ranking, session, question, embedder, None, k))
            session.rollback()
        hits = set(found["hnsw"]) & set(found["exact"])
        recalls.append(len(hits) / max(1, len(found["exact"])))
    return _comparison(ms["hnsw"], ms["exact"], plans) | {"recall_at_10": statistics.mean(recalls)}


def compare_full_text(questions: list[str]) -> dict:
    """GIN full-text ranking (all projects) versus a sequential ILIKE scan for the same words."""
    session = db.session
    gin, ilike = [], []
    for question in questions:
        analysis = analyze(question)
        patterns = [f"%{word}%" for word in analysis.search_words()] or ["%"]
        started = time.perf_counter()
        full_text_ranking(session, analysis, None, 24)
        gin.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        session.execute(sql_text("SELECT id FROM chunks WHERE text ILIKE ANY(:p)"), {"p": patterns})
        ilike.append((time.perf_counter() - started) * 1000)
        session.rollback()
    return _comparison(gin, ilike, {})


def _comparison(fast: list[float], slow: list[float], plans: dict) -> dict:
    fast_p50, slow_p50 = percentile(fast, 50), percentile(slow, 50)
    return {"n": len(fast), "fast_p50": fast_p50, "fast_p95": percentile(fast, 95),
            "slow_p50": slow_p50, "slow_p95": percentile(slow, 95),
            "speedup": slow_p50 / fast_p50 if fast_p50 else 0.0, "plans": plans}


def profile(timings: list[dict], per_group: int = 3, top: int = 14) -> str:
    """cProfile of the slowest questions of each group that misses the target."""
    out = io.StringIO()
    for row in latency_rows(timings):
        if row["result"] == "PASS" or row["group"] == "overall":
            continue
        slowest = sorted((t for t in timings if t["group"] == row["group"]), key=lambda t: -t["ms"])
        profiler = cProfile.Profile()
        for item in slowest[:per_group]:
            profiler.runcall(answer_question, item["question"], project=item["project"])
            db.session.remove()
        out.write(f"\n--- profile: {per_group} slowest '{row['group']}' questions, e.g. "
                  f"{slowest[0]['question']!r} ({slowest[0]['ms']:.0f} ms) ---\n")
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(r"app[/\\]rag|psycopg[/\\]cursor\.py.*\(execute\)", top)
    return out.getvalue()


def print_summary(info: dict, rows: list[dict], vector: dict, text: dict) -> None:
    """The compact table printed at the end of a run."""
    print("\n== InvestoChat retrieval benchmark ==")
    print(f"chunks: {info['chunks']:,} ({info['synthetic_chunks']:,} synthetic in "
          f"{info['synthetic_projects']} projects, {info['corpus_chunks']:,} from the corpus)")
    if info.get("load_seconds"):
        print("load (s): " + ", ".join(f"{k} {v:.1f}" for k, v in info["load_seconds"].items()))
    print(f"corpus_stats cache build (cold): all chunks {info['cold']['stats_all_ms']:,.0f} ms, "
          f"one project {info['cold']['stats_per_project_ms']:.1f} ms")
    print(f"\nanswer_question latency (ms), target p95 <= {TARGET_P95_MS:.0f} ms")
    print(f"{'group':<14}{'n':>5}{'p50':>9}{'p95':>9}{'p99':>9}  result  routes")
    for r in rows:
        routes = ", ".join(f"{k} {v}" for k, v in r["routes"].items())
        print(f"{r['group']:<14}{r['n']:>5}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['p99']:>9.1f}"
              f"  {r['result']:<6}  {routes}")
    print(f"\nvector top-10, all projects ({vector['n']} queries): HNSW p50 "
          f"{vector['fast_p50']:.1f} / p95 {vector['fast_p95']:.1f} ms; exact p50 "
          f"{vector['slow_p50']:.1f} / p95 {vector['slow_p95']:.1f} ms; speed-up "
          f"{vector['speedup']:.1f}x; recall@10 {vector['recall_at_10']:.3f}")
    plans = vector["plans"]
    print(f"  plans: HNSW -> {plans.get('hnsw')}; exact -> {plans.get('exact')}")
    print(f"full text, all projects ({text['n']} queries): GIN p50 {text['fast_p50']:.1f} / "
          f"p95 {text['fast_p95']:.1f} ms; ILIKE scan p50 {text['slow_p50']:.1f} / p95 "
          f"{text['slow_p95']:.1f} ms; speed-up {text['speedup']:.1f}x")


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
    app = create_app({"DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis_url,
                      "OPENAI_API_KEY": "", "LOG_LEVEL": "WARNING"})
    rng = random.Random(SEED)
    projects = synthetic.make_projects(args.projects, args.chunks, rng)
    info: dict = {"args": {k: str(v) for k, v in vars(args).items()}}
    with app.app_context():
        upgrade()
        synthetic_in_db = db.session.scalar(
            select(func.count(Chunk.id)).join(Project).where(Project.name.like("Synthetic %")))
        db.session.remove()
        if args.reuse and synthetic_in_db >= args.chunks:
            print(f"Reusing {synthetic_in_db:,} synthetic chunks in {DATABASE}.")
        else:
            if args.reuse:  # too little data to reuse: start again from an empty database
                db.engine.dispose()
                url, host = connect(args.data_dir, reuse=False)
                upgrade()
            print("Ingesting the shared corpus ...")
            info["corpus_chunks_ingested"] = ingest_corpus()
            print(f"Generating and loading {args.chunks:,} synthetic chunks ...")
            for project in projects:
                synthetic.fill_pages(project, rng)
            with psycopg.connect(host=host, user="postgres", dbname=DATABASE) as conn:
                conn.autocommit = True  # load() opens its own transaction, then VACUUMs
                info["load_seconds"] = synthetic.load(conn, projects, HashingEmbedder())
        is_synthetic = Project.name.like("Synthetic %")
        counts = dict(db.session.execute(
            select(is_synthetic, func.count(Chunk.id))
            .join(Chunk, Chunk.project_id == Project.id).group_by(is_synthetic)).all())
        info |= {"synthetic_chunks": counts.get(True, 0), "corpus_chunks": counts.get(False, 0),
                 "synthetic_projects": args.projects}
        info["chunks"] = info["synthetic_chunks"] + info["corpus_chunks"]
        mix = query_mix(args.queries, projects)
        print(f"Warming up, then timing {len(mix)} questions ...")
        info["cold"] = warm_up(mix)
        timings = time_answers(mix)
        rows = latency_rows(timings)
        sample = [q.question for q in mix[:60]]
        vector, text = compare_vector(sample), compare_full_text(sample)
        report = "" if args.no_profile else profile(timings)
    print(report, end="")
    print_summary(info, rows, vector, text)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    out = results / f"retrieval-{time.strftime('%Y%m%d-%H%M%S')}.json"
    payload = info | {"latency": rows, "vector": vector, "full_text": text, "timings": timings}
    out.write_text(json.dumps(payload, indent=1, default=str))
    print(f"\nwrote {out.relative_to(ROOT)}")
    return 0 if rows[-1]["result"] == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
