"""Synthetic brochure projects, chunks and questions for the retrieval benchmark.

The text comes from a small vocabulary of Delhi NCR brochure phrasing written for this
benchmark (nothing is copied from the shared corpus), with random figures so that no two
projects read alike. Everything is deterministic for a given seed.
"""

from __future__ import annotations

import hashlib
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg

from app.rag.embed import Embedder

STYLES = ("Heights", "Residences", "Greens", "Towers", "Estates", "Gardens", "Park", "Crest")
DEVELOPERS = (
    "Aurelian Buildwell",
    "Kestrel Infratech",
    "Northstar Realty",
    "Vetiver Homes",
    "Saffron Estates",
    "Meridian Landbase",
    "Oakridge Developers",
    "Lumen Infra",
)
CORRIDORS = (
    "Golf Course Extension Road",
    "Dwarka Expressway",
    "Southern Peripheral Road",
    "Sohna Road",
    "NH-48",
    "New Gurugram",
    "Noida Expressway",
    "Yamuna Expressway",
)
CITIES = ("Gurugram", "Noida", "Greater Noida", "Faridabad")
LANDMARKS = (
    "IGI Airport",
    "Cyber Hub",
    "Rapid Metro",
    "Golf Course Road",
    "Ambience Mall",
    "Medanta Medicity",
    "Aravalli Biodiversity Park",
    "Artemis Hospital",
    "Aerocity",
    "Jewar Airport",
    "Delhi-Mumbai Expressway",
    "Udyog Vihar",
    "Sector 55-56 Metro",
)
AMENITIES = (
    "infinity-edge pool",
    "temperature-controlled lap pool",
    "kids' splash pool",
    "jogging track",
    "squash court",
    "tennis court",
    "cricket practice pitch",
    "yoga deck",
    "meditation garden",
    "banquet hall",
    "co-working lounge",
    "mini theatre",
    "spa and sauna",
    "indoor games room",
    "pet park",
    "amphitheatre",
    "library",
    "senior citizens' garden",
    "cycling track",
    "basketball court",
    "skating rink",
    "creche",
    "convenience store",
    "rooftop cafe",
)
UNIT_TYPES = (
    "2 BHK",
    "2 BHK + Study",
    "3 BHK",
    "3 BHK + Servant",
    "3.5 BHK",
    "4 BHK",
    "4 BHK + Servant",
    "5 BHK Penthouse",
    "Duplex Penthouse",
)
ROOMS = (
    "Living & Dining",
    "Master Bedroom",
    "Bedroom 2",
    "Bedroom 3",
    "Kitchen",
    "Utility",
    "Servant Room",
    "Toilet",
    "Powder Room",
    "Balcony",
    "Sun Deck",
)
FLOORING = (
    ("Living/Dining", "imported Italian marble"),
    ("Bedrooms", "vitrified tiles"),
    ("Master Bedroom", "laminated wooden flooring"),
    ("Kitchen", "anti-skid tiles"),
    ("Toilets", "anti-skid tiles, granite counters"),
    ("Balconies", "weather-proof tiles"),
)
SPECIFICATIONS = (
    "Modular kitchen with hob, chimney and RO",
    "VRV air-conditioning throughout",
    "Double-glazed UPVC windows",
    "Wooden wardrobes in all bedrooms",
    "Video door phone and home automation",
    "100% power back-up for common areas",
    "Three-tier security with CCTV surveillance",
    "High-speed lifts with ARD",
    "Fire fighting system as per NBC norms",
    "Rain water harvesting and STP",
)
MILESTONES = (
    "On booking",
    "Within 30 days of booking",
    "Within 60 days of booking",
    "Within 90 days of booking",
    "On start of excavation",
    "On casting of raft",
    "On completion of 5th floor roof slab",
    "On completion of 10th floor roof slab",
    "On completion of 20th floor roof slab",
    "On completion of top floor roof slab",
    "On completion of brick work",
    "On completion of internal plaster",
    "On completion of flooring",
    "On application of occupation certificate",
    "On offer of possession",
)
PROSE = (
    "Wake up to sweeping views of the Aravallis from every living room.",
    "Every residence is a corner home, open on three sides to light and breeze.",
    "Only four apartments to a floor, with private lift lobbies for each home.",
    "Eighty per cent of the land is left open for landscaped greens.",
    "A central park of manicured lawns links every tower to the clubhouse.",
    "Tall ceilings and wide sun decks bring the outdoors in.",
    "Schools, hospitals and malls are a short drive away.",
    "A gated community designed for families who value privacy and space.",
    "Artist's impression; actual product may vary. Furniture is not part of the offering.",
)
MONTHS = ("March", "June", "September", "December")


def inr(amount: int) -> str:
    """An amount with Indian digit grouping: 2500000 -> '25,00,000'."""
    head, tail = divmod(amount, 1000)
    if not head:
        return str(tail)
    return re.sub(r"(\d)(?=(\d\d)+$)", r"\1,", str(head)) + f",{tail:03d}"


@dataclass
class SyntheticProject:
    """A made-up project with the profile its brochure pages and questions draw on."""

    name: str
    developer: str
    sector: str
    corridor: str
    city: str
    units: list[str]
    amenities: list[str]
    psf: int
    towers: int
    floors: int
    acres: float
    possession: str
    rera: str
    chunk_count: int = 0
    pages: list[list[str]] = field(default_factory=list)  # page -> its chunk texts

    @property
    def source(self) -> str:
        """The document name answers cite, e.g. 'Synthetic_Heights_17.pdf'."""
        return self.name.replace(" ", "_") + ".pdf"


def make_projects(count: int, total_chunks: int, rng: random.Random) -> list[SyntheticProject]:
    """``count`` projects whose chunk counts vary (0.4x-1.6x the mean) and add up to the total."""
    weights = [rng.uniform(0.4, 1.6) for _ in range(count)]
    scale = total_chunks / sum(weights)
    counts = [int(w * scale) for w in weights]
    for i in range(total_chunks - sum(counts)):
        counts[i % count] += 1
    projects = []
    for i, chunks in enumerate(counts, start=1):
        sector = f"Sector {rng.randint(37, 115)}{rng.choice(['', '', '', 'A'])}"
        projects.append(
            SyntheticProject(
                name=f"Synthetic {STYLES[i % len(STYLES)]} {i}",
                developer=rng.choice(DEVELOPERS),
                sector=sector,
                corridor=rng.choice(CORRIDORS),
                city=rng.choice(CITIES),
                units=sorted(rng.sample(UNIT_TYPES, rng.randint(2, 4))),
                amenities=rng.sample(AMENITIES, 10),
                psf=rng.randrange(11_000, 32_000, 250),
                towers=rng.randint(2, 12),
                floors=rng.randint(14, 52),
                acres=round(rng.uniform(3, 30), 2),
                possession=f"{rng.choice(MONTHS)} {rng.randint(2026, 2031)}",
                rera=f"RC/REP/HARERA/GGM/{rng.randint(400, 999)}/{rng.randint(100, 750)}/2025/"
                f"{rng.randint(1, 99)}",
                chunk_count=chunks,
            )
        )
    return projects


def _overview(p: SyntheticProject, r: random.Random) -> list[str]:
    homes = p.towers * p.floors * r.choice((2, 4))
    return [
        p.name.upper(),
        f"{p.name} by {p.developer}: {p.acres} acres in {p.sector}, {p.corridor}, {p.city}.",
        f"{p.towers} towers | G+{p.floors} floors | {homes} residences",
        f"Configurations: {', '.join(p.units)}",
        *r.sample(PROSE, 3),
    ]


def _location(p: SyntheticProject, r: random.Random) -> list[str]:
    lines = ["LOCATION ADVANTAGE", f"{p.sector}, {p.corridor}, {p.city}"]
    for landmark in r.sample(LANDMARKS, 6):
        lines.append(
            r.choice(
                (
                    f"{r.randint(3, 45)} mins to {landmark}",
                    f"{r.randint(1, 40)}.{r.randint(0, 9)} km from {landmark}",
                )
            )
        )
    return lines + [r.choice(PROSE)]


def _unit_plan(p: SyntheticProject, r: random.Random) -> list[str]:
    carpet = r.uniform(900, 4200)
    lines = [
        f"{r.choice(p.units).upper()} | TYPE {r.choice('ABCDE')}",
        f"RERA Carpet Area: {carpet:,.2f} sq ft ({carpet / 10.764:.2f} sq m)",
        f"Balcony Area: {r.randint(80, 450)} sq ft",
        f"Super Area: {inr(int(carpet * r.uniform(1.3, 1.45)))} sq ft",
    ]

    def feet() -> str:
        return f"{r.randint(8, 24)}'{r.randint(0, 11)}\""

    return lines + [f"{room}: {feet()} x {feet()}" for room in r.sample(ROOMS, 5)]


def _amenities(p: SyntheticProject, r: random.Random) -> list[str]:
    size = inr(r.randrange(20_000, 90_000, 500))
    return [
        "CLUBHOUSE & AMENITIES",
        f"A {size} sq ft clubhouse with {p.amenities[0]} and {p.amenities[1]}.",
        *(f"• {a.capitalize()}" for a in r.sample(p.amenities, 7)),
    ]


def _specifications(p: SyntheticProject, r: random.Random) -> list[str]:
    floors = [f"Flooring - {room}: {finish}" for room, finish in r.sample(FLOORING, 4)]
    return ["SPECIFICATIONS", *floors, *r.sample(SPECIFICATIONS, 5)]


def _payment_plan(p: SyntheticProject, r: random.Random) -> list[str]:
    steps = sorted(r.sample(range(1, len(MILESTONES) - 1), r.randint(4, 8)))
    shares = [10] + [r.choice((5, 7.5, 10)) for _ in steps]
    shares.append(100 - sum(shares))
    names = [MILESTONES[0], *(MILESTONES[i] for i in steps), MILESTONES[-1]]
    heading = r.choice(("CONSTRUCTION LINKED PLAN", "POSSESSION LINKED PLAN", "PAYMENT PLAN (CLP)"))
    lines = [f"{name}: {share:g}% of BSP" for name, share in zip(names, shares, strict=True)]
    return [heading, *lines, "IFMS, PLC and car parking are payable on offer of possession."]


def _price_list(p: SyntheticProject, r: random.Random) -> list[str]:
    lines = ["PRICE LIST", f"BSP: ₹ {inr(p.psf)} per sq ft"]
    for unit in r.sample(p.units, min(3, len(p.units))):
        area = r.randint(1400, 5200)
        lines.append(f"{unit}: Super Area {inr(area)} sq ft | Total ₹ {area * p.psf / 1e7:.2f} Cr*")
    return lines + [
        f"PLC (park facing): ₹ {inr(r.randrange(250, 1500, 50))} per sq ft",
        f"IFMS: ₹ {r.randrange(50, 300, 25)} per sq ft",
        f"EDC & IDC: ₹ {inr(r.randrange(400, 900, 5))} per sq ft",
        f"Car parking: ₹ {r.randint(3, 12)} Lakh per covered parking",
        f"Booking amount: ₹ {inr(r.randrange(500_000, 2_500_000, 100_000))}",
        "*Prices subject to change without notice; GST extra as applicable.",
    ]


def _legal(p: SyntheticProject, r: random.Random) -> list[str]:
    return [
        "PROJECT DETAILS",
        f"HRERA Registration No.: {p.rera}",
        f"DTCP Licence No. {r.randint(10, 180)} of {r.randint(2012, 2024)}",
        f"Expected possession: {p.possession}",
        f"Developed by {p.developer}",
        PROSE[-1],
    ]


def _lifestyle(p: SyntheticProject, r: random.Random) -> list[str]:
    return [
        r.choice(("A LIFE WELL LIVED", "NATURE AT YOUR DOORSTEP", "CRAFTED FOR FAMILIES")),
        *r.sample(PROSE, 4),
        f"Discover {p.name} on {p.corridor}.",
    ]


PageKind = Callable[[SyntheticProject, random.Random], list[str]]
PAGE_KINDS: tuple[PageKind, ...] = (
    _overview,
    _location,
    _unit_plan,
    _unit_plan,
    _amenities,
    _specifications,
    _payment_plan,
    _price_list,
    _legal,
    _lifestyle,
    _lifestyle,
)


def fill_pages(project: SyntheticProject, rng: random.Random) -> None:
    """Give ``project`` pages of 1-4 chunks each (at most 900 characters) until its count."""
    made = 0
    while made < project.chunk_count:
        kind = rng.choice(PAGE_KINDS)
        size = min(rng.randint(1, 4), project.chunk_count - made)
        page = [_chunk(kind, project, rng) for _ in range(size)]
        project.pages.append(page)
        made += len(page)


def _chunk(kind: PageKind, project: SyntheticProject, rng: random.Random) -> str:
    """One chunk of 250-900 characters: a section, topped up with lines of other sections."""
    lines = kind(project, rng)
    target = rng.randint(250, 800)
    while sum(map(len, lines)) + len(lines) < target:
        lines += rng.choice(PAGE_KINDS)(project, rng)[1:]
    return "\n".join(lines)[:900].rstrip()


PROJECT_QUESTIONS: tuple[Callable[[SyntheticProject, random.Random], str], ...] = (
    lambda p, r: f"What is the RERA carpet area of the {r.choice(p.units)}?",
    lambda p, r: "What is the payment plan?",
    lambda p, r: f"How far is it from {r.choice(LANDMARKS)}?",
    lambda p, r: f"Is there a {r.choice(AMENITIES)}?",
    lambda p, r: "What is the price per sq ft?",
    lambda p, r: r.choice(("When is possession expected?", "posession date?")),
    lambda p, r: f"What flooring is used in the {r.choice(FLOORING)[0].lower()}?",
    lambda p, r: "What is the booking amount?",
    lambda p, r: "How many towers are there?",
    lambda p, r: "What are the PLC charges for park facing units?",
    lambda p, r: "What is the IFMS?",
    lambda p, r: "Which amenties does the clubhouse have?",
)
CROSS_QUESTIONS: tuple[Callable[[random.Random], str], ...] = (
    lambda r: f"{r.choice(UNIT_TYPES)} near {r.choice(LANDMARKS)} with a {r.choice(AMENITIES)}",
    lambda r: f"homes on {r.choice(CORRIDORS)} with possession in {r.randint(2026, 2031)}",
    lambda r: f"price per sq ft on {r.choice(CORRIDORS)}",
    lambda r: f"construction linked plan with 10% on booking and a {r.choice(AMENITIES)}",
    lambda r: f"How far is {r.choice(LANDMARKS)} from {r.choice(CORRIDORS)}?",
)
LISTING_QUESTIONS: tuple[Callable[[SyntheticProject, random.Random], str], ...] = (
    lambda p, r: f"Which projects have {_bhk(p, r)} in {p.sector}?",
    lambda p, r: f"Which projects offer {_bhk(p, r)} apartments?",
)


def _bhk(project: SyntheticProject, rng: random.Random) -> str:
    """A BHK size the project offers ('3 BHK'), for the cross-project listing questions."""
    sizes = [unit.split(" +")[0] for unit in project.units if "BHK" in unit]
    return rng.choice(sizes or ["3 BHK"]).replace(" Penthouse", "")


BULK_INDEXES = ("ix_chunks_embedding_hnsw_384", "ix_chunks_tsv")
CHUNK_COLUMNS = "document_id, project_id, page, ordinal, text, embedding, embedder, embedding_dim"


def vector_text(vector: list[float]) -> str:
    """pgvector's text form '[0.1,-0.2,...]' (7 significant digits: all a float4 keeps)."""
    return "[" + ",".join([f"{value:.7g}" for value in vector]) + "]"


def load(
    conn: psycopg.Connection,
    projects: list[SyntheticProject],
    embedder: Embedder,
    report: Callable[[str], None] = print,
) -> dict[str, float]:
    """Insert the projects, one document each and every chunk (COPY), in one transaction.

    The HNSW and GIN indexes on ``chunks`` are dropped for the load and rebuilt afterwards from
    their own definitions (faster than growing them row by row), then everything is vacuumed
    and analysed. ``conn`` must be in autocommit mode. Returns seconds spent per phase.
    """
    seconds: dict[str, float] = {"embed": 0.0}
    rows = [
        (index, number, ordinal, text)
        for index, project in enumerate(projects)
        for number, page in enumerate(project.pages, start=1)
        for ordinal, text in enumerate(page)
    ]
    with conn.transaction(), conn.cursor() as cur:
        ids = []
        for project in projects:
            slug = project.name.lower().replace(" ", "-")
            sql = "INSERT INTO projects (name, slug, aliases) VALUES (%s, %s, '{}') RETURNING id"
            project_id = cur.execute(sql, (project.name, slug)).fetchone()[0]
            digest = hashlib.sha256(repr(project.pages).encode()).hexdigest()
            sql = (
                "INSERT INTO documents (project_id, source, sha256, page_count, image_only_pages)"
                " VALUES (%s, %s, %s, %s, '{}') RETURNING id"
            )
            document_id = cur.execute(sql, (project_id, project.source, digest, len(project.pages)))
            ids.append((document_id.fetchone()[0], project_id))
        sql = "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)"
        definitions = cur.execute(sql, [list(BULK_INDEXES)]).fetchall()
        for name, _ in definitions:
            cur.execute(f"DROP INDEX {name}")
        started = time.perf_counter()
        with cur.copy(f"COPY chunks ({CHUNK_COLUMNS}) FROM STDIN") as copy:
            for start in range(0, len(rows), 2500):
                batch = rows[start : start + 2500]
                embed_started = time.perf_counter()
                vectors = embedder.embed([text for *_, text in batch])
                seconds["embed"] += time.perf_counter() - embed_started
                for (index, page, ordinal, text), vector in zip(batch, vectors, strict=True):
                    document_id, project_id = ids[index]
                    copy.write_row(
                        (
                            document_id,
                            project_id,
                            page,
                            ordinal,
                            text,
                            vector_text(vector),
                            embedder.name,
                            embedder.dimension,
                        )
                    )
                done = start + len(batch)
                if done % 10_000 < 2500 or done == len(rows):
                    rate = done / (time.perf_counter() - started)
                    report(f"  embedded and copied {done:,}/{len(rows):,} chunks ({rate:,.0f}/s)")
        seconds["copy"] = time.perf_counter() - started - seconds["embed"]
        cur.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for name, definition in definitions:
            started = time.perf_counter()
            cur.execute(definition)
            seconds[name] = time.perf_counter() - started
            report(f"  rebuilt {name} in {seconds[name]:.1f} s")
    started = time.perf_counter()
    conn.execute("VACUUM ANALYZE")
    seconds["vacuum_analyze"] = time.perf_counter() - started
    return seconds
