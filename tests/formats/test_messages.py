"""The messages adapter (OpenAI-style `messages`, with parts, tools and vendor variants)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from datakit import read_jsonl, write_jsonl
from sftprep.check import check
from sftprep.cli.main import main
from sftprep.count import count_tokens

pytestmark = [pytest.mark.unseen]


MSG = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]}


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
    report = check(write_jsonl(tmp_path / "s.jsonl", [row]))
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


def test_messages_that_are_not_a_list_give_one_finding(tmp_path: Path) -> None:
    rows = [
        {"messages": json.dumps(MSG["messages"])},
        {"messages": '[{"role": "user", "content": "cut'},
        {"messages": []},
    ]
    report = check(write_jsonl(tmp_path / "m.jsonl", rows), ignore=["missing-system"])
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


def _write(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_anthropic_system_column_goes_into_the_messages(tmp_path: Path) -> None:
    turns = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]
    rows = [{"system": "Be brief.", "messages": turns}]
    out = tmp_path / "m.jsonl"
    path = _write(tmp_path / "a.jsonl", rows)
    assert main(["convert", str(path), "-o", str(out), "--to", "messages", "--quiet"]) == 0
    assert read_jsonl(out) == [
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Yo"},
            ]
        }
    ]


def test_axolotl_training_flags_decide_what_is_trained(tmp_path: Path) -> None:
    rows = [
        {
            "messages": [
                {"role": "user", "content": "Hi", "training": False},
                {"role": "assistant", "content": "Go away.", "training": False},
                {"role": "user", "content": "Please?", "training": False},
                {"role": "assistant", "content": "Hello!", "training": True},
            ]
        }
    ]
    path = _write(tmp_path / "axolotl.jsonl", rows)
    assert list(check(path, ignore=["missing-system"]).findings) == []
    assert count_tokens(path).trainable.values[0] == 2  # "Hello!" only


def test_lima_and_bedrock_nova_are_read(tmp_path: Path) -> None:
    lima = [{"conversations": ["What is 2+2?", "4.", "And 3+3?", "6."], "source": "x"}]
    report = check(_write(tmp_path / "lima.jsonl", lima), select=["no-assistant-turn"])
    assert list(report.findings) == []
    assert count_tokens(tmp_path / "lima.jsonl").trainable.values[0] == 4
    nova = [
        {
            "schemaVersion": "bedrock-conversation-2024",
            "system": [{"text": "Be brief."}],
            "messages": [
                {"role": "user", "content": [{"text": "Hi"}]},
                {"role": "assistant", "content": [{"text": "Hello."}]},
            ],
        }
    ]
    report = check(_write(tmp_path / "nova.jsonl", nova))
    assert [f.rule for f in report.findings] == ["unknown-key"]  # schemaVersion, info


def _legacy_function_record(city: str, name: str | None = "weather") -> dict[str, Any]:
    reply: dict[str, Any] = {"role": "function", "content": '{"rain": true}'}
    if name:
        reply["name"] = name
    call = {"name": "weather", "arguments": json.dumps({"city": city})}
    return {
        "messages": [
            {"role": "user", "content": f"Is it raining in {city}?"},
            {"role": "assistant", "function_call": call},
            reply,
            {"role": "assistant", "content": f"Yes, it rains in {city}."},
        ],
        "functions": [{"name": "weather", "parameters": {"type": "object"}}],
    }


def _target_findings(path: Path) -> list[Any]:
    return [f for f in check(path, target="openai").findings if f.rule == "target-openai"]


def test_legacy_openai_functions_are_checked_as_such(tmp_path: Path) -> None:
    """OpenAI's function-calling fine-tuning format (`functions`, `function_call`, role
    `function` with `name`) is valid as written: --target openai finds nothing, fix leaves
    it byte for byte, convert --target openai writes `tools` and `tool_calls` with ids."""
    cities = [f"City {i}" for i in range(10)]
    path = _write(tmp_path / "legacy.jsonl", [_legacy_function_record(c) for c in cities])
    assert not _target_findings(path)
    out, rejects = tmp_path / "f.jsonl", tmp_path / "r.jsonl"
    assert main(["fix", str(path), "-o", str(out), "--rejects", str(rejects), "--quiet"]) == 0
    assert out.read_bytes() == path.read_bytes()
    converted = tmp_path / "c.jsonl"
    assert main(["convert", str(path), "-o", str(converted), "--target", "openai"]) == 0
    first = read_jsonl(converted)[0]
    assert sorted(first) == ["messages", "tools"]
    call_id = first["messages"][1]["tool_calls"][0]["id"]
    assert first["messages"][2]["tool_call_id"] == call_id
    assert not _target_findings(converted)
    nameless = _write(tmp_path / "n.jsonl", [_legacy_function_record(c, None) for c in cities])
    found = _target_findings(nameless)
    assert len(found) == 10 and found[0].field == "messages[2]"
    assert "needs `name` on function messages (legacy `functions` format)" in found[0].message


def test_anthropic_blocks_and_responses_parts_are_read(tmp_path: Path) -> None:
    """tool_use blocks are calls, tool_result blocks tool replies, thinking blocks
    reasoning; the Responses API's input_text/output_text parts are text; OpenAI's
    `refusal` is the answer."""
    anthropic = {
        "system": "Weather bot.",
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Paris?"}]},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "Call the tool.", "signature": "x"},
                    {"type": "tool_use", "id": "t1", "name": "weather", "input": {"c": "Paris"}},
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "15C"}],
            },
            {"role": "assistant", "content": [{"type": "text", "text": "15C."}]},
        ],
        "tools": [{"name": "weather", "input_schema": {"type": "object"}}],
    }
    responses = {
        "messages": [
            {"role": "user", "content": [{"type": "input_text", "text": "cat in French?"}]},
            {"role": "assistant", "content": [{"type": "output_text", "text": "chat"}]},
        ]
    }
    refusal = {
        "messages": [
            {"role": "user", "content": "Pick a lock?"},
            {"role": "assistant", "content": None, "refusal": "I can't help with that."},
        ]
    }
    path = _write(tmp_path / "a.jsonl", [anthropic, responses, refusal])
    found = [f for f in check(path).findings if f.rule != "missing-system"]
    assert found == []
    converted = tmp_path / "m.jsonl"
    assert main(["convert", str(path), "-o", str(converted), "--to", "messages"]) == 0
    first, second, third = read_jsonl(converted)
    assert [m["role"] for m in first["messages"]] == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
    ]
    assert first["messages"][2]["tool_calls"][0]["function"] == {
        "name": "weather",
        "arguments": '{"c": "Paris"}',
    }
    assert first["messages"][2]["reasoning"] == "Call the tool."
    assert first["messages"][3] == {"role": "tool", "content": "15C", "tool_call_id": "t1"}
    assert second == responses  # read whole (no finding above), so copied as it is
    assert third == refusal
    said = {
        "messages": [
            refusal["messages"][0],
            {"role": "assistant", "content": "I can't help with that."},
        ]
    }
    trainable = [
        count_tokens(_write(tmp_path / f"{i}.jsonl", [row])).trainable.total
        for i, row in enumerate((refusal, said))
    ]
    assert trainable[0] == trainable[1] > 0
