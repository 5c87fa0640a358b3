"""Common spellings of known formats: alpaca rows with only ``input`` + ``output`` and
``query`` + ``response`` rows (MetaMathQA, LLaMA-Factory) read as prompt-completion.

Each test writes a small file (or builds a record) and asserts the exact detected
format, messages, field paths and findings (rule, line, record, field).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datakit import write_jsonl
from sftprep.check import check
from sftprep.cli.main import main
from sftprep.formats import get_format
from sftprep.formats.detect import detect
from sftprep.model import Location
from sftprep.pipeline import Sample, iter_samples, open_source
from sftprep.transform.convert import convert

LOC = Location("t.jsonl", 1, 0)
INPUT_ONLY = {"input": "Translate to French: cat", "output": "chat"}
QUERY = {"query": "What is 2+2?", "response": "4", "type": "GSM_Rephrased"}
MISSING_COMPLETION = (
    "required key `completion` (or `response`, `solution`, `output`, `answer`) is missing"
)
Found = list[tuple[str, int | None, int | None, str | None]]


def _found(path: Path, **kwargs: Any) -> Found:
    report = check(path, **kwargs)
    return [(f.rule, f.location.line, f.location.record, f.field) for f in report.findings]


def _shape(fmt: str, record: Any) -> list[tuple[str, str | None, str]]:
    return [(f.rule, f.field, f.message) for f in get_format(fmt).validate(record, LOC)]


def _messages(fmt: str, record: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    conv = get_format(fmt).to_conversation(record, LOC)
    return [(m.role, m.content, m.content_field) for m in conv.messages]


# -- detection ---------------------------------------------------------------------


def test_input_only_rows_are_detected_as_alpaca() -> None:
    found = detect([INPUT_ONLY, {"input": "Add 2+2", "output": "4"}, {"input": "x", "output": ""}])
    assert (found.format, found.confidence) == ("alpaca", 1.0)
    assert found.explain() == (
        "detected format alpaca (100%): 3/3 sampled records have its keys, "
        "3 with `input` but no `instruction`; next best prompt-completion (48%)"
    )


def test_query_response_rows_are_detected_as_prompt_completion() -> None:
    found = detect([QUERY, {"query": "Name a colour", "response": "Blue", "type": "x"}])
    assert (found.format, round(found.confidence, 2)) == ("prompt-completion", 0.99)
    assert found.explain() == (
        "detected format prompt-completion (99%): 2/2 sampled records have its keys, "
        "2 with `query` as the prompt, 2 with `response` as the completion; next best dolly (48%)"
    )


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        # Only the alias rows are counted; ordinary rows add no note.
        (
            [{"instruction": "i", "input": "", "output": "o"}] * 3 + [INPUT_ONLY],
            "4/4 sampled records have its keys, 1 with `input` but no `instruction`; "
            "next best prompt-completion (47%)",
        ),
        (
            [{"prompt": "p", "response": "r"}],
            "1/1 sampled records have its keys, 1 with `response` as the completion; "
            "next best prompt-only (50%)",
        ),
        # A query row without an answer does not fit, so it is not counted either.
        (
            [QUERY, {"query": "q"}],
            "1/2 sampled records have its keys, 1 with `query` as the prompt, "
            "1 with `response` as the completion; next best dolly (24%)",
        ),
    ],
)
def test_detection_notes_only_alias_rows(records: list[Any], expected: str) -> None:
    assert detect(records).evidence == expected


# -- alpaca: input + output ----------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (
            INPUT_ONLY,
            [("user", "Translate to French: cat", "input"), ("assistant", "chat", "output")],
        ),
        # The existing rules are unchanged: instruction + input, instruction alone.
        (
            {"instruction": "Translate", "input": "cat", "output": "chat"},
            [("user", "Translate\n\ncat", "instruction"), ("assistant", "chat", "output")],
        ),
        (
            {"instruction": "Say hi", "output": "Hi"},
            [("user", "Say hi", "instruction"), ("assistant", "Hi", "output")],
        ),
        # An instruction key, even empty, keeps the instruction + input rule.
        (
            {"instruction": "", "input": "cat", "output": "chat"},
            [("user", "\n\ncat", "instruction"), ("assistant", "chat", "output")],
        ),
        (
            {"input": None, "output": "o"},
            [("user", None, "input"), ("assistant", "o", "output")],
        ),
        (
            {"system": "Be brief.", "history": [["hi", "hello"]], "input": "cat", "output": "chat"},
            [
                ("system", "Be brief.", "system"),
                ("user", "hi", "history[0][0]"),
                ("assistant", "hello", "history[0][1]"),
                ("user", "cat", "input"),
                ("assistant", "chat", "output"),
            ],
        ),
    ],
)
def test_alpaca_user_turn_comes_from_the_keys_present(
    record: dict[str, Any], expected: list[tuple[str, str | None, str]]
) -> None:
    assert _messages("alpaca", record) == expected


def test_alpaca_input_only_fields_and_metadata() -> None:
    conv = get_format("alpaca").to_conversation({**INPUT_ONLY, "id": 7}, LOC)
    assert conv.fields == {"input": "Translate to French: cat", "output": "chat"}
    assert conv.metadata == {"id": 7}


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (INPUT_ONLY, []),
        (
            {"output": "o"},
            [("missing-key", "instruction", "required key `instruction` (or `input`) is missing")],
        ),
        (
            {"input": "i"},
            [("missing-key", "output", "required key `output` (or `response`) is missing")],
        ),
        (
            {"input": 3, "output": "o", "tier": 1},  # `tier`: noted once per file by check
            [("wrong-type", "input", "`input` should be a string, got number")],
        ),
    ],
)
def test_alpaca_shape_findings(record: Any, expected: list[tuple[str, str | None, str]]) -> None:
    assert _shape("alpaca", record) == expected


def test_alpaca_input_only_file_findings(tmp_path: Path) -> None:
    rows = [
        INPUT_ONLY,
        {"input": "", "output": "x"},
        {"output": "y"},
        {"input": "Hi", "output": ""},
    ]
    path = write_jsonl(
        tmp_path / "io.jsonl", [*rows, {"input": "Hey", "output": "Hello", "tier": 2}]
    )
    source = open_source(path)
    assert source.format.name == "alpaca"
    assert source.detection == (
        "detected format alpaca (94%): 4/5 sampled records have its keys, "
        "4 with `input` but no `instruction`; next best prompt-completion (48%)"
    )
    assert _found(path) == [
        ("empty-text", 2, 1, "input"),
        ("missing-key", 3, 2, "instruction"),
        ("empty-text", 4, 3, "output"),
        ("unknown-key", 5, 4, "tier"),  # once per file, where it is first seen
    ]


@pytest.mark.parametrize(
    "record",
    [
        INPUT_ONLY,
        {"input": "", "output": "o", "id": 1},
        {"system": "S", "history": [["a", "b"]], "input": "q", "output": "r"},
        {"instruction": "Translate", "input": "cat", "output": "chat"},
        {"instruction": "Say hi", "output": "Hi"},
    ],
)
def test_alpaca_records_come_back_unchanged(record: dict[str, Any]) -> None:
    fmt = get_format("alpaca")
    assert fmt.from_conversation(fmt.to_conversation(record, LOC)) == record


def test_alpaca_input_only_rows_among_alpaca_rows_are_not_mixed(tmp_path: Path) -> None:
    rows: list[Any] = [{"instruction": f"i{i}", "input": "", "output": f"o{i}"} for i in range(5)]
    rows.insert(2, INPUT_ONLY)
    path = write_jsonl(tmp_path / "a.jsonl", rows)
    samples = [s for s in iter_samples(open_source(path)) if isinstance(s, Sample)]
    assert [s.format for s in samples] == ["alpaca"] * 6
    assert _found(path) == []


def test_alpaca_input_only_row_in_a_dolly_file_is_mixed(tmp_path: Path) -> None:
    dolly = [
        {"instruction": f"Who is {i}?", "context": "", "response": f"{i}", "category": "qa"}
        for i in range(3)
    ]
    path = write_jsonl(tmp_path / "d.jsonl", [*dolly, {"input": "Hi", "output": ""}])
    assert _found(path, ignore=["untrained-fields"]) == [
        ("mixed-format", 4, 3, "input"),
        ("empty-text", 4, 3, "output"),
    ]


# -- prompt-completion: query + response ---------------------------------------------


def test_query_response_messages_fields_and_metadata() -> None:
    conv = get_format("prompt-completion").to_conversation(QUERY, LOC)
    assert [(m.role, m.content, m.field, m.content_field) for m in conv.messages] == [
        ("user", "What is 2+2?", "", "query"),
        ("assistant", "4", "", "response"),
    ]
    assert conv.fields == {"query": "What is 2+2?", "response": "4"}
    assert conv.metadata == {"type": "GSM_Rephrased"}


def test_prompt_wins_over_query_which_stays_in_metadata() -> None:
    record = {"prompt": "p", "query": "q", "completion": "c"}
    conv = get_format("prompt-completion").to_conversation(record, LOC)
    assert [m.content_field for m in conv.messages] == ["prompt", "completion"]
    assert conv.metadata == {"query": "q"}
    assert get_format("prompt-completion").from_conversation(conv) == record


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (QUERY, []),
        ({"query": "q"}, [("missing-key", "response", MISSING_COMPLETION)]),
        (
            {"response": "r"},
            [("missing-key", "prompt", "required key `prompt` (or `query`, `problem`) is missing")],
        ),
        ({"prompt": "p"}, [("missing-key", "completion", MISSING_COMPLETION)]),
        (
            {"query": 1, "response": "r"},
            [
                (
                    "wrong-type",
                    "query",
                    "`query` should be a string or a list of messages, got number",
                )
            ],
        ),
    ],
)
def test_query_response_shape_findings(
    record: Any, expected: list[tuple[str, str | None, str]]
) -> None:
    assert _shape("prompt-completion", record) == expected


def test_query_response_message_lists_keep_their_keys() -> None:
    record = {
        "query": [{"role": "user", "content": "Hi", "x": 1}],
        "response": [{"role": "assistant", "content": "Yo"}],
    }
    fmt = get_format("prompt-completion")
    assert list(fmt.validate(record, LOC)) == []
    conv = fmt.to_conversation(record, LOC)
    assert [(m.role, m.field, m.extra) for m in conv.messages] == [
        ("user", "query[0]", {"x": 1}),
        ("assistant", "response[0]", {}),
    ]
    assert fmt.from_conversation(conv) == record


def test_query_response_file_findings(tmp_path: Path) -> None:
    rows = [QUERY, {"query": "", "response": "5"}, {"query": "q"}, {"query": "Hi", "response": ""}]
    path = write_jsonl(tmp_path / "mm.jsonl", rows)
    source = open_source(path)
    assert source.format.name == "prompt-completion"
    assert source.detection == (
        "detected format prompt-completion (87%): 3/4 sampled records have its keys, "
        "3 with `query` as the prompt, 3 with `response` as the completion; next best dolly (36%)"
    )
    assert _found(path) == [
        ("empty-text", 2, 1, "query"),
        ("missing-key", 3, 2, "response"),
        ("empty-text", 4, 3, "response"),
        ("mapped-names", 1, 0, None),  # `query`/`response` read as prompt/completion
        ("unknown-key", 1, 0, "type"),
    ]


@pytest.mark.parametrize(
    "record",
    [
        QUERY,
        {"query": "q", "completion": "c"},
        {"prompt": "p", "response": "r", "id": 3},
        {"prompt": "p", "completion": "c"},
    ],
)
def test_prompt_completion_records_come_back_unchanged(record: dict[str, Any]) -> None:
    fmt = get_format("prompt-completion")
    assert fmt.from_conversation(fmt.to_conversation(record, LOC)) == record


def test_query_row_in_a_messages_file_is_mixed(tmp_path: Path) -> None:
    rows: list[Any] = [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "a"}]}
        for i in range(5)
    ]
    rows.insert(3, {"query": "What is 2+2?", "response": ""})
    path = write_jsonl(tmp_path / "m.jsonl", rows)
    assert _found(path, ignore=["missing-system", "mapped-names"]) == [
        ("mixed-format", 4, 3, "query"),
        ("empty-text", 4, 3, "response"),
    ]


def test_query_response_round_trip_through_other_formats_keeps_content(tmp_path: Path) -> None:
    rows = [QUERY, {"query": "Name a colour", "response": "Blue", "type": "x"}]
    path = write_jsonl(tmp_path / "mm.jsonl", rows)
    for to in ("messages", "sharegpt", "alpaca", "dolly", "qa"):
        there, back = tmp_path / f"{to}.jsonl", tmp_path / f"{to}.back.jsonl"
        assert convert(path, there, to=to).rejected == 0
        assert convert(there, back, to="prompt-completion", format=to).rejected == 0
        got = [json.loads(line) for line in back.read_text(encoding="utf-8").splitlines()]
        pairs = [(r.get("prompt"), r.get("completion", r.get("response")), r["type"]) for r in got]
        assert pairs == [(r["query"], r["response"], r["type"]) for r in rows], to


def test_input_only_round_trip_through_other_formats_keeps_content(tmp_path: Path) -> None:
    rows = [INPUT_ONLY, {"input": "Add 2+2", "output": "4", "id": 1}]
    path = write_jsonl(tmp_path / "io.jsonl", rows)
    for to in ("messages", "sharegpt", "prompt-completion", "dolly", "qa"):
        there, back = tmp_path / f"{to}.jsonl", tmp_path / f"{to}.back.jsonl"
        assert convert(path, there, to=to).rejected == 0
        assert convert(there, back, to="alpaca", format=to).rejected == 0
        got = [json.loads(line) for line in back.read_text(encoding="utf-8").splitlines()]
        assert [(r["instruction"], r["output"], r.get("id")) for r in got] == [
            (r["input"], r["output"], r.get("id")) for r in rows
        ], to


TEXT = st.text(max_size=20)
ALIASES = {
    "alpaca": st.fixed_dictionaries(
        {"input": TEXT, "output": TEXT},
        optional={
            "system": TEXT.filter(bool),
            "history": st.lists(st.lists(TEXT, min_size=2, max_size=2), min_size=1, max_size=2),
            "id": st.integers(),
        },
    ),
    "prompt-completion": st.fixed_dictionaries(
        {"query": TEXT, "response": TEXT},
        optional={"type": TEXT, "original_question": TEXT},
    ),
}


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_alias_records_round_trip_exactly(data: st.DataObject) -> None:
    for name, records in ALIASES.items():
        record = data.draw(records, label=name)
        fmt = get_format(name)
        assert {f.rule for f in fmt.validate(record, LOC)} <= {"unknown-key"}
        assert fmt.from_conversation(fmt.to_conversation(record, LOC)) == record


# -- end to end ----------------------------------------------------------------------


def _check_json(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, dict[str, Any]]:
    code = main(["check", "--json", str(path)])
    return code, json.loads(capsys.readouterr().out)


def test_check_json_input_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_jsonl(
        tmp_path / "io.jsonl", [INPUT_ONLY, {"input": "", "output": "x"}, {"output": "y"}]
    )
    code, doc = _check_json(capsys, path)
    assert code == 1
    assert doc["files"] == [
        {"path": str(path), "format": "alpaca", "records": 3, "valid_records": 1}
    ]
    assert [(f["rule"], f["line"], f["record"], f["field"]) for f in doc["findings"]] == [
        ("empty-text", 2, 1, "input"),
        ("missing-key", 3, 2, "instruction"),
    ]


def test_check_json_query_response(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_jsonl(
        tmp_path / "mm.jsonl", [QUERY, {"query": "", "response": "5"}, {"query": "q"}]
    )
    code, doc = _check_json(capsys, path)
    assert code == 1
    assert doc["files"] == [
        {"path": str(path), "format": "prompt-completion", "records": 3, "valid_records": 1}
    ]
    assert [(f["rule"], f["line"], f["record"], f["field"]) for f in doc["findings"]] == [
        ("empty-text", 2, 1, "query"),
        ("missing-key", 3, 2, "response"),
        ("mapped-names", 1, 0, None),
        ("unknown-key", 1, 0, "type"),
    ]


def test_check_json_clean_files_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, rows in (
        ("io.jsonl", [INPUT_ONLY, {"input": "Add 2+2", "output": "4"}]),
        ("mm.jsonl", [{"query": "What is 2+2?", "response": "4"}]),
    ):
        code, doc = _check_json(capsys, write_jsonl(tmp_path / name, rows))
        # nothing wrong; reading `query`/`response` as prompt/completion is said once
        notes = [(f["rule"], f["severity"]) for f in doc["findings"]]
        assert (code, notes) == (0, [("mapped-names", "info")] if name == "mm.jsonl" else []), name
