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
@click.argument("questions_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--corpus",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Ingest this folder first.",
)
@click.option(
    "--projects", "pairs", multiple=True, help="FILE=PROJECT for corpus files the README does not name."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Show every wrong answer.")
@with_appcontext
def evaluate(
    questions_file: Path, corpus: Path | None, pairs: tuple[str, ...], as_json: bool, verbose: bool
) -> None:
    """Answer every question in QUESTIONS_FILE and report accuracy per category."""
    from app.commands.catalog import ingest_files

    try:
        questions = load_questions(questions_file)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if corpus:
        mapping = _mapping(corpus, pairs)
        files = sorted(p for p in corpus.iterdir() if p.suffix in (".jsonl", ".pdf"))
        for path in files:
            if path.name not in mapping:
                raise click.ClickException(f"{path.name}: no project name; add --projects {path.name}=NAME")
            ingest_files(mapping[path.name], [str(path)], progress=False)
    outcomes = []
    for question in questions:
        try:
            answer = answer_question(question.question, project=question.project)
        except UnknownProject as exc:
            raise click.ClickException(f"{question.id}: {exc}") from exc
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
                click.echo(f"\n✗ {o.question.id} [{o.question.category}] {o.question.question}")
                click.echo(
                    f"  route={o.answer.route} "
                    f"cites={[(c.document, c.page) for c in o.answer.citations]} "
                    f"expected pages={o.question.pages}"
                )
                click.echo("  " + o.answer.answer.replace("\n", "\n  "))
                if o.violations:
                    click.echo(f"  ungrounded figures: {o.violations}")


def _print_summary(summary: dict) -> None:
    click.echo(f"{'category':<16}{'n':>4}{'accuracy':>10}")
    for name, row in summary["categories"].items():
        click.echo(f"{name:<16}{row['n']:>4}{row['accuracy']:>10.1%}")
    answer_acc = summary["answer_accuracy"]
    refusal_acc = summary["refusal_accuracy"]
    click.echo(
        f"\nanswerable correct (with accepted citation): {answer_acc:.1%}" if answer_acc is not None else ""
    )
    click.echo(f"unanswerable refused: {refusal_acc:.1%}" if refusal_acc is not None else "")
    click.echo(f"answers with a figure absent from their cited pages: {summary['grounding_violations']}")
    click.echo(
        f"latency p50 {summary['latency_ms_p50']} ms, p95 {summary['latency_ms_p95']} ms "
        f"({summary['questions']} questions)"
    )


COMMANDS = [evaluate]
