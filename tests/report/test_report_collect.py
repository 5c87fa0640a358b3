"""`build_report_data`: the dataset read once into what the report shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.qa]


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_default_tokenizer_runs_the_token_rules(tmp_path: Path) -> None:
    """Without --tokenizer the report must count what `check --tokenizer cl100k_base` does."""
    from sftprep.report.collect import build_report_data

    path = _write(tmp_path / "d.jsonl", [{"instruction": "q", "output": ""}])
    data = build_report_data(path, examples=0)
    assert data.tokenizer == "cl100k_base"
    assert data.counts.get("no-trainable-tokens") == {"error": 1}
    assert data.counts.get("empty-text") == {"error": 1}
