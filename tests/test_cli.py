"""The `investochat` command line: help, `ask`, `demo load` and `eval` on the demo project."""

from __future__ import annotations

import json
import re

import pytest

from app.cli import main
from app.commands.catalog import DEMO_PROJECT

DEMO_SOURCE = "Aravali_Crest_Brochure.pdf"
ANSWER_KEYS = {"answer", "answered", "citations", "route", "project", "latency_ms"}
ROUTES = {"facts", "tables", "documents", "sql", "none"}


def invoke(runner, *args: str):
    return runner.invoke(main, list(args))


@pytest.fixture
def demo(runner):
    """The bundled demo project, loaded into the test database (emptied after the test)."""
    result = invoke(runner, "demo", "load")
    assert result.exit_code == 0, result.output
    return runner


def ask_json(runner, question: str, project: str = DEMO_PROJECT) -> dict:
    result = invoke(runner, "ask", question, "--project", project, "--json")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, f"expected one JSON object, got:\n{result.stdout}"
    return json.loads(lines[0])


def test_help_lists_the_product_commands(runner):
    result = invoke(runner, "--help")
    assert result.exit_code == 0, result.output
    listed = set(re.findall(r"^  (\w+)\s", result.output, re.MULTILINE))
    assert {"ingest", "ask", "eval", "facts", "serve", "worker", "db", "demo"} <= listed


@pytest.mark.parametrize("command", ["ingest", "ask", "eval", "facts", "serve", "worker", "demo"])
def test_every_command_has_help(runner, command):
    result = invoke(runner, command, "--help")
    assert result.exit_code == 0, result.output
    assert f"Usage: main {command}" in result.output


def test_demo_load_is_idempotent(runner):
    first = invoke(runner, "demo", "load")
    second = invoke(runner, "demo", "load")
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert re.search(rf"{DEMO_PROJECT}: {DEMO_SOURCE} (added|unchanged)", first.output)
    assert f"{DEMO_PROJECT}: {DEMO_SOURCE} unchanged" in second.output


@pytest.mark.parametrize(
    ("question", "route", "page", "figure"),
    [
        ("What is the RERA number?", "facts", 1, "DEMO-GGM-2026-0001"),
        ("What is the payment plan?", "tables", 6, "10% of BSP"),
        ("How far is the airport?", "documents", 3, "28 km"),
    ],
)
def test_ask_json_prints_one_answer_object(demo, question, route, page, figure):
    answer = ask_json(demo, question)

    assert set(answer) == ANSWER_KEYS
    assert answer["answered"] is True
    assert answer["route"] == route
    assert answer["project"] == DEMO_PROJECT
    assert figure in answer["answer"]
    assert answer["answer"].endswith(f"Source: {DEMO_SOURCE} p.{page}")
    assert answer["citations"] == [{"document": DEMO_SOURCE, "page": page}]
    assert isinstance(answer["latency_ms"], int | float) and not isinstance(answer["latency_ms"], bool)
    assert answer["latency_ms"] >= 0


@pytest.mark.parametrize(
    "question",
    [
        "Is there a helipad on the roof?",
        "What is the monthly maintenance charge?",
        "Is there a school inside the project?",
        "What is the price of a penthouse?",
    ],
)
def test_ask_about_something_absent_refuses_without_figures(demo, question):
    answer = ask_json(demo, question)

    assert answer["route"] in ROUTES
    assert answer["answered"] is False
    assert answer["route"] == "none"
    assert answer["citations"] == []
    assert not re.search(r"\d", answer["answer"]), answer["answer"]
    assert "advisor" in answer["answer"]


def test_ask_prints_the_answer_text_with_its_source(demo):
    result = invoke(demo, "ask", "What is the RERA number?", "--project", DEMO_PROJECT)
    assert result.exit_code == 0, result.output
    assert "DEMO-GGM-2026-0001" in result.stdout
    assert result.stdout.strip().endswith(f"Source: {DEMO_SOURCE} p.1")
    assert not result.stdout.lstrip().startswith("{")


def test_ask_finds_the_project_named_in_the_question(demo):
    result = invoke(demo, "ask", "What is the RERA number of Aravali Crest?", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["project"] == DEMO_PROJECT
    assert "DEMO-GGM-2026-0001" in answer["answer"]


def test_ask_with_an_unknown_project_lists_the_known_ones(demo):
    result = invoke(demo, "ask", "What is the RERA number?", "--project", "Nowhere Heights 9f2c")
    assert result.exit_code != 0
    assert "Unknown project 'Nowhere Heights 9f2c'" in result.output
    assert re.search(r"Known projects: .*Aravali Crest", result.output)


def write_questions(path, rows: list[dict]):
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    return path


EVAL_ROWS = [
    {
        "id": "rera",
        "project": DEMO_PROJECT,
        "question": "What is the RERA number?",
        "answerable": True,
        "expect_any": ["DEMO-GGM-2026-0001"],
        "pages": [1],
        "category": "facts",
    },
    {
        "id": "plan",
        "project": DEMO_PROJECT,
        "question": "What is the payment plan?",
        "answerable": True,
        "expect_all": ["10% of BSP", "20% of BSP"],
        "pages": [6],
        "category": "tables",
    },
    {
        # Right answer, but the eval file expects another page: scored wrong.
        "id": "rera-wrong-page",
        "project": DEMO_PROJECT,
        "question": "What is the RERA number?",
        "answerable": True,
        "expect_any": ["DEMO-GGM-2026-0001"],
        "pages": [5],
        "category": "facts",
        "style": "terse",
    },
    {
        "id": "helipad",
        "project": DEMO_PROJECT,
        "question": "Is there a helipad on the roof?",
        "answerable": False,
        "category": "refusals",
        "style": "yesno",
    },
]


def test_eval_prints_correct_wrong_and_refused_per_category_and_style(demo, tmp_path):
    questions = write_questions(tmp_path / "questions.jsonl", EVAL_ROWS)

    result = invoke(demo, "eval", str(questions))

    assert result.exit_code == 0, result.output
    out = result.stdout
    # n, correct, wrong, refused though answerable, unanswerable, of those refused, ungrounded
    assert re.search(r"^facts\s+2\s+50\.0%\s+50\.0%\s+0\.0%\s+0\s+-\s+0$", out, re.MULTILINE), out
    assert re.search(r"^tables\s+1\s+100\.0%\s+0\.0%\s+0\.0%\s+0\s+-\s+0$", out, re.MULTILINE), out
    assert re.search(r"^refusals\s+1\s+-\s+0\.0%\s+-\s+1\s+100\.0%\s+0$", out, re.MULTILINE), out
    assert re.search(r"^plain\s+2\s+100\.0%\s+0\.0%", out, re.MULTILINE), out
    assert re.search(r"^terse\s+1\s+0\.0%\s+100\.0%", out, re.MULTILINE), out
    assert re.search(r"^yesno\s+1\s+-\s+0\.0%\s+-\s+1\s+100\.0%", out, re.MULTILINE), out
    assert "question set" not in out  # one file: no per-set table
    assert "answerable correct (with accepted citation): 66.7%" in out
    assert "unanswerable refused: 100.0%" in out
    assert "answered wrongly: 25.0%" in out
    assert "answers with a figure absent from their cited pages: 0" in out
    assert "(4 questions)" in out


def test_eval_json_report(demo, tmp_path):
    questions = write_questions(tmp_path / "questions.jsonl", EVAL_ROWS)

    result = invoke(demo, "eval", str(questions), "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["questions"] == 4
    assert report["answer_accuracy"] == pytest.approx(0.667)
    assert report["refusal_accuracy"] == 1.0
    assert report["wrong"] == 0.25
    assert report["refused_answerable"] == 0.0
    assert report["grounding_violations"] == 0
    facts = report["categories"]["facts"]
    assert (facts["n"], facts["correct"], facts["wrong"], facts["refused"]) == (2, 0.5, 0.5, None)
    assert report["styles"]["terse"]["wrong"] == 1.0
    assert report["styles"]["yesno"]["refused"] == 1.0


def test_eval_takes_several_question_sets_and_reports_each(demo, tmp_path):
    first = write_questions(tmp_path / "first.jsonl", EVAL_ROWS[:2])
    second = write_questions(tmp_path / "second.jsonl", EVAL_ROWS[2:])

    result = invoke(demo, "eval", str(first), str(second), "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["questions"] == 4
    assert report["sets"]["first"]["correct"] == 1.0
    assert report["sets"]["second"]["correct"] == 0.0
    assert report["sets"]["second"]["refused"] == 1.0
    printed = invoke(demo, "eval", str(first), str(second)).stdout
    assert re.search(r"^second\s+2\s+0\.0%\s+50\.0%", printed, re.MULTILINE), printed


def test_eval_names_a_bad_question_line(demo, tmp_path):
    questions = write_questions(tmp_path / "questions.jsonl", EVAL_ROWS[:2])
    with questions.open("a", encoding="utf-8") as handle:
        handle.write('{"id": "broken", "question": "no answerable flag"}\n')

    result = invoke(demo, "eval", str(questions))

    assert result.exit_code != 0
    assert "questions.jsonl line 3" in result.output


def test_eval_with_an_unknown_project_names_the_question(demo, tmp_path):
    rows = [{**EVAL_ROWS[0], "id": "q-lost", "project": "Nowhere Heights 9f2c"}]
    questions = write_questions(tmp_path / "questions.jsonl", rows)

    result = invoke(demo, "eval", str(questions))

    assert result.exit_code != 0
    assert "q-lost: Unknown project 'Nowhere Heights 9f2c'" in result.output


def test_eval_ingests_each_corpus_folder_named_by_its_projects_json(demo, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    texts = [
        "Lotus Meadows, Sector 150 Noida. RERA Registration No. UPRERAPRJ543210.",
        "Clubhouse of 30,000 sq ft with a swimming pool and a gym.",
    ]
    pages = [{"source": "lotus.pdf", "page": n, "text": text} for n, text in enumerate(texts, start=1)]
    (corpus / "lotus.jsonl").write_text("\n".join(json.dumps(p) for p in pages) + "\n", encoding="utf-8")
    (corpus / "projects.json").write_text(json.dumps({"lotus.jsonl": "Lotus Meadows"}), encoding="utf-8")
    row = {
        "id": "lotus-rera",
        "project": "Lotus Meadows",
        "question": "What is the RERA number?",
        "answerable": True,
        "expect_any": ["UPRERAPRJ543210"],
        "pages": [1],
        "category": "facts",
        "style": "plain",
    }
    questions = write_questions(tmp_path / "lotus.jsonl", [row])

    result = invoke(demo, "eval", str(questions), "--corpus", str(corpus), "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["answer_accuracy"] == 1.0


def test_eval_names_a_broken_projects_json(demo, tmp_path):
    (tmp_path / "projects.json").write_text("{not json", encoding="utf-8")
    questions = write_questions(tmp_path / "questions.jsonl", EVAL_ROWS[:1])

    result = invoke(demo, "eval", str(questions), "--corpus", str(tmp_path))

    assert result.exit_code != 0
    assert "projects.json: not valid JSON" in result.output
