"""Unseen-data QA: shapes and flaws a new user's files have, checked end to end.

Each test writes a small file, runs `check` (or a reader) and asserts the exact
rule ids, lines, records and fields.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sftprep.check import check
from sftprep.cli.main import main
from sftprep.formats.base import get_format
from sftprep.io import read
from sftprep.io.base import RawRecord
from sftprep.model import Location
from sftprep.rules.base import RecordContext
from sftprep.rules.content import TemplatePlaceholder


def _jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _found(path: Path, **kwargs: object) -> list[tuple[str, int | None, int | None, str | None]]:
    report = check(path, **kwargs)  # type: ignore[arg-type]
    return [(f.rule, f.location.line, f.location.record, f.field) for f in report.findings]


def _items(path: Path) -> list[tuple[str, object, int | None, int | None]]:
    out = []
    for item in read(path):
        what = item.value if isinstance(item, RawRecord) else item.rule
        out.append((type(item).__name__, what, item.location.line, item.location.record))
    return out


MSG = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]}
SHARE = {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": ""}]}


def test_mixed_formats_are_named_once_and_still_checked(tmp_path: Path) -> None:
    rows = [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "a"}]}
        for i in range(5)
    ]
    rows.insert(2, SHARE)  # a ShareGPT row, whose assistant text is empty
    found = _found(_jsonl(tmp_path / "m.jsonl", rows), ignore=["missing-system"])
    assert found == [
        ("mixed-format", 3, 2, "conversations"),
        ("empty-text", 3, 2, "conversations[1].value"),
    ]


def test_mixed_format_names_the_distinguishing_key(tmp_path: Path) -> None:
    rows = [{"instruction": f"i{i}", "input": "", "output": f"o{i}"} for i in range(4)]
    rows.append({"instruction": "late", "context": "", "response": "r", "category": "qa"})
    report = check(_jsonl(tmp_path / "a.jsonl", rows), ignore=["untrained-fields"])
    [finding] = report.findings
    # Alpaca reads `response` as its output, so Dolly's `context` tells the two apart
    assert (finding.rule, finding.location.line, finding.field) == ("mixed-format", 5, "context")
    assert finding.message == "record is in the dolly format, but the file was detected as alpaca"
    assert report.files[0].valid_records == 4


def test_a_given_format_is_applied_to_every_record(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "m.jsonl", [MSG, SHARE])
    found = _found(path, format="messages", select=["mixed-format", "missing-key"])
    assert found == [("missing-key", 2, 1, "messages")]


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


def test_csv_quote_left_open_at_end_of_file(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_bytes(b'instruction,input,output\n"a","","b"\n"c","","d\nmore text\n')
    report = check(path)
    found = [
        (f.rule, f.severity.value, f.location.line, f.location.record) for f in report.findings
    ]
    assert found == [("csv-shape", "error", 3, 1)]
    assert (report.files[0].records, report.files[0].valid_records) == (2, 1)


def test_csv_closed_multiline_last_cell_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_bytes(b'instruction,input,output\r\n"a","","b\r\nc"\r\n"d","","e\nf"')
    assert _found(path) == []


def test_csv_repeated_header_column(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("instruction,output,output\na,b,c\n")
    assert _found(path) == [("csv-shape", 1, None, "output")]


def test_semicolon_csv_is_read_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("instruction;input;output\na;;b\nc;;\n")
    report = check(path)
    found = [(f.rule, f.severity.value, f.location.line, f.field) for f in report.findings]
    assert found == [("csv-shape", "warning", 1, None), ("empty-text", "error", 3, "output")]
    assert report.files[0].format == "alpaca"


def test_sharegpt_parallel_function_calls(tmp_path: Path) -> None:
    calls = [
        {"name": "w", "arguments": {"c": "A"}},
        {"name": "x", "arguments": "{bad"},
    ]
    row = {
        "conversations": [
            {"from": "human", "value": "A and B?"},
            {"from": "function_call", "value": json.dumps(calls)},
            {"from": "observation", "value": "[1, 2]"},
            {"from": "gpt", "value": "ok"},
        ],
        "tools": json.dumps([{"name": "w"}]),
    }
    found = _found(_jsonl(tmp_path / "p.jsonl", [row]), ignore=["missing-system"])
    assert found == [
        ("tool-call-arguments", 1, 0, "conversations[1].value[1]"),
        ("tool-undeclared", 1, 0, "conversations[1].value[1]"),
    ]


def test_positions_in_messages_are_field_paths(tmp_path: Path) -> None:
    row = {
        "system": "s",
        "conversations": [
            {"from": "human", "value": "a"},
            {"from": "human", "value": "b"},
            {"from": "observation", "value": "r"},
            {"from": "gpt", "value": "c"},
        ],
    }
    report = check(_jsonl(tmp_path / "s.jsonl", [row]))
    got = {f.rule: (f.field, f.message) for f in report.findings}
    assert got["role-order"] == (
        "conversations[1].from",
        "two user turns in a row (conversations[0] and conversations[1])",
    )
    assert got["tool-response-orphan"] == (
        "conversations[2]",
        "tool reply `conversations[2]` follows a user turn without tool calls, "
        "not an assistant tool call",
    )


def test_orphan_reply_points_at_its_tool_call_id(tmp_path: Path) -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    row = {
        "messages": [
            {"role": "user", "content": "go"},
            {"role": "assistant", "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "zz", "content": "r"},
            {"role": "assistant", "content": "done"},
        ],
        "tools": [{"type": "function", "function": {"name": "f"}}],
    }
    found = _found(_jsonl(tmp_path / "t.jsonl", [row]), select=["tool-response-orphan"])
    assert found == [("tool-response-orphan", 1, 0, "messages[2].tool_call_id")]


def test_messages_that_are_not_a_list_give_one_finding(tmp_path: Path) -> None:
    rows = [
        {"messages": json.dumps(MSG["messages"])},
        {"messages": '[{"role": "user", "content": "cut'},
        {"messages": []},
    ]
    report = check(_jsonl(tmp_path / "m.jsonl", rows), ignore=["missing-system"])
    got = [(f.rule, f.location.line, f.field, f.message) for f in report.findings]
    assert got == [
        (
            "wrong-type",
            1,
            "messages",
            "`messages` should be a list of messages, got a string holding JSON text "
            "of an array (double-encoded?)",
        ),
        (
            "wrong-type",
            2,
            "messages",
            "`messages` should be a list of messages, got text that is not valid JSON "
            "(truncated or badly quoted?)",
        ),
        ("no-assistant-turn", 3, "messages", "conversation has no assistant turn (no messages)"),
    ]


def test_not_an_object_names_json_types(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('null\n[1]\n"s"\n2.5\ntrue\n{"prompt": "p", "completion": "c"}\n')
    report = check(path, select=["not-an-object"])
    assert [f.message for f in report.findings] == [
        f"record is a JSON {kind}, not an object"
        for kind in ("null", "array", "string", "number", "boolean")
    ]
    assert [f.location.line for f in report.findings] == [1, 2, 3, 4, 5]


def test_empty_objects_are_a_clear_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text("{}\n{}\n")
    assert main(["check", "--quiet", str(path)]) == 2
    err = capsys.readouterr().err
    start = f"sftprep: error: {path}: could not recognise the format (keys seen: none"
    assert err.startswith(start)
    assert len(err.strip().splitlines()) == 1


def test_terminal_shows_errors_before_infos(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows: list[object] = [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "a"}]}
        for i in range(30)
    ]
    rows.append(
        {"messages": [{"role": "user", "content": "last"}, {"role": "assistant", "content": ""}]}
    )
    path = _jsonl(tmp_path / "m.jsonl", rows)
    # grouped: one error (empty-text) and 31 infos of one shape (missing-system)
    assert main(["check", "--quiet", "--max-findings", "2", str(path)]) == 1
    out = capsys.readouterr().out
    assert "32 findings in 2 groups (errors first, then the biggest)" in out
    listed = out.split("then the biggest)", 1)[1]
    assert listed.index("error    empty-text  ") < listed.index("info     missing-system ×31  ")
    assert listed.count("missing-system") == 1
    # capped at one group: the error is shown, the 31 infos are not
    assert main(["check", "--quiet", "--max-findings", "1", str(path)]) == 1
    out = capsys.readouterr().out
    assert "First 1 of 2 groups of findings (32 findings; errors first" in out
    listed = out.split("then the biggest)", 1)[1]
    assert "error    empty-text  " in listed and "info     missing-system" not in listed
    assert "… 1 more group not shown (31 findings)" in listed


def test_negative_max_findings_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _jsonl(tmp_path / "m.jsonl", [MSG])
    with pytest.raises(SystemExit) as exc:
        main(["check", "--max-findings", "-1", str(path)])
    assert exc.value.code == 2
    assert "expected a number >= 0" in capsys.readouterr().err


@pytest.mark.parametrize(
    "text",
    [
        "Use 'Hello, {name}!'.format(name='Bob') to greet.",
        'In Rust, println!("{name}") prints it',
        'logger.info("{name}")',
        'In C#, $"Hello {name}" interpolates',
        "LaTeX: \\frac{a}{b} and \\text{output}",
        "Write `{name}` inside backticks",
    ],
)
def test_code_and_markup_braces_are_not_placeholders(text: str) -> None:
    fmt = get_format("alpaca")
    record = {"instruction": text, "input": "", "output": "ok"}
    conv = fmt.to_conversation(record, Location("a.jsonl", 1, 0))
    ctx = RecordContext(record, Location("a.jsonl", 1, 0), "alpaca", conv)
    assert list(TemplatePlaceholder().check(ctx)) == []


def test_a_real_placeholder_is_still_found() -> None:
    fmt = get_format("alpaca")
    record = {"instruction": "Context: {context}\nQ:{question}", "input": "", "output": "ok"}
    conv = fmt.to_conversation(record, Location("a.jsonl", 1, 0))
    ctx = RecordContext(record, Location("a.jsonl", 1, 0), "alpaca", conv)
    [finding] = TemplatePlaceholder().check(ctx)
    assert (finding.field, finding.message) == (
        "instruction",
        "`instruction` contains unrendered placeholder {context}, {question}",
    )


def test_jsonl_with_bare_cr_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "mac.jsonl"
    path.write_bytes(b'{"a": 1}\r{"b": 2\r{"c": 3}\n{"d":\r4}\n')
    assert _items(path) == [
        ("RawRecord", {"a": 1}, 1, 0),
        ("Finding", "json-syntax", 2, 1),
        ("RawRecord", {"c": 3}, 3, 2),
        ("RawRecord", {"d": 4}, 4, 3),  # a CR inside a valid record is whitespace
    ]
