"""The project in focus: the one the caller names, or the one the question names (typos allowed)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Project
from app.rag.query import normalize_token, tokenize

# Words that appear in many project names and so cannot identify one on their own.
COMMON_NAME_WORDS = frozenset(
    normalize_token(word)
    for word in (
        "the estate estates residences residence heights tower towers city park green project phase "
        "homes villas greens gardens one enclave"
    ).split()
)


class UnknownProject(ValueError):
    """The caller named a project the catalog does not have."""


@dataclass(frozen=True)
class ProjectName:
    """What project detection needs of a project (cached between questions)."""

    id: int
    name: str
    slug: str
    aliases: tuple[str, ...]


_projects_lock = threading.Lock()
_projects_cache: dict[tuple, list[ProjectName]] = {}


def _project_names(session: Session) -> list[ProjectName]:
    version = tuple(
        session.execute(
            select(func.count(Project.id), func.max(Project.id), func.count(Project.archived_at))
        ).one()
    )
    with _projects_lock:
        if version in _projects_cache:
            return _projects_cache[version]
    rows = session.execute(
        select(Project.id, Project.name, Project.slug, Project.aliases)
        .where(Project.archived_at.is_(None))  # an archived project is neither answered nor named
        .order_by(Project.name)
    )
    names = [ProjectName(pid, name, slug, tuple(aliases or ())) for pid, name, slug, aliases in rows]
    with _projects_lock:
        _projects_cache.clear()
        _projects_cache[version] = names
    return names


def catalogue_names(session: Session) -> list[str]:
    """Every project's name and aliases."""
    return [name for p in _project_names(session) for name in (p.name, *p.aliases)]


def resolve_project(session: Session, question: str, name: str | None) -> Project | None:
    """The project in focus: the one named by the caller, else one the question names."""
    return question_projects(session, question, name)[0]


def question_projects(
    session: Session, question: str, name: str | None
) -> tuple[Project | None, list[tuple[Project, list[str]]]]:
    """The project in focus (the one named by the caller, else the one the question names
    best), and every project the question names in a place of its own, with those places
    ("Compare the price of A and B" names two)."""
    projects = _project_names(session)
    scored = _scores(question, projects)
    if name:
        wanted = name.strip().lower()
        found = next(
            (p for p in projects if wanted in {p.name.lower(), p.slug, *(a.lower() for a in p.aliases)}), None
        )
        if found is None:
            known = ", ".join(p.name for p in projects) or "none yet"
            raise UnknownProject(f"Unknown project {name!r}. Known projects: {known}.")
    else:
        best = max(scored, key=lambda item: item[1], default=None)
        found = best[0] if best and best[1] >= 90 else None
    focus = session.get(Project, found.id) if found else None
    return focus, [(session.get(Project, p.id), where) for p, where in _named(question, scored)]


NAME_RUN_RE = re.compile(r"\b[A-Z0-9][\w'’]*(?:\s+[A-Z0-9][\w'’]*)*")


# What may follow a name and still be part of its mention: "Type B", "Tower 2", "Grand Suites"
# (not an acronym asked about: "Palm Vista EDC?").
NAME_TAIL_RE = re.compile(r"(?:\s+(?:(?:Type|Tower|Phase|Block|Wing)\s+[\w]{1,2}\b|[A-Z][a-z][\w'’]*))*")


def mentions(question: str, words: set[str], names: list[str] = ()) -> list[str]:
    """Where ``question`` names a project whose name has ``words``: each run of capitalised
    words holding one of them ("Cedar Park Grand Suites Type B" for Cedar Park), and each
    occurrence of one of its ``names`` with the capitalised words that follow it."""
    found = [run for run in NAME_RUN_RE.findall(question) if set(tokenize(run)) & words]
    for name in names:
        for match in re.finditer(re.escape(name), question, re.I):
            tail = NAME_TAIL_RE.match(question, match.end())
            found.append(question[match.start() : tail.end()])
    return sorted(set(found), key=len, reverse=True)  # longest first, so removal takes it whole


def _named(question: str, scored: list[tuple[ProjectName, int]]) -> list[tuple[ProjectName, list[str]]]:
    """The projects named in places of their own, best match first. A project named by words
    another, better-matching project's mention already holds ("Vista" of two Vista projects) is
    not another project asked about, nor is a fuzzy likeness with no mention of its own."""
    taken: list[str] = []
    found: list[tuple[ProjectName, list[str]]] = []
    for project, score in sorted(scored, key=lambda item: -item[1]):
        if score < 90:
            break
        words = set(tokenize(project.name)).union(*(tokenize(a) for a in project.aliases))
        where = mentions(question, words, [project.name, *project.aliases])
        if not where or any(run in other or other in run for run in where for other in taken):
            continue
        taken.extend(where)
        found.append((project, where))
    return found


def _scores(question: str, projects: list[ProjectName]) -> list[tuple[ProjectName, int]]:
    """How strongly ``question`` names each project."""
    scored = []
    question_tokens = set(tokenize(question))
    for project in projects:
        score = name_matches(question, project.name, list(project.aliases))
        distinctive = [
            t
            for t in tokenize(project.name)
            if t not in COMMON_NAME_WORDS and not t.isdigit() and len(t) >= 4
        ]
        if distinctive and any(t in question_tokens for t in distinctive):
            score = max(score, 95)
        scored.append((project, score))
    return scored


def project_words(project: Project | None) -> set[str]:
    """Words that only name the project (dropped from the search terms)."""
    if project is None:
        return set()
    words = set(tokenize(project.name))
    for alias in project.aliases or []:
        words |= set(tokenize(alias))
    return words


def name_matches(question: str, name: str, aliases: list[str]) -> int:
    """How strongly ``question`` names a project (0 = not at all, 100 = exact)."""
    lowered = question.lower()
    best = 0
    for candidate in [name, *aliases]:
        candidate = candidate.lower().strip()
        if not candidate:
            continue
        if re.search(rf"\b{re.escape(candidate)}\b", lowered):
            return 100
        if len(candidate) >= 6:
            best = max(best, int(fuzz.partial_ratio(candidate, lowered)))
    return best
