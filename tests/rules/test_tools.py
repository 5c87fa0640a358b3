"""Tool-call rules: calls, replies and their ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from datakit import write_jsonl
from sftprep.check import check

pytestmark = [pytest.mark.unseen]


def _found(path: Path, **kwargs: object) -> list[tuple[str, int | None, int | None, str | None]]:
    report = check(path, **kwargs)  # type: ignore[arg-type]
    return [(f.rule, f.location.line, f.location.record, f.field) for f in report.findings]


def test_orphan_reply_points_at_its_tool_call_id(tmp_path: Path) -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    row = {
        "messages": [
            {"role": "user", "content": "go"},
            {"role": "assistant", "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "zz", "content": "r"},
            {"role": "assistant", "content": "done"},
        ],
        "tools": [{"type": "function", "function": {"name": "f"}}],
    }
    found = _found(write_jsonl(tmp_path / "t.jsonl", [row]), select=["tool-response-orphan"])
    assert found == [("tool-response-orphan", 1, 0, "messages[2].tool_call_id")]


def _write(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_hermes_calls_in_the_text_are_calls(tmp_path: Path) -> None:
    rows = [
        {
            "conversations": [
                {"from": "system", "value": "You call tools."},
                {"from": "human", "value": "Weather in Oslo?"},
                {"from": "gpt", "value": '<tool_call>{"name": "w", "arguments": {}}</tool_call>'},
                {"from": "tool", "value": '{"t": 3}'},
                {"from": "gpt", "value": "3 degrees."},
            ]
        }
    ]
    assert list(check(_write(tmp_path / "h.jsonl", rows)).findings) == []


def test_llama_python_tag_is_a_tool_call(tmp_path: Path) -> None:
    turns = [
        {"role": "user", "content": "Compute 2**20."},
        {"role": "assistant", "content": "<|python_tag|>print(2**20)"},
        {"role": "ipython", "content": "1048576"},
        {"role": "assistant", "content": "It is 1048576."},
    ]
    found = check(_write(tmp_path / "l.jsonl", [{"messages": turns}])).findings
    assert [f.rule for f in found] == ["missing-system", "mapped-names"]
    leak = [*turns[:3], {"role": "assistant", "content": "Done.<|python_tag|>"}]
    found = check(_write(tmp_path / "k.jsonl", [{"messages": leak}])).findings
    assert [(f.rule, f.field) for f in found if f.rule == "special-token-leak"] == [
        ("special-token-leak", "messages[3].content")
    ]
