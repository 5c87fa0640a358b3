"""`sharegpt`: ``conversations`` of ``{"from", "value"}`` turns.

Roles: human, gpt, system, function_call (an assistant tool call whose value is
JSON ``{"name", "arguments"}``), observation / tool (a tool result). Optional
top-level ``system`` and ``tools`` (a JSON string in LLaMA-Factory's datasets).
Turns written as ``{"role", "content"}`` are read too. Unknown ``from`` values
stay raw so `invalid-role` can name them.

>>> conv = ShareGPTFormat().to_conversation(
...     {"conversations": [{"from": "human", "value": "Hi"},
...                        {"from": "gpt", "value": "Hello"}]}, Location("s.json"))
>>> conv.roles
('user', 'assistant')
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from sftprep.errors import LossyConversionError
from sftprep.findings import Finding
from sftprep.formats._common import (
    NOT_JSON,
    arguments_text,
    as_text,
    calls_from_json,
    check_text_keys,
    check_tools,
    loads,
    tools_tuple,
    with_metadata,
)
from sftprep.formats.base import Format, register_format
from sftprep.model import Conversation, Location, Message
from sftprep.rules.base import make_finding

ROLE_OF = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "chatgpt": "assistant",
    "bing": "assistant",
    "bard": "assistant",
    "model": "assistant",
    "system": "system",
    "function_call": "assistant",
    "observation": "tool",
    "tool": "tool",
    "function": "tool",
}
FROM_OF = {"user": "human", "assistant": "gpt", "system": "system", "tool": "observation"}
TURN_KEYS = frozenset({"from", "value", "role", "content", "weight", "loss", "train"})


@register_format
class ShareGPTFormat(Format):
    name = "sharegpt"
    description = "ShareGPT conversations of from/value turns (+ system, tools)"
    required = (("conversations",),)
    optional = frozenset({"id", "system", "tools"})

    def validate(self, record: Any, location: Location) -> Iterator[Finding]:
        yield from super().validate(record, location)
        if not isinstance(record, Mapping):
            return
        yield from check_tools(record, "tools", location)
        yield from check_text_keys(record, ("system",), location)
        if "conversations" not in record:
            return
        turns = record["conversations"]
        if not isinstance(turns, list):
            yield make_finding(
                "wrong-type",
                "`conversations` should be a list of turns",
                location,
                field="conversations",
            )
            return
        for i, turn in enumerate(turns):
            yield from _validate_turn(turn, f"conversations[{i}]", location)

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        messages: list[Message] = []
        if as_text(record.get("system")):
            messages.append(Message("system", record["system"], content_field="system"))
        turns = record.get("conversations")
        for i, turn in enumerate(turns if isinstance(turns, list) else []):
            if isinstance(turn, Mapping):
                messages.append(_message(turn, f"conversations[{i}]"))
        metadata = {
            k: v for k, v in record.items() if k not in ("conversations", "system", "tools")
        }
        return Conversation(
            tuple(messages),
            tools=tools_tuple(record.get("tools")),
            location=location,
            format=self.name,
            metadata=metadata,
        )

    def from_conversation(self, conversation: Conversation) -> dict[str, Any]:
        out: dict[str, Any] = {}
        turns: list[dict[str, Any]] = []
        for message in conversation.messages:
            if message.role == "system" and message.content_field == "system":
                out["system"] = message.text
            elif message.role == "assistant" and message.tool_calls:
                turns.extend(_call_turns(message))
            elif message.role in FROM_OF:
                turns.append({"from": FROM_OF[message.role], "value": message.text})
            else:
                raise LossyConversionError(f"sharegpt has no role {message.role!r}")
        out["conversations"] = turns
        if conversation.tools:
            out["tools"] = json.dumps(list(conversation.tools), ensure_ascii=False)
        return with_metadata(out, conversation)


def _call_turns(message: Message) -> list[dict[str, Any]]:
    if message.text.strip():
        raise LossyConversionError("sharegpt cannot carry text and a function call in one turn")
    turns = []
    for call in message.tool_calls:
        arguments = loads(call.arguments)
        if arguments is NOT_JSON:
            arguments = call.arguments
        value = arguments_text({"name": call.name, "arguments": arguments})
        turns.append({"from": "function_call", "value": value})
    return turns


def _validate_turn(turn: Any, field: str, location: Location) -> Iterator[Finding]:
    if not isinstance(turn, Mapping):
        yield make_finding("wrong-type", f"`{field}` should be an object", location, field=field)
        return
    role_key, text_key = (
        ("role", "content") if "from" not in turn and "role" in turn else ("from", "value")
    )
    for key in (role_key, text_key):
        if key not in turn:
            yield make_finding(
                "missing-key", f"`{field}` has no `{key}`", location, field=f"{field}.{key}"
            )
    for key in (role_key, text_key):
        value = turn.get(key)
        if key in turn and value is not None and not isinstance(value, str):
            yield make_finding(
                "wrong-type",
                f"`{field}.{key}` should be a string",
                location,
                field=f"{field}.{key}",
            )
    for extra in turn:
        if extra not in TURN_KEYS:
            yield make_finding(
                "unknown-key",
                f"turn key `{extra}` is not part of ShareGPT",
                location,
                field=f"{field}.{extra}",
            )


def _message(turn: Mapping[str, Any], field: str) -> Message:
    role_key, text_key = (
        ("role", "content") if "from" not in turn and "role" in turn else ("from", "value")
    )
    source = turn.get(role_key)
    source = source if isinstance(source, str) else ""
    role = ROLE_OF.get(source.lower(), source)
    value = as_text(turn.get(text_key))
    content_field = f"{field}.{text_key}"
    if source.lower() == "function_call":
        return Message(
            "assistant",
            None,
            tool_calls=calls_from_json(value, content_field),
            field=field,
            content_field=content_field,
            weight=turn.get("weight"),
        )
    return Message(role, value, field=field, content_field=content_field, weight=turn.get("weight"))
