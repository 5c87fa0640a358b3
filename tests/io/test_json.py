"""The JSON reader: syntax errors at their line, wrappers around the record list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sftprep.check import check
from sftprep.io import read
from sftprep.io.base import RawRecord

pytestmark = [pytest.mark.unseen]


def _items(path: Path) -> list[tuple[str, object, int | None, int | None]]:
    out = []
    for item in read(path):
        what = item.value if isinstance(item, RawRecord) else item.rule
        out.append((type(item).__name__, what, item.location.line, item.location.record))
    return out


MSG = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[{"a": 1},]', [("RawRecord", {"a": 1}, 1, 0), ("Finding", "json-syntax", 1, None)]),
        (
            '[\n{"a": 1},\n,\n{"a": 2}\n]',
            [
                ("RawRecord", {"a": 1}, 2, 0),
                ("Finding", "json-syntax", 3, None),
                ("RawRecord", {"a": 2}, 4, 1),
            ],
        ),
        ('[, {"a": 1}]', [("Finding", "json-syntax", 1, None), ("RawRecord", {"a": 1}, 1, 0)]),
        (
            '{"data": [\n {"a": 1},\n]}',
            [("RawRecord", {"a": 1}, 2, 0), ("Finding", "json-syntax", 2, None)],
        ),
        (
            '[{"a": ",]"}, {"b": "[,"}]',
            [("RawRecord", {"a": ",]"}, 1, 0), ("RawRecord", {"b": "[,"}, 1, 1)],
        ),
        ("]", [("Finding", "json-syntax", 1, 0)]),
    ],
)
def test_stray_commas_and_brackets_are_json_syntax(
    tmp_path: Path, text: str, expected: list[tuple[str, object, int, int | None]]
) -> None:
    path = tmp_path / "d.json"
    path.write_text(text)
    assert _items(path) == expected


def test_wrapper_with_a_metadata_object_before_the_list(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    path.write_text(
        '{\n "version": "1.0",\n "meta": {"x": [1, {"y": 2}]},\n "data": [\n'
        '  {"prompt": "a", "completion": "b"},\n  {"prompt": "c", "completion": "d"}\n ]\n}\n'
    )
    assert _items(path) == [
        ("RawRecord", {"prompt": "a", "completion": "b"}, 5, 0),
        ("RawRecord", {"prompt": "c", "completion": "d"}, 6, 1),
    ]
    compact = tmp_path / "c.json"
    compact.write_text('{"meta": {"n": 1}, "data": [{"prompt": "a", "completion": "b"}]}')
    assert _items(compact) == [("RawRecord", {"prompt": "a", "completion": "b"}, 1, 0)]


def test_a_record_with_a_data_list_is_not_unwrapped(tmp_path: Path) -> None:
    one = {"messages": MSG["messages"], "meta": {"k": 1}, "data": [{"a": 1}]}
    path = tmp_path / "one.json"
    path.write_text(json.dumps(one, indent=2))
    assert _items(path) == [("RawRecord", one, 1, 0)]


def test_every_list_of_a_json_object_is_read_or_reported(tmp_path: Path) -> None:
    path = tmp_path / "splits.json"
    path.write_text(
        json.dumps(
            {
                "validation": [{"instruction": "Bye", "output": "Goodbye"}],
                "train": [{"instruction": "Hi", "output": "Hello"}],
                "notes": "Collected by the NLP group in 2023.",
                "version": "1.0",
            }
        ),
        encoding="utf-8",
    )
    report = check(path)
    assert report.files[0].records == 1
    assert [(f.rule, f.severity.value, f.field, f.message) for f in report.findings] == [
        (
            "unknown-key",
            "warning",
            "validation",
            "`validation` (a list of 1 record) beside `train` is not read: sftprep reads the "
            "records of `train`",
        ),
        (
            "unknown-key",
            "warning",
            "notes",
            "`notes` (text) beside `train` is not read: sftprep reads the records of `train`",
        ),
    ]
