"""Structure rules: repeated keys and what the parser would lose."""

from __future__ import annotations

from pathlib import Path

import pytest

from sftprep.check import check

pytestmark = [pytest.mark.unseen]


def test_a_repeated_key_is_reported(tmp_path: Path) -> None:
    """JSON parsers keep the last value of a repeated key: the other text is lost."""
    path = tmp_path / "d.jsonl"
    path.write_text(
        '{"instruction": "Say hi", "output": "Hi!", "output": "Hello there!"}\n'
        '{"instruction": "Quote", "output": "He said \\"a\\": b", "input": "x"}\n',
        encoding="utf-8",
    )
    found = check(path, select=["duplicate-key"]).findings
    assert [(f.location.line, f.message) for f in found] == [
        (1, "key `output` appears twice in one object: only its last value is read")
    ]
