"""The JSON Lines reader: line ends and line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from sftprep.io import read
from sftprep.io.base import RawRecord

pytestmark = [pytest.mark.unseen]


def _items(path: Path) -> list[tuple[str, object, int | None, int | None]]:
    out = []
    for item in read(path):
        what = item.value if isinstance(item, RawRecord) else item.rule
        out.append((type(item).__name__, what, item.location.line, item.location.record))
    return out


def test_jsonl_with_bare_cr_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "mac.jsonl"
    path.write_bytes(b'{"a": 1}\r{"b": 2\r{"c": 3}\n{"d":\r4}\n')
    assert _items(path) == [
        ("RawRecord", {"a": 1}, 1, 0),
        ("Finding", "json-syntax", 2, 1),
        ("RawRecord", {"c": 3}, 3, 2),
        ("RawRecord", {"d": 4}, 4, 3),  # a CR inside a valid record is whitespace
    ]
