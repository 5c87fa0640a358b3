"""`sftprep check` end to end: in process via `main([...])` and as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from datakit import write_jsonl
from sftprep.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
FLAWED = ROOT / "examples" / "qa_flawed.jsonl"
CLEAN = ROOT / "examples" / "qa_dataset.jsonl"

# examples/qa_flawed.jsonl: one problem per line (line 1 is clean, 5 repeats it).
EXPECTED = {
    ("empty-text", 2, "cot_answer"),
    ("missing-key", 3, "cot_answer"),
    ("special-token-leak", 4, "cot_answer"),
    ("duplicate", 5, None),  # an exact copy is not also a duplicate-prompt
    ("template-placeholder", 6, "question"),
    ("unknown-key", 7, "source"),
    ("encoding-damage", 7, "cot_answer"),
    ("untrimmed-whitespace", 8, "question"),
    ("model-commentary", 9, "cot_answer"),
    ("json-syntax", 10, None),
}
FILE_KEYS = {"path", "format", "records", "valid_records"}
SUMMARY_KEYS = {"records", "errors", "warnings", "infos", "by_rule"}
FINDING_KEYS = {"rule", "severity", "path", "line", "record", "field", "message", "hint", "excerpt"}


def check_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["check", "--json", *args])
    captured = capsys.readouterr()
    return code, json.loads(captured.out)


def write(path: Path, *records: object) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


QA = {"question": "What is 2+2?", "cot_answer": "2+2 is 4. <ANSWER>: 4"}


def test_json_document_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = check_json(capsys, str(FLAWED))
    assert code == 1
    assert set(doc) == {"files", "summary", "findings"}
    (file,) = doc["files"]
    assert set(file) == FILE_KEYS
    assert file["path"] == str(FLAWED) and file["format"] == "qa"
    assert set(doc["summary"]) == SUMMARY_KEYS
    assert all(set(f) == FINDING_KEYS for f in doc["findings"])
    assert {(f["rule"], f["line"], f["field"]) for f in doc["findings"]} == EXPECTED
    summary = doc["summary"]
    severities = [f["severity"] for f in doc["findings"]]
    assert summary["errors"] == severities.count("error")
    assert summary["warnings"] == severities.count("warning")
    assert summary["infos"] == severities.count("info")
    assert sum(summary["by_rule"].values()) == len(doc["findings"])


def test_record_counts(capsys: pytest.CaptureFixture[str]) -> None:
    _, doc = check_json(capsys, str(FLAWED))
    (file,) = doc["files"]
    # 10 records: 9 parsed and line 10, broken JSON, which counts as an invalid record;
    # lines 2, 3, 6 and 10 carry errors.
    assert file["records"] == 10
    assert file["valid_records"] == 6


def test_clean_file_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = check_json(capsys, str(CLEAN))
    assert code == 0
    assert doc["summary"]["errors"] == 0


@pytest.mark.parametrize(
    ("fail_on", "records", "expected"),
    [
        ("error", [QA, {**QA, "cot_answer": ""}], 1),
        ("never", [QA, {**QA, "cot_answer": ""}], 0),
        ("error", [QA, QA], 0),  # a duplicate is a warning
        ("warning", [QA, QA], 1),
        ("warning", [QA], 0),
    ],
)
def test_fail_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fail_on: str, records: list, expected: int
) -> None:
    path = write(tmp_path / "data.jsonl", *records)
    code, _ = check_json(capsys, str(path), "--fail-on", fail_on)
    assert code == expected


def test_select_and_ignore(capsys: pytest.CaptureFixture[str]) -> None:
    _, doc = check_json(capsys, str(FLAWED), "--select", "duplicate,empty-text")
    assert {f["rule"] for f in doc["findings"]} == {"duplicate", "empty-text"}
    _, doc = check_json(capsys, str(FLAWED), "--ignore", "json-syntax,duplicate-prompt")
    rules = {f["rule"] for f in doc["findings"]}
    assert "json-syntax" not in rules and "duplicate-prompt" not in rules
    assert "duplicate" in rules


def test_ignoring_errors_changes_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = check_json(
        capsys, str(FLAWED), "--select", "duplicate,unknown-key", "--fail-on", "error"
    )
    assert code == 0


def test_unknown_rule_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(FLAWED), "--select", "no-such-rule"]) == 2
    assert "unknown rule 'no-such-rule'" in capsys.readouterr().err


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.jsonl"
    assert main(["check", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert captured.err.startswith("sftprep: error:") and "nope.jsonl" in captured.err


def test_no_path_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 2
    assert capsys.readouterr().err.startswith("sftprep: error:")


def test_terminal_output_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--quiet", str(FLAWED)]) == 1
    assert "empty-text" in capsys.readouterr().out


def _sftprep(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sftprep", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def test_subprocess_json_is_one_document() -> None:
    result = _sftprep("check", "--json", str(FLAWED))
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)  # raises if anything else is on stdout
    assert result.stdout.strip().count("\n") == 0
    assert {(f["rule"], f["line"], f["field"]) for f in doc["findings"]} == EXPECTED
    assert "Traceback" not in result.stderr


def test_subprocess_exit_codes(tmp_path: Path) -> None:
    assert _sftprep("check", "--json", str(CLEAN)).returncode == 0
    assert _sftprep("check", "--json", "--fail-on", "never", str(FLAWED)).returncode == 0
    missing = _sftprep("check", str(tmp_path / "missing.jsonl"))
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1 and "Traceback" not in missing.stderr


MSG = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]}


@pytest.mark.unseen
def test_empty_objects_are_a_clear_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text("{}\n{}\n")
    assert main(["check", "--quiet", str(path)]) == 2
    err = capsys.readouterr().err
    start = f"sftprep: error: {path}: could not recognise the format (keys seen: none"
    assert err.startswith(start)
    assert len(err.strip().splitlines()) == 1


@pytest.mark.unseen
def test_negative_max_findings_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_jsonl(tmp_path / "m.jsonl", [MSG])
    with pytest.raises(SystemExit) as exc:
        main(["check", "--max-findings", "-1", str(path)])
    assert exc.value.code == 2
    assert "expected a number >= 0" in capsys.readouterr().err


def _write(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.unseen
def test_map_reads_columns_under_the_names_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{"premise": f"A man sleeps {i}.", "target": "entailment"} for i in range(2)]
    path = _write(tmp_path / "nli.jsonl", rows)
    assert main(["check", str(path), "--quiet"]) == 2  # no format has these keys
    capsys.readouterr()
    args = ["--map", "user=premise", "--map", "assistant=target"]
    assert main(["check", "--json", str(path), *args]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["files"][0]["format"] == "prompt-completion"
    (note,) = [f for f in doc["findings"] if f["rule"] == "mapped-names"]
    assert note["message"] == (
        "names read through the alias table: `premise` as `prompt` (--map) (2 records), "
        "`target` as `completion` (--map) (2 records)"
    )
    assert main(["stats", "--json", "--quiet", str(path), *args]) == 0
    assert json.loads(capsys.readouterr().out)["tokens"]["trainable"] == 6
    assert main(["check", str(path), "--map", "premise"]) == 2
    assert "expected NAME=KEY" in capsys.readouterr().err


@pytest.mark.unseen
def test_one_unreadable_file_among_several_is_a_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _write(tmp_path / "good.jsonl", [{"prompt": "Hi", "completion": "Yo"}])
    odd = _write(tmp_path / "odd.jsonl", [{"premise": "x", "hypothesis": "y"}])
    assert main(["check", "--json", str(good), str(odd), str(tmp_path / "gone.jsonl")]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [(f["path"], f["format"], f["records"]) for f in doc["files"]] == [
        (str(good), "prompt-completion", 1),
        (str(odd), "unreadable", 0),
        (str(tmp_path / "gone.jsonl"), "unreadable", 0),
    ]
    assert [(f["rule"], f["path"], f["message"]) for f in doc["findings"]] == [
        (
            "unreadable-file",
            str(odd),
            "could not recognise the format (keys seen: premise, hypothesis); pass --format, "
            "one of: alpaca, dolly, dpo, gemini, kto, messages, prompt-completion, "
            "prompt-only, qa, sharegpt, tasks, text",
        ),
        ("unreadable-file", str(tmp_path / "gone.jsonl"), "no such file"),
    ]
    assert main(["check", str(odd)]) == 2  # alone: one line naming the file
    assert capsys.readouterr().err.startswith(f"sftprep: error: {odd}: could not recognise")


@pytest.mark.unseen
def test_a_yaml_given_as_the_dataset_says_which_option_takes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "env_config.yaml"
    config.write_text("path_settings: {}\n", encoding="utf-8")
    assert main(["check", str(config)]) == 2
    err = capsys.readouterr().err
    assert "a YAML file is a config, not a dataset" in err and "--aidaptiv-env" in err
