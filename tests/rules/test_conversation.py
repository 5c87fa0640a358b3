"""Conversation rules: role order and system prompts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sftprep.check import check

pytestmark = [pytest.mark.unseen]


def _write(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_two_system_prompts_are_reported(tmp_path: Path) -> None:
    rows = [
        {
            "system": "Answer in French.",
            "messages": [
                {"role": "system", "content": "Answer in German."},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hallo"},
            ],
        }
    ]
    (finding,) = check(_write(tmp_path / "s.jsonl", rows)).findings
    assert (finding.rule, finding.message) == (
        "role-order",
        "two system prompts (system and messages[0])",
    )
