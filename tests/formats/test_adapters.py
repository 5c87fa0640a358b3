"""Adapter behaviour on crafted records: mapping, shape findings, detection."""

from __future__ import annotations

import re
from typing import Any

import pytest

from sftprep.errors import LossyConversionError, UsageError
from sftprep.formats import Format, get_format
from sftprep.formats.detect import detect
from sftprep.model import Conversation, Location, Message, ToolCall

LOC = Location("t.jsonl", 1, 0)


def _rules(fmt: str, record: Any) -> list[tuple[str, str | None]]:
    return [(f.rule, f.field) for f in get_format(fmt).validate(record, LOC)]


@pytest.mark.parametrize(
    ("fmt", "record", "expected"),
    [
        ("qa", {"question": "q"}, [("missing-key", "cot_answer")]),
        ("qa", {"question": "q", "cot_answer": "a", "extra": 1}, []),  # once per file: check
        ("qa", {"question": 3, "cot_answer": "a"}, [("wrong-type", "question")]),
        ("qa", ["not", "an", "object"], [("not-an-object", None)]),
        (
            "alpaca",
            {"instruction": "i", "output": "o", "history": "x"},
            [("wrong-type", "history")],
        ),
        ("messages", {"messages": "hi"}, [("wrong-type", "messages")]),
        (
            "messages",
            {"messages": [{"role": "user", "content": "a", "metainfo": {}}, 7]},
            [("wrong-type", "messages[1]")],
        ),
        ("messages", {"messages": [{"content": "a"}]}, [("missing-key", "messages[0].role")]),
        (
            "messages",
            {"messages": [{"role": "assistant", "tool_calls": []}]},
            [("missing-key", "messages[0].content")],
        ),
        (
            "sharegpt",
            {"conversations": [{"from": "human"}, {"from": "gpt", "value": 1}]},
            [("missing-key", "conversations[0].value"), ("wrong-type", "conversations[1].value")],
        ),
        # tools: a list, or JSON text of one (LLaMA-Factory); anything else is wrong-type.
        ("messages", {"messages": [], "tools": "[]"}, []),
        ("sharegpt", {"conversations": [], "tools": ""}, []),
        ("messages", {"messages": [], "tools": "{oops"}, [("wrong-type", "tools")]),
        ("messages", {"messages": [], "functions": {"name": "f"}}, [("wrong-type", "functions")]),
        (
            "sharegpt",
            {"conversations": [], "tools": 3, "system": 1},
            [
                ("wrong-type", "system"),
                ("wrong-type", "tools"),
            ],
        ),
        (
            "messages",
            {
                "messages": [
                    {"role": "user", "content": ["a", {"type": "text", "text": "b"}, 3]},
                    {"role": "assistant", "content": None, "tool_calls": ["f()"]},
                ]
            },
            [("wrong-type", "messages[0].content[2]"), ("wrong-type", "messages[1].tool_calls[0]")],
        ),
        (
            "messages",
            {"messages": [{"role": 1, "content": 2}]},
            [
                ("wrong-type", "messages[0].role"),
                ("wrong-type", "messages[0].content"),
            ],
        ),
        # TRL conversational prompt-completion: message lists are checked like messages.
        (
            "prompt-completion",
            {
                "prompt": [{"role": "user", "content": "q", "x": 1}],
                "completion": [{"content": "a"}],
            },
            [("missing-key", "completion[0].role")],
        ),
        ("prompt-completion", {"prompt": 1, "completion": "a"}, [("wrong-type", "prompt")]),
        (
            "dolly",
            {"instruction": "i", "response": "r", "category": 3},
            [("wrong-type", "category")],
        ),
        ("text", {"text": None}, []),
        ("text", {"text": 1, "url": "u"}, [("wrong-type", "text")]),
        ("text", {}, [("missing-key", "text")]),
    ],
)
def test_shape_findings(fmt: str, record: Any, expected: list[tuple[str, str | None]]) -> None:
    assert _rules(fmt, record) == expected


def test_alpaca_joins_input_and_keeps_history() -> None:
    record = {
        "instruction": "Translate",
        "input": "chat",
        "output": "cat",
        "system": "Be brief.",
        "history": [["hi", "hello"]],
    }
    conv = get_format("alpaca").to_conversation(record, LOC)
    assert conv.roles == ("system", "user", "assistant", "user", "assistant")
    assert conv.messages[3].content == "Translate\n\nchat"
    assert conv.messages[4].content_field == "output"
    assert get_format("alpaca").from_conversation(conv) == record


def test_messages_content_parts_and_legacy_function_call() -> None:
    record = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Weather?"}]},
            {
                "role": "assistant",
                "content": None,
                "function_call": {"name": "w", "arguments": "{}"},
            },
            {"role": "function", "name": "w", "content": "sunny"},
        ],
        "functions": [{"name": "w", "parameters": {}}],
    }
    conv = get_format("messages").to_conversation(record, LOC)
    assert conv.roles == ("user", "assistant", "tool")
    assert conv.messages[0].content == "Weather?"
    assert conv.messages[1].tool_calls[0].name == "w"
    assert conv.messages[1].tool_calls[0].field == "messages[1].function_call.arguments"
    assert conv.tools == ({"name": "w", "parameters": {}},)


def test_legacy_functions_are_tools_and_are_written_back_once() -> None:
    record = {
        "messages": [{"role": "assistant", "function_call": {"name": "w", "arguments": "{}"}}],
        "functions": [{"name": "w", "parameters": {}}],
    }
    fmt = get_format("messages")
    conv = fmt.to_conversation(record, LOC)
    assert conv.tools == ({"name": "w", "parameters": {}},)
    back = fmt.from_conversation(conv)
    assert "tools" not in back and back["functions"] == record["functions"]


@pytest.mark.parametrize(
    "record",
    [
        {
            "prompt": [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}],
            "completion": [{"role": "assistant", "content": "A"}],
        },
        {"prompt": "Q", "completion": [{"role": "assistant", "content": "A"}], "id": 3},
        {"prompt": [{"role": "user", "content": "Q"}], "response": "A"},
        {"prompt": "Q", "response": "A"},
    ],
)
def test_prompt_completion_round_trips_strings_and_lists(record: dict[str, Any]) -> None:
    fmt = get_format("prompt-completion")
    conv = fmt.to_conversation(record, LOC)
    assert conv.roles[-2:] == ("user", "assistant")
    assert fmt.from_conversation(conv) == record


def test_prompt_completion_lists_keep_field_paths() -> None:
    conv = get_format("prompt-completion").to_conversation(
        {"prompt": [{"role": "user", "content": "Q"}], "completion": [{"role": "assistant"}]}, LOC
    )
    assert [(m.field, m.content_field, m.content) for m in conv.messages] == [
        ("prompt[0]", "prompt[0].content", "Q"),
        ("completion[0]", "completion[0].content", None),
    ]


def test_sharegpt_unknown_role_stays_raw() -> None:
    conv = get_format("sharegpt").to_conversation(
        {"conversations": [{"from": "narrator", "value": "x"}]}, LOC
    )
    assert conv.roles == ("narrator",)


def test_lossy_conversions_raise() -> None:
    conv = get_format("sharegpt").to_conversation(
        {"conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": "b"}] * 2},
        LOC,
    )
    with pytest.raises(LossyConversionError):
        get_format("qa").from_conversation(conv)
    assert get_format("alpaca").from_conversation(conv)["history"] == [["a", "b"]]


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ([{"question": "q", "cot_answer": "a"}], "qa"),
        ([{"instruction": "i", "input": "", "output": "o"}], "alpaca"),
        ([{"instruction": "i", "context": "", "response": "r", "category": "c"}], "dolly"),
        ([{"prompt": "p", "completion": "c"}], "prompt-completion"),
        ([{"text": "t"}], "text"),
        ([{"conversations": []}], "sharegpt"),
        # The first record alone would say alpaca; the sample says messages.
        ([{"instruction": "i", "output": "o"}] + [{"messages": []}] * 5, "messages"),
    ],
)
def test_detection_uses_the_whole_sample(records: list[Any], expected: str) -> None:
    assert detect(records).format == expected


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        # Records fitting several formats: the specific keys decide.
        ([{"question": "q", "answer": "a"}], ("qa", 1.0)),
        ([{"prompt": "p", "response": "r"}], ("prompt-completion", 1.0)),
        ([{"instruction": "i", "response": "r"}], ("dolly", 1.0)),
        ([{"instruction": "i", "output": "o", "text": "t"}], ("alpaca", 0.99)),
        ([{"messages": [], "text": "t"}], ("messages", 0.99)),
        # A mixed sample: the majority wins, with the share that fits as confidence.
        (
            [{"instruction": "i", "input": "", "output": "o"}] * 3
            + [{"question": "q", "cot_answer": "a"}] * 2,
            ("alpaca", 0.63),
        ),
        # Lines that are not objects lower the confidence, not the choice.
        ([{"instruction": "i", "output": "o"}, None, 3, "x"], ("alpaca", 0.25)),
    ],
)
def test_detection_of_ambiguous_and_mixed_samples(
    records: list[Any], expected: tuple[str, float]
) -> None:
    found = detect(records)
    assert (found.format, round(found.confidence, 2)) == expected


def test_detection_explains_itself() -> None:
    mixed = [{"instruction": "i", "output": "o"}, None, 3, "x"]
    assert detect(mixed).explain() == (
        "detected format alpaca (25%): 1/4 sampled records have its keys "
        "(3 are not JSON objects); next best dolly (49%)"
    )
    both = detect([{"conversations": [], "messages": []}])
    assert both.evidence == (
        "1/1 sampled records have its keys; next best sharegpt (99%), "
        "a tie between formats knowing the same keys (decided by name)"
    )


def test_detection_tie_goes_to_the_more_specific_format(monkeypatch: pytest.MonkeyPatch) -> None:
    class Loose(Format):
        name = "loose"
        required = (("a",),)

        def matches(self, record: Any) -> float:
            return 1.0

    class Strict(Loose):
        name = "strict"
        optional = frozenset({"b", "c"})

    monkeypatch.setattr("sftprep.formats.detect.FORMATS", {"loose": Loose, "strict": Strict})
    found = detect([{"a": 1, "b": 2}, {"a": 1, "c": 3}])
    assert found.format == "strict"
    assert found.evidence.endswith("a tie won by the format knowing more of the keys (strict)")


def test_detection_of_nothing_and_of_unknown_keys() -> None:
    assert detect([]).confidence == 0.0
    assert detect([1, "x"]).evidence == "no record is a JSON object in the sample"
    with pytest.raises(UsageError, match="keys seen: foo"):
        detect([{"foo": 1}])


def _msg(role: str, content: str | None, i: int, **kw: Any) -> Message:
    return Message(
        role, content, field=f"messages[{i}]", content_field=f"messages[{i}].content", **kw
    )


PAIR = Conversation((_msg("user", "Q", 0), _msg("assistant", "A", 1)), metadata={"id": 7})
TOOLS = Conversation(
    (
        _msg("system", "S", 0),
        _msg("user", "Q", 1),
        _msg("assistant", None, 2, tool_calls=(ToolCall("f", '{"x": 1}', id="c1"),)),
        _msg("tool", "R", 3, tool_call_id="c1"),
        _msg("assistant", "A", 4),
    ),
    tools=({"type": "function", "function": {"name": "f"}},),
)


@pytest.mark.parametrize(
    ("fmt", "conversation", "expected"),
    [
        ("alpaca", PAIR, {"instruction": "Q", "input": "", "output": "A", "id": 7}),
        (
            "dolly",
            PAIR,
            {"instruction": "Q", "context": "", "response": "A", "category": "", "id": 7},
        ),
        ("qa", PAIR, {"id": 7, "question": "Q", "cot_answer": "A"}),
        ("prompt-completion", PAIR, {"prompt": "Q", "completion": "A", "id": 7}),
        (
            "messages",
            PAIR,
            {
                "messages": [
                    {"role": "user", "content": "Q"},
                    {"role": "assistant", "content": "A"},
                ],
                "id": 7,
            },
        ),
        (
            "sharegpt",
            PAIR,
            {
                "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}],
                "id": 7,
            },
        ),
        ("text", PAIR, "text holds one block of text, not a conversation"),
        ("alpaca", TOOLS, "alpaca cannot carry tool calls or tool messages"),
        ("dolly", TOOLS, "dolly holds exactly one instruction and one response"),
        ("qa", TOOLS, "qa holds exactly one question and one answer"),
        ("prompt-completion", TOOLS, "prompt-completion (strings) holds one prompt and one reply"),
        (
            "messages",
            TOOLS,
            {
                "messages": [
                    {"role": "system", "content": "S"},
                    {"role": "user", "content": "Q"},
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "f", "arguments": '{"x": 1}'},
                            }
                        ],
                    },
                    {"role": "tool", "content": "R", "tool_call_id": "c1"},
                    {"role": "assistant", "content": "A"},
                ],
                "tools": [{"type": "function", "function": {"name": "f"}}],
            },
        ),
        (
            # ids are dropped (ShareGPT pairs results by position), arguments become JSON
            "sharegpt",
            TOOLS,
            {
                "conversations": [
                    {"from": "system", "value": "S"},
                    {"from": "human", "value": "Q"},
                    {"from": "function_call", "value": '{"name": "f", "arguments": {"x": 1}}'},
                    {"from": "observation", "value": "R"},
                    {"from": "gpt", "value": "A"},
                ],
                "tools": '[{"type": "function", "function": {"name": "f"}}]',
            },
        ),
        ("text", TOOLS, "text holds one block of text, not a conversation"),
    ],
)
def test_from_conversation(fmt: str, conversation: Conversation, expected: Any) -> None:
    if isinstance(expected, str):
        with pytest.raises(LossyConversionError, match=re.escape(expected)):
            get_format(fmt).from_conversation(conversation)
    else:
        assert get_format(fmt).from_conversation(conversation) == expected


def test_metadata_colliding_with_a_format_key_is_refused() -> None:
    # RAFT keeps its `context` dict as metadata: dolly's own `context` is text.
    raft = get_format("qa").to_conversation(
        {"question": "Q", "cot_answer": "A", "context": {"sentences": [["d"]]}}, LOC
    )
    with pytest.raises(LossyConversionError, match="`context` would collide"):
        get_format("dolly").from_conversation(raft)


def test_messages_accept_developer_role_and_from_value_turns() -> None:
    record = {
        "messages": [
            {"role": "developer", "content": "Be brief."},
            {"from": "human", "value": "Hi"},
            {"from": "gpt", "value": "Hello"},
        ]
    }
    fmt = get_format("messages")
    assert list(fmt.validate(record, LOC)) == []
    conv = fmt.to_conversation(record, LOC)
    assert conv.roles == ("system", "user", "assistant")
    assert conv.messages[2].content_field == "messages[2].value"


@pytest.mark.parametrize(
    ("source", "record"),
    [
        ("alpaca", {"instruction": "Add", "input": "2+2", "output": "4"}),
        ("dolly", {"instruction": "Add", "context": "2+2", "response": "4", "category": "qa"}),
    ],
)
def test_an_alpaca_or_dolly_instruction_becomes_the_qa_question(
    source: str, record: dict[str, Any]
) -> None:
    """Only RAFT's `instruction` holds a prompt with documents; alpaca's is the question."""
    conv = get_format(source).to_conversation(record, LOC)
    out = get_format("qa").from_conversation(conv)
    assert out["question"] == "Add\n\n2+2" and out["cot_answer"] == "4"
    assert "instruction" not in out
