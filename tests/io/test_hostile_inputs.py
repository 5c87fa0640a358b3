"""Hostile inputs: each gives findings or a clean exit 2, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sftprep.cli.main import main
from sftprep.findings import Finding
from sftprep.io import RawRecord, read
from sftprep.io.write import atomic_open, write_records

GOOD = {"question": "What is 2+2?", "cot_answer": "4"}


def _items(path: Path) -> list[RawRecord | Finding]:
    return list(read(path))


def _findings(path: Path) -> list[tuple[str, int | None]]:
    return [(i.rule, i.location.line) for i in _items(path) if isinstance(i, Finding)]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_empty_file_has_no_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, content in [("e.jsonl", b""), ("e.json", b""), ("e.csv", b""),
                          ("b.jsonl", b"\n \n\r\n"), ("a.json", b"[ ]"),
                          ("w.json", b'{"data": []}')]:  # fmt: skip
        path = tmp_path / name
        path.write_bytes(content)
        assert _items(path) == []
        code, out, err = _run(capsys, str(path), "--json")
        assert code == 0 and err == ""
        assert _run(capsys, str(path), "--fail-on", "warning")[0] == 1
        doc = json.loads(out)
        assert doc["summary"]["by_rule"] == {"empty-dataset": 1}
        assert doc["findings"][0] | {"path": None} == {
            "rule": "empty-dataset", "severity": "warning", "path": None, "line": None,
            "record": None, "field": None, "message": "the file holds no records",
            "hint": "check the export or the path: this file holds no records", "excerpt": "",
        }  # fmt: skip


def test_file_of_syntax_errors_is_not_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"a": 1\n{oops}\n')
    code, out, _ = _run(capsys, str(path), "--json")
    doc = json.loads(out)
    assert code == 1 and doc["summary"]["records"] == 2
    assert doc["summary"]["by_rule"] == {"json-syntax": 2}


def test_binary_garbage_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "g.jsonl"
    path.write_bytes(bytes(range(256)) * 40)
    code, _, err = _run(capsys, str(path))
    assert code == 2
    assert err.startswith("sftprep: error:") and "not a text file" in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_truncated_array_keeps_complete_records(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text('[\n  {"question": "a", "cot_answer": "b"},\n  {"question": "c", "cot_a')
    items = _items(path)
    assert [i.value for i in items if isinstance(i, RawRecord)] == [
        {"question": "a", "cot_answer": "b"}
    ]
    assert _findings(path) == [("json-syntax", 3)]


def test_fifty_megabyte_line(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    big = {"question": "q", "cot_answer": "x" * 50_000_000}
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(big) + "\n")
    items = _items(path)
    assert len(items) == 2 and len(items[1].value["cot_answer"]) == 50_000_000  # type: ignore[union-attr]


def test_deep_nesting_is_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + "[" * 10_000 + "]" * 10_000 + "\n")
    assert _findings(path) == [("json-syntax", 2)]
    assert len([i for i in _items(path) if isinstance(i, RawRecord)]) == 1


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(
        json.dumps(GOOD).encode() + b"\n" + b'{"question": "caf\xe9", "cot_answer": "x"}\n'
    )
    assert _findings(path) == [("invalid-utf8", 2)]
    record = [i for i in _items(path) if isinstance(i, RawRecord)][1]
    assert record.value["question"] == "caf\ufffd"


def test_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + (json.dumps(GOOD) + "\r\n").encode() * 2)
    assert [i.value for i in _items(path)] == [GOOD, GOOD]  # type: ignore[union-attr]
    arr = tmp_path / "bom.json"
    arr.write_bytes(b"\xef\xbb\xbf[\r\n" + json.dumps(GOOD).encode() + b"\r\n]\r\n")
    assert [(i.value, i.location.line) for i in _items(arr)] == [(GOOD, 2)]  # type: ignore[union-attr]


def test_mixed_formats_across_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mixed.jsonl"
    rows = [GOOD] * 5 + [{"instruction": "i", "output": "o"}, {"messages": []}, "text", 3]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, out, _ = _run(capsys, "--json", str(path))
    doc = json.loads(out)
    assert code == 1
    assert doc["files"][0]["format"] == "qa"
    got = [(f["rule"], f["line"]) for f in doc["findings"] if f["rule"] != "unknown-key"]
    assert ("not-an-object", 8) in got and ("not-an-object", 9) in got
    # records of another format are named as such, not drowned in missing keys
    assert ("mixed-format", 6) in got and ("mixed-format", 7) in got
    assert not any(rule == "missing-key" for rule, _ in got)


def test_wrong_extension(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jsonl_in_json = tmp_path / "lines.json"
    jsonl_in_json.write_text(json.dumps(GOOD) + "\n" + json.dumps(GOOD) + "\n")
    assert [(i.value, i.location.line) for i in _items(jsonl_in_json)] == [(GOOD, 1), (GOOD, 2)]  # type: ignore[union-attr]
    csv_in_json = tmp_path / "table.json"
    csv_in_json.write_text("question,cot_answer\nq,a\n")
    assert [r for r, _ in _findings(csv_in_json)] == ["json-syntax", "json-syntax"]
    unknown = tmp_path / "data.xlsx"
    unknown.write_text("x")
    code, _, err = _run(capsys, str(unknown))
    assert code == 2 and "unknown extension '.xlsx'" in err


def test_directory_and_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, str(tmp_path))  # a directory is read as one dataset
    assert code == 2 and "a directory without dataset files" in err
    code, _, err = _run(capsys, str(tmp_path / "nope.jsonl"))
    assert code == 2 and "no such file" in err


def test_cli_subprocess_never_prints_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_bytes(b"\x00\x01\x02" * 100)
    out = subprocess.run(
        [sys.executable, "-m", "sftprep", "check", str(path)], capture_output=True, text=True
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr


def test_json_shapes_and_start_lines(tmp_path: Path) -> None:
    wrapped = tmp_path / "w.json"
    wrapped.write_text('{"data": [\n  {"a": 1},\n  {"a": "x,]}"},\n  {"a": [1, 2]}\n]}\n')
    assert [(i.value, i.location.line) for i in _items(wrapped)] == [  # type: ignore[union-attr]
        ({"a": 1}, 2),
        ({"a": "x,]}"}, 3),
        ({"a": [1, 2]}, 4),
    ]
    single = tmp_path / "s.json"
    single.write_text('\n\n{"messages": [\n {"role": "user", "content": "hi"}]}\n')
    assert [i.location.line for i in _items(single)] == [3]
    late = tmp_path / "late.json"
    late.write_text('{"version": 2, "rows": [{"a": 1}, {"a": 2}]}')
    assert [i.value for i in _items(late)] == [{"a": 1}, {"a": 2}]  # type: ignore[union-attr]
    escaped = tmp_path / "e.json"
    escaped.write_text('[{"a": "quote \\" and backslash \\\\"},\n{"b": "[{"}]')
    assert [i.location.line for i in _items(escaped)] == [1, 2]


def test_csv_multiline_mixed_newlines_and_json_cells(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(
        b'instruction,output,messages\r\n"multi\nline",o1,"[{""role"": ""user""}]"\n'
        b'i2,"two\r\nlines",\r\ni3,o3,x,extra\n'
    )
    items = _items(path)
    records = [i for i in items if isinstance(i, RawRecord)]
    assert [r.location.line for r in records] == [2, 4, 6]
    assert records[0].value["messages"] == [{"role": "user"}]
    assert records[1].value["output"] == "two\r\nlines"
    assert [(f.rule, f.location.line) for f in items if isinstance(f, Finding)] == [
        ("csv-shape", 6)
    ]


def test_parquet_nested_and_saved_hf_dataset(tmp_path: Path) -> None:
    rows = [
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]},
        {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]},
    ]
    assert write_records(tmp_path / "m.parquet", rows) == 2
    assert [i.value for i in _items(tmp_path / "m.parquet")] == rows  # type: ignore[union-attr]
    datasets = pytest.importorskip("datasets")
    datasets.Dataset.from_list(rows).save_to_disk(str(tmp_path / "saved"))
    items = _items(tmp_path / "saved")
    assert [i.value for i in items] == rows  # type: ignore[union-attr]
    assert [i.location.record for i in items] == [0, 1]


def test_atomic_write_leaves_target_untouched_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("original\n")

    def records() -> object:
        yield {"a": 1}
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_records(target, records())  # type: ignore[arg-type]
    assert target.read_text() == "original\n"
    assert list(tmp_path.iterdir()) == [target]
    with atomic_open(target) as fh:
        fh.write("new\n")
    assert target.read_text() == "new\n"
