"""The LLaMA-Factory target: what its loader refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from datakit import write_jsonl
from sftprep.check import check

pytestmark = [pytest.mark.unseen]


def test_llamafactory_target_refuses_an_answer_weighted_zero(tmp_path: Path) -> None:
    rows = [
        {
            "messages": [
                {"role": "user", "content": "Capital of France?"},
                {"role": "assistant", "content": "Look it up.", "weight": 0},
                {"role": "user", "content": "Please?"},
                {"role": "assistant", "content": "Paris.", "weight": 1},
            ]
        }
    ]
    path = write_jsonl(tmp_path / "w.jsonl", rows)
    (finding,) = [f for f in check(path, target="llama-factory").findings if f.rule.startswith("t")]
    assert finding.message == (
        "message 1 is an answer weighted 0 (not to be trained); LLaMA-Factory reads no "
        "per-turn weight and would train it"
    )
