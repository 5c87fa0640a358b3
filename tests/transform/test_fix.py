"""`fix`: explained repairs; in == out + rejected; input untouched; output has no errors."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from sftprep.check import check
from sftprep.cli.main import main
from sftprep.errors import UsageError
from sftprep.transform.fix import fix

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
REAL_FILES = sorted(p for p in REAL.iterdir() if p.suffix in (".json", ".jsonl", ".csv"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def count_records(path: Path) -> int:
    """Records in a file, counted without sftprep (the independent side of the invariant)."""
    if path.suffix == ".jsonl":
        return sum(1 for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip())
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return sum(1 for _ in csv.DictReader(fh))
    if path.stat().st_size == 0:
        return 0
    data = json.loads(path.read_text(encoding="utf-8-sig"))
    return len(data) if isinstance(data, list) else 1


def read_jsonl(path: Path) -> list[Any]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.stem)
def test_fix_on_real_data_reconciles_and_leaves_no_errors(tmp_path: Path, path: Path) -> None:
    before = sha256(path)
    out = tmp_path / f"fixed{path.suffix}"
    rejects = tmp_path / "rejects.jsonl"
    summary = fix(path, out, rejects=rejects)
    assert sha256(path) == before  # the input is never modified
    records_in = count_records(path)
    kept, dropped = count_records(out), len(read_jsonl(rejects))
    assert records_in == summary.records_in == kept + dropped
    assert (summary.records_out, summary.rejected) == (kept, dropped)
    report = check(out, format=summary.format)
    errors = [f.to_dict() for f in report.findings if f.severity.value == "error"]
    assert errors == []


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_repairs_are_counted_and_rejects_keep_the_raw_record(tmp_path: Path) -> None:
    good = {
        "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    }
    human = {
        "messages": [
            {"role": "Human", "content": "  Caf\u00c3\u00a9?  "},
            {"role": "GPT", "content": "Yes."},
        ]
    }
    empty = {
        "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "   "}]
    }
    source = _write(
        tmp_path / "in.jsonl",
        [
            json.dumps(good),
            json.dumps(human),
            json.dumps(good),
            json.dumps(empty),
            '{"messages": [',
        ],
    )
    out, rejects = tmp_path / "out.jsonl", tmp_path / "rejects.jsonl"
    summary = fix(source, out, rejects=rejects)
    kept = read_jsonl(out)
    assert kept[1] == {
        "messages": [{"role": "user", "content": "Café?"}, {"role": "assistant", "content": "Yes."}]
    }
    assert summary.repaired == {"roles": 1, "repair-encoding": 1, "strip": 1}
    assert (summary.records_in, summary.records_out, summary.rejected) == (5, 2, 3)
    rejected = {r["line"]: r for r in read_jsonl(rejects)}
    assert rejected[3]["rules"] == ["duplicate"] and rejected[3]["record"] == good
    assert "empty-text" in rejected[4]["rules"] and rejected[4]["record"] == empty
    assert rejected[5]["rules"] == ["json-syntax"] and rejected[5]["record"] == '{"messages": ['
    for entry in rejected.values():
        assert entry["path"] == str(source) and entry["reasons"]
        assert set(entry) == {"record", "path", "line", "index", "rules", "reasons"}


def test_selected_repairs_only(tmp_path: Path) -> None:
    record = {"instruction": "  Say hi  ", "input": "", "output": "Hi"}
    source = _write(tmp_path / "in.jsonl", [json.dumps(record), json.dumps(record)])
    out, rejects = tmp_path / "out.jsonl", tmp_path / "r.jsonl"
    summary = fix(source, out, rejects=rejects, strip=True)
    assert [r["instruction"] for r in read_jsonl(out)] == ["Say hi", "Say hi"]
    assert summary.repaired["strip"] == 2 and summary.rejected == 0


def test_code_indentation_survives_strip(tmp_path: Path) -> None:
    code = "    def f():\n        return 1\n"
    record = {"instruction": "Indent this", "input": "", "output": code}
    source = _write(tmp_path / "in.jsonl", [json.dumps(record)])
    fix(source, tmp_path / "out.jsonl", rejects=tmp_path / "r.jsonl", strip=True)
    assert read_jsonl(tmp_path / "out.jsonl")[0]["output"] == code.rstrip()


def test_max_tokens_drops_long_records(tmp_path: Path) -> None:
    short = {"instruction": "Say hi", "input": "", "output": "Hi"}
    long = {"instruction": "Repeat", "input": "", "output": "word " * 400}
    source = _write(tmp_path / "in.jsonl", [json.dumps(short), json.dumps(long)])
    out, rejects = tmp_path / "out.jsonl", tmp_path / "r.jsonl"
    summary = fix(source, out, rejects=rejects, max_tokens=100, tokenizer="cl100k_base")
    assert summary.dropped["max-tokens"] == 1
    assert read_jsonl(rejects)[0]["rules"] == ["too-long"]
    with pytest.raises(UsageError, match="--tokenizer"):
        fix(source, out, rejects=rejects, max_tokens=100)


def test_fix_never_overwrites_its_input(tmp_path: Path) -> None:
    source = _write(tmp_path / "in.jsonl", ['{"prompt": "a", "completion": "b"}'])
    with pytest.raises(UsageError, match="never modified"):
        fix(source, source, rejects=tmp_path / "r.jsonl")


def test_cli_fix_json_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = REAL / "llamafactory__alpaca_en_demo.json"
    out, rejects = tmp_path / "out.json", tmp_path / "rejects.jsonl"
    code = main(["fix", str(path), "-o", str(out), "--rejects", str(rejects), "--dedupe", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["records_in"] == 999
    assert summary["dropped"]["duplicate"] == 14  # SOURCES.md: 14 exact duplicates
    assert summary["records_in"] == summary["records_out"] + summary["rejected"]


def test_strip_keeps_the_prompt_completion_boundary(tmp_path: Path) -> None:
    # Legacy OpenAI completions start with a space and prompts end with a separator:
    # the text is concatenated as is, so that whitespace is part of the format. The `id`
    # is metadata, not read: it is written back as it was.
    record = {
        "prompt": "Topic of: stocks rally\n\n###\n\n",
        "completion": " business\n",
        "id": " 7 ",
    }
    source = _write(tmp_path / "in.jsonl", [json.dumps(record)])
    fix(source, tmp_path / "out.jsonl", rejects=tmp_path / "r.jsonl", strip=True)
    assert read_jsonl(tmp_path / "out.jsonl") == [record]


def test_undecodable_line_is_counted_once(tmp_path: Path) -> None:
    # The reader reports invalid-utf8 and still yields the line (with U+FFFD):
    # one record, not a lost one plus a parsed one.
    source = tmp_path / "u8.jsonl"
    source.write_bytes(
        b'{"question": "caf\xe9?", "cot_answer": "x"}\n'
        b'{"question": "ok?", "cot_answer": "y"}\n'
        b'{"question": broken\n'
    )
    summary = fix(source, tmp_path / "out.jsonl", rejects=tmp_path / "rej.jsonl")
    assert (summary.records_in, summary.records_out, summary.rejected) == (3, 2, 1)


def test_truncation_between_records_loses_no_record(tmp_path: Path) -> None:
    # A file cut after its last complete record: the json-syntax finding is about the
    # file (no record index), so nothing counts as rejected.
    source = tmp_path / "cut.json"
    source.write_text('[{"question": "a", "cot_answer": "b"}')
    summary = fix(source, tmp_path / "out.jsonl", rejects=tmp_path / "rej.jsonl")
    assert (summary.records_in, summary.records_out, summary.rejected) == (1, 1, 0)


def _jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


QA = [{"question": f"Question {i}?", "cot_answer": f"Answer {i}."} for i in range(3)]


@pytest.mark.unseen
def test_fix_refuses_rejects_that_would_overwrite_the_input(tmp_path: Path) -> None:
    source = _jsonl(tmp_path / "in.jsonl", QA)
    before = _sha(source)
    with pytest.raises(UsageError, match=r"--rejects .* is the input file"):
        fix(source, tmp_path / "out.jsonl", rejects=source)
    assert _sha(source) == before and not (tmp_path / "out.jsonl").exists()


@pytest.mark.unseen
def test_fix_maps_chatgpt_and_friends_to_the_format_roles(tmp_path: Path) -> None:
    rows = [
        {"messages": [{"role": "human", "content": "Hi"}, {"role": "chatgpt", "content": "Yo"}]},
        {"messages": [{"role": "prompter", "content": "A"}, {"role": "AI", "content": "B"}]},
    ]
    source = _jsonl(tmp_path / "in.jsonl", rows)
    out, rejects = tmp_path / "out.jsonl", tmp_path / "r.jsonl"
    summary = fix(source, out, rejects=rejects)
    assert summary.rejected == 0 and summary.repaired["roles"] == 2
    assert [[m["role"] for m in r["messages"]] for r in read_jsonl(out)] == [
        ["user", "assistant"]
    ] * 2
    sharegpt = [{"conversations": [{"from": "user", "value": "Q"}, {"from": "Bard", "value": "A"}]}]
    out2 = tmp_path / "sg.jsonl"
    fix(_jsonl(tmp_path / "sg_in.jsonl", sharegpt), out2, rejects=tmp_path / "r2.jsonl")
    assert [t["from"] for t in read_jsonl(out2)[0]["conversations"]] == ["human", "gpt"]


@pytest.mark.unseen
def test_fix_duplicate_reason_names_the_first_record(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist([QA[0], QA[1], QA[0]]), source)
    rejects = tmp_path / "r.jsonl"
    summary = fix(source, tmp_path / "out.jsonl", rejects=rejects)
    assert summary.records_in == 3 and summary.records_out == 2 and summary.rejected == 1
    (entry,) = read_jsonl(rejects)
    assert entry["record"] == QA[0] and entry["index"] == 2 and entry["line"] is None
    assert entry["rules"] == ["duplicate"]
    assert entry["reasons"] == ["exact duplicate of record 0"]
