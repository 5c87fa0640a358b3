"""Format detection: the format each file is read as, and what the detector says about it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sftprep.check import check

pytestmark = [pytest.mark.unseen]


def _jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _found(path: Path, **kwargs: object) -> list[tuple[str, int | None, int | None, str | None]]:
    report = check(path, **kwargs)  # type: ignore[arg-type]
    return [(f.rule, f.location.line, f.location.record, f.field) for f in report.findings]


MSG = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]}


SHARE = {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": ""}]}


def test_mixed_formats_are_named_once_and_still_checked(tmp_path: Path) -> None:
    rows = [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "a"}]}
        for i in range(5)
    ]
    rows.insert(2, SHARE)  # a ShareGPT row, whose assistant text is empty
    found = _found(_jsonl(tmp_path / "m.jsonl", rows), ignore=["missing-system"])
    assert found == [
        ("mixed-format", 3, 2, "conversations"),
        ("empty-text", 3, 2, "conversations[1].value"),
    ]


def test_mixed_format_names_the_distinguishing_key(tmp_path: Path) -> None:
    rows = [{"instruction": f"i{i}", "input": "", "output": f"o{i}"} for i in range(4)]
    rows.append({"instruction": "late", "context": "", "response": "r", "category": "qa"})
    report = check(_jsonl(tmp_path / "a.jsonl", rows), ignore=["untrained-fields"])
    [finding] = report.findings
    # Alpaca reads `response` as its output, so Dolly's `context` tells the two apart
    assert (finding.rule, finding.location.line, finding.field) == ("mixed-format", 5, "context")
    assert finding.message == "record is in the dolly format, but the file was detected as alpaca"
    assert report.files[0].valid_records == 4


def test_a_given_format_is_applied_to_every_record(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "m.jsonl", [MSG, SHARE])
    found = _found(path, format="messages", select=["mixed-format", "missing-key"])
    assert found == [("missing-key", 2, 1, "messages")]
