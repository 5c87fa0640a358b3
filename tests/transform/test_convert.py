"""`convert`: round trips keep the content; lossy conversions are refused with a reason."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from sftprep.check import check
from sftprep.cli.main import main
from sftprep.errors import LossyConversionError, UsageError
from sftprep.formats.aidaptiv import load_config
from sftprep.formats.base import get_format
from sftprep.model import Conversation, Location, Message
from sftprep.pipeline import load
from sftprep.transform.convert import content_events, convert, write_as

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"

# Lossless pairs (A, B), each exercised on real files of format A: A -> B -> A keeps the
# content of every record (text, roles, weights, reasoning, tool calls and definitions).
ROUND_TRIPS = [
    (
        "llamafactory__alpaca_en_demo.json",
        ["dolly", "messages", "sharegpt", "qa", "prompt-completion"],
    ),
    ("litgpt__dolly_fixture.json", ["alpaca", "messages", "sharegpt", "qa", "prompt-completion"]),
    (
        # not dolly: RAFT's `context` dict would overwrite dolly's `context` text (refused)
        "gorilla-pr918__raft_en_test.jsonl",
        ["alpaca", "messages", "sharegpt", "prompt-completion"],
    ),
    ("mlx-examples__wwdc25_train.jsonl", ["alpaca", "dolly", "messages", "sharegpt", "qa"]),
    ("fastchat__dummy_conversation.json", ["messages", "alpaca"]),  # multi-turn: history
    ("llamafactory__glaive_toolcall_en_demo.json", ["messages"]),  # tools, function calls
    ("openai-cookbook__drone_training.jsonl", ["sharegpt"]),  # tool calls, no replies
    ("georgian-llm-finetuning-toolkit__example_data_alpaca.csv", ["messages"]),
]
CASES = [(name, b) for name, targets in ROUND_TRIPS for b in targets]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_jsonl(path: Path) -> list[Any]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("name, b", CASES, ids=[f"{Path(n).stem}->{b}" for n, b in CASES])
def test_round_trip_keeps_the_content(tmp_path: Path, name: str, b: str) -> None:
    source = REAL / name
    original = list(load(source))
    a = original[0].format
    there = convert(source, tmp_path / "b.jsonl", to=b)
    back = convert(tmp_path / "b.jsonl", tmp_path / f"a{source.suffix}", to=a, format=b)
    assert there.rejected == back.rejected == 0
    assert there.records_in == back.records_out == len(original)
    returned = list(load(tmp_path / f"a{source.suffix}", format=a))
    assert [content_events(c) for c in returned] == [content_events(c) for c in original]


def test_round_trip_is_exact_where_the_fields_match(tmp_path: Path) -> None:
    source = REAL / "mlx-examples__wwdc25_train.jsonl"
    convert(source, tmp_path / "m.jsonl", to="messages")
    convert(tmp_path / "m.jsonl", tmp_path / "p.jsonl", to="prompt-completion")
    assert read_jsonl(tmp_path / "p.jsonl") == read_jsonl(source)


def test_multi_turn_into_alpaca_uses_history(tmp_path: Path) -> None:
    summary = convert(REAL / "fastchat__dummy_conversation.json", tmp_path / "a.jsonl", to="alpaca")
    records = read_jsonl(tmp_path / "a.jsonl")
    assert summary.rejected == 0 and len(records) == 500
    source = json.loads((REAL / "fastchat__dummy_conversation.json").read_text())
    for raw, record in zip(source, records, strict=True):
        rounds = len(raw["conversations"]) // 2  # 1, 2 or 3: earlier ones go to history
        assert len(record.get("history", [])) == rounds - 1
    assert {len(r.get("history", [])) for r in records} == {0, 1, 2}


def test_tool_calls_into_qa_are_rejected_with_the_reason(tmp_path: Path) -> None:
    source = REAL / "openai-cookbook__drone_training.jsonl"
    before = sha256(source)
    summary = convert(source, tmp_path / "qa.jsonl", to="qa", rejects=tmp_path / "r.jsonl")
    assert (summary.records_in, summary.records_out, summary.rejected) == (103, 0, 103)
    rejects = read_jsonl(tmp_path / "r.jsonl")
    assert len(rejects) == 103 and rejects[0]["rules"] == ["lossy-conversion"]
    assert "one question and one answer" in rejects[0]["reasons"][0]
    assert rejects[0]["record"] == read_jsonl(source)[0]  # the raw record, unchanged
    assert (rejects[0]["line"], rejects[0]["index"]) == (1, 0)
    assert sha256(source) == before


def test_reasoning_is_never_dropped_silently(tmp_path: Path) -> None:
    source = REAL / "llamafactory__reason_tool_use_demo_50.jsonl"
    summary = convert(source, tmp_path / "s.jsonl", to="sharegpt")
    assert summary.records_in == 50 == summary.rejected
    reasons = {r["reasons"][0] for r in read_jsonl(tmp_path / "s.rejects.jsonl")}
    assert reasons == {"sharegpt would lose the reasoning text"}


def test_write_as_refuses_to_drop_weights() -> None:
    conv = Conversation(
        (
            Message("user", "Hi"),
            Message("assistant", "Draft", weight=0),
            Message("user", "Again"),
            Message("assistant", "Final", weight=1),
        ),
        location=Location("w.jsonl", 1, 0),
        format="messages",
    )
    assert write_as(conv, get_format("messages"))["messages"][1]["weight"] == 0
    with pytest.raises(LossyConversionError, match="weights"):
        write_as(conv, get_format("alpaca"))


def test_every_real_file_reconciles(tmp_path: Path) -> None:
    for path in sorted(REAL.glob("*.json*")):
        summary = convert(path, tmp_path / f"{path.stem}.jsonl", to="messages")
        assert summary.records_in == summary.records_out + summary.rejected, path.name
        assert summary.records_out == len(read_jsonl(tmp_path / f"{path.stem}.jsonl"))


# --- targets ---------------------------------------------------------------------------------


def test_target_openai_from_alpaca_passes_the_openai_check(tmp_path: Path) -> None:
    out = tmp_path / "openai.jsonl"
    summary = convert(REAL / "llamafactory__alpaca_en_demo.json", out, target="openai")
    assert (summary.to, summary.records_out, summary.rejected) == ("messages", 999, 0)
    assert all(set(r) == {"messages"} for r in read_jsonl(out))


def test_target_together_removes_extra_keys_and_rejects_tools(tmp_path: Path) -> None:
    summary = convert(
        REAL / "fastchat__dummy_conversation.json", tmp_path / "t.jsonl", target="together"
    )
    assert summary.removed_keys == {"id": 500} and summary.rejected == 0
    assert all(set(r) == {"messages"} for r in read_jsonl(tmp_path / "t.jsonl"))
    glaive = convert(
        REAL / "llamafactory__glaive_toolcall_en_demo.json", tmp_path / "g.jsonl", target="together"
    )
    assert (glaive.records_out, glaive.rejected) == (109, 191)  # 109 records have no tools
    reasons = read_jsonl(tmp_path / "g.rejects.jsonl")[0]["reasons"]
    assert any("Together's conversational format" in r for r in reasons)


def test_target_mistral_relinks_tool_call_ids(tmp_path: Path) -> None:
    out = tmp_path / "m.jsonl"
    summary = convert(REAL / "llamafactory__glaive_toolcall_en_demo.json", out, target="mistral")
    assert summary.rejected == 0
    for record in read_jsonl(out):
        calls = [c["id"] for m in record["messages"] for c in m.get("tool_calls") or ()]
        results = [m["tool_call_id"] for m in record["messages"] if m["role"] == "tool"]
        assert all(len(i) == 9 and i.isalnum() for i in calls)
        assert results == calls[: len(results)]
        assert all(t["type"] == "function" for t in record.get("tools", []))


def test_target_aidaptiv_writes_a_matching_yaml(tmp_path: Path) -> None:
    out = tmp_path / "aidaptiv" / "train.jsonl"
    summary = convert(REAL / "gorilla-pr918__raft_en_test.jsonl", out, target="aidaptiv")
    yaml_path = out.with_suffix(".yaml")
    assert summary.companion_files == [str(yaml_path)]
    entries, findings = load_config(yaml_path)
    assert findings == [] and entries[0].data_path == out
    # RAFT trains on its rendered `instruction` (documents + question): the YAML says so.
    assert entries[0].question_keys == ("instruction",)
    assert entries[0].answer_keys == ("cot_answer",)
    report = check(config=yaml_path)
    assert report.files[0].records == 20 and report.summary["errors"] == 0


def test_target_aidaptiv_moves_a_shared_system_prompt_into_the_yaml(tmp_path: Path) -> None:
    out = tmp_path / "train.jsonl"
    summary = convert(REAL / "openai-cookbook__drone_training.jsonl", out, target="aidaptiv")
    assert summary.rejected == 103  # tool calls: no place in a question/answer record
    source = tmp_path / "chat.jsonl"
    rows = [
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": q},
                {"role": "assistant", "content": a},
            ]
        }
        for q, a in [("2+2?", "4"), ("Capital of France?", "Paris")]
    ]
    rows.append(
        {
            "messages": [
                {"role": "system", "content": "Be verbose."},
                {"role": "user", "content": "Hi?"},
                {"role": "assistant", "content": "Hello"},
            ]
        }
    )
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    summary = convert(source, out, target="aidaptiv")
    assert (summary.records_out, summary.rejected) == (2, 1)
    entries, _ = load_config(out.with_suffix(".yaml"))
    assert entries[0].system_prompt == "Be brief."
    assert (
        "one system_prompt per dataset YAML"
        in read_jsonl(out.with_name("train.rejects.jsonl"))[0]["reasons"][0]
    )


def test_target_llama_factory_registers_the_file(tmp_path: Path) -> None:
    (tmp_path / "dataset_info.json").write_text('{"mine": {"file_name": "x.json"}}')
    convert(
        REAL / "fastchat__dummy_conversation.json", tmp_path / "chat.json", target="llama-factory"
    )
    info = json.loads((tmp_path / "dataset_info.json").read_text())
    assert info["mine"] == {"file_name": "x.json"}  # existing entries are kept
    assert info["chat"]["file_name"] == "chat.json" and info["chat"]["formatting"] == "sharegpt"


def test_target_refuses_a_format_the_platform_does_not_read(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not read alpaca"):
        convert(
            REAL / "litgpt__dolly_fixture.json", tmp_path / "x.jsonl", to="alpaca", target="openai"
        )
    with pytest.raises(UsageError, match="--to FORMAT or --target"):
        convert(REAL / "litgpt__dolly_fixture.json", tmp_path / "x.jsonl")


def test_cli_convert_prints_the_reconciled_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = REAL / "llamafactory__glaive_toolcall_en_demo.json"
    code = main(
        [
            "convert",
            str(source),
            "-o",
            str(tmp_path / "out.jsonl"),
            "--to",
            "alpaca",
            "--rejects",
            str(tmp_path / "r.jsonl"),
        ]
    )
    assert code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "300 in = 109 out + 191 rejected" in out
    assert len(read_jsonl(tmp_path / "r.jsonl")) == 191


def test_a_record_invalid_in_the_output_format_is_refused(tmp_path: Path) -> None:
    # RAFT rows keep `context` (a dict of documents) as metadata; dolly's own `context`
    # is text, so writing it would produce a broken dolly record.
    source = REAL / "gorilla-pr918__raft_en_test.jsonl"
    summary = convert(source, tmp_path / "d.jsonl", to="dolly")
    assert (summary.records_out, summary.rejected) == (0, 20)
    reason = read_jsonl(tmp_path / "d.rejects.jsonl")[0]["reasons"][0]
    assert reason.endswith(
        "the record's `context` would collide with the target format's own `context`"
    )


def _jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


QA = [{"question": f"Question {i}?", "cot_answer": f"Answer {i}."} for i in range(3)]


def _chat(user: str, assistant: str, **extra: Any) -> dict[str, Any]:
    turns = [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    return {"messages": turns, **extra}


@pytest.mark.unseen
def test_convert_refuses_rejects_that_would_overwrite_the_input(tmp_path: Path) -> None:
    source = _jsonl(tmp_path / "in.jsonl", QA)
    before = _sha(source)
    with pytest.raises(UsageError, match=r"--rejects .* is the input file"):
        convert(source, tmp_path / "out.jsonl", to="messages", rejects=source)
    assert _sha(source) == before


@pytest.mark.unseen
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
    assert read_jsonl(out) == [
        {"question": "Translate to French.\n\nGood morning", "cot_answer": "Bonjour"},
        {"question": "Name a colour.", "cot_answer": "Blue."},
    ]
    assert check(config=out.with_suffix(".yaml")).summary["errors"] == 0


@pytest.mark.unseen
def test_aidaptiv_rejects_a_record_whose_question_key_differs(tmp_path: Path) -> None:
    rows = [
        {"question": "Short?", "instruction": "<DOCUMENT>d</DOCUMENT>\nShort?", "cot_answer": "A"},
        {"question": "Plain?", "cot_answer": "B"},
    ]
    out = tmp_path / "qa.jsonl"
    summary = convert(_jsonl(tmp_path / "raft.jsonl", rows), out, target="aidaptiv")
    assert (summary.records_out, summary.rejected) == (1, 1)
    assert yaml.safe_load(out.with_suffix(".yaml").read_text())["question_key"] == "instruction"
    (entry,) = read_jsonl(tmp_path / "qa.rejects.jsonl")
    assert entry["record"] == rows[1] and entry["rules"] == ["lossy-conversion"]
    assert "one question_key per dataset YAML" in entry["reasons"][0]


@pytest.mark.unseen
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


@pytest.mark.unseen
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
    assert read_jsonl(out) == [
        {
            "messages": [
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello"},
            ],
            "tools": tools,
        }
    ]


@pytest.mark.unseen
def test_openai_rejects_empty_assistant_content(tmp_path: Path) -> None:
    rows = [_chat("Q", ""), _chat("Q2", "A2")]
    out = tmp_path / "openai.jsonl"
    summary = convert(_jsonl(tmp_path / "in.jsonl", rows), out, target="openai")
    assert (summary.records_out, summary.rejected) == (1, 1)
    (entry,) = read_jsonl(tmp_path / "openai.rejects.jsonl")
    assert entry["record"] == rows[0] and entry["rules"] == ["target-openai"]
    assert "missing_content" in entry["reasons"][0]


@pytest.mark.unseen
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
