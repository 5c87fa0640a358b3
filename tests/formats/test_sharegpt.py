"""The ShareGPT adapter (`conversations` of `from`/`value` turns)."""

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


def test_sharegpt_parallel_function_calls(tmp_path: Path) -> None:
    calls = [
        {"name": "w", "arguments": {"c": "A"}},
        {"name": "x", "arguments": "{bad"},
    ]
    row = {
        "conversations": [
            {"from": "human", "value": "A and B?"},
            {"from": "function_call", "value": json.dumps(calls)},
            {"from": "observation", "value": "[1, 2]"},
            {"from": "gpt", "value": "ok"},
        ],
        "tools": json.dumps([{"name": "w"}]),
    }
    found = _found(_jsonl(tmp_path / "p.jsonl", [row]), ignore=["missing-system"])
    assert found == [
        ("tool-call-arguments", 1, 0, "conversations[1].value[1]"),
        ("tool-undeclared", 1, 0, "conversations[1].value[1]"),
    ]
