"""The messages adapter (OpenAI-style `messages`, with parts, tools and vendor variants)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sftprep.check import check

pytestmark = [pytest.mark.unseen]


def _jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


MSG = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]}


def test_positions_in_messages_are_field_paths(tmp_path: Path) -> None:
    row = {
        "system": "s",
        "conversations": [
            {"from": "human", "value": "a"},
            {"from": "human", "value": "b"},
            {"from": "observation", "value": "r"},
            {"from": "gpt", "value": "c"},
        ],
    }
    report = check(_jsonl(tmp_path / "s.jsonl", [row]))
    got = {f.rule: (f.field, f.message) for f in report.findings}
    assert got["role-order"] == (
        "conversations[1].from",
        "two user turns in a row (conversations[0] and conversations[1])",
    )
    assert got["tool-response-orphan"] == (
        "conversations[2]",
        "tool reply `conversations[2]` follows a user turn without tool calls, "
        "not an assistant tool call",
    )


def test_messages_that_are_not_a_list_give_one_finding(tmp_path: Path) -> None:
    rows = [
        {"messages": json.dumps(MSG["messages"])},
        {"messages": '[{"role": "user", "content": "cut'},
        {"messages": []},
    ]
    report = check(_jsonl(tmp_path / "m.jsonl", rows), ignore=["missing-system"])
    got = [(f.rule, f.location.line, f.field, f.message) for f in report.findings]
    assert got == [
        (
            "wrong-type",
            1,
            "messages",
            "`messages` should be a list of messages, got a string holding JSON text "
            "of an array (double-encoded?)",
        ),
        (
            "wrong-type",
            2,
            "messages",
            "`messages` should be a list of messages, got text that is not valid JSON "
            "(truncated or badly quoted?)",
        ),
        ("no-assistant-turn", 3, "messages", "conversation has no assistant turn (no messages)"),
    ]
