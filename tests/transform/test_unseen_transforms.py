"""QA as a new user: bad paths, tiny splits, role spellings, target files platforms load."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from sftprep.check import check
from sftprep.cli.main import main
from sftprep.errors import UsageError
from sftprep.transform.convert import convert
from sftprep.transform.fix import fix
from sftprep.transform.new import new_dataset
from sftprep.transform.split import split


def _jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def _read(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


QA = [{"question": f"Question {i}?", "cot_answer": f"Answer {i}."} for i in range(3)]


def _chat(user: str, assistant: str, **extra: Any) -> dict[str, Any]:
    turns = [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    return {"messages": turns, **extra}


# --- the input is never overwritten, and bad destinations are one line, exit 2 ---------


def test_fix_refuses_rejects_that_would_overwrite_the_input(tmp_path: Path) -> None:
    source = _jsonl(tmp_path / "in.jsonl", QA)
    before = _sha(source)
    with pytest.raises(UsageError, match=r"--rejects .* is the input file"):
        fix(source, tmp_path / "out.jsonl", rejects=source)
    assert _sha(source) == before and not (tmp_path / "out.jsonl").exists()


def test_convert_refuses_rejects_that_would_overwrite_the_input(tmp_path: Path) -> None:
    source = _jsonl(tmp_path / "in.jsonl", QA)
    before = _sha(source)
    with pytest.raises(UsageError, match=r"--rejects .* is the input file"):
        convert(source, tmp_path / "out.jsonl", to="messages", rejects=source)
    assert _sha(source) == before


@pytest.mark.parametrize(
    "argv",
    [
        ["fix", "{src}", "-o", "{file}/out.jsonl", "--rejects", "{tmp}/r.jsonl"],
        ["fix", "{src}", "-o", "{tmp}/out.jsonl", "--rejects", "{src}"],
        ["fix", "{src}", "-o", "{tmp}", "--rejects", "{tmp}/r.jsonl"],
        ["convert", "{src}", "-o", "{file}/out.jsonl", "--to", "messages"],
        ["split", "{src}", "-o", "{file}", "--val-fraction", "0.3", "--seed", "1"],
        ["split", "{src}", "-o", "{tmp}/d", "--val-fraction", "1.5", "--seed", "1"],
        ["split", "{src}", "-o", "{tmp}/d", "--val-fraction", "0.3", "--seed", "1",
         "--stratify", "x"],
        ["new", "--task", "qa", "-o", "{file}/new.jsonl"],
        ["fix", "{src}", "-o", "{tmp}/o.jsonl", "--rejects", "{tmp}/r.jsonl", "--max-tokens", "0",
         "--tokenizer", "cl100k_base"],
    ],
)  # fmt: skip
def test_bad_destinations_are_one_line_exit_2(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    source = _jsonl(tmp_path / "in.jsonl", QA)
    a_file = _jsonl(tmp_path / "a_file.jsonl", QA)
    before = _sha(source)
    args = [a.format(src=source, file=a_file, tmp=tmp_path) for a in argv]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("sftprep: error: ")
    assert "unexpected error" not in err and "Traceback" not in err
    assert _sha(source) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file.jsonl", "in.jsonl"]


def test_split_refuses_a_directory_where_a_split_file_is_the_input(tmp_path: Path) -> None:
    source = _jsonl(tmp_path / "train.jsonl", QA)
    before = _sha(source)
    with pytest.raises(UsageError, match="would replace the input"):
        split(source, tmp_path, val_fraction=0.3, seed=1)
    assert _sha(source) == before


# --- split: tiny datasets keep a train split; --stratify names a real field ------------


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


def test_split_two_records_gives_one_to_train(tmp_path: Path) -> None:
    source = _jsonl(tmp_path / "in.jsonl", QA[:2])
    summary = split(source, tmp_path / "s", val_fraction=0.34, test_fraction=0.34, seed=1)
    assert summary.counts == {"train": 1, "validation": 1, "test": 0}


def test_stratify_on_a_field_no_record_has_is_refused(tmp_path: Path) -> None:
    source = _jsonl(tmp_path / "in.jsonl", QA)
    with pytest.raises(UsageError, match="no record has a top-level `label`"):
        split(source, tmp_path / "s", val_fraction=0.3, seed=1, stratify="label")
    assert not (tmp_path / "s").exists()


# --- fix: more role spellings; duplicate reasons name the record -----------------------


def test_fix_maps_chatgpt_and_friends_to_the_format_roles(tmp_path: Path) -> None:
    rows = [
        {"messages": [{"role": "human", "content": "Hi"}, {"role": "chatgpt", "content": "Yo"}]},
        {"messages": [{"role": "prompter", "content": "A"}, {"role": "AI", "content": "B"}]},
    ]
    source = _jsonl(tmp_path / "in.jsonl", rows)
    out, rejects = tmp_path / "out.jsonl", tmp_path / "r.jsonl"
    summary = fix(source, out, rejects=rejects)
    assert summary.rejected == 0 and summary.repaired["roles"] == 2
    assert [[m["role"] for m in r["messages"]] for r in _read(out)] == [["user", "assistant"]] * 2
    sharegpt = [{"conversations": [{"from": "user", "value": "Q"}, {"from": "Bard", "value": "A"}]}]
    out2 = tmp_path / "sg.jsonl"
    fix(_jsonl(tmp_path / "sg_in.jsonl", sharegpt), out2, rejects=tmp_path / "r2.jsonl")
    assert [t["from"] for t in _read(out2)[0]["conversations"]] == ["human", "gpt"]


def test_fix_duplicate_reason_names_the_first_record(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist([QA[0], QA[1], QA[0]]), source)
    rejects = tmp_path / "r.jsonl"
    summary = fix(source, tmp_path / "out.jsonl", rejects=rejects)
    assert summary.records_in == 3 and summary.records_out == 2 and summary.rejected == 1
    (entry,) = _read(rejects)
    assert entry["record"] == QA[0] and entry["index"] == 2 and entry["line"] is None
    assert entry["rules"] == ["duplicate"]
    assert entry["reasons"] == ["exact duplicate of record 0"]


# --- targets: files the platform loads ---------------------------------------------------


def test_aidaptiv_from_alpaca_writes_the_question_under_question(tmp_path: Path) -> None:
    rows = [
        {"instruction": "Translate to French.", "input": "Good morning", "output": "Bonjour"},
        {"instruction": "Name a colour.", "input": "", "output": "Blue."},
    ]
    source = tmp_path / "alpaca.json"
    source.write_text(json.dumps(rows), "utf-8")
    out = tmp_path / "qa.jsonl"
    summary = convert(source, out, target="aidaptiv")
    assert summary.records_out == 2 and summary.rejected == 0
    config = yaml.safe_load(out.with_suffix(".yaml").read_text("utf-8"))
    assert config["question_key"] == "question" and config["answer_key"] == "cot_answer"
    assert _read(out) == [
        {"question": "Translate to French.\n\nGood morning", "cot_answer": "Bonjour"},
        {"question": "Name a colour.", "cot_answer": "Blue."},
    ]
    assert check(config=out.with_suffix(".yaml")).summary["errors"] == 0


def test_aidaptiv_rejects_a_record_whose_question_key_differs(tmp_path: Path) -> None:
    rows = [
        {"question": "Short?", "instruction": "<DOCUMENT>d</DOCUMENT>\nShort?", "cot_answer": "A"},
        {"question": "Plain?", "cot_answer": "B"},
    ]
    out = tmp_path / "qa.jsonl"
    summary = convert(_jsonl(tmp_path / "raft.jsonl", rows), out, target="aidaptiv")
    assert (summary.records_out, summary.rejected) == (1, 1)
    assert yaml.safe_load(out.with_suffix(".yaml").read_text())["question_key"] == "instruction"
    (entry,) = _read(tmp_path / "qa.rejects.jsonl")
    assert entry["record"] == rows[1] and entry["rules"] == ["lossy-conversion"]
    assert "one question_key per dataset YAML" in entry["reasons"][0]


def test_llama_factory_dataset_info_names_only_columns_the_file_has(tmp_path: Path) -> None:
    plain = [{"conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]}]
    tools = json.dumps([{"name": "f", "description": "d", "parameters": {"type": "object"}}])
    with_tools = [{**plain[0], "tools": tools, "system": "Be brief."}]
    out_dir = tmp_path / "data"
    convert(_jsonl(tmp_path / "a.jsonl", plain), out_dir / "plain.jsonl", target="llama-factory")
    convert(
        _jsonl(tmp_path / "b.jsonl", with_tools), out_dir / "tools.jsonl", target="llama-factory"
    )
    info = json.loads((out_dir / "dataset_info.json").read_text("utf-8"))
    assert info["plain"]["columns"] == {"messages": "conversations"}
    assert info["tools"]["columns"] == {
        "messages": "conversations",
        "system": "system",
        "tools": "tools",
    }
    alpaca = [{"instruction": "Say hi.", "output": "Hi."}]
    convert(
        _jsonl(tmp_path / "c.jsonl", alpaca),
        out_dir / "alp.csv",
        target="llama-factory",
        to="alpaca",
    )
    info = json.loads((out_dir / "dataset_info.json").read_text("utf-8"))
    assert info["alp"] == {
        "file_name": "alp.csv",
        "columns": {"prompt": "instruction", "response": "output"},
    }


def test_openai_output_is_canonical_even_from_messages(tmp_path: Path) -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    row = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "value": "Hi"}]},
            {"role": "assistant", "content": [{"type": "text", "value": "Hello"}]},
        ],
        "tools": json.dumps(tools),
    }
    out = tmp_path / "openai.jsonl"
    summary = convert(_jsonl(tmp_path / "lf.jsonl", [row]), out, target="openai")
    assert summary.records_out == 1
    assert _read(out) == [
        {
            "messages": [
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello"},
            ],
            "tools": tools,
        }
    ]


def test_openai_rejects_empty_assistant_content(tmp_path: Path) -> None:
    rows = [_chat("Q", ""), _chat("Q2", "A2")]
    out = tmp_path / "openai.jsonl"
    summary = convert(_jsonl(tmp_path / "in.jsonl", rows), out, target="openai")
    assert (summary.records_out, summary.rejected) == (1, 1)
    (entry,) = _read(tmp_path / "openai.rejects.jsonl")
    assert entry["record"] == rows[0] and entry["rules"] == ["target-openai"]
    assert "missing_content" in entry["reasons"][0]


@pytest.mark.parametrize(
    ("target", "name"),
    [("openai", "x.csv"), ("openai", "x.parquet"), ("mistral", "x.json"), ("aidaptiv", "x.csv")],
)
def test_targets_refuse_file_types_the_platform_cannot_load(
    tmp_path: Path, target: str, name: str
) -> None:
    source = _jsonl(tmp_path / "in.jsonl", [_chat("Q", "A")])
    with pytest.raises(UsageError, match=r"loads .* files"):
        convert(source, tmp_path / name, target=target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_new_refuses_an_output_below_a_file(tmp_path: Path) -> None:
    blocker = _jsonl(tmp_path / "f.jsonl", QA)
    with pytest.raises(UsageError, match="is a file, not a directory"):
        new_dataset("qa", blocker / "x.jsonl")
