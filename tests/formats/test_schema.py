"""Shared key checks of the adapters: missing-key and not-an-object."""

from __future__ import annotations

from pathlib import Path

import pytest

from sftprep.check import check

pytestmark = [pytest.mark.unseen]


def test_not_an_object_names_json_types(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('null\n[1]\n"s"\n2.5\ntrue\n{"prompt": "p", "completion": "c"}\n')
    report = check(path, select=["not-an-object"])
    assert [f.message for f in report.findings] == [
        f"record is a JSON {kind}, not an object"
        for kind in ("null", "array", "string", "number", "boolean")
    ]
    assert [f.location.line for f in report.findings] == [1, 2, 3, 4, 5]
