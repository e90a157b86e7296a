"""Catalog commands: ingest brochures, ask questions, curate facts, load the demo project."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.extensions import db
from app.models import Fact
from app.rag.answer import UnknownProject, answer_question
from app.rag.embed import embedder_from_config
from app.rag.ingest import (
    expand_paths,
    get_or_create_project,
    index_embedder,
    parse_files,
    reembed_all,
    store_document,
)
from app.rag.project_focus import resolve_project
from app.rag.readers import IngestError

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
DEMO_PROJECT = "Aravali Crest"


def ingest_files(project_name: str, paths: list[str], *, progress: bool = True) -> list:
    """Parse every file, then write them all in one transaction. Raises IngestError/ValueError."""
    files = expand_paths(paths)
    if progress and len(files) > 1:
        with click.progressbar(
            parse_files(files), length=len(files), label="Reading", file=sys.stderr
        ) as bar:
            parsed = list(bar)
    else:
        parsed = list(parse_files(files))
    embedder = embedder_from_config(current_app.config)
    session = db.session
    try:
        project = get_or_create_project(session, project_name)
        if index_embedder(session) not in (None, embedder.name):
            count = reembed_all(session, embedder)
            click.echo(f"Re-embedded {count} chunks with {embedder.name}.", err=True)
        results = [store_document(session, project, item, embedder) for item in parsed]
        session.commit()
    except Exception:
        session.rollback()
        raise
    return results


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True)
@click.option("--project", "project_name", required=True, help="Project the documents belong to.")
@with_appcontext
def ingest(paths: tuple[str, ...], project_name: str) -> None:
    """Ingest brochure PDFs, page JSONL files or directories of them into PROJECT."""
    try:
        results = ingest_files(project_name, list(paths))
    except (IngestError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    for r in results:
        line = f"{r.source}: {r.status}"
        if r.status == "facts refreshed":
            line += f" — {r.facts} facts (the fact extractor changed since it was read)"
        elif r.status != "unchanged":
            if r.status == "text refreshed":
                line += " (read again: the text reader changed since it was read)"
            line += f" — {r.pages} pages, {r.chunks} chunks, {r.tables} tables, {r.facts} facts"
        if r.ocr_pages:
            line += f"; read by OCR (no text layer): pages {', '.join(map(str, r.ocr_pages))}"
        if r.image_only_pages:
            line += f"; pages without text, even by OCR: {', '.join(map(str, r.image_only_pages))}"
        click.echo(line)


@click.command("ask")
@click.argument("question")
@click.option("--project", "project_name", default=None, help="Project in focus.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer object as JSON.")
@with_appcontext
def ask(question: str, project_name: str | None, as_json: bool) -> None:
    """Answer QUESTION from the brochures."""
    try:
        answer = answer_question(question, project=project_name)
    except UnknownProject as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
    else:
        click.echo(answer.answer)


@click.group("facts")
def facts() -> None:
    """Curate the key/value facts the bot answers from."""


@facts.command("set")
@click.argument("project_name")
@click.argument("key")
@click.argument("value")
@click.option("--page", type=int, default=None, help="Brochure page that shows this fact.")
@click.option(
    "--document", default=None, help="Source document of that page (default: the project's only one)."
)
@with_appcontext
def facts_set(project_name: str, key: str, value: str, page: int | None, document: str | None) -> None:
    """Set a curated fact (replaces an earlier curated value of KEY)."""
    from app.rag.curation import set_curated_fact

    try:
        project = resolve_project(db.session, "", project_name)
        fact = set_curated_fact(db.session, project, key, value, page=page, document=document)
        db.session.commit()
    except (UnknownProject, ValueError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{project.name}: {fact.key} = {fact.value}" + (f" (p.{fact.page})" if fact.page else ""))


@facts.command("list")
@click.argument("project_name")
@with_appcontext
def facts_list(project_name: str) -> None:
    """List a project's facts with their origin and page."""
    try:
        project = resolve_project(db.session, "", project_name)
    except UnknownProject as exc:
        raise click.ClickException(str(exc)) from exc
    rows = db.session.scalars(
        select(Fact).where(Fact.project_id == project.id).order_by(Fact.key, Fact.origin, Fact.page)
    )
    for fact in rows:
        where = (
            f"{fact.document.source} p.{fact.page}"
            if fact.document and fact.page
            else (f"p.{fact.page}" if fact.page else "-")
        )
        click.echo(f"{fact.key}\t{fact.value}\t{fact.origin}\t{where}")


@click.group("demo")
def demo() -> None:
    """The product's own demo project."""


@demo.command("load")
@with_appcontext
def demo_load() -> None:
    """Ingest the bundled demo brochure (idempotent)."""
    results = ingest_files(DEMO_PROJECT, [str(DEMO_DIR)], progress=False)
    for r in results:
        click.echo(f"{DEMO_PROJECT}: {r.source} {r.status}")


@click.command("reindex")
@with_appcontext
def reindex() -> None:
    """Re-embed every chunk with the configured embedder."""
    embedder = embedder_from_config(current_app.config)
    count = reembed_all(db.session, embedder)
    db.session.commit()
    click.echo(f"Re-embedded {count} chunks with {embedder.name}.")


COMMANDS: list[click.Command] = [ingest, ask, facts, demo, reindex]
