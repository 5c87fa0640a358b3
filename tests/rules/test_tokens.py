"""Token rules: too-long, no-trainable-tokens, eot-not-trained, chat-template-error."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from sftprep.catalog import get_rule
from sftprep.check import check
from sftprep.cli.main import main
from sftprep.model import Conversation, Location, Message, ToolCall
from sftprep.rules.base import RecordContext

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tokens"))  # hfkit
from hfkit import DEEPSEEK, QWEN

TOKEN_RULES = ("too-long", "no-trainable-tokens", "eot-not-trained", "chat-template-error")


def _ctx(messages: list[Message], **options: Any) -> RecordContext:
    location = Location("d.jsonl", 1, 0)
    conv = Conversation(tuple(messages), location=location)
    return RecordContext({}, location, "messages", conv, options)


def _ids(messages: list[Message], **options: Any) -> list[str]:
    ctx = _ctx(messages, **options)
    return [f.rule for rule_id in TOKEN_RULES for f in get_rule(rule_id)().check(ctx)]


USER = Message("user", "Summarise " + "word " * 200)
ANSWER = Message("assistant", "Done.")


def test_registered_as_token_rules() -> None:
    for rule_id in TOKEN_RULES:
        rule = get_rule(rule_id)
        assert rule.scope == "token" and rule.group == "tokens"


def test_quiet_without_a_tokenizer() -> None:
    assert _ids([USER, ANSWER]) == []
    assert _ids([USER, ANSWER], tokenizer="cl100k_base") == []


def test_too_long_and_nothing_left_to_learn() -> None:
    assert _ids([USER, ANSWER], tokenizer="cl100k_base", max_tokens=50) == [
        "too-long",
        "no-trainable-tokens",
    ]
    assert _ids([ANSWER, USER], tokenizer="cl100k_base", max_tokens=50) == ["too-long"]
    assert _ids([USER], tokenizer="cl100k_base") == ["no-trainable-tokens"]
    weightless = Message("assistant", "x", weight=0)
    assert _ids([USER, weightless], tokenizer="cl100k_base") == ["no-trainable-tokens"]


def test_too_long_message_says_what_is_lost() -> None:
    ctx = _ctx([USER, ANSWER], tokenizer="cl100k_base", max_tokens=50)
    (finding,) = get_rule("too-long")().check(ctx)
    assert "over the 50 limit" in finding.message and "2 of them trainable" in finding.message


def test_hf_default_limit_is_model_max_length() -> None:
    pytest.importorskip("transformers")
    long_user = Message("user", "word " * 17000)
    assert "too-long" in _ids([long_user, ANSWER], tokenizer=str(DEEPSEEK))
    assert _ids([long_user, ANSWER], tokenizer=str(QWEN)) == []


def test_eot_not_trained(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    config = json.loads((QWEN / "tokenizer_config.json").read_text())
    config["chat_template"] = (
        "{% for m in messages %}{% if not loop.first %}<|im_end|>\n{% endif %}"
        "<|im_start|>{{ m.role }}\n{{ m.content }}{% endfor %}"
    )
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config))
    (tmp_path / "tokenizer.json").write_bytes((QWEN / "tokenizer.json").read_bytes())
    answer = Message("assistant", "Done.", field="messages[1]")
    assert _ids([USER, answer], tokenizer=str(tmp_path)) == ["eot-not-trained"]
    assert _ids([USER, answer], tokenizer=str(QWEN)) == []


def test_chat_template_error() -> None:
    pytest.importorskip("transformers")
    call = Message("assistant", None, tool_calls=(ToolCall("lights_on", "{}"),))
    assert _ids([Message("user", "Lights"), call], tokenizer=str(DEEPSEEK)) == [
        "chat-template-error"
    ]
    assert _ids([Message("user", "Lights"), call], tokenizer=str(QWEN)) == []


def test_check_runs_token_rules(tmp_path: Path) -> None:
    data = tmp_path / "qa.jsonl"
    rows = [{"question": "Q " * 300, "cot_answer": "A."}, {"question": "Q?", "cot_answer": "A."}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = check(
        data, select=list(TOKEN_RULES), options={"tokenizer": "cl100k_base", "max_tokens": 100}
    )
    assert sorted((f.rule, f.location.line) for f in report.findings) == [
        ("no-trainable-tokens", 1),
        ("too-long", 1),
    ]
    assert check(data, select=list(TOKEN_RULES)).findings == []


def test_check_cli_takes_a_tokenizer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sftprep.cli.main import main

    data = tmp_path / "qa.jsonl"
    data.write_text(json.dumps({"question": "Q " * 300, "cot_answer": "A."}) + "\n")
    argv = ["check", str(data), "--json", "--select", ",".join(TOKEN_RULES)]
    assert main([*argv, "--max-tokens", "100"]) == 1
    found = {f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert found == {"too-long", "no-trainable-tokens"}
    assert main([*argv, "--tokenizer", "cl100k_base"]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []


def test_reasoning_a_template_drops_is_reported() -> None:
    """DeepSeek-R1's template strips `<think>` blocks and ignores `reasoning_content`;
    Qwen2.5's renders a `<think>` block in the content, but not `reasoning_content`."""
    think = [
        Message("user", "2+2?"),
        Message("assistant", "<think>Two and two make four.</think>4"),
    ]
    field = [
        Message("user", "2+2?"),
        Message("assistant", "4", reasoning="Two and two make four.", field="messages[1]"),
    ]
    rule = get_rule("reasoning-not-rendered")()
    for messages, spec, expected in (
        (think, DEEPSEEK, 1),
        (field, DEEPSEEK, 1),
        (think, QWEN, 0),
        (field, QWEN, 1),
    ):
        found = list(rule.check(_ctx(messages, tokenizer=str(spec))))
        assert len(found) == expected, (spec, messages)
    (finding,) = rule.check(_ctx(field, tokenizer=str(QWEN)))
    assert finding.field == "messages[1]" and "(22 characters)" in finding.message
    plain = [Message("user", "2+2?"), Message("assistant", "4")]
    assert not list(rule.check(_ctx(plain, tokenizer=str(DEEPSEEK))))


def _pair(user: Any, assistant: Any, **extra: Any) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": user},
            {"role": "assistant", "content": assistant, **extra},
        ]
    }


@pytest.mark.unseen
@pytest.mark.qa
def test_check_token_rules_skip_records_without_messages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`no-assistant-turn` / `wrong-type` report them; the token rules add nothing."""
    path = tmp_path / "m.jsonl"
    rows = [{"messages": []}, {"messages": "hi"}, _pair("Hi", "")]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    main(["check", str(path), "--tokenizer", "cl100k_base", "--json"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    token_rules = {"too-long", "no-trainable-tokens", "eot-not-trained", "chat-template-error"}
    got = [(f["rule"], f["line"]) for f in findings if f["rule"] in token_rules]
    assert got == [("no-trainable-tokens", 3)]
