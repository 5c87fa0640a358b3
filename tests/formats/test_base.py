"""The adapter contract on every real dataset: records convert faithfully and round-trip."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from datakit import REAL_FORMATS as EXPECTED
from sftprep.check import check
from sftprep.formats.base import get_format
from sftprep.io import RawRecord
from sftprep.model import Conversation, ToolCall
from sftprep.pipeline import Sample, iter_samples, open_source

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
pytestmark = [
    pytest.mark.skipif(not REAL.is_dir(), reason="../shared/data/real is absent"),
    pytest.mark.real_data,
]


def _samples(name: str) -> list[Sample]:
    return [s for s in iter_samples(open_source(REAL / name)) if isinstance(s, Sample)]


def test_functionary_tool_turns() -> None:
    (sample,) = _samples("functionary__test_case.json")
    conv = sample.conversation
    assert conv is not None
    assert len(conv.messages) == 21
    calling = [i for i, m in enumerate(conv.messages) if m.tool_calls]
    assert calling == [3, 8, 12, 14, 18]
    # SOURCES.md: two assistant turns carry only tool_calls (content null and "").
    assert [conv.messages[i].content for i in (8, 18)] == [None, ""]
    assert all(c.id is None for i in calling for c in conv.messages[i].tool_calls)
    assert {t.get("type") for t in conv.tools} >= {"function", "code_interpreter"}


def test_glaive_function_call_turns_become_tool_calls() -> None:
    raw = json.loads((REAL / "llamafactory__glaive_toolcall_en_demo.json").read_text())
    samples = _samples("llamafactory__glaive_toolcall_en_demo.json")
    expected_calls = sum(1 for r in raw for t in r["conversations"] if t["from"] == "function_call")
    calls = [c for s in samples for m in s.conversation.messages for c in m.tool_calls]  # type: ignore[union-attr]
    assert len(calls) == expected_calls
    assert all(json.loads(c.arguments) is not None for c in calls)
    with_tools = sum(1 for s in samples if s.conversation.tools)  # type: ignore[union-attr]
    assert with_tools == 300 - 109  # SOURCES.md: 109 records declare `tools == "[]"`


def test_reason_tool_use_parts() -> None:
    samples = _samples("llamafactory__reason_tool_use_demo_50.jsonl")
    messages = [m for s in samples for m in s.conversation.messages]  # type: ignore[union-attr]
    assert len(messages) == 274
    assert sum(1 for m in messages if m.reasoning) == 112
    assert sum(len(m.tool_calls) for m in messages) == 68


def test_raft_user_turn_is_the_rendered_instruction() -> None:
    raw = json.loads((REAL / "gorilla-pr918__raft_en_test.jsonl").read_text().splitlines()[0])
    conv = _samples("gorilla-pr918__raft_en_test.jsonl")[0].conversation
    assert conv is not None
    assert conv.messages[0].content == raw["instruction"]
    assert conv.messages[1].content == raw["cot_answer"]
    assert conv.messages[1].content_field == "cot_answer"


LOSSLESS = {
    "axolotl__conversation.missingturns.json",
    "codealpaca__code_alpaca_2k.json",
    "fastchat__dummy_conversation.json",
    "georgian-llm-finetuning-toolkit__example_data_alpaca.csv",
    "gorilla-pr918__raft_en_test.jsonl",
    "gorilla__raft_sample_ds4.jsonl",
    "litgpt__dolly_fixture.json",
    "llamafactory-pr10357__zena007_train_sft.jsonl",
    "llamafactory__alpaca_en_demo.json",
    "llamafactory__glaive_toolcall_en_demo.json",
    "llm-foundry__dolly_hhrlhf_train_small.jsonl",
    "mlx-examples__wwdc25_train.jsonl",
    "openai-cookbook__drone_training.jsonl",
    "self-instruct__t0_ag_news_classify_with_choices.jsonl",
}


@pytest.mark.parametrize("name", sorted(LOSSLESS))
def test_round_trip_in_own_format(name: str) -> None:
    source = open_source(REAL / name)
    fmt = get_format(source.format.name)
    for item in source.items:
        assert isinstance(item, RawRecord)
        conv = fmt.to_conversation(item.value, item.location)
        back = fmt.from_conversation(conv)
        assert _normalise(back) == _normalise(item.value), item.location


def _normalise(record: dict) -> dict:
    # Key order, JSON-encoded `tools` strings and an empty tools list (glaive's "[]"
    # on 109 records: no tools) are representation, not content.
    out = {}
    for key, value in record.items():
        if key == "tools" and isinstance(value, str):
            value = json.loads(value)
        if key == "tools" and value == []:
            continue
        out[key] = value
    return out


def raw(*path: str | int) -> Callable[[Any], Any]:
    """Expected content read from the raw record (for texts too long to spell out)."""

    def get(record: Any) -> Any:
        for part in path:
            record = record[part]
        return record

    return get


U, A, S, T = "user", "assistant", "system", "tool"

# One record per real file: (file, record index) -> its messages as
# (role, field, content_field, content); content is literal or read from the raw record.
CONVERSIONS: dict[tuple[str, int], list[tuple[str, str, str, Any]]] = {
    ("codealpaca__code_alpaca_2k.json", 963): [
        (U, "", "instruction", "Initialize an empty list."),
        (A, "", "output", "my_list = []"),
    ],
    ("llamafactory__alpaca_en_demo.json", 554): [
        (U, "", "instruction", "Sum up the numbers.\n\n3, 2, 5"),
        (A, "", "output", "The sum of the numbers is 10."),
    ],
    ("georgian-llm-finetuning-toolkit__example_data_alpaca.csv", 10): [
        (U, "", "instruction", "What is the capital of France?"),
        (A, "", "output", "The capital of France is Paris."),
    ],
    ("llamafactory-pr10357__zena007_train_sft.jsonl", 208): [
        (U, "", "instruction", raw("instruction")),
        (A, "", "output", '"Me gustaría ordenar dos cafés y una taza de té, por favor."'),
    ],
    ("litgpt__dolly_fixture.json", 0): [
        # instruction, a blank line, then the context (not empty here)
        (U, "", "instruction", lambda r: f"{r['instruction']}\n\n{r['context']}"),
        (A, "", "response", raw("response")),
    ],
    ("litgpt__dolly_fixture.json", 1): [
        (U, "", "instruction", "Which is a species of fish? Tope or Rope"),
        (A, "", "response", "Tope"),
    ],
    ("fastchat__dummy_conversation.json", 73): [
        (U, "conversations[0]", "conversations[0].value", "Who created you?"),
        (
            A,
            "conversations[1]",
            "conversations[1].value",
            "I'm created by Large Model Systems Organization (LMSYS).",
        ),
    ],
    ("axolotl__conversation.missingturns.json", 0): [
        (U if i % 2 == 0 else A, f"conversations[{i}]", f"conversations[{i}].value", c)
        for i, c in enumerate(
            [raw("conversations", 0, "value"), ""]
            + [raw("conversations", i, "value") for i in range(2, 12)]
        )
    ],
    ("llamafactory__glaive_toolcall_en_demo.json", 119): [
        (
            U,
            "conversations[0]",
            "conversations[0].value",
            "Hi, can you help me calculate my age? I was born on 1990-05-15.",
        ),
        (A, "conversations[1]", "conversations[1].value", None),
        (T, "conversations[2]", "conversations[2].value", '{"age": 31}'),
        (
            A,
            "conversations[3]",
            "conversations[3].value",
            "Based on the birthdate you provided, you are 31 years old.",
        ),
    ],
    ("llamafactory__reason_tool_use_demo_50.jsonl", 25): [
        (S, "messages[0]", "messages[0].content", raw("messages", 0, "content", 0, "value")),
        (
            U,
            "messages[1]",
            "messages[1].content",
            "Can you find the capital of Kumasi district in Ghana?",
        ),
        (A, "messages[2]", "messages[2].content", ""),
    ],
    ("openai-cookbook__drone_training.jsonl", 88): [
        (S, "messages[0]", "messages[0].content", raw("messages", 0, "content")),
        (U, "messages[1]", "messages[1].content", "Detect nearby drones"),
        (A, "messages[2]", "messages[2].content", None),
    ],
    ("gorilla-pr918__raft_en_test.jsonl", 2): [
        (U, "", "instruction", raw("instruction")),
        (A, "", "cot_answer", raw("cot_answer")),
    ],
    ("gorilla__raft_sample_ds4.jsonl", 2): [
        (U, "", "question", "How many states are in the United States?"),
        (A, "", "cot_answer", None),  # null in the file; `answer` stays in metadata
    ],
    ("llm-foundry__dolly_hhrlhf_train_small.jsonl", 60): [
        (U, "", "prompt", raw("prompt")),
        (A, "", "response", "Aphrodite"),
    ],
    ("mlx-examples__wwdc25_train.jsonl", 683): [
        (U, "", "prompt", "Who was named Super Bowl MVP?"),
        (A, "", "completion", "Jalen Hurts was named Super Bowl MVP."),
    ],
    ("self-instruct__t0_ag_news_classify_with_choices.jsonl", 55): [
        (U, "", "prompt", raw("prompt")),
        (A, "", "completion", "Business<|endoftext|>"),
    ],
}

# Tool calls, reasoning, metadata and fields of the records above, where they have any.
CALLS = {
    ("llamafactory__glaive_toolcall_en_demo.json", 119): {
        1: [
            ToolCall("calculate_age", '{"birthdate": "1990-05-15"}', field="conversations[1].value")
        ]
    },
    ("llamafactory__reason_tool_use_demo_50.jsonl", 25): {
        2: [
            ToolCall(
                "get_district_capital_by_name",
                '{"name": "Kumasi"}',
                field="messages[2].content[1].value",
            )
        ]
    },
    ("openai-cookbook__drone_training.jsonl", 88): {
        2: [
            ToolCall(
                "reject_request",
                "{}",
                id="call_id",
                field="messages[2].tool_calls[0].function.arguments",
            )
        ]
    },
}
METADATA = {
    ("llamafactory-pr10357__zena007_train_sft.jsonl", 208): [
        "id",
        "source_teacher",
        "agreeing_teachers",
        "tier",
    ],
    ("litgpt__dolly_fixture.json", 0): ["category"],
    ("litgpt__dolly_fixture.json", 1): ["category"],
    ("fastchat__dummy_conversation.json", 73): ["id"],
    ("openai-cookbook__drone_training.jsonl", 88): ["parallel_tool_calls"],
    ("gorilla-pr918__raft_en_test.jsonl", 2): [
        "id",
        "type",
        "question",
        "context",
        "oracle_context",
    ],
    ("gorilla__raft_sample_ds4.jsonl", 2): ["id", "type", "context", "answer"],
}
FIELDS = {
    ("llamafactory__alpaca_en_demo.json", 554): {
        "instruction": "Sum up the numbers.",
        "input": "3, 2, 5",
        "output": "The sum of the numbers is 10.",
    },
    ("gorilla__raft_sample_ds4.jsonl", 2): {
        "question": "How many states are in the United States?",
        "answer": "50 federated states",
    },
    ("mlx-examples__wwdc25_train.jsonl", 683): {
        "prompt": "Who was named Super Bowl MVP?",
        "completion": "Jalen Hurts was named Super Bowl MVP.",
    },
}


def _conversation(name: str, index: int) -> tuple[Any, Conversation]:
    sample = _samples(name)[index]
    assert sample.conversation is not None
    return sample.raw, sample.conversation


@pytest.mark.parametrize(("name", "index"), sorted(CONVERSIONS))
def test_sample_record_converts_exactly(name: str, index: int) -> None:
    record, conv = _conversation(name, index)
    expected = [
        (role, field, content_field, content(record) if callable(content) else content)
        for role, field, content_field, content in CONVERSIONS[name, index]
    ]
    got = [(m.role, m.field, m.content_field, m.content) for m in conv.messages]
    assert got == expected
    calls = {i: list(m.tool_calls) for i, m in enumerate(conv.messages) if m.tool_calls}
    assert calls == CALLS.get((name, index), {})
    assert list(conv.metadata) == METADATA.get((name, index), [])
    if (name, index) in FIELDS:
        assert dict(conv.fields) == FIELDS[name, index]
    assert conv.format == EXPECTED[name][0]
    assert conv.location.record == index


def test_reasoning_parts_become_message_reasoning() -> None:
    record, conv = _conversation("llamafactory__reason_tool_use_demo_50.jsonl", 25)
    assert conv.messages[2].reasoning == record["messages"][2]["content"][0]["value"]
    assert [m.reasoning is None for m in conv.messages[:2]] == [True, True]
    # `tools` is JSON text in the file: decoded into definitions.
    assert conv.tools == tuple(json.loads(record["tools"]))


def test_every_real_file_has_a_sample_conversion() -> None:
    assert {name for name, _ in CONVERSIONS} | {"functionary__test_case.json"} == set(EXPECTED)


def test_raft_ds4_null_cot_answer_is_reported_fifteen_times() -> None:
    # SOURCES.md: cot_answer is null in all 15 records; the answer is only in `answer`.
    report = check(REAL / "gorilla__raft_sample_ds4.jsonl", select=["empty-text"])
    assert [(f.location.record, f.field) for f in report.findings] == [
        (i, "cot_answer") for i in range(15)
    ]


def test_zena007_metadata_keys_are_unknown_keys_once_per_file() -> None:
    report = check(REAL / "llamafactory-pr10357__zena007_train_sft.jsonl", select=["unknown-key"])
    found = [(f.field, f.severity.value, f.location.line, f.message) for f in report.findings]
    assert found == [
        (key, "info", 1, f"`{key}` (413 records) is not trained: metadata (short labels or ids)")
        for key in ("id", "source_teacher", "agreeing_teachers", "tier")
    ]


def test_functionary_message_extras_are_unknown_keys() -> None:
    report = check(REAL / "functionary__test_case.json", select=["unknown-key"])
    found = [(f.field, f.severity.value, f.message) for f in report.findings]
    assert found == [
        ("messages[*].metainfo", "info", "`messages[*].metainfo` (1 record) is not trained: "
         "metadata (short labels or ids)"),
        ("messages[*].metadata", "info", "`messages[*].metadata` (1 record) is not trained: "
         "not text (object)"),
    ]  # fmt: skip


def test_functionary_round_trip_differs_only_as_documented() -> None:
    # messages differs here in two documented ways: tool calls gain "type": "function",
    # and content: null next to tool_calls is written as an absent content key (as
    # OpenAI writes it). Per-message extra keys are kept.
    record = json.loads((REAL / "functionary__test_case.json").read_text())
    fmt = get_format("messages")
    back = fmt.from_conversation(fmt.to_conversation(record, _samples(FUNCTIONARY)[0].location))
    assert back["tools"] == record["tools"]
    expected = []
    for message in record["messages"]:
        message = dict(message)
        if "tool_calls" in message:
            message["tool_calls"] = [{"type": "function", **c} for c in message["tool_calls"]]
            if message["content"] is None:
                del message["content"]
        expected.append(message)
    assert back["messages"] == expected


FUNCTIONARY = "functionary__test_case.json"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_conversation_survives_its_own_format(name: str) -> None:
    # record -> conversation -> record -> conversation keeps roles, texts, reasoning,
    # tool calls (name and arguments) and tools, also where the record's shape changes.
    source = open_source(REAL / name)
    fmt = get_format(source.format.name)
    for item in source.items:
        assert isinstance(item, RawRecord)
        first = fmt.to_conversation(item.value, item.location)
        second = fmt.to_conversation(fmt.from_conversation(first), item.location)
        assert _content(second) == _content(first), item.location
        assert second.tools == first.tools


def _content(conv: Conversation) -> list[tuple[Any, ...]]:
    return [
        (
            m.role,
            m.content,
            m.reasoning,
            m.weight,
            m.tool_call_id,
            [(c.name, c.arguments, c.id) for c in m.tool_calls],
        )
        for m in conv.messages
    ]
