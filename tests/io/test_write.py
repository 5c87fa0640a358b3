"""Atomic writers: round trips through the readers, batch boundaries, failures."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sftprep.io.write as write
from sftprep.errors import UsageError
from sftprep.io import RawRecord, read

ROWS: list[dict[str, Any]] = [
    {"instruction": "i0", "output": "o0"},
    {"instruction": "i1", "output": 'two\nlines, "quoted"', "tags": ["x"]},
    {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]},
    {"instruction": "i3", "output": "o3", "messages": [{"role": "user", "content": "é"}]},
    {"instruction": "i4", "output": "o4"},
]


def _values(path: Path) -> list[Any]:
    items = list(read(path))
    assert all(isinstance(i, RawRecord) for i in items)
    return [i.value for i in items]  # type: ignore[union-attr]


@pytest.fixture(autouse=True)
def _small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(write, "BATCH", 2)  # every test crosses batch boundaries


@pytest.mark.parametrize("ext", ["jsonl", "json"])
def test_json_round_trip(tmp_path: Path, ext: str) -> None:
    assert write.write_records(tmp_path / f"o.{ext}", ROWS) == len(ROWS)
    assert _values(tmp_path / f"o.{ext}") == ROWS


@pytest.mark.parametrize("ext", ["csv", "tsv"])
def test_csv_round_trip_header_is_the_union_and_json_cells_decode(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"o.{ext}"
    assert write.write_records(path, iter(ROWS)) == len(ROWS)
    header = path.read_text().splitlines()[0]
    sep = "\t" if ext == "tsv" else ","
    assert header.split(sep) == ["instruction", "output", "tags", "messages"]
    got = _values(path)
    assert got[1]["output"] == ROWS[1]["output"] and got[1]["tags"] == ["x"]
    assert got[2]["messages"] == ROWS[2]["messages"] and got[2]["instruction"] == ""


def test_parquet_keeps_keys_missing_from_the_first_rows(tmp_path: Path) -> None:
    path = tmp_path / "o.parquet"
    assert write.write_records(path, iter(ROWS)) == len(ROWS)
    got = _values(path)
    assert len(got) == len(ROWS)
    for want, have in zip(ROWS, got, strict=True):
        assert {k: v for k, v in have.items() if v is not None} == want
    import pyarrow.parquet as pq

    assert pq.ParquetFile(path).metadata.num_row_groups == 3  # batches of 2


def test_parquet_type_conflict_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="different types"):
        write.write_records(tmp_path / "o.parquet", [{"a": 1}, {"a": 2}, {"a": "x"}])
    assert list(tmp_path.iterdir()) == []


def test_empty_inputs(tmp_path: Path) -> None:
    for ext in ("jsonl", "json", "csv", "parquet"):
        assert write.write_records(tmp_path / f"e.{ext}", []) == 0
        assert _values(tmp_path / f"e.{ext}") == []


@pytest.mark.parametrize("ext", ["jsonl", "json", "csv", "parquet"])
def test_failure_midway_leaves_the_target_untouched(tmp_path: Path, ext: str) -> None:
    target = tmp_path / f"out.{ext}"
    target.write_bytes(b"original")

    def records() -> Iterator[dict[str, Any]]:
        yield from ROWS
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        write.write_records(target, records())
    assert target.read_bytes() == b"original"
    assert list(tmp_path.iterdir()) == [target]


def test_atomic_open_binary_and_unknown_extension(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "blob.bin"
    with write.atomic_open(target, "wb") as fh:
        fh.write(b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    with pytest.raises(UsageError, match="cannot write"):
        write.write_records(tmp_path / "o.xlsx", ROWS)


# --- issue 12: one writer for every output ---------------------------------------------------


def test_outputs_rename_together_or_not_at_all(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text("old a\n")
    b.write_text("old b\n")
    with pytest.raises(RuntimeError), write.Outputs() as outputs:
        write.write_records(a, ROWS, outputs=outputs)
        assert a.read_text() == "old a\n"  # staged, not yet in place
        write.write_records(b, ROWS, outputs=outputs)
        raise RuntimeError("a failure after both are written, before the commit")
    assert a.read_text() == "old a\n" and b.read_text() == "old b\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl", "b.jsonl"]
    with write.Outputs() as outputs:
        write.write_records(a, ROWS, outputs=outputs)
        write.write_records(b, ROWS[:1], outputs=outputs, flag="--rejects")
        outputs.commit()
    assert len(a.read_text().splitlines()) == len(ROWS) and len(b.read_text().splitlines()) == 1


def test_a_file_that_was_read_is_never_a_target(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    write.write_records(source, ROWS)
    _values(source)  # read: remembered by (device, inode)
    alias = tmp_path / "alias.jsonl"
    os.link(source, alias)
    with pytest.raises(UsageError, match="is an input file"):
        write.write_records(alias, ROWS)
    alias.unlink()
    source.unlink()  # gone: its inode number may go to a new file, which is no input
    fresh = tmp_path / "fresh.jsonl"
    write.write_records(fresh, ROWS)
    write.write_records(fresh, ROWS)


@pytest.mark.parametrize("mask", [0o022, 0o077])
def test_staged_files_get_the_umask_permissions(tmp_path: Path, mask: int) -> None:
    previous = os.umask(mask)
    try:
        for ext in ("jsonl", "csv", "parquet"):
            write.write_records(tmp_path / f"o.{ext}", ROWS)
    finally:
        os.umask(previous)
    for path in tmp_path.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_json_text_is_always_valid_utf8_json() -> None:
    doc = {"k\ud800": [float("nan"), float("inf"), "é"], "n": 1.5}
    text = write.json_text(doc)
    text.encode("utf-8")
    assert json.loads(text) == {"k\ud800": [None, None, "é"], "n": 1.5}
