"""Dataset rules: duplicates and duplicate prompts across records."""

from __future__ import annotations

from pathlib import Path

import pytest

from datakit import write_jsonl
from sftprep.check import check

pytestmark = [pytest.mark.unseen]


def test_duplicate_prompt_says_when_case_differs(tmp_path: Path) -> None:
    rows = [{"prompt": p, "completion": c} for p, c in (("hi there", "a"), ("Hi  There", "b"))]
    rows.append({"prompt": "hi there", "completion": "c"})
    found = check(write_jsonl(tmp_path / "d.jsonl", rows), select=["duplicate-prompt"]).findings
    assert [f.message for f in found] == [
        "same prompt (up to case and spacing) as record 0 (line 1)",
        "same prompt as record 0 (line 1)",
    ]
