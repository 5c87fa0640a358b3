"""`new`: every task's starter data passes `check` with zero findings, in several formats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sftprep.check import check
from sftprep.cli.main import main
from sftprep.errors import UsageError
from sftprep.formats.keys import normalise_prompt
from sftprep.transform.new import formats_for, new_dataset, task_records
from sftprep.transform.tasks import get_task, list_tasks

TASKS = list_tasks()
# (task, format, extension): the default format of each task plus the chat formats
# every task fits, in each file type.
CASES = [
    *((task, None, ".jsonl") for task in TASKS),
    *((task, "messages", ".json") for task in TASKS),
    *((task, "sharegpt", ".jsonl") for task in TASKS),
    ("translation", "alpaca", ".csv"),
    ("classification", "prompt-completion", ".jsonl"),
    ("summarization", "dolly", ".json"),
    ("qa", "alpaca", ".jsonl"),
    ("function-calling", None, ".parquet"),
    ("summarization", "messages", ".parquet"),
]


def test_every_task_has_at_least_ten_varied_records() -> None:
    assert set(TASKS) == {
        "translation",
        "summarization",
        "classification",
        "qa",
        "function-calling",
    }
    for name in TASKS:
        task = get_task(name)
        assert len(task.records) >= 10, name
        prompts = {normalise_prompt(json.dumps(r, sort_keys=True)) for r in task.records}
        assert len(prompts) == len(task.records), name


@pytest.mark.parametrize("task, fmt, ext", CASES)
def test_new_output_passes_check_with_zero_findings(
    tmp_path: Path, task: str, fmt: str | None, ext: str
) -> None:
    out = tmp_path / f"{task}{ext}"
    summary = new_dataset(task, out, format=fmt)
    assert summary.records == len(get_task(task).records)
    report = check(out, format=summary.format)
    assert [f.to_dict() for f in report.findings] == []
    assert report.files[0].records == summary.records


def test_default_formats() -> None:
    assert get_task("qa").default_format == "qa"
    assert get_task("function-calling").default_format == "messages"
    record = task_records("qa")[0]
    assert set(record) == {"question", "cot_answer"}


def test_function_calling_declares_tools_calls_and_tool_results() -> None:
    for record in task_records("function-calling"):
        roles = [m["role"] for m in record["messages"]]
        assert record["tools"] and "tool" in roles
        calls = [c for m in record["messages"] for c in m.get("tool_calls") or ()]
        declared = {t["function"]["name"] for t in record["tools"]}
        assert calls and all(c["function"]["name"] in declared for c in calls)
        answered = {m["tool_call_id"] for m in record["messages"] if m["role"] == "tool"}
        assert answered == {c["id"] for c in calls}


def test_function_calling_refuses_formats_that_cannot_carry_tools(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="messages"):
        new_dataset("function-calling", tmp_path / "x.jsonl", format="alpaca")
    assert "alpaca" not in formats_for("function-calling")
    assert "messages" in formats_for("function-calling")


def test_n_limits_the_count(tmp_path: Path) -> None:
    out = tmp_path / "t.jsonl"
    assert new_dataset("translation", out, n=3).records == 3
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3
    with pytest.raises(UsageError, match="between 1 and"):
        new_dataset("translation", out, n=999)


def test_cli_new_then_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "fc.jsonl"
    assert main(["new", "--task", "function-calling", "-o", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["format"] == "messages"
    assert main(["check", str(out), "--json", "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []


def _jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


QA = [{"question": f"Question {i}?", "cot_answer": f"Answer {i}."} for i in range(3)]


@pytest.mark.unseen
def test_new_refuses_an_output_below_a_file(tmp_path: Path) -> None:
    blocker = _jsonl(tmp_path / "f.jsonl", QA)
    with pytest.raises(UsageError, match="is a file, not a directory"):
        new_dataset("qa", blocker / "x.jsonl")
