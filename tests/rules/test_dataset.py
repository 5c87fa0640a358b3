"""Dataset rules: duplicates and duplicate prompts across records."""

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


def test_duplicate_prompt_says_when_case_differs(tmp_path: Path) -> None:
    rows = [{"prompt": p, "completion": c} for p, c in (("hi there", "a"), ("Hi  There", "b"))]
    rows.append({"prompt": "hi there", "completion": "c"})
    found = check(_write(tmp_path / "d.jsonl", rows), select=["duplicate-prompt"]).findings
    assert [f.message for f in found] == [
        "same prompt (up to case and spacing) as record 0 (line 1)",
        "same prompt as record 0 (line 1)",
    ]
