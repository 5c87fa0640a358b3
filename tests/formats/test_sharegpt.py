"""The ShareGPT adapter (`conversations` of `from`/`value` turns)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from datakit import read_jsonl, write_jsonl
from sftprep.check import check
from sftprep.cli.main import main

pytestmark = [pytest.mark.unseen]


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
    found = _found(write_jsonl(tmp_path / "p.jsonl", [row]), ignore=["missing-system"])
    assert found == [
        ("tool-call-arguments", 1, 0, "conversations[1].value[1]"),
        ("tool-undeclared", 1, 0, "conversations[1].value[1]"),
    ]


def _write(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


SLIMORCA = [
    {
        "conversations": [
            {"from": "system", "value": "You are an AI assistant.", "weight": None},
            {"from": "human", "value": f"Question {i}?", "weight": 0.0},
            {"from": "gpt", "value": f"Answer {i}.", "weight": 1.0},
        ]
    }
    for i in range(3)
]


def test_sharegpt_float_weights_are_the_convention_not_errors(tmp_path: Path) -> None:
    path = _write(tmp_path / "slimorca.jsonl", SLIMORCA)
    assert list(check(path).findings) == []
    out = tmp_path / "m.jsonl"
    assert main(["convert", str(path), "-o", str(out), "--to", "messages", "--quiet"]) == 0
    assert read_jsonl(out)[0]["messages"][1:] == [
        {"role": "user", "content": "Question 0?"},
        {"role": "assistant", "content": "Answer 0.", "weight": 1},
    ]
    assert list(check(out, target="openai", select=["duplicate"]).findings) == [
        f for f in check(out, target="openai").findings if f.rule == "target-openai"
    ]


def test_an_empty_system_column_is_no_system_prompt(tmp_path: Path) -> None:
    rows = [{"system_prompt": "", "conversations": [{"from": "human", "value": "Hi"},
                                                    {"from": "gpt", "value": "Yo"}]}]  # fmt: skip
    path = _write(tmp_path / "h.jsonl", rows)
    assert [f.rule for f in check(path).findings] == ["missing-system"]
    out = tmp_path / "m.jsonl"
    assert main(["convert", str(path), "-o", str(out), "--to", "messages", "--quiet"]) == 0
    assert [m["role"] for m in read_jsonl(out)[0]["messages"]] == ["user", "assistant"]
