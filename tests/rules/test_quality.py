"""The quality rules' details: what counts as whitespace, commentary and a skewed label set."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rulekit import single

from sftprep.findings import Finding
from sftprep.rules.base import RecordContext, get_rule


def qa(question: str, answer: str, line: int = 1) -> RecordContext:
    return single({"question": question, "cot_answer": answer}, "question", "cot_answer",
                  format="qa", line=line)  # fmt: skip


def run(rule_id: str, contexts: list[RecordContext]) -> list[Finding]:
    rule = get_rule(rule_id)()
    found = [f for ctx in contexts for f in rule.check(ctx)]
    return found + list(rule.finish())


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("4  ", "`cot_answer` ends with 2 whitespace characters"),
        ("4\t\n\n", "`cot_answer` ends with 1 whitespace character"),
        ("4\u00a0", "`cot_answer` ends with 1 whitespace character"),
        ("\n\n4", "`cot_answer` starts with a blank line"),
        ("4\n", None),
        ("    return 4", None),  # indented code keeps its indentation
        ("   ", None),  # whitespace-only text is empty-text's business
    ],
)
def test_untrimmed_whitespace(answer: str, message: str | None) -> None:
    found = run("untrimmed-whitespace", [qa("What is 2+2?", answer)])
    assert [f.message for f in found] == ([message] if message else [])


def test_untrimmed_whitespace_shows_the_spaces() -> None:
    (finding,) = run("untrimmed-whitespace", [qa("1. What is it?  ", "It.")])
    assert finding.field == "question" and finding.excerpt == "1.·What·is·it?··"


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("As an AI, I have no opinions.", "an AI disclaimer"),
        ("I'm sorry, but I'm unable to book flights.", "a refusal"),
        ("I am sorry, I cannot help with that.", "a refusal"),
        ("I can’t assist with that request.", "a refusal"),
        ("Bonjour.\n\nNote: formal.", "an appended note"),
        ("Hallo. (Note that German capitalises nouns.)", "an appended note"),
        ("Ciao.\n\n**Note:** informal.", "an appended note"),
        ("Hola. Please note the accent.", "an appended note"),
        ("NB: approximate.", "an appended note"),
        ("Coffee was used as an aid to prayer.", None),
        ("Write a note: it helps.", None),
        ("The notebook: a diary.", None),
    ],
)
def test_model_commentary(answer: str, kind: str | None) -> None:
    found = run("model-commentary", [qa("Q?", answer)])
    expected = [f"assistant text `cot_answer` carries model commentary: {kind}"] if kind else []
    assert [f.message for f in found] == expected


def test_model_commentary_reports_one_kind_per_turn_and_skips_prompts() -> None:
    (finding,) = run("model-commentary", [qa("Note: be brief.", "As an AI... Note: x")])
    assert finding.message.endswith("an AI disclaimer") and finding.field == "cot_answer"


def _news(labels: list[str]) -> list[RecordContext]:
    prompt = "Headline {i}\nIs this news about world politics, sports, business, or science?"
    return [
        qa(prompt.format(i=i), label + "<|endoftext|>", i + 1) for i, label in enumerate(labels)
    ]


def test_label_skew_reports_unused_choices_once_for_the_file() -> None:
    (finding,) = run("label-skew", _news(["Business"] * 15 + ["Sports"] * 10))
    assert finding.location.path == "data.jsonl"
    where = (finding.location.line, finding.location.record, finding.field)
    assert where == (None, None, "cot_answer")
    assert finding.message == (
        "2 labels in 25 answers: 'Business' 15 (60%), 'Sports' 10 (40%); "
        "choices never answered: 'world politics', 'science'"
    )


def test_label_skew_reports_a_frequent_label() -> None:
    labels = ["Business", "Sports", "World politics", "Science"] * 5 + ["Business"] * 40
    (finding,) = run("label-skew", _news(labels))
    assert finding.message == (
        "4 labels in 60 answers: 'Business' 45 (75%), 'Sports' 5 (8%), 'World politics' 5 (8%),"
        " 'Science' 5 (8%); 'Business' is 9.0x the rarest label"
    )


@pytest.mark.parametrize(
    "labels",
    [
        ["Business", "Sports", "World politics", "Science"] * 6,  # balanced, all used
        ["Business"] * 10 + ["Sports"] * 9,  # fewer than 20 records
        [f"answer number {i}" for i in range(40)],  # free text, not labels
        ["Business"] * 30 + ["Sports"] * 9 + ["A long answer. " * 5],  # one long answer
    ],
)
def test_label_skew_stays_quiet(labels: list[str]) -> None:
    assert run("label-skew", _news(labels)) == []


def test_a_lone_surrogate_is_encoding_damage_and_prints(tmp_path: Path) -> None:
    """``"\\ud800"`` parses as JSON but UTF-8 cannot hold it: reported, and still printed."""
    path = tmp_path / "s.jsonl"
    path.write_text('{"question": "lone \\ud800 here", "cot_answer": "ok"}\n')
    out = subprocess.run(
        [sys.executable, "-m", "sftprep", "check", str(path)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "`question` has encoding damage: lone surrogate x1" in out.stdout
    assert "lone \\ud800 here" in out.stdout
    report = tmp_path / "r.html"
    done = subprocess.run(
        [sys.executable, "-m", "sftprep", "report", str(path), "-o", str(report), "--quiet"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "\\ud800" in report.read_text(encoding="utf-8")
