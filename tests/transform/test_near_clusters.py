"""`split` keeps near-duplicate clusters on one side; `fix --dedupe near` keeps one per cluster."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from sftprep.errors import UsageError
from sftprep.io import RawRecord, read
from sftprep.transform.fix import fix
from sftprep.transform.split import split

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rules"))
from nearkit import cluster_labels, labelled_set

pytest.importorskip("rensa")

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
REAL_FILES = sorted(p for p in REAL.glob("*") if p.name != "SOURCES.md")


def canon(record: Any) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False)


def records_of(path: Path) -> list[Any]:
    return [item.value for item in read(path) if isinstance(item, RawRecord)]


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def side_of(out: Path, ext: str) -> dict[str, str]:
    sides: dict[str, str] = {}
    for name in ("train", "validation"):
        for record in records_of(out / f"{name}{ext}"):
            sides[canon(record)] = name
    return sides


def straddling(path: Path, out: Path, labels: list[int]) -> list[int]:
    """Clusters (by first record) with members on both sides of the split in ``out``."""
    sides = side_of(out, path.suffix if path.suffix != ".csv" else ".csv")
    records = records_of(path)
    seen: dict[int, set[str]] = {}
    for i, record in enumerate(records):
        seen.setdefault(labels[i], set()).add(sides[canon(record)])
    return [first for first, where in seen.items() if len(where) > 1]


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_split_never_puts_a_cluster_on_both_sides(tmp_path: Path, path: Path) -> None:
    try:
        summary = split(path, tmp_path / "out", val_fraction=0.3, seed=5)
    except UsageError as exc:  # a file with records that do not parse: fix it first
        assert "cannot be parsed" in str(exc)
        return
    labels = cluster_labels(path)
    assert summary.grouping == "prompts and near-duplicates"
    assert summary.near_duplicates == sum(1 for i, first in enumerate(labels) if first != i)
    assert straddling(path, tmp_path / "out", labels) == []


def test_prompt_grouping_alone_lets_near_copies_straddle(tmp_path: Path) -> None:
    records, _ = labelled_set(positives=300, negatives=0, seed=2)
    path = write_jsonl(tmp_path / "pairs.jsonl", records)
    labels = cluster_labels(path)
    split(path, tmp_path / "prompts", val_fraction=0.5, seed=1, group="prompts")
    assert len(straddling(path, tmp_path / "prompts", labels)) > 50
    summary = split(path, tmp_path / "near", val_fraction=0.5, seed=1)
    assert straddling(path, tmp_path / "near", labels) == []
    assert summary.groups < 600 and summary.near_duplicates >= 290


def _chat(user: str, assistant: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": user},
                         {"role": "assistant", "content": assistant}]}  # fmt: skip


def test_fix_dedupe_near_keeps_one_per_cluster_with_cluster_ids(tmp_path: Path) -> None:
    q = "Anna has {} apples and buys {} more at the market on Sunday. How many apples now?"
    a = "Anna starts with {} apples and buys {} more, so she has {} apples now."
    records = [
        _chat(q.format(3, 5), a.format(3, 5, 8)),
        _chat("What is the capital of Peru and what is it known for?", "Lima, known for food."),
        _chat(q.format(7, 1), a.format(7, 1, 8) + " I double-checked the sum twice."),
        _chat(q.format(2, 2), a.format(2, 2, 4)),
    ]
    path = write_jsonl(tmp_path / "d.jsonl", records)
    out, rejects = tmp_path / "out.jsonl", tmp_path / "rejects.jsonl"
    summary = fix(path, out, rejects=rejects, dedupe="near")
    assert (summary.records_in, summary.records_out, summary.rejected) == (4, 2, 2)
    assert summary.dropped["near-duplicate"] == 2
    assert records_of(out) == [records[0], records[1]]
    got = [(r["index"], r["rules"], r["cluster"], r["reasons"]) for r in records_of(rejects)]
    assert got == [
        (2, ["near-duplicate"], 1, ["near-duplicate of record 0 (line 1) (kept), cluster 1"]),
        (3, ["near-duplicate"], 1, ["near-duplicate of record 0 (line 1) (kept), cluster 1"]),
    ]
    longest = fix(path, tmp_path / "o2.jsonl", rejects=tmp_path / "r2.jsonl", dedupe="near",
                  keep="longest")  # fmt: skip
    assert longest.records_out == 2
    assert records_of(tmp_path / "o2.jsonl") == [records[1], records[2]]
    kept = [r["reasons"][0] for r in records_of(tmp_path / "r2.jsonl")]
    assert kept == ["near-duplicate of record 2 (line 3) (kept), cluster 1"] * 2


def test_fix_dedupe_near_from_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sftprep.cli.main import main

    records, _ = labelled_set(positives=20, negatives=20, seed=3)
    path = write_jsonl(tmp_path / "d.jsonl", records)
    code = main(["fix", str(path), "-o", str(tmp_path / "o.jsonl"), "--rejects",
                 str(tmp_path / "r.jsonl"), "--dedupe", "near", "--json"])  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["records_in"] == doc["records_out"] + doc["rejected"] == 80
    assert doc["dropped"]["near-duplicate"] >= 19
    assert all("cluster" in r for r in records_of(tmp_path / "r.jsonl"))
