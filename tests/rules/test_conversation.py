"""Conversation rules: role order and system prompts."""

from __future__ import annotations

from pathlib import Path

import pytest

from datakit import write_jsonl
from sftprep.check import check

pytestmark = [pytest.mark.unseen]


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
    (finding,) = check(write_jsonl(tmp_path / "s.jsonl", rows)).findings
    assert (finding.rule, finding.message) == (
        "role-order",
        "two system prompts (system and messages[0])",
    )
