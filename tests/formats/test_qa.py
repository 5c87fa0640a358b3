"""The qa adapter (question + answer columns and their spellings)."""

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


def test_question_and_sql_query_is_qa(tmp_path: Path) -> None:
    rows = [
        {"question": "All users?", "query": "SELECT * FROM users"},
        {"question": "", "query": "SELECT 1"},
    ]
    report = check(_write(tmp_path / "sql.jsonl", rows))
    assert [f.format for f in report.files] == ["qa"]
    assert [(f.rule, f.location.line, f.field) for f in report.findings] == [
        ("empty-text", 2, "question"),
        ("mapped-names", 1, None),
    ]
