"""Reader edge cases: exact lines of encoding and syntax problems, trailing data,
binary files told apart, CSV text columns, Hub-id detection, single Arrow files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from sftprep.errors import UsageError
from sftprep.findings import Finding
from sftprep.io import RawRecord, _looks_like_hub_id, read
from sftprep.io.jsonl import read_jsonl

GOOD = {"question": "What is 2+2?", "cot_answer": "4"}


def _split(path: Path) -> tuple[list[tuple[Any, int | None]], list[tuple[str, int | None, Any]]]:
    """(records as (value, line)), (findings as (rule, line, record))."""
    items = list(read(path))
    records = [(i.value, i.location.line) for i in items if isinstance(i, RawRecord)]
    findings = [
        (i.rule, i.location.line, i.location.record) for i in items if isinstance(i, Finding)
    ]
    return records, findings


# --- JSON Lines -------------------------------------------------------------------


def test_jsonl_bad_bytes_and_bad_syntax_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"a": "\xff"\n{"a": "\\ud800"}\n\n{"a": 1}\n')
    records, findings = _split(path)
    assert findings == [("invalid-utf8", 1, 0), ("json-syntax", 1, 0)]
    # a lone surrogate escape is valid JSON (orjson refuses it, json takes it)
    assert records == [({"a": "\ud800"}, 2), ({"a": 1}, 4)]
    assert [i.location.record for i in read(path) if isinstance(i, RawRecord)] == [1, 2]


def test_jsonl_syntax_message_is_the_parsers(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1,}\n')
    (finding,) = [i for i in read(path) if isinstance(i, Finding)]
    assert finding.message.startswith("invalid JSON: ")
    assert finding.excerpt == '{"a": 1,}'


# --- JSON ------------------------------------------------------------------------


def test_json_invalid_utf8_is_reported_at_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(b'[\n  {"a": 1},\n  {\n    "b": 2,\n    "c": "caf\xe9"\n  }\n]\n')
    records, findings = _split(path)
    assert findings == [("invalid-utf8", 5, 1)]
    assert records == [({"a": 1}, 2), ({"b": 2, "c": "caf\ufffd"}, 3)]


def test_json_syntax_error_names_the_file_line(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('[\n  {"a": 1},\n  {\n    "b": 2\n    "c": 3\n  },\n  {"d": 4}\n]\n')
    items = list(read(path))
    (finding,) = [i for i in items if isinstance(i, Finding)]
    assert (finding.rule, finding.location.line, finding.location.record) == ("json-syntax", 3, 1)
    assert finding.message == "invalid JSON at line 5, column 5: Expecting ',' delimiter"
    assert [(i.value, i.location.record) for i in items if isinstance(i, RawRecord)] == [
        ({"a": 1}, 0),
        ({"d": 4}, 2),
    ]


def test_json_extra_data_after_the_array(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('[{"a": 1},\n {"a": 2}]\n\n[{"a": 3}]\n')
    records, findings = _split(path)
    assert records == [({"a": 1}, 1), ({"a": 2}, 2)]
    assert findings == [("json-syntax", 4, None)]
    wrapped = tmp_path / "w.json"  # the wrapper's other keys after the list are not extra
    wrapped.write_text('{"data": [{"a": 1}],\n "version": 2}\n')
    assert _split(wrapped) == ([({"a": 1}, 1)], [])


@pytest.mark.parametrize(
    ("text", "records", "finding"),
    [
        ('[\n{"a": 1},\n{"a": 2', [{"a": 1}], ("json-syntax", 3, 1)),  # an element is cut
        ('[\n{"a": 1},\n', [{"a": 1}], ("json-syntax", 3, None)),  # cut between elements
        ('[\n{"a": 1}\n', [{"a": 1}], ("json-syntax", 3, None)),  # no closing bracket
        ('{"a": "x\n', [], ("json-syntax", 1, 0)),  # a single object cut in a string
    ],
)
def test_json_truncated(
    tmp_path: Path, text: str, records: list[Any], finding: tuple[str, int, int | None]
) -> None:
    path = tmp_path / "t.json"
    path.write_text(text)
    got, findings = _split(path)
    assert [value for value, _ in got] == records
    assert findings == [finding]


def test_json_deep_nesting_and_a_big_element(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    big = "x" * 50_000_000
    path.write_text('[{"a": 1},\n' + "[" * 10_000 + "]" * 10_000 + f',\n{{"big": "{big}"}}]')
    items = list(read(path))
    assert [(i.rule, i.location.line) for i in items if isinstance(i, Finding)] == [
        ("json-syntax", 2)
    ]
    values = [i.value for i in items if isinstance(i, RawRecord)]
    assert values[0] == {"a": 1} and len(values[1]["big"]) == 50_000_000


def test_json_blank_file_has_no_records(tmp_path: Path) -> None:
    path = tmp_path / "blank.json"
    path.write_text("\n  \r\n\t\n")
    assert list(read(path)) == []
    bom_only = tmp_path / "bom.json"
    bom_only.write_bytes(b"\xef\xbb\xbf")
    assert list(read(bom_only)) == []


# --- binary and unreadable inputs -------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('[{"a": "b"}]'.encode("utf-16"), "is UTF-16 text"),
        (gzip.compress(b'{"a": 1}\n' * 100, mtime=0), "is gzip-compressed"),
        (b"PAR1\x15\x04\x15\x00" * 50, "is a Parquet file"),
        (bytes(range(256)) * 40, "NUL bytes"),
        (bytes(range(128, 256)) * 64, "mostly undecodable"),
    ],
)
@pytest.mark.parametrize("ext", ["jsonl", "json", "csv"])
def test_binary_files_are_usage_errors(tmp_path: Path, data: bytes, message: str, ext: str) -> None:
    path = tmp_path / f"b.{ext}"
    path.write_bytes(data)
    with pytest.raises(UsageError, match=message) as info:
        list(read(path))
    assert "\n" not in str(info.value)


def test_a_latin1_file_is_text_with_findings(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(
        "".join(
            json.dumps({"q": f"café {i}"}, ensure_ascii=False) + "\n" for i in range(50)
        ).encode("latin-1")
    )
    items = list(read(path))
    assert len([i for i in items if isinstance(i, RawRecord)]) == 50
    assert [i.location.line for i in items if isinstance(i, Finding)] == list(range(1, 51))


def test_unopenable_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read"):
        list(read_jsonl(tmp_path))  # a directory handed straight to a reader


# --- CSV -------------------------------------------------------------------------


def test_csv_invalid_utf8_line_inside_a_multiline_row(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b'instruction,output\r\ni0,o0\r\ni1,"first\nsecond caf\xe9\nthird"\r\ni2,o2\n')
    items = list(read(path))
    assert [
        (i.rule, i.location.line, i.location.record) for i in items if isinstance(i, Finding)
    ] == [("invalid-utf8", 4, 1)]
    records = [(i.value, i.location.line) for i in items if isinstance(i, RawRecord)]
    assert records == [
        ({"instruction": "i0", "output": "o0"}, 2),
        ({"instruction": "i1", "output": "first\nsecond caf\ufffd\nthird"}, 3),
        ({"instruction": "i2", "output": "o2"}, 6),
    ]


def test_csv_json_cells_text_columns_and_empty_cells(tmp_path: Path) -> None:
    prompt = [{"role": "user", "content": "hi"}]
    rows = [
        ["output", "messages", "tools", "prompt", "input", "context"],
        [
            '{"name": "f"}',
            json.dumps(prompt),
            '[{"type": "function"}]',
            json.dumps(prompt),
            "",
            '{"s": [1]}',
        ],
        ["[1, 2]", "[not json", "", "[1]", "", "{}"],
    ]
    import csv

    path = tmp_path / "x.csv"
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    first, second = [i.value for i in read(path) if isinstance(i, RawRecord)]
    assert first == {
        "output": '{"name": "f"}',  # a text column keeps JSON-looking text as written
        "messages": prompt,
        "tools": [{"type": "function"}],
        "prompt": prompt,  # ... unless it holds a list of messages (TRL conversational)
        "input": "",
        "context": {"s": [1]},
    }
    assert second == {
        "output": "[1, 2]",
        "messages": "[not json",
        "tools": "",
        "prompt": "[1]",
        "input": "",
        "context": {},
    }


def test_csv_header_only_and_blank_rows(tmp_path: Path) -> None:
    path = tmp_path / "x.tsv"
    path.write_text("instruction\toutput\n")
    assert list(read(path)) == []
    path.write_text("instruction\toutput\n\n\t\ni\to\n")
    assert [(i.value, i.location.line, i.location.record) for i in read(path)] == [  # type: ignore[union-attr]
        ({"instruction": "i", "output": "o"}, 4, 0)
    ]


# --- paths ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hub"),
    [
        ("tatsu-lab/alpaca", True),
        ("HuggingFaceH4/ultrachat_200k", True),
        ("bigcode/the-stack-v1.2", True),
        ("data/train.jsonl", False),
        ("data/train.parquet", False),
        ("./alpaca", False),
        ("../x/y", False),
        ("a/b/c", False),
        ("/abs", False),
        ("org/", False),
    ],
)
def test_hub_id_detection(text: str, hub: bool) -> None:
    assert _looks_like_hub_id(text) is hub


def test_missing_local_file_with_a_folder_is_not_a_hub_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match=r"data/train\.jsonl: no such file"):
        read("data/train.jsonl")


def test_single_arrow_file_stream_and_file_format(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    rows = [{"messages": [{"role": "user", "content": str(i)}]} for i in range(5)]
    table = pa.Table.from_pylist(rows)
    stream = tmp_path / "s.arrow"
    with pa.OSFile(str(stream), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table, max_chunksize=2)
    file = tmp_path / "f.arrow"
    with pa.OSFile(str(file), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table, max_chunksize=2)
    for path in (stream, file):
        items = list(read(path))
        assert [i.value for i in items] == rows  # type: ignore[union-attr]
        assert [(i.location.line, i.location.record) for i in items] == [
            (None, n) for n in range(5)
        ]
    broken = tmp_path / "broken.arrow"
    broken.write_bytes(b"not arrow at all")
    with pytest.raises(UsageError, match="not an Arrow IPC stream or file"):
        list(read(broken))


def test_saved_dataset_dict_reads_the_train_split(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    train = [{"instruction": f"i{n}", "output": f"o{n}"} for n in range(3)]
    test = [{"instruction": "t", "output": "u"}]
    datasets.DatasetDict(
        {"test": datasets.Dataset.from_list(test), "train": datasets.Dataset.from_list(train)}
    ).save_to_disk(str(tmp_path / "dd"))
    items = list(read(tmp_path / "dd"))
    assert [(i.value, i.location.record) for i in items] == [  # type: ignore[union-attr]
        (row, n) for n, row in enumerate(train)
    ]


# --- writers ----------------------------------------------------------------------


def test_write_format_hint_and_lone_surrogates(tmp_path: Path) -> None:
    from sftprep.io.write import write_records

    rows = [{"q": "a\ud800b", "tags": ["\udfff"]}, {"q": "é"}]
    out = tmp_path / "noext"
    assert write_records(out, rows, format_hint="jsonl") == 2
    assert [json.loads(line) for line in out.read_text().splitlines()] == rows
    for ext in ("jsonl", "json"):  # kept as JSON escapes, so they read back exactly
        write_records(tmp_path / f"o.{ext}", rows)
        assert [i.value for i in read(tmp_path / f"o.{ext}")] == rows  # type: ignore[union-attr]
    write_records(tmp_path / "o.tsv", rows, format_hint=".tsv")
    assert [i.value for i in read(tmp_path / "o.tsv")] == [  # type: ignore[union-attr]
        {"q": "a\ufffdb", "tags": ["\udfff"]},  # a text cell cannot keep it; a JSON cell can
        {"q": "é", "tags": ""},
    ]
    with pytest.raises(UsageError, match="lone surrogate"):
        write_records(tmp_path / "o.parquet", rows)
    with pytest.raises(UsageError, match=r"cannot write \.xlsx"):
        write_records(tmp_path / "o.jsonl", rows, format_hint="xlsx")
