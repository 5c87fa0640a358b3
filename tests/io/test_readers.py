"""Every real dataset in ../shared/data/real reads with the record count of SOURCES.md.

Start lines of the pretty-printed JSON arrays are checked against positions found
independently here with ``json.JSONDecoder.raw_decode`` over the whole text.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from sftprep.findings import Finding
from sftprep.io import RawRecord, read

pytestmark = pytest.mark.real_data

COUNTS = {
    "axolotl__conversation.missingturns.json": 1,
    "codealpaca__code_alpaca_2k.json": 2017,
    "fastchat__dummy_conversation.json": 500,
    "functionary__test_case.json": 1,
    "georgian-llm-finetuning-toolkit__example_data_alpaca.csv": 23,
    "gorilla-pr918__raft_en_test.jsonl": 20,
    "gorilla__raft_sample_ds4.jsonl": 15,
    "litgpt__dolly_fixture.json": 12,
    "llamafactory-pr10357__zena007_train_sft.jsonl": 413,
    "llamafactory__alpaca_en_demo.json": 999,
    "llamafactory__glaive_toolcall_en_demo.json": 300,
    "llamafactory__reason_tool_use_demo_50.jsonl": 50,
    "llm-foundry__dolly_hhrlhf_train_small.jsonl": 1000,
    "mlx-examples__wwdc25_train.jsonl": 1800,
    "openai-cookbook__drone_training.jsonl": 103,
    "self-instruct__t0_ag_news_classify_with_choices.jsonl": 200,
}
ARRAYS = [
    "codealpaca__code_alpaca_2k.json",
    "fastchat__dummy_conversation.json",
    "litgpt__dolly_fixture.json",
    "llamafactory__alpaca_en_demo.json",
    "llamafactory__glaive_toolcall_en_demo.json",
]


def _records(path: Path) -> list[RawRecord]:
    items = list(read(path))
    assert [i for i in items if isinstance(i, Finding)] == []
    return [i for i in items if isinstance(i, RawRecord)]


def test_sources_md_lists_every_file(real_data_dir: Path) -> None:
    listed = re.findall(r"^## (\S+)$", (real_data_dir / "SOURCES.md").read_text(), re.M)
    on_disk = sorted(p.name for p in real_data_dir.iterdir() if p.name != "SOURCES.md")
    assert sorted(listed) == on_disk == sorted(COUNTS)


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_record_counts_match_sources_md(real_data_dir: Path, name: str) -> None:
    path = real_data_dir / name
    stated = re.search(
        rf"^## {re.escape(name)}$.*?^- Records: (\d+)",
        (real_data_dir / "SOURCES.md").read_text(),
        re.M | re.S,
    )
    assert stated is not None and int(stated.group(1)) == COUNTS[name]
    records = _records(path)
    assert len(records) == COUNTS[name]
    assert [r.location.record for r in records] == list(range(COUNTS[name]))
    assert all(isinstance(r.value, dict) for r in records)


def _array_starts(text: str) -> list[tuple[object, int]]:
    """(element, 1-based start line) of a top-level JSON array, by raw_decode."""
    decoder = json.JSONDecoder()
    ws = re.compile(r"[\s,]*")
    pos = ws.match(text, text.index("[") + 1).end()  # type: ignore[union-attr]
    out: list[tuple[object, int]] = []
    while text[pos] != "]":
        value, end = decoder.raw_decode(text, pos)
        out.append((value, text.count("\n", 0, pos) + 1))
        pos = ws.match(text, end).end()  # type: ignore[union-attr]
    return out


@pytest.mark.parametrize("name", ARRAYS)
def test_pretty_printed_arrays_start_lines(real_data_dir: Path, name: str) -> None:
    path = real_data_dir / name
    expected = _array_starts(path.read_text(encoding="utf-8"))
    got = [(r.value, r.location.line) for r in _records(path)]
    assert got == expected
    assert got[0][1] == 2  # every file opens with "[" alone on line 1


def test_a_few_known_start_lines(real_data_dir: Path) -> None:
    litgpt = _records(real_data_dir / "litgpt__dolly_fixture.json")
    lines = (real_data_dir / "litgpt__dolly_fixture.json").read_text().splitlines()
    for record in (litgpt[0], litgpt[5], litgpt[-1]):
        assert lines[record.location.line - 1].strip() == "{"  # type: ignore[operator]
        # the record's first key is on the next line
        first_key = next(iter(record.value))
        assert lines[record.location.line].strip().startswith(f'"{first_key}"')  # type: ignore[operator]


def test_single_object_files_start_at_line_1(real_data_dir: Path) -> None:
    for name in ("axolotl__conversation.missingturns.json", "functionary__test_case.json"):
        (record,) = _records(real_data_dir / name)
        assert record.location.line == 1
        assert record.value == json.loads((real_data_dir / name).read_text())


def test_jsonl_lines_are_line_numbers(real_data_dir: Path) -> None:
    path = real_data_dir / "openai-cookbook__drone_training.jsonl"
    lines = path.read_bytes().splitlines()
    for record in _records(path):
        assert json.loads(lines[record.location.line - 1]) == record.value  # type: ignore[operator]


def test_georgian_csv_multiline_rows_start_lines(real_data_dir: Path) -> None:
    path = real_data_dir / "georgian-llm-finetuning-toolkit__example_data_alpaca.csv"
    text = path.read_text(encoding="utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    expected = []
    start = reader.line_num + 1
    for row in reader:
        expected.append((dict(zip(header, row, strict=True)), start))
        start = reader.line_num + 1
    got = [(r.value, r.location.line) for r in _records(path)]
    assert got == expected
    assert len({line for _, line in got}) == 23 and got[-1][1] > 24  # multi-line rows
