"""Portal load benchmark: partner and broker page latency over 50,000 leads and their history.

    python bench/portal_load.py [--leads 50000] [--deals 5000] [--messages 150000] [--requests 200]
        [--data-dir instance/bench-portal] [--reuse] [--explain] [--try-indexes]

Starts its own embedded PostgreSQL in --data-dir, recreates the investochat_bench_portal database,
creates a partner and 40 brokers, bulk-loads leads, messages, activities and deals with COPY, then
times real requests (Flask test client, logged in through /login) to the lead list, the broker
pool, the dashboard, the deals and brokers pages. Prints p50/p95/p99 per page against the p95
target with the CPU time each request cost, EXPLAIN ANALYZE and a profile for pages that miss it,
and with --try-indexes the effect of candidate indexes. bench/portal_load.md explains the output.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import pstats
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/portal_load.py` puts bench/, not the checkout, first
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from app import create_app, embedded  # noqa: E402
from app.conversation.parsers import TIMELINES  # noqa: E402
from app.conversation.questions import QUESTIONS  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models.leads import POOL_STAGES  # noqa: E402
from app.portal.accounts import create_user  # noqa: E402
from app.portal.performance import forget_records  # noqa: E402
from app.portal.stats import add_months, forget_activity_figures  # noqa: E402
from app.rag.evaluate import percentile  # noqa: E402

DATABASE = "investochat_bench_portal"
TARGET_P95_MS = 100.0
SEED = 20241125
PASSWORD = "bench-portal-password"
PARTNER_EMAIL = "partner@bench.investochat.in"
BROKERS = 40
WARM_UP = 5
CRORE, LAKH = Decimal(10_000_000), Decimal(100_000)
# Delhi NCR luxury localities (the app's canonical names) and how often investors name them.
AREAS = {
    "Golf Course Road": 14,
    "Golf Course Extension Road": 12,
    "Dwarka Expressway": 11,
    "Sohna Road": 6,
    "Southern Peripheral Road": 6,
    "New Gurugram": 5,
    "MG Road": 3,
    "Cyber City": 3,
    "DLF Phase 5": 5,
    "DLF Phase 2": 2,
    "Noida Expressway": 7,
    "Noida": 4,
    "Greater Noida West": 4,
    "South Delhi": 6,
    "Aerocity": 2,
    "Central Delhi": 2,
    "Faridabad": 1,
    "Sohna": 2,
    "Manesar": 1,
}
BROKER_TERRITORIES = (
    ("Golf Course Road", "Golf Course Extension Road", "DLF Phase 5", "MG Road", "Cyber City"),
    ("Dwarka Expressway", "New Gurugram", "Southern Peripheral Road", "Sohna Road", "Sohna"),
    ("Noida Expressway", "Noida", "Greater Noida West"),
    ("South Delhi", "Central Delhi", "Aerocity"),
)
STAGES = {"new": 12, "engaged": 18, "qualifying": 18, "profiled": 12, "qualified": 25, "broker_requested": 15}
UNITS = {
    "3BHK": 30,
    "4BHK": 22,
    "3BHK+servant": 12,
    "4BHK+servant": 12,
    "2BHK": 8,
    "penthouse": 6,
    "5BHK": 4,
    "villa": 4,
    "plot": 2,
}
UNIT_TYPES = {
    "2BHK": "2 BHK",
    "3BHK": "3 BHK",
    "3BHK+servant": "3 BHK + servant",
    "4BHK": "4 BHK",
    "4BHK+servant": "4 BHK + servant",
    "5BHK": "5 BHK",
    "penthouse": "Penthouse",
    "villa": "Villa",
    "plot": "Plot",
}
TIMELINE_WEIGHTS = (10, 20, 25, 20, 10, 15)
ROUTES = {"documents": 45, "tables": 15, "facts": 15, "sql": 5, "none": 20}
INVESTOR_QUESTIONS = (
    "What is the payment plan?",
    "what is the payment plan",
    "Price of 3 BHK?",
    "price list please",
    "What is the price of a 4 BHK?",
    "Where is the project located?",
    "When is possession?",
    "possession date?",
    "Is there a clubhouse?",
    "What amenities are there?",
    "Is it RERA registered?",
    "What is the carpet area of 3 BHK?",
    "How far is the airport?",
    "Which developer is it?",
    "Any offers running?",
    "Is there a swimming pool?",
    "How many towers?",
    "What is the maintenance charge?",
    "Is home loan available?",
    "Which projects have 4 BHK on Golf Course Road?",
    "Send brochure",
    "What is the super area?",
    "Is parking included?",
    "What about power backup?",
)
PROJECTS = (
    "Aravali Crest, Camellias Vista, Magnolia Heights, Sector 65 Residences, Horizon One, "
    "Emerald Greens, Skyline Towers, Palm Terraces, The Aralias Court, Crest Avenue, "
    "Riverside Arcadia, Noida Sky Villas, Dwarka Grand, SPR Signature, Sohna Hills, "
    "Golf Links Manor, Central Park Vista, Elan Grove, Ireo Heights, M3M Select, Tulip Monsella, "
    "Smart World One, Godrej Aristocrat, DLF Privana, Whiteland Aspen"
).split(", ")
FIRST_NAMES = (
    "Aarav Vivaan Aditya Rohan Kabir Arjun Ishaan Rahul Vikram Sanjay Ananya Priya Neha Kavya "
    "Meera Riya Pooja Sneha Nikhil Karan Amit Deepak Suresh Harpreet Gurpreet Manish Sunita "
    "Anjali Ritu Tarun"
).split(" ")
SURNAMES = (
    "Sharma Verma Gupta Malhotra Kapoor Singh Agarwal Mehta Chopra Bansal Khanna Arora Jain "
    "Sethi Bhatia Reddy Iyer Nair Saxena Goel"
).split(" ")
LOST_REASONS = (
    "Bought elsewhere",
    "Budget too low for the project",
    "Not reachable after 5 calls",
    "Postponed the purchase",
    "Wanted a ready-to-move home",
)


class Page(NamedTuple):
    """One timed page: its label, who asks for it, the path, and whether the p95 target applies;
    ``uncached`` drops the page's per-process figures before each request, to time what a request
    costs when they must be computed."""

    name: str
    role: str
    path: str
    targeted: bool
    uncached: Callable[[], None] | None = None


PAGES = (
    Page("lead list", "partner", "/partner/leads", True),
    Page(
        "lead list, filtered+sorted",
        "partner",
        "/partner/leads?stage=qualified&pipeline=none&budget_min=3+Cr&sort=budget",
        True,
    ),
    Page("lead list, page 50", "partner", "/partner/leads?page=50", True),
    Page("broker pool", "broker", "/broker/", True),
    Page("dashboard", "partner", "/partner/", True),
    # The dashboard and the broker list reuse their aggregates for up to a minute while nothing new
    # is written (app.portal.recent); these rows time every request as a first one after new activity.
    Page("dashboard, figures uncached", "partner", "/partner/", False, forget_activity_figures),
    Page("deals", "partner", "/partner/deals", False),
    Page("brokers", "partner", "/partner/brokers", False),
    Page("brokers, records uncached", "partner", "/partner/brokers", False, forget_records),
)


class Candidate(NamedTuple):
    """An index the slow pages' plans ask for, tried by --try-indexes in the bench database only."""

    name: str
    definition: str
    pages: tuple[str, ...]


# Indexes to try with --try-indexes, e.g. Candidate("bench_x", "leads (...) WHERE ...", ("dashboard",)).
# The five tried in November 2026 (pool, funnel, answers, claimed, budget) are in migration
# 0005_portal_speed now, so the bench database has them as migrated; none is pending.
CANDIDATES: tuple[Candidate, ...] = ()


# -- Data --------------------------------------------------------------------------------------------


def pick(rng: random.Random, weights: dict[str, int], k: int = 1) -> list[str]:
    """``k`` distinct keys of ``weights``, drawn by weight."""
    chosen: list[str] = []
    while len(chosen) < min(k, len(weights)):
        key = rng.choices(list(weights), list(weights.values()))[0]
        if key not in chosen:
            chosen.append(key)
    return chosen


def crores(amount: Decimal) -> str:
    """4.5 Cr -> "4.5", 5 Cr -> "5" (as investors type budgets)."""
    return f"{amount / CRORE:.2f}".rstrip("0").rstrip(".")


def budget(rng: random.Random) -> tuple[Decimal | None, Decimal | None, str]:
    """A budget as (min, max, what was typed): a range, "up to X" or "X+" (lognormal, median ~4 Cr)."""
    centre = min(max(rng.lognormvariate(math.log(4), 0.6), 0.75), 50)
    step = Decimal("0.25") * CRORE
    centre_inr = (Decimal(str(centre)) * CRORE / step).quantize(Decimal(1)) * step
    shape = rng.random()
    if shape < 0.55:
        low, high = max(step, centre_inr - 2 * step), centre_inr + 2 * step
        return low, high, f"{crores(low)}-{crores(high)} Cr"
    if shape < 0.8:
        return None, centre_inr, f"under {crores(centre_inr)} cr"
    return centre_inr, None, f"{crores(centre_inr)} Cr+"


def answer_lead(lead: dict, rng: random.Random, answered: tuple[str, ...]) -> None:
    """Fill the qualification answers named in ``answered`` the way the engine stores them."""
    if "budget" in answered:
        lead["budget_min_inr"], lead["budget_max_inr"], lead["budget_text"] = budget(rng)
    if "area" in answered:
        lead["areas"] = ["Any"] if rng.random() < 0.08 else pick(rng, AREAS, 1 if rng.random() < 0.7 else 2)
        lead["area_text"] = ", ".join(lead["areas"]).lower()
    if "timeline" in answered:
        lead["timeline"] = rng.choices(TIMELINES, TIMELINE_WEIGHTS)[0]
        lead["timeline_text"] = lead["timeline"]
    if "unit" in answered:
        lead["unit_kinds"] = pick(rng, UNITS, 1 if rng.random() < 0.75 else 2)
        lead["unit_text"] = " or ".join(UNIT_TYPES[k] for k in lead["unit_kinds"]).lower()
    lead["questions_answered"] = len(answered)


def new_lead(rng: random.Random, now: datetime, projects: list[int]) -> dict:
    """A lead at a random stage, created in the last 12 months (more of them recently); its id,
    phone and reference are given once every lead is sorted by creation time."""
    created = now - timedelta(days=365 * rng.random() ** 1.4, seconds=rng.randrange(86_400))
    stage = pick(rng, STAGES)[0]
    lead = {
        "channel": "whatsapp",
        "opted_out": False,
        "stage": stage,
        "created_at": created,
        "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}" if rng.random() < 0.9 else None,
        "project_id": rng.choice(projects) if rng.random() < 0.35 else None,
        "areas": [],
        "unit_kinds": [],
        "skipped": [],
        "questions_answered": 0,
    }
    if stage == "qualifying":
        answered = QUESTIONS[: rng.randint(1, 3)]
        lead["pending_question"] = QUESTIONS[len(answered)]
    elif stage == "profiled":
        lead["skipped"] = rng.sample(QUESTIONS, rng.randint(1, 2))
        answered = tuple(q for q in QUESTIONS if q not in lead["skipped"])
    elif stage == "qualified" or (stage == "broker_requested" and rng.random() < 0.6):
        answered = QUESTIONS
    elif stage == "broker_requested":
        answered = QUESTIONS[: rng.randint(0, 3)]
    else:
        answered = ()
    answer_lead(lead, rng, answered)
    if len(answered) == len(QUESTIONS):
        lead["qualified_at"] = created + timedelta(minutes=rng.randint(5, 180))
    if stage == "broker_requested":
        lead["broker_requested_at"] = created + timedelta(minutes=rng.randint(10, 4_000))
    if rng.random() < 0.03:
        lead["opted_out"], lead["opted_out_at"] = True, created + timedelta(days=rng.randint(0, 20))
    return lead


def claim(lead: dict, broker_id: int, pipeline: str | None, rng: random.Random, now: datetime) -> None:
    """A broker took the lead, called (median ~1.2 h later) and moved it to ``pipeline``."""
    ready = lead.get("broker_requested_at") or lead.get("qualified_at") or lead["created_at"]
    lead["broker_id"], lead["pipeline"] = broker_id, pipeline
    lead["claimed_at"] = min(now, ready + timedelta(hours=rng.lognormvariate(math.log(3), 1.0)))
    if pipeline is not None and not (pipeline == "lost" and rng.random() < 0.2):
        contact_hours = rng.lognormvariate(math.log(1.2), 1.0)
        lead["contacted_at"] = min(now, lead["claimed_at"] + timedelta(hours=contact_hours))
    if pipeline in ("site_visit", "negotiating", "won"):
        lead["site_visit_on"] = lead["claimed_at"].date() + timedelta(days=rng.randint(2, 20))
    if pipeline == "lost":
        lead["lost_reason"] = rng.choice(LOST_REASONS)


def assign_brokers(
    leads: list[dict], brokers: list[int], deals: int, rng: random.Random, now: datetime
) -> list[dict]:
    """Claim pool leads: ``deals`` won (returned), ~1.1x as many lost, up to 15 open per broker."""
    pool = [lead for lead in leads if lead["stage"] in POOL_STAGES and not lead.get("opted_out")]
    rng.shuffle(pool)
    skill = [rng.uniform(0.5, 2.0) for _ in brokers]  # some brokers claim (and win) far more
    old = [lead for lead in pool if lead["created_at"] < now - timedelta(days=80)]
    won = old[: min(deals, len(pool) * 2 // 5)]
    for lead in won:
        claim(lead, rng.choices(brokers, skill)[0], "won", rng, now)
    rest = [lead for lead in pool if "broker_id" not in lead]
    recent = [lead for lead in rest if lead["created_at"] > now - timedelta(days=45)]
    for index, lead in enumerate(recent[: BROKERS * 15]):
        stage = rng.choice((None, "contacted", "contacted", "site_visit", "negotiating"))
        claim(lead, brokers[index % len(brokers)], stage, rng, now)
    rest = [lead for lead in rest if "broker_id" not in lead]
    for lead in rest[: min(len(rest) // 2, len(won) * 11 // 10)]:
        claim(lead, rng.choices(brokers, skill)[0], "lost", rng, now)
    return won


class Exchange(NamedTuple):
    """An inbound message and the reply it got."""

    lead_id: int
    phone: str
    body: str
    route: str | None
    answered: bool | None
    latency_ms: Decimal
    at: datetime
    failed: bool


def conversation(lead: dict, extra_questions: int, rng: random.Random, now: datetime) -> list[Exchange]:
    """The lead's exchanges: an opening (its answers, a greeting or a brochure question), a hand-off
    request and more brochure questions; brochure answers carry route, answered and latency."""
    created = lead["created_at"]
    if lead["questions_answered"]:  # answered in one go, so a lead costs few rows (see --messages)
        texts = [lead.get(f"{q}_text") or "skip" for q in QUESTIONS[: lead["questions_answered"]]]
        inbound = [(", ".join(texts), None, created)]
    elif rng.random() < 0.4:
        inbound = [("Hi", None, created)]
    else:
        inbound = [(rng.choice(INVESTOR_QUESTIONS), pick(rng, ROUTES)[0], created)]
    if lead.get("broker_requested_at"):
        inbound.append(("Connect me to a broker", None, lead["broker_requested_at"]))
    horizon = max(1.0, min(45.0, (now - created).total_seconds() / 86_400))
    for _ in range(extra_questions):
        asked = created + timedelta(days=rng.uniform(0, horizon))
        inbound.append((rng.choice(INVESTOR_QUESTIONS), pick(rng, ROUTES)[0], asked))
    exchanges = []
    for body, route, at in inbound:
        latency = Decimal(str(round(min(rng.lognormvariate(math.log(450), 0.6), 9_000), 1)))
        answered = None if route is None or rng.random() < 0.05 else route != "none"
        at = min(at, now - timedelta(seconds=10))
        exchanges.append(
            Exchange(lead["id"], lead["phone"], body, route, answered, latency, at, rng.random() < 0.02)
        )
    lead["last_inbound_at"] = max(e.at for e in exchanges)
    return exchanges


def message_rows(exchanges: list[Exchange]) -> list[tuple]:
    """Every exchange as an inbound row and its reply (``in_reply_to_id``), ids in time order as
    the webhook would have stored them, so the table's physical order follows ``created_at``."""
    rows = []
    for number, e in enumerate(sorted(exchanges, key=lambda e: e.at)):
        in_id, out_id = 2 * number + 1, 2 * number + 2
        replied = e.at + timedelta(milliseconds=float(e.latency_ms))
        common = {"lead_id": e.lead_id, "phone": e.phone, "provider": "meta", "kind": "text", "sequence": 0}
        inbound = common | {
            "id": in_id,
            "direction": "in",
            "provider_message_id": f"wamid.in.{in_id}",
            "body": e.body,
            "status": "processed",
            "status_at": e.at,
            "processed_at": e.at + timedelta(seconds=1),
            "created_at": e.at,
        }
        reply = common | {
            "id": out_id,
            "direction": "out",
            "provider_message_id": None if e.failed else f"wamid.out.{out_id}",
            "body": f"Reply to: {e.body}",
            "in_reply_to_id": in_id,
            "route": e.route,
            "answered": e.answered,
            "latency_ms": e.latency_ms if e.route else None,
            "status": "failed" if e.failed else "sent",
            "status_at": replied,
            "sent_at": None if e.failed else replied,
            "created_at": replied,
        }
        rows += [tuple(message.get(column) for column in MESSAGE_COLUMNS) for message in (inbound, reply)]
    return rows


def timeline(lead: dict, deal_id: int | None) -> list[tuple]:
    """The lead's activities, as the engine and the portal record them."""
    rows = [("lead_created", {}, "bot", lead["created_at"])]
    if lead["questions_answered"] or lead["stage"] in ("qualifying", "profiled"):
        rows.append(("qualification_started", {}, "bot", lead["created_at"]))
    if lead.get("qualified_at"):
        rows.append(("qualified", {"score": 4}, "bot", lead["qualified_at"]))
    elif lead["stage"] == "profiled":
        rows.append(("profile_completed", {"skipped": lead["skipped"]}, "bot", lead["created_at"]))
    if lead.get("broker_requested_at"):
        rows.append(
            ("broker_requested", {"reference": lead["reference"]}, "bot", lead["broker_requested_at"])
        )
    if lead.get("broker_id"):
        actor = f"user:{lead['broker_id']}"
        rows.append(("claimed", {}, actor, lead["claimed_at"]))
        if lead.get("contacted_at"):
            rows.append(("stage_changed", {"stage": "contacted"}, actor, lead["contacted_at"]))
        if lead["pipeline"] in ("lost", "site_visit", "negotiating"):
            rows.append(
                (
                    "stage_changed",
                    {"stage": lead["pipeline"]},
                    actor,
                    lead.get("contacted_at") or lead["claimed_at"],
                )
            )
        if deal_id:
            rows.append(("deal_logged", {"deal_id": deal_id}, actor, lead["closed_at"]))
    return [(lead["id"], kind, json.dumps(detail), actor, at) for kind, detail, actor, at in rows]


def deal_row(lead: dict, projects: dict[int, str], rng: random.Random, now: datetime) -> tuple:
    """A won lead's deal: value near the lead's budget, closed 10-75 days after the claim."""
    closed = min(now - timedelta(minutes=1), lead["claimed_at"] + timedelta(days=rng.randint(10, 75)))
    lead["closed_at"] = closed
    budget_inr = lead.get("budget_max_inr") or lead.get("budget_min_inr") or Decimal(4) * CRORE
    value = (budget_inr * Decimal(str(rng.uniform(0.7, 1.1))) / LAKH).quantize(Decimal(1)) * LAKH
    project_id = lead.get("project_id") or rng.choice(list(projects))
    unit = UNIT_TYPES[(lead.get("unit_kinds") or ["3BHK"])[0]]
    rates = (Decimal("0.0200"), Decimal("0.2500"))
    sold = (project_id, projects[project_id], unit, value)
    return (lead["id"], lead["broker_id"], *sold, *rates, closed.date(), closed, closed)


LEAD_COLUMNS = tuple(
    (
        "id phone name channel stage project_id questions_answered pending_question budget_text "
        "area_text timeline_text unit_text budget_min_inr budget_max_inr areas timeline unit_kinds "
        "skipped qualified_at broker_requested_at reference opted_out opted_out_at last_inbound_at "
        "broker_id claimed_at pipeline contacted_at site_visit_on lost_reason created_at updated_at"
    ).split()
)
MESSAGE_COLUMNS = tuple(
    (
        "id lead_id phone direction provider provider_message_id kind body in_reply_to_id sequence route "
        "answered latency_ms status status_at sent_at processed_at created_at"
    ).split()
)
ACTIVITY_COLUMNS = ("lead_id", "kind", "detail", "actor", "created_at")
DEAL_COLUMNS = tuple(
    (
        "id lead_id broker_id project_id project_name unit_type deal_value broker_rate platform_rate "
        "closed_on created_at updated_at"
    ).split()
)


def generate(
    args: argparse.Namespace, brokers: list[int], projects: dict[int, str], now: datetime
) -> dict[str, list[tuple]]:
    """Every row to load, by table (generated columns are left to the database). Ids follow
    creation time, as they would in production, so each table's physical order does too."""
    rng = random.Random(SEED)
    leads = [new_lead(rng, now, list(projects)) for _ in range(args.leads)]
    leads.sort(key=lambda lead: lead["created_at"])
    for lead_id, lead in enumerate(leads, start=1):
        lead["id"], lead["phone"] = lead_id, f"+919{lead_id:09d}"
        if lead["stage"] == "broker_requested":
            lead["reference"] = f"IC-{lead_id:06d}"
    won = assign_brokers(leads, brokers, args.deals, rng, now)
    closed = sorted((deal_row(lead, projects, rng, now) for lead in won), key=lambda row: row[-1])
    deals = [(deal_id, *row) for deal_id, row in enumerate(closed, start=1)]
    deal_of = {row[1]: row[0] for row in deals}
    # Brochure questions on top of the opening messages, so messages total about --messages.
    base = sum(1 + bool(lead.get("broker_requested_at")) for lead in leads)
    talkers = [lead for lead in leads if lead["stage"] != "new"]
    extra = Counter(lead["id"] for lead in rng.choices(talkers, k=max(0, args.messages // 2 - base)))
    exchanges, activities = [], []
    for lead in leads:
        exchanges += conversation(lead, extra[lead["id"]], rng, now)
        activities += timeline(lead, deal_of.get(lead["id"]))
        moments = (lead.get("claimed_at"), lead.get("contacted_at"), lead["last_inbound_at"])
        lead["updated_at"] = max(filter(None, (lead["created_at"], *moments)))
    activities.sort(key=lambda row: row[-1])
    return {
        "leads": [tuple(lead.get(column) for column in LEAD_COLUMNS) for lead in leads],
        "messages": message_rows(exchanges),
        "activities": activities,
        "deals": deals,
    }


def copy_rows(conn: psycopg.Connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """COPY ``rows`` into ``table``; a serial id column, when loaded, has its sequence moved past them."""
    with conn.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        if columns[0] == "id" and rows:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", (len(rows),))


def create_accounts() -> tuple[list[int], int]:
    """The partner and 40 brokers through the app's own create_user; returns (broker ids, the
    broker whose pool is timed)."""
    rng = random.Random(SEED + 1)
    create_user(db.session, PARTNER_EMAIL, "partner", "Partner", PASSWORD)
    brokers = []
    for number in range(1, BROKERS + 1):
        territory = BROKER_TERRITORIES[min(int(rng.random() ** 1.3 * 4), 3)]
        areas = rng.sample(territory, rng.randint(1, min(3, len(territory))))
        user = create_user(
            db.session,
            f"broker{number:02d}@bench.investochat.in",
            "broker",
            f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
            PASSWORD,
            phone=f"+9198100{number:05d}",
            areas=areas,
            max_active_leads=25,
        )
        brokers.append(user.id)
    db.session.commit()
    return brokers, brokers[0]


def load(args: argparse.Namespace, host: str) -> dict:
    """Accounts through the app, then projects, leads, messages, activities, deals and revenue
    targets by COPY, then ANALYZE. Returns row counts and seconds per step."""
    started = time.perf_counter()
    brokers, _ = create_accounts()
    seconds = {"accounts": time.perf_counter() - started}
    now = datetime.now(UTC)
    projects = {i: name for i, name in enumerate(PROJECTS, start=1)}
    started = time.perf_counter()
    rows = generate(args, brokers, projects, now)
    seconds["generate"] = time.perf_counter() - started
    started = time.perf_counter()
    with psycopg.connect(host=host, user="postgres", dbname=DATABASE) as conn:
        project_rows = [
            (i, name, re.sub(r"\W+", "-", name.lower()), [], "Gurugram", None, None)
            for i, name in projects.items()
        ]
        copy_rows(
            conn, "projects", ("id", "name", "slug", "aliases", "city", "locality", "developer"), project_rows
        )
        copy_rows(conn, "leads", LEAD_COLUMNS, rows["leads"])
        copy_rows(conn, "messages", MESSAGE_COLUMNS, rows["messages"])
        copy_rows(conn, "activities", ACTIVITY_COLUMNS, rows["activities"])
        copy_rows(conn, "deals", DEAL_COLUMNS, rows["deals"])
        months = [add_months(now.date().replace(day=1), -i) for i in range(12)]
        copy_rows(conn, "revenue_targets", ("month", "target"), [(m, Decimal(8) * CRORE) for m in months])
    seconds["copy"] = time.perf_counter() - started
    started = time.perf_counter()
    with psycopg.connect(host=host, user="postgres", dbname=DATABASE, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    seconds["analyze"] = time.perf_counter() - started
    return {"rows": {table: len(table_rows) for table, table_rows in rows.items()}, "seconds": seconds}


# -- Measuring ---------------------------------------------------------------------------------------


class SqlMeter:
    """Counts and times every statement the app runs, keeps the last request's statements, and
    reads the CPU time of the PostgreSQL backends serving the app (Linux ``/proc``; the embedded
    server is local). CPU time, unlike wall time, hardly moves when other jobs share the machine."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.statements: list[tuple[str, object, float]] = []
        self.backends: set[int] = set()
        self._started = 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine, "checkout", self._checkout)

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self._started = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append((statement, parameters, (time.perf_counter() - self._started) * 1000))

    def _checkout(self, dbapi_connection, record, proxy) -> None:
        self.backends.add(dbapi_connection.info.backend_pid)

    def reset(self) -> None:
        self.statements = []

    def backend_cpu(self) -> dict[int, int]:
        """Nanoseconds of CPU each known backend has used so far (parallel workers not included)."""
        used = {}
        for pid in self.backends:
            with suppress(OSError, ValueError, IndexError):
                used[pid] = int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
        return used


def log_in(app, email: str):
    """A test client logged in through the real form, CSRF token included."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    if response.status_code != 302:
        raise SystemExit(f"Logging in as {email} failed with {response.status_code}; is the database loaded?")
    return client


def fetch(client, page: Page, meter: SqlMeter) -> dict:
    """One request: wall time, SQL statements and their time, and CPU time spent by this process
    (Flask, SQLAlchemy, Jinja) and by PostgreSQL (None where /proc cannot tell)."""
    if page.uncached:
        page.uncached()
    meter.reset()
    backends = meter.backend_cpu()
    cpu = time.process_time()
    started = time.perf_counter()
    response = client.get(page.path)
    elapsed = (time.perf_counter() - started) * 1000
    app_cpu = (time.process_time() - cpu) * 1000
    after = meter.backend_cpu()
    if response.status_code != 200:
        raise SystemExit(f"{page.path} answered {response.status_code}, not 200.")
    known = [pid for pid in backends if pid in after]
    return {
        "ms": elapsed,
        "sql": len(meter.statements),
        "sql_ms": sum(s[2] for s in meter.statements),
        "app_cpu_ms": app_cpu,
        "pg_cpu_ms": sum(after[pid] - backends[pid] for pid in known) / 1e6 if known else None,
        "bytes": len(response.data),
    }


def time_pages(clients: dict, pages: tuple[Page, ...], requests: int, meter: SqlMeter) -> dict[str, list]:
    """Warm up, then ``requests`` rounds over every page (interleaved, so noise hits all alike)."""
    for page in pages:
        for _ in range(WARM_UP):
            fetch(clients[page.role], page, meter)
    timings: dict[str, list] = {page.name: [] for page in pages}
    for _ in range(requests):
        for page in pages:
            timings[page.name].append(fetch(clients[page.role], page, meter))
    return timings


def summarize(pages: tuple[Page, ...], timings: dict[str, list]) -> list[dict]:
    """Per page: wall-time percentiles and PASS/MISS, SQL statements and SQL time per request, and
    the CPU time of this process and of PostgreSQL per request (p50, and p95 of their sum)."""
    rows = []
    for page in pages:
        items = timings[page.name]
        ms = [t["ms"] for t in items]
        p95 = percentile(ms, 95)
        pg_cpu = [t["pg_cpu_ms"] for t in items if t["pg_cpu_ms"] is not None]
        total_cpu = [t["app_cpu_ms"] + t["pg_cpu_ms"] for t in items if t["pg_cpu_ms"] is not None]
        rows.append(
            {
                "page": page.name,
                "path": page.path,
                "n": len(ms),
                "p50": percentile(ms, 50),
                "p95": p95,
                "p99": percentile(ms, 99),
                "result": ("PASS" if p95 <= TARGET_P95_MS else "MISS") if page.targeted else "-",
                "sql": items[0]["sql"],
                "sql_ms_p50": percentile([t["sql_ms"] for t in items], 50),
                "app_cpu_p50": percentile([t["app_cpu_ms"] for t in items], 50),
                "pg_cpu_p50": percentile(pg_cpu, 50) if pg_cpu else None,
                "cpu_p50": percentile(total_cpu, 50) if total_cpu else None,
                "cpu_p95": percentile(total_cpu, 95) if total_cpu else None,
                "kb": items[0]["bytes"] / 1024,
            }
        )
    return rows


def explain(page: Page, clients: dict, meter: SqlMeter, top: int = 2) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the ``top`` slowest statements of one request to ``page``."""
    fetch(clients[page.role], page, meter)
    out = io.StringIO()
    for statement, parameters, ms in sorted(meter.statements, key=lambda s: -s[2])[:top]:
        with meter.engine.connect() as conn:
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars()
            out.write(f"\n  -- {ms:.1f} ms: {' '.join(statement.split())[:160]}...\n")
            out.writelines(f"  {line}\n" for line in plan)
    return out.getvalue()


def profile(page: Page, clients: dict, top: int = 14) -> str:
    """cProfile of one request to ``page``, filtered to the app and SQL execution."""
    profiler = cProfile.Profile()
    profiler.runcall(clients[page.role].get, page.path)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(
        r"app[/\\]|jinja2[/\\]environment\.py.*\(render\)|psycopg[/\\]cursor\.py.*\(execute\)", top
    )
    return out.getvalue()


def time_paired(sites: tuple, pages: tuple[Page, ...], requests: int) -> tuple[list[dict], list[dict]]:
    """Time ``pages`` on two sites (clients, meter) request by request, alternating which goes
    first, so a change in the machine's load hits both alike. Returns both summaries."""
    for clients, meter in sites:
        time_pages(clients, pages, 0, meter)  # warm-up only
    timings: tuple[dict, dict] = ({p.name: [] for p in pages}, {p.name: [] for p in pages})
    for round_number in range(requests):
        for page in pages:
            order = (0, 1) if round_number % 2 == 0 else (1, 0)
            for index in order:
                clients, meter = sites[index]
                timings[index][page.name].append(fetch(clients[page.role], page, meter))
    return summarize(pages, timings[0]), summarize(pages, timings[1])


def try_indexes(app, site: tuple, host: str, requests: int) -> list[dict]:
    """Copy the bench database (CREATE DATABASE ... TEMPLATE) and time each candidate index alone
    on the pages it is for, then all of them on every page: the copy with the index(es) against
    the original without, requests interleaved. Drops the copy afterwards. Returns before/after."""
    twin_name = f"{DATABASE}_indexes"
    with app.app_context():
        db.engine.dispose()  # a template database must have no other connections
    with psycopg.connect(host=host, user="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{twin_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{twin_name}" TEMPLATE "{DATABASE}"')
    twin = make_app(app.config["SQLALCHEMY_DATABASE_URI"].replace(f"/{DATABASE}?", f"/{twin_name}?"))
    with twin.app_context():
        twin_meter = SqlMeter(db.engine)
    sites = (site, (log_in_both(twin), twin_meter))
    trials = [(c.name, (c,), tuple(p for p in PAGES if p.name in c.pages)) for c in CANDIDATES]
    trials.append(("all candidates", CANDIDATES, PAGES))
    results = []
    with psycopg.connect(host=host, user="postgres", dbname=twin_name, autocommit=True) as conn:
        for label, candidates, pages in trials:
            print(f"Trying {label} on {', '.join(p.name for p in pages)} ...")
            for candidate in candidates:
                conn.execute(f"CREATE INDEX {candidate.name} ON {candidate.definition}")
            conn.execute("ANALYZE leads, messages")
            before, after = time_paired(sites, pages, requests)
            for candidate in candidates:
                conn.execute(f"DROP INDEX {candidate.name}")
            for b, a in zip(before, after, strict=True):
                results.append({"index": label, "page": b["page"], "before": b, "after": a})
    with twin.app_context():
        db.engine.dispose()
    with psycopg.connect(host=host, user="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{twin_name}" WITH (FORCE)')
    return results


def print_trials(trials: list[dict], requests: int) -> None:
    """Before/after of every index tried: wall p50/p95 and CPU p50 (this process + PostgreSQL)."""
    print(
        f"\nindex candidates: a copy of the database with them against the original, {requests} requests each"
    )
    heads = f"{'p50 before/after':>18}{'p95 before/after':>18}{'CPU p50 before/after':>22}"
    print(f"{'index':<31}{'page':<28}{heads}")
    for t in trials:
        b, a = t["before"], t["after"]
        cpu = f"{b['cpu_p50']:.1f} / {a['cpu_p50']:.1f}" if b["cpu_p50"] and a["cpu_p50"] else "?"
        wall = f"{b['p50']:>8.1f} /{a['p50']:>7.1f}{b['p95']:>10.1f} /{a['p95']:>7.1f}"
        print(f"{t['index']:<31}{t['page']:<28}{wall}{cpu:>22}")


# -- Running -----------------------------------------------------------------------------------------


def connect(data_dir: Path, reuse: bool) -> tuple[str, str]:
    """Start the embedded server; drop the bench database unless reusing it. (URL, socket dir)."""
    base = embedded.postgres_url(data_dir, database="postgres")
    host = unquote(base.split("host=", 1)[1])
    if not reuse:
        with psycopg.connect(host=host, user="postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    return embedded.postgres_url(data_dir, database=DATABASE), host


def print_summary(info: dict, rows: list[dict]) -> None:
    """The compact table printed at the end of a run."""
    print("\n== InvestoChat portal load benchmark ==")
    print("rows: " + ", ".join(f"{table} {n:,}" for table, n in info["rows"].items()))
    if info.get("seconds"):
        print("load (s): " + ", ".join(f"{k} {v:.1f}" for k, v in info["seconds"].items()))
    load = info["machine_load"]
    print(
        f"machine load (1-min average) {load['before']:.1f} before, {load['after']:.1f} after timing, "
        f"on {load['cpus']} CPUs"
    )
    print(f"\npage latency (ms), Flask test client, target p95 <= {TARGET_P95_MS:.0f} ms where marked")
    print(
        f"{'page':<28}{'n':>5}{'p50':>8}{'p95':>8}{'p99':>8}  result  {'SQL':>4}{'SQL ms':>8}"
        f"{'app CPU':>9}{'PG CPU':>8}{'CPU p95':>9}{'KB':>5}"
    )
    for r in rows:
        cpu = [r["app_cpu_p50"], r["pg_cpu_p50"], r["cpu_p95"]]
        app_cpu, pg_cpu, cpu_p95 = ("?" if v is None else f"{v:.1f}" for v in cpu)
        print(
            f"{r['page']:<28}{r['n']:>5}{r['p50']:>8.1f}{r['p95']:>8.1f}{r['p99']:>8.1f}  {r['result']:<6}"
            f"  {r['sql']:>4}{r['sql_ms_p50']:>8.1f}{app_cpu:>9}{pg_cpu:>8}{cpu_p95:>9}{r['kb']:>5.0f}"
        )


def make_app(url: str):
    """The app on ``url``, offline (no OpenAI, no Redis), quiet."""
    settings = {"DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": "", "OPENAI_API_KEY": ""}
    return create_app(
        settings
        | {"RATELIMIT_STORAGE_URI": "memory://", "SECRET_KEY": "bench-portal", "LOG_LEVEL": "WARNING"}
    )


def log_in_both(app) -> dict:
    """Test clients for the partner and for the broker whose pool is timed."""
    return {"partner": log_in(app, PARTNER_EMAIL), "broker": log_in(app, "broker01@bench.investochat.in")}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns 0 when every targeted page meets the p95 target, else 1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=50_000, help="leads to load")
    parser.add_argument("--deals", type=int, default=5_000, help="deals to load (one per won lead)")
    parser.add_argument("--messages", type=int, default=150_000, help="messages to load (about)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "instance" / "bench-portal")
    parser.add_argument("--reuse", action="store_true", help="keep a database already loaded")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN and profile every page")
    parser.add_argument(
        "--try-indexes", action="store_true", help="time the candidate indexes, then drop them"
    )
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # progress shows up even when piped to a file

    url, host = connect(args.data_dir, args.reuse)
    app = make_app(url)
    with app.app_context():
        upgrade()
        loaded = db.session.scalar(text("SELECT count(*) FROM leads"))
        if args.reuse and loaded >= args.leads:
            print(f"Reusing the {loaded:,} leads already in {DATABASE}.")
            counts = db.session.execute(
                text(
                    "SELECT (SELECT count(*) FROM leads), (SELECT count(*) FROM messages),"
                    " (SELECT count(*) FROM activities), (SELECT count(*) FROM deals)"
                )
            ).one()
            info = {"rows": dict(zip(("leads", "messages", "activities", "deals"), counts, strict=True))}
        else:
            if loaded:
                raise SystemExit(f"{DATABASE} holds too few leads to reuse; run without --reuse.")
            print(f"Loading {args.leads:,} leads, ~{args.messages:,} messages and {args.deals:,} deals ...")
            info = load(args, host)
        for candidate in CANDIDATES:  # left behind by an interrupted --try-indexes run
            db.session.execute(text(f"DROP INDEX IF EXISTS {candidate.name}"))
        db.session.commit()
        meter = SqlMeter(db.engine)
    # Requests run outside the loading app context: each one pushes its own, as in production, so
    # the partner's and the broker's logins never share ``g``.
    clients = log_in_both(app)
    print(f"Warming up, then timing {args.requests} requests to each of {len(PAGES)} pages ...")
    load_before = os.getloadavg()[0]
    timings = time_pages(clients, PAGES, args.requests, meter)
    info["machine_load"] = {"before": load_before, "after": os.getloadavg()[0], "cpus": os.cpu_count()}
    rows = summarize(PAGES, timings)
    for page, row in zip(PAGES, rows, strict=True):
        if args.explain or row["result"] == "MISS":
            print(
                f"\n--- {page.name} ({page.path}): p95 {row['p95']:.1f} ms, {row['sql']} statements, "
                f"slowest two with EXPLAIN ANALYZE ---"
            )
            print(explain(page, clients, meter), end="")
            print(profile(page, clients), end="")
    trials = []
    if args.try_indexes and not CANDIDATES:
        print("No index candidates to try: CANDIDATES is empty.")
    if args.try_indexes and CANDIDATES:
        trials = try_indexes(app, (clients, meter), host, max(20, args.requests // 4))
    print_summary(info, rows)
    if trials:
        print_trials(trials, max(20, args.requests // 4))
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    out = results / f"portal-{time.strftime('%Y%m%d-%H%M%S')}.json"
    payload = {
        "args": {k: str(v) for k, v in vars(args).items()},
        **info,
        "pages": rows,
        "index_trials": trials,
        "timings": {name: [round(t["ms"], 2) for t in items] for name, items in timings.items()},
    }
    out.write_text(json.dumps(payload, indent=1, default=str))
    print(f"\nwrote {out.relative_to(ROOT)}")
    return 0 if all(r["result"] != "MISS" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
