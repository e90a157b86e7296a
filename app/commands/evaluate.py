"""``investochat eval``: measure answer accuracy, refusals, grounding and latency."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.extensions import db
from app.rag.answer import UnknownProject, answer_question
from app.rag.evaluate import corpus_projects, load_questions, report, score


def _mapping(corpus: Path, pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = corpus_projects(corpus)
    for pair in pairs:
        file_name, sep, project = pair.partition("=")
        if not sep or not project.strip():
            raise click.BadParameter(f"{pair!r}: use FILE=PROJECT NAME", param_hint="--projects")
        mapping[file_name.strip()] = project.strip()
    return mapping


@click.command("eval")
@click.argument(
    "questions_files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--corpus",
    "corpora",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Ingest this folder first (repeatable).",
)
@click.option(
    "--projects", "pairs", multiple=True, help="FILE=PROJECT for corpus files the folder does not name."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Show every answer that is not correct.")
@with_appcontext
def evaluate(
    questions_files: tuple[Path, ...],
    corpora: tuple[Path, ...],
    pairs: tuple[str, ...],
    as_json: bool,
    verbose: bool,
) -> None:
    """Answer every question in QUESTIONS_FILES and report correct, wrong and refused answers
    overall, per question set, per category and per style."""
    from app.commands.catalog import ingest_files

    try:
        questions = [q for path in questions_files for q in load_questions(path)]
        mappings = [(corpus, _mapping(corpus, pairs)) for corpus in corpora]
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    for corpus, mapping in mappings:
        files = sorted(p for p in corpus.iterdir() if p.suffix in (".jsonl", ".pdf"))
        named = [p for p in files if p.name in mapping]
        if not named:
            raise click.ClickException(f"{corpus}: no brochure file with a project name; use --projects")
        for path in files:
            if path.name in mapping:
                ingest_files(mapping[path.name], [str(path)], progress=False)
            else:
                click.echo(f"{path}: not ingested (no project name for it)", err=True)
    outcomes = []
    for question in questions:
        try:
            answer = answer_question(question.question, project=question.project)
        except UnknownProject as exc:
            raise click.ClickException(f"{question.source} {question.id}: {exc}") from exc
        outcomes.append(score(db.session, question, answer))
        db.session.rollback()
    summary = report(outcomes)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        _print_summary(summary)
    if verbose:
        for o in outcomes:
            if not o.correct or o.violations:
                verdict = "wrong" if o.answer.answered else "refused"
                click.echo(
                    f"\n✗ {verdict} {o.question.source}/{o.question.id} "
                    f"[{o.question.category}, {o.question.style}] {o.question.question}"
                )
                click.echo(
                    f"  route={o.answer.route} "
                    f"cites={[(c.document, c.page) for c in o.answer.citations]} "
                    f"expected pages={o.question.pages}"
                )
                click.echo("  " + o.answer.answer.replace("\n", "\n  "))
                if o.violations:
                    click.echo(f"  ungrounded figures: {o.violations}")


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _print_table(title: str, rows: dict[str, dict]) -> None:
    click.echo(
        f"{title:<18}{'n':>5}{'correct':>9}{'wrong':>8}{'refused*':>10}{'unans.':>8}{'refused':>9}{'ungr.':>7}"
    )
    for name, row in rows.items():
        click.echo(
            f"{name:<18}{row['n']:>5}{_percent(row['correct']):>9}{_percent(row['wrong']):>8}"
            f"{_percent(row['refused_answerable']):>10}{row['unanswerable']:>8}"
            f"{_percent(row['refused']):>9}{row['ungrounded']:>7}"
        )
    click.echo("")


def _print_summary(summary: dict) -> None:
    if len(summary["sets"]) > 1:
        _print_table("question set", summary["sets"])
    _print_table("category", summary["categories"])
    _print_table("style", summary["styles"])
    _print_table("overall", {"all": summary["overall"]})
    click.echo(
        "correct: of answerable questions, the expected text with an accepted citation; wrong: of all\n"
        "questions, answered but not correctly; refused*: answerable but refused; unans.: unanswerable\n"
        "questions; refused: of those, refused; ungr.: answers with a figure not on a cited page.\n"
    )
    answer_acc = summary["answer_accuracy"]
    refusal_acc = summary["refusal_accuracy"]
    click.echo(
        f"answerable correct (with accepted citation): {answer_acc:.1%}" if answer_acc is not None else ""
    )
    click.echo(f"unanswerable refused: {refusal_acc:.1%}" if refusal_acc is not None else "")
    click.echo(f"answered wrongly: {_percent(summary['wrong'])}")
    click.echo(f"answers with a figure absent from their cited pages: {summary['grounding_violations']}")
    click.echo(
        f"latency p50 {summary['latency_ms_p50']} ms, p95 {summary['latency_ms_p95']} ms "
        f"({summary['questions']} questions)"
    )


COMMANDS = [evaluate]
