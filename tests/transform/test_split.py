"""`split`: deterministic for a seed, disjoint, complete, and no prompt leaks across splits."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sftprep.cli.main import main
from sftprep.errors import UsageError
from sftprep.formats.keys import normalise_prompt
from sftprep.transform.split import split

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
MLX = REAL / "mlx-examples__wwdc25_train.jsonl"  # 1800 rows, 271 distinct prompts
FASTCHAT = REAL / "fastchat__dummy_conversation.json"  # 500 rows, 52 distinct first prompts


def canon(record: Any) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False)


def read_records(path: Path) -> list[Any]:
    from sftprep.io import RawRecord, read

    return [item.value for item in read(path) if isinstance(item, RawRecord)]


def splits_of(out: Path, ext: str = ".jsonl") -> dict[str, list[Any]]:
    return {
        name: read_records(out / f"{name}{ext}")
        for name in ("train", "validation", "test")
        if (out / f"{name}{ext}").exists()
    }


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_normalise_prompt_collapses_case_space_and_punctuation() -> None:
    assert normalise_prompt("What  is UP?!") == normalise_prompt("what is up")
    assert normalise_prompt("Ça va, Zoë?") == "ça va zoë"


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    for run in ("a", "b"):
        split(MLX, tmp_path / run, val_fraction=0.1, test_fraction=0.1, seed=7)
    for name in ("train", "validation", "test"):
        first = (tmp_path / "a" / f"{name}.jsonl").read_bytes()
        assert first == (tmp_path / "b" / f"{name}.jsonl").read_bytes(), name


def test_splits_are_disjoint_complete_and_keep_prompts_together(tmp_path: Path) -> None:
    summary = split(MLX, tmp_path, val_fraction=0.1, test_fraction=0.1, seed=3)
    parts = splits_of(tmp_path)
    source = read_records(MLX)
    # Union equals the input (as a multiset), and the counts reconcile.
    assert Counter(canon(r) for recs in parts.values() for r in recs) == Counter(
        canon(r) for r in source
    )
    assert sum(summary.counts.values()) == summary.records == len(source) == 1800
    # Every normalised prompt (hence every exact duplicate) lives in exactly one split.
    home: dict[str, set[str]] = {}
    for name, records in parts.items():
        for record in records:
            home.setdefault(normalise_prompt(record["prompt"]), set()).add(name)
    assert all(len(names) == 1 for names in home.values())
    # Shares are close to what was asked for, even though groups are dealt whole.
    assert abs(summary.counts["validation"] - 180) <= 36
    assert abs(summary.counts["test"] - 180) <= 36


def test_seed_changes_the_assignment(tmp_path: Path) -> None:
    split(MLX, tmp_path / "a", val_fraction=0.2, seed=1)
    split(MLX, tmp_path / "b", val_fraction=0.2, seed=2)
    assert (tmp_path / "a" / "validation.jsonl").read_bytes() != (
        tmp_path / "b" / "validation.jsonl"
    ).read_bytes()
    assert not (tmp_path / "a" / "test.jsonl").exists()


def test_near_identical_prompts_stay_in_one_split(tmp_path: Path) -> None:
    variants = ["What is up?", "what is up", "WHAT IS UP!!!", "  What, is up  "]
    records = [{"prompt": v, "completion": str(i)} for i, v in enumerate(variants)]
    records += [{"prompt": f"Question number {i}", "completion": "x"} for i in range(40)]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    for seed in range(10):
        split(source, tmp_path / str(seed), val_fraction=0.3, seed=seed)
        parts = splits_of(tmp_path / str(seed))
        holders = [n for n, recs in parts.items() if any(r["prompt"] in variants for r in recs)]
        assert len(holders) == 1, (seed, holders)
        assert sum(len(r) for r in parts.values()) == len(records)


def test_split_is_independent_of_input_order(tmp_path: Path) -> None:
    records = [{"prompt": f"p{i % 30}", "completion": str(i)} for i in range(90)]
    forward = write_jsonl(tmp_path / "f.jsonl", records)
    backward = write_jsonl(tmp_path / "b.jsonl", records[::-1])
    split(forward, tmp_path / "F", val_fraction=0.2, seed=5)
    split(backward, tmp_path / "B", val_fraction=0.2, seed=5)
    for name in ("train", "validation"):
        a = Counter(canon(r) for r in read_records(tmp_path / "F" / f"{name}.jsonl"))
        b = Counter(canon(r) for r in read_records(tmp_path / "B" / f"{name}.jsonl"))
        assert a == b


def test_stratify_keeps_each_label_in_each_split(tmp_path: Path) -> None:
    records = [
        {"prompt": f"text {i}", "completion": label, "label": label}
        for i, label in enumerate(["spam"] * 30 + ["ham"] * 70)
    ]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    summary = split(source, tmp_path / "out", val_fraction=0.2, seed=11, stratify="label")
    assert summary.strata == {
        "ham": {"train": 56, "validation": 14},
        "spam": {"train": 24, "validation": 6},
    }


def test_json_array_input_keeps_its_extension(tmp_path: Path) -> None:
    summary = split(FASTCHAT, tmp_path, val_fraction=0.1, seed=0)
    parts = splits_of(tmp_path, ".json")
    assert sum(len(r) for r in parts.values()) == summary.records == 500
    first_prompts: dict[str, set[str]] = {}
    for name, records in parts.items():
        for record in records:
            prompt = normalise_prompt(record["conversations"][0]["value"])
            first_prompts.setdefault(prompt, set()).add(name)
    assert all(len(v) == 1 for v in first_prompts.values())


def test_unparseable_records_stop_the_split(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"prompt": "a", "completion": "b"}\n{"prompt": \n', encoding="utf-8")
    with pytest.raises(UsageError, match="sftprep fix"):
        split(source, tmp_path / "out", val_fraction=0.5, seed=0)
    assert not (tmp_path / "out" / "train.jsonl").exists()


@pytest.mark.parametrize("val, test", [(1.0, 0.0), (-0.1, 0.0), (0.6, 0.5)])
def test_bad_fractions_are_usage_errors(tmp_path: Path, val: float, test: float) -> None:
    with pytest.raises(UsageError):
        split(MLX, tmp_path, val_fraction=val, test_fraction=test, seed=0)


def test_cli_split_prints_json_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["split", str(MLX), "-o", str(tmp_path), "--val-fraction", "0.1", "--seed", "4"]
    code = main([*args, "--json", "--group", "prompts"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    # 271 distinct prompts, fewer once case and punctuation variants are grouped.
    prompts = {normalise_prompt(r["prompt"]) for r in read_records(MLX)}
    assert summary["records"] == 1800 and summary["groups"] == len(prompts) < 271
    assert sum(summary["counts"].values()) == 1800


def _jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


QA = [{"question": f"Question {i}?", "cot_answer": f"Answer {i}."} for i in range(3)]


@pytest.mark.unseen
def test_split_refuses_a_directory_where_a_split_file_is_the_input(tmp_path: Path) -> None:
    source = _jsonl(tmp_path / "train.jsonl", QA)
    before = _sha(source)
    with pytest.raises(UsageError, match="would replace the input"):
        split(source, tmp_path, val_fraction=0.3, seed=1)
    assert _sha(source) == before


@pytest.mark.unseen
@pytest.mark.parametrize("records", [1, 2, 3])
def test_tiny_split_always_keeps_train(tmp_path: Path, records: int) -> None:
    source = _jsonl(tmp_path / "in.jsonl", QA[:records])
    summary = split(source, tmp_path / "s", val_fraction=0.34, test_fraction=0.34, seed=1)
    assert summary.counts["train"] >= 1
    assert sum(summary.counts.values()) == records
    again = split(source, tmp_path / "t", val_fraction=0.34, test_fraction=0.34, seed=1)
    for name in summary.counts:
        first = (tmp_path / "s" / f"{name}.jsonl").read_bytes()
        assert first == (tmp_path / "t" / f"{name}.jsonl").read_bytes()
    assert again.counts == summary.counts


@pytest.mark.unseen
def test_split_two_records_gives_one_to_train(tmp_path: Path) -> None:
    source = _jsonl(tmp_path / "in.jsonl", QA[:2])
    summary = split(source, tmp_path / "s", val_fraction=0.34, test_fraction=0.34, seed=1)
    assert summary.counts == {"train": 1, "validation": 1, "test": 0}


@pytest.mark.unseen
def test_stratify_on_a_field_no_record_has_is_refused(tmp_path: Path) -> None:
    source = _jsonl(tmp_path / "in.jsonl", QA)
    with pytest.raises(UsageError, match="no record has a top-level `label`"):
        split(source, tmp_path / "s", val_fraction=0.3, seed=1, stratify="label")
    assert not (tmp_path / "s").exists()
