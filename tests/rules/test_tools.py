"""Tool-call rules: calls, replies and their ids."""

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
    found = _found(_jsonl(tmp_path / "t.jsonl", [row]), select=["tool-response-orphan"])
    assert found == [("tool-response-orphan", 1, 0, "messages[2].tool_call_id")]
