"""One record that triggers each record rule and one that does not (table-driven)."""

from __future__ import annotations

from typing import Any

import pytest
from rulekit import chat, family_record_rules, single

from sftprep.catalog import get_rule
from sftprep.findings import Finding, Severity
from sftprep.rules.base import RecordContext, run_rules

U = {"role": "user", "content": "What is 2+2?"}
A = {"role": "assistant", "content": "4"}
S = {"role": "system", "content": "Be brief."}


def call(name: str, arguments: Any = "{}", id: str | None = "c1") -> dict[str, Any]:
    out: dict[str, Any] = {"type": "function", "function": {"name": name, "arguments": arguments}}
    if id is not None:
        out["id"] = id
    return out


def tool(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}


def msgs(*messages: dict[str, Any], **extra: Any) -> RecordContext:
    return chat({"messages": list(messages), **extra})


def alpaca(**record: Any) -> RecordContext:
    rec = {"instruction": "Say hi", "input": "", "output": "Hi!", **record}
    return single(rec, "instruction", "output", format="alpaca")


def run(rule_id: str, *contexts: RecordContext) -> list[Finding]:
    return run_rules([get_rule(rule_id)()], contexts)


LONG_ANSWER = (
    "Bananas are rich in potassium, which helps the heart and muscles work, and their "
    "sugars give quick energy before exercise. A medium banana has about 105 calories, "
    "three grams of fibre and a useful share of vitamin B6. Eat them ripe for sweetness, "
    "or green for more resistant starch, which feeds the good bacteria in your gut; "
    "freeze the overripe ones for smoothies and bread. Keep them away from apples, whose "
    "ethylene makes them ripen faster."
)  # over 400 characters of prose: looked at, and not reported
CALL_WEATHER = {"role": "assistant", "content": None, "tool_calls": [call("get_weather")]}
REPLY = {"role": "tool", "tool_call_id": "c1", "content": "20 C"}

# rule id, triggering record(s), expected field of the first finding, clean record(s)
CASES: list[tuple[str, list[RecordContext], str | None, list[RecordContext]]] = [
    ("empty-text", [alpaca(output="")], "output", [alpaca()]),
    ("empty-text", [alpaca(output="  \n")], "output", [alpaca(input="")]),
    (
        "empty-text",
        [msgs(U, {"role": "assistant", "content": None})],
        "messages[1].content",
        [msgs(U, CALL_WEATHER, tools=[tool("get_weather")])],
    ),
    (
        "special-token-leak",
        [
            single(
                {"prompt": "Is it?", "completion": "Yes<|endoftext|>"},
                "prompt",
                "completion",
                format="prompt-completion",
            )
        ],
        "completion",
        [msgs(U, {"role": "assistant", "content": "Use <s>strike</s> in <p>HTML</p>"})],
    ),
    (
        "special-token-leak",
        [msgs(U, {"role": "assistant", "content": "[INST] hi [/INST]"})],
        "messages[1].content",
        [msgs(U, {"role": "assistant", "content": "a <b> tag and |x|"})],
    ),
    (
        "encoding-damage",
        [alpaca(output="trial division: test \ufffd for n")],
        "output",
        [alpaca(output="Árvíztűrő tükörfúrógép, Țară, ação, “curly” — 😀 👨‍👩‍👧")],
    ),
    (
        "encoding-damage",
        [alpaca(output="cafÃ© and donâ€™t")],
        "output",
        [alpaca(output="Straße, naïve café, Ελληνικά, 日本語, עברית")],
    ),
    (
        "encoding-damage",
        [alpaca(output="zero\u200bwidth")],
        "output",
        [alpaca(output="tab\tnewline\nreturn\r ok")],
    ),
    ("encoding-damage", [alpaca(output="bell\x07")], "output", [alpaca()]),
    (
        "template-placeholder",
        [alpaca(instruction="Context: {context}\nQuestion: {question}")],
        "instruction",
        [alpaca(output='url = f"sftp://x.org/?q={city}"\nprint({name})')],
    ),
    (
        "template-placeholder",
        [alpaca(output="Dear {{ customer }}, thanks")],
        "output",
        [alpaca(output="<td>{{ user.name }}</td>"), alpaca(instruction="list as {Name} - {Date}")],
    ),
    (
        "template-placeholder",
        [alpaca(output="Hello {{}}")],
        "output",
        [alpaca(output="const a = `${input}`;")],
    ),
    (
        "baked-template",
        [
            single(
                {
                    "prompt": "Below is an instruction that describes a task.\n"
                    "### Instruction:\nHi\n### Response:\n",
                    "response": "Hello",
                },
                "prompt",
                "response",
                format="prompt-completion",
            )
        ],
        "prompt",
        [alpaca(instruction="Explain the ### Instruction: header of Alpaca prompts")],
    ),
    (
        "invalid-role",
        [msgs(U, {"role": "bot", "content": "hi"})],
        "messages[1].role",
        [msgs(S, U, A)],
    ),
    ("no-assistant-turn", [msgs(S, U)], "messages", [msgs(U, A)]),
    ("role-order", [msgs(U, U, A)], "messages[1].role", [msgs(S, U, A, U, A)]),
    (
        "role-order",
        [msgs(A, U, A)],
        "messages[0].role",
        [msgs(U, CALL_WEATHER, REPLY, A, tools=[tool("get_weather")])],
    ),
    ("role-order", [msgs(U, S, A)], "messages[1].role", [msgs(S, U, A)]),
    ("last-turn-not-assistant", [msgs(U, A, U)], "messages[2].role", [msgs(U, A)]),
    ("missing-system", [msgs(U, A)], "messages", [msgs(S, U, A), alpaca()]),
    ("missing-user", [msgs(S, A)], "messages", [msgs(U, A)]),
    (
        "invalid-weight",
        [msgs(U, {**A, "weight": 0.5})],
        "messages[1].weight",
        [msgs(U, {**A, "weight": 0}), msgs(U, {**A, "weight": 1})],
    ),
    ("invalid-weight", [msgs({**U, "weight": 1}, A)], "messages[0].weight", [msgs(U, A)]),
    ("invalid-weight", [msgs(U, {**A, "weight": True})], "messages[1].weight", [msgs(U, A)]),
    (
        "tool-call-arguments",
        [
            msgs(
                U,
                {"role": "assistant", "tool_calls": [call("get_weather", "{city: Hanoi}")]},
                tools=[tool("get_weather")],
            )
        ],
        "messages[1].tool_calls[0].function.arguments",
        [
            msgs(
                U,
                {"role": "assistant", "tool_calls": [call("get_weather", '{"city": "Hanoi"}')]},
                tools=[tool("get_weather")],
            )
        ],
    ),
    (
        "tool-call-arguments",
        [
            msgs(
                U,
                {"role": "assistant", "tool_calls": [call("get_weather", '"{\\"a\\": 1}"')]},
                tools=[tool("get_weather")],
            )
        ],
        "messages[1].tool_calls[0].function.arguments",
        [
            msgs(
                U,
                {"role": "assistant", "tool_calls": [call("python", "l.remove(3)", id=None)]},
                tools=[{"type": "code_interpreter"}],
            )
        ],
    ),
    (
        "tool-undeclared",
        [msgs(U, CALL_WEATHER, tools=[tool("get_time")])],
        "messages[1].tool_calls[0].function.name",
        [msgs(U, CALL_WEATHER, tools=[tool("get_weather")])],
    ),
    (
        "tool-undeclared",
        [msgs(U, CALL_WEATHER)],
        "messages[1].tool_calls[0].function.name",
        [msgs(U, CALL_WEATHER, tools='[{"name": "get_weather", "parameters": {}}]')],
    ),
    (
        "tool-response-orphan",
        [msgs(U, REPLY, A)],
        "messages[1]",
        [msgs(U, CALL_WEATHER, REPLY, A, tools=[tool("get_weather")])],
    ),
    (
        "tool-response-orphan",
        [msgs(U, CALL_WEATHER, {**REPLY, "tool_call_id": "c9"}, A, tools=[tool("get_weather")])],
        "messages[2].tool_call_id",
        [
            msgs(
                U,
                {"role": "assistant", "tool_calls": [call("w", id=None), call("t", id=None)]},
                {"role": "tool", "name": "w", "content": "1"},
                {"role": "tool", "name": "t", "content": "2"},
                A,
                tools=[tool("w"), tool("t")],
            )
        ],
    ),
    (
        "tool-response-orphan",
        [msgs(U, CALL_WEATHER, REPLY, REPLY, A, tools=[tool("get_weather")])],
        "messages[3]",
        [msgs(U, CALL_WEATHER, REPLY, A, tools=[tool("get_weather")])],
    ),
    (
        "tool-call-id-reused",
        [
            msgs(
                U,
                {"role": "assistant", "tool_calls": [call("w", id="c1"), call("w", id="c1")]},
                REPLY,
                REPLY,
                A,
                tools=[tool("w")],
            )
        ],
        "messages[2].tool_call_id",
        [
            msgs(
                U, {"role": "assistant", "tool_calls": [call("w", id="call_id")]}, tools=[tool("w")]
            ),
            msgs(
                U, {"role": "assistant", "tool_calls": [call("w", id="call_id")]}, tools=[tool("w")]
            ),
        ],
    ),
    ("duplicate", [alpaca(), alpaca()], None, [alpaca(), alpaca(output="Hello!")]),
    (
        "duplicate-id",
        [alpaca(id="t1"), alpaca(id="t1", output="Hello!")],
        "id",
        [alpaca(id="t1"), alpaca(id="t2", output="Hello!"), alpaca(id="t1")],  # a copy: duplicate
    ),
    (
        "repeated-text",
        [msgs(U, {"role": "assistant", "content": "Eat a banana! " * 40})],
        "messages[1].content",
        [msgs(U, {"role": "assistant", "content": LONG_ANSWER})],
    ),
    (
        "duplicate-prompt",
        [alpaca(output="Hi!"), alpaca(output="Hello!")],
        "instruction",
        [alpaca(instruction="Say hi"), alpaca(instruction="Say bye")],
    ),
    ("untrimmed-whitespace", [alpaca(output="Hi!  ")], "output", [alpaca(output="Hi!\n")]),
    ("untrimmed-whitespace", [alpaca(instruction="\nSay hi")], "instruction", [alpaca()]),
    (
        "model-commentary",
        [alpaca(output="Salut !\n\nNote: informal.")],
        "output",
        [alpaca(output="Take note: of nothing"), alpaca(instruction="Note: say hi")],
    ),
    (
        "model-commentary",
        [msgs(U, {"role": "assistant", "content": "As an AI language model, I think 4."})],
        "messages[1].content",
        [msgs(U, {"role": "assistant", "content": "Use it as an aid."})],
    ),
    (
        "label-skew",
        [
            alpaca(
                instruction=f"Review {i}. Positive or negative?",
                output="Positive" if i % 4 else "negative",
            )
            for i in range(40)
        ],
        "output",
        [
            alpaca(
                instruction=f"Review {i}. Positive or negative?",
                output="Positive" if i % 2 else "Negative",
            )
            for i in range(40)
        ],
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "bad", "field", "good"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_rule_triggers_and_stays_quiet(
    rule_id: str, bad: list[RecordContext], field: str | None, good: list[RecordContext]
) -> None:
    found = run(rule_id, *bad)
    assert len(found) == 1, found
    assert found[0].rule == rule_id
    assert found[0].field == field
    assert found[0].message and found[0].hint
    assert run(rule_id, *good) == []


def test_every_record_rule_has_a_case() -> None:
    assert set(family_record_rules()) <= {case[0] for case in CASES}


def test_empty_system_is_a_warning() -> None:
    found = run("empty-text", msgs({"role": "system", "content": ""}, U, A))
    assert [(f.field, f.severity) for f in found] == [("messages[0].content", Severity.WARNING)]


def test_duplicate_points_at_first_copy() -> None:
    first = chat({"messages": [U, A]}, line=3)
    again = chat({"messages": [dict(A), dict(U)][::-1]}, line=9)  # same JSON, new dicts
    (finding,) = run("duplicate", first, again)
    assert finding.message == "exact duplicate of record 2 (line 3)"
    assert finding.location.line == 9


def test_duplicate_prompt_ignores_case_and_spacing() -> None:
    found = run(
        "duplicate-prompt",
        alpaca(instruction="Who won 59th Super Bowl?"),
        alpaca(instruction="who won  59th super bowl? "),
    )
    assert len(found) == 1


def test_rules_skip_text_format() -> None:
    location_ctx = single({"text": "<s>[INST] hi [/INST] yo</s>"}, "text", "none", format="text")
    conv = location_ctx.conversation
    assert conv is not None
    for rule_id in (
        "special-token-leak",
        "role-order",
        "no-assistant-turn",
        "missing-user",
        "baked-template",
        "invalid-role",
        "last-turn-not-assistant",
    ):
        assert run(rule_id, location_ctx) == [], rule_id


def test_findings_carry_excerpts() -> None:
    (finding,) = run("special-token-leak", alpaca(output="x" * 200 + "<|im_end|>"))
    assert "<|im_end|>" in finding.excerpt
    (finding,) = run("encoding-damage", alpaca(output="bell\x07 here"))
    assert "\\x07" in finding.excerpt


def test_empty_text_leaves_absent_keys_to_missing_key() -> None:
    record = {"instruction": "Say hi", "input": ""}
    assert run("empty-text", single(record, "instruction", "output", format="alpaca")) == []
    record = {"instruction": "Say hi", "output": None}
    (finding,) = run("empty-text", single(record, "instruction", "output", format="alpaca"))
    assert finding.message == "assistant text `output` is null or missing"


def test_make_finding_refuses_an_unknown_rule_id() -> None:
    """A misspelt id would be filtered out by --select/--ignore without a word."""
    from sftprep.catalog import make_finding
    from sftprep.model import Location

    with pytest.raises(KeyError, match="json-sintax"):
        make_finding("json-sintax", "bad line", Location("f.jsonl", 1, 0))
    assert make_finding("json-syntax", "bad line", Location("f.jsonl", 1, 0)).rule == "json-syntax"
