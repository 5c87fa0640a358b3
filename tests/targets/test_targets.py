"""Target profiles: for each platform, a record it accepts and one it rejects, with its reason."""

from __future__ import annotations

from typing import Any

import pytest

from sftprep.findings import Severity
from sftprep.model import Conversation, Location, Message, ToolCall
from sftprep.rules.base import RecordContext
from sftprep.targets import get_target, list_targets

LOC = Location("t.jsonl", 1, 0)


def conv(*turns: tuple[str, str | None], fmt: str = "messages", **kw: Any) -> Conversation:
    messages = tuple(
        Message(role, content, field=f"messages[{i}]", content_field=f"messages[{i}].content")
        for i, (role, content) in enumerate(turns)
    )
    return Conversation(messages, location=LOC, format=fmt, **kw)


def raw_of(conversation: Conversation) -> dict[str, Any]:
    record: dict[str, Any] = {"messages": conversation.to_openai()}
    if conversation.tools:
        record["tools"] = list(conversation.tools)
    return record


def run(
    target: str,
    conversation: Conversation,
    record: dict[str, Any] | None = None,
    fmt: str | None = None,
) -> list[str]:
    ctx = RecordContext(
        record if record is not None else raw_of(conversation),
        LOC,
        fmt or conversation.format,
        conversation,
    )
    findings = list(get_target(target).check(ctx))
    assert all(f.rule == f"target-{target}" for f in findings)
    assert all(f.severity is Severity.ERROR for f in findings)
    return [f.message for f in findings]


GOOD = conv(("system", "Be brief."), ("user", "Hi"), ("assistant", "Hello!"))
CALL = ToolCall("get_weather", '{"city": "Oslo"}', id="wX3kP9qLm")
TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Weather", "parameters": {}},
}
TOOLS_GOOD = Conversation(
    (
        Message("user", "Weather in Oslo?"),
        Message("assistant", None, tool_calls=(CALL,)),
        Message("tool", '{"t": 4}', tool_call_id="wX3kP9qLm"),
        Message("assistant", "4 °C."),
    ),
    tools=(TOOL,),
    location=LOC,
    format="messages",
)


def test_registry_lists_every_profile() -> None:
    assert set(list_targets()) == {
        "openai",
        "together",
        "mistral",
        "axolotl",
        "llama-factory",
        "trl",
        "aidaptiv",
    }
    for name in list_targets():
        target = get_target(name)
        assert target.sources, name
        assert target.shape in target.accepts or name == "aidaptiv", name


@pytest.mark.parametrize("name", ["openai", "together", "mistral", "axolotl", "trl"])
def test_plain_chat_is_accepted(name: str) -> None:
    assert run(name, GOOD) == []


def test_llama_factory_accepts_alternating_sharegpt() -> None:
    sharegpt = conv(("user", "Hi"), ("assistant", "Hello"), fmt="sharegpt")
    record = {
        "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}]
    }
    assert run("llama-factory", sharegpt, record) == []


# --- rejections, one per platform rule, each message names the platform's reason ----------


def test_openai_rejects_weight_outside_0_1_and_on_user() -> None:
    bad = Conversation(
        (Message("user", "Hi", weight=1), Message("assistant", "Hello", weight=0.5)),
        location=LOC,
        format="messages",
    )
    messages = run("openai", bad)
    assert any("only weight 0 or 1" in m for m in messages)
    assert any("only on assistant messages" in m for m in messages)


def test_openai_rejects_unknown_role_extra_key_and_missing_assistant() -> None:
    bad = conv(("developer", "Rules"), ("user", "Hi"))
    record = {**raw_of(bad), "id": 7}
    messages = run("openai", bad, record)
    assert any("roles system, user, assistant, tool" in m for m in messages)
    assert any("top-level key `id`" in m for m in messages)
    assert any("no assistant message" in m for m in messages)


def test_openai_rejects_examples_over_the_token_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import sftprep.targets.openai as openai_target

    class Counts:
        def __init__(self, total: int) -> None:
            self.total = total

    class Counter:  # one token per character
        def count_conversation(self, conversation: Conversation) -> Counts:
            return Counts(sum(len(m.text) for m in conversation.messages))

    monkeypatch.setattr("sftprep.tokens.get_tokenizer", lambda spec: Counter())
    long = conv(("user", "x" * 70_000), ("assistant", "ok"))
    messages = run("openai", long)
    assert any("65,536" in m and "gpt-4o-mini" in m for m in messages)
    assert openai_target.token_count(GOOD) < (100, "upper bound")  # no tokenizer needed


def test_openai_accepts_tool_calls_without_content() -> None:
    assert run("openai", TOOLS_GOOD) == []


def test_openai_rejects_other_formats_with_the_convert_command() -> None:
    alpaca = conv(("user", "Hi"), ("assistant", "Hello"), fmt="alpaca")
    (message,) = run("openai", alpaca, {"instruction": "Hi", "output": "Hello"})
    assert "sftprep convert --target openai" in message


def test_together_rejects_extra_keys_and_non_alternating_turns() -> None:
    bad = conv(("user", "Hi"), ("user", "Anyone?"), ("assistant", "Yes"))
    record = {**raw_of(bad), "source": "forum"}
    messages = run("together", bad, record)
    assert any('extra column "source"' in m for m in messages)
    assert any("alternate user and assistant" in m for m in messages)


def test_together_rejects_tools() -> None:
    messages = run("together", TOOLS_GOOD)
    assert any("tool calls" in m for m in messages)


def test_together_accepts_prompt_completion_with_only_its_keys() -> None:
    pc = conv(("user", "2+2="), ("assistant", "4"), fmt="prompt-completion")
    assert run("together", pc, {"prompt": "2+2=", "completion": "4"}) == []
    messages = run("together", pc, {"prompt": "2+2=", "completion": "4", "id": 1})
    assert messages and 'extra column "id"' in messages[0]


def test_mistral_rejects_wrong_first_and_last_roles() -> None:
    bad = conv(("system", "S"), ("assistant", "Hello"), ("user", "Bye"))
    messages = run("mistral", bad)
    assert any("expects a user message" in m for m in messages)
    assert any("Expected last role to be one of: [assistant]" in m for m in messages)


def test_mistral_rejects_tool_call_ids_that_are_not_nine_alphanumerics() -> None:
    assert run("mistral", TOOLS_GOOD) == []
    call = ToolCall("get_weather", "{}", id="call_id")
    bad = Conversation(
        (
            Message("user", "Weather?"),
            Message("assistant", None, tool_calls=(call,)),
            Message("tool", "{}", tool_call_id="call_id"),
            Message("assistant", "Cold."),
        ),
        tools=({"type": "function", "function": {"name": "get_weather"}},),
        location=LOC,
        format="messages",
    )
    messages = run("mistral", bad)
    assert any("length of 9" in m for m in messages)
    assert any("description, parameters" in m for m in messages)


def test_axolotl_rejects_unmapped_roles_and_no_assistant() -> None:
    record = {
        "conversations": [
            {"from": "human", "value": "Hi"},
            {"from": "function_call", "value": "{}"},
        ]
    }
    bad = conv(("user", "Hi"), ("tool", "{}"), fmt="sharegpt")
    messages = run("axolotl", bad, record)
    assert any(
        "`function_call` is not in axolotl's default chat_template role map" in m for m in messages
    )
    assert any("roles_to_train" in m for m in messages)


def test_llama_factory_rejects_odd_turn_counts_and_misplaced_roles() -> None:
    bad = conv(("user", "Hi"), ("assistant", "Hello"), ("user", "Bye"), fmt="sharegpt")
    messages = run("llama-factory", bad, {"conversations": []})
    assert any("even number" in m and "Skipping this abnormal example" in m for m in messages)
    swapped = conv(("assistant", "Hello"), ("user", "Hi"), fmt="sharegpt")
    messages = run("llama-factory", swapped, {"conversations": []})
    assert any("odd positions" in m for m in messages)


def test_llama_factory_rejects_malformed_alpaca_history() -> None:
    alpaca = conv(("user", "Hi"), ("assistant", "Hello"), fmt="alpaca")
    record = {"instruction": "Hi", "input": "", "output": "Hello", "history": [["only one"]]}
    messages = run("llama-factory", alpaca, record)
    assert any("`history` must be a list of [instruction, response]" in m for m in messages)


def test_trl_rejects_conversations_without_an_assistant_turn() -> None:
    bad = conv(("system", "S"), ("user", "Hi"))
    messages = run("trl", bad)
    assert any("SFTTrainer learns the assistant turns" in m for m in messages)


def test_target_rule_plugs_into_check() -> None:
    rule = get_target("mistral").rule()
    assert rule.id == "target-mistral"
    ctx = RecordContext(raw_of(GOOD), LOC, "messages", GOOD)
    assert list(rule.check(ctx)) == []


def test_prepare_removes_only_metadata_keys() -> None:
    conversation = Conversation(GOOD.messages, metadata={"id": 3}, location=LOC, format="messages")
    record = {**raw_of(conversation), "id": 3}
    removed = get_target("together").prepare(record, conversation)
    assert removed == ["id"] and set(record) == {"messages"}


def test_check_with_a_target_reports_the_platform_rules() -> None:
    import inspect
    from pathlib import Path

    from sftprep.check import check

    if "target" not in inspect.signature(check).parameters:
        pytest.skip("check(target=...) is not wired yet (see docs/targets.md)")
    real = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
    report = check(real / "openai-cookbook__drone_training.jsonl", target="mistral")  # type: ignore[call-arg]
    found = report.by_rule("target-mistral")
    assert len({f.location.record for f in found}) == 103  # tools lack descriptions
    assert report.files[0].valid_records == 0
    clean = check(real / "mlx-examples__wwdc25_train.jsonl", target="trl")  # type: ignore[call-arg]
    assert clean.by_rule("target-trl") == []
