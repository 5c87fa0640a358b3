"""The qa adapter (question + answer columns and their spellings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from datakit import write_jsonl
from sftprep.check import check

pytestmark = [pytest.mark.unseen]


def test_question_and_sql_query_is_qa(tmp_path: Path) -> None:
    rows = [
        {"question": "All users?", "query": "SELECT * FROM users"},
        {"question": "", "query": "SELECT 1"},
    ]
    report = check(write_jsonl(tmp_path / "sql.jsonl", rows))
    assert [f.format for f in report.files] == ["qa"]
    assert [(f.rule, f.location.line, f.field) for f in report.findings] == [
        ("empty-text", 2, "question"),
        ("mapped-names", 1, None),
    ]
