"""`sharegpt`: ``conversations`` of ``{"from", "value"}`` turns.

Roles: human, gpt, system, function_call (an assistant tool call whose value is
JSON ``{"name", "arguments"}``), observation / tool (a tool result); other
spellings go through the alias table (see `sftprep.formats.turns`). Optional
top-level ``system`` (or ``system_prompt``) and ``tools`` (a JSON string in
LLaMA-Factory's datasets). Turns written as ``{"role", "content"}`` are read too,
and so is a ``conversation`` list (lmsys-chat-1m names it so). Unknown ``from``
values stay raw so `invalid-role` can name them. A list of plain strings (LIMA) is a
conversation whose turns alternate user, assistant, user...

>>> conv = ShareGPTFormat().to_conversation(
...     {"conversations": [{"from": "human", "value": "Hi"},
...                        {"from": "gpt", "value": "Hello"}]}, Location("s.json"))
>>> conv.roles
('user', 'assistant')
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, TypeGuard

from sftprep.errors import LossyConversionError
from sftprep.findings import Finding
from sftprep.formats._common import (
    NOT_JSON,
    arguments_text,
    check_tools,
    loads,
    tools_tuple,
    with_metadata,
)
from sftprep.formats.aliases import first_key
from sftprep.formats.base import Capability, Format, register_format
from sftprep.formats.turns import parse_turns, validate_turns
from sftprep.model import Conversation, Location, Message

TURNS_KEYS = ("conversations", "conversation")
FROM_OF = {"user": "human", "assistant": "gpt", "system": "system", "tool": "observation"}


@register_format
class ShareGPTFormat(Format):
    name = "sharegpt"
    description = "ShareGPT conversations of from/value turns (+ system, tools)"
    required = (TURNS_KEYS,)
    optional = frozenset({"id", "tools"})
    capabilities = Capability.TURNS | Capability.SYSTEM_TURN | Capability.MEDIA_COLUMN

    def validate(self, record: Any, location: Location) -> Iterator[Finding]:
        yield from super().validate(record, location)
        if not isinstance(record, Mapping):
            return
        yield from check_tools(record, "tools", location)
        key = first_key(record, TURNS_KEYS)
        if key in record and not _plain_strings(record[key]):
            yield from validate_turns(record[key], key, location)

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        notes: list[str] = []
        system = self.system_turns(record, notes)
        key = first_key(record, TURNS_KEYS)
        value = record.get(key)
        messages = (
            _alternating(value, key) if _plain_strings(value) else parse_turns(value, key, notes)
        )
        read = {key, "tools", *(m.content_field for m in system)}
        return Conversation(
            (*system, *messages),
            tools=tools_tuple(record.get("tools")),
            location=location,
            format=self.name,
            metadata={k: v for k, v in record.items() if k not in read},
            notes=tuple(notes),
        )

    def from_conversation(self, conversation: Conversation) -> dict[str, Any]:
        out: dict[str, Any] = {}
        turns: list[dict[str, Any]] = []
        for message in conversation.messages:
            if message.role == "system" and "[" not in message.content_field and not turns:
                out["system"] = message.text
            elif message.role == "assistant" and message.tool_calls:
                turns.extend(_call_turns(message))
            elif message.role in FROM_OF:
                turns.append(_turn(message))
            else:
                raise LossyConversionError(f"sharegpt has no role {message.role!r}")
        out["conversations"] = turns
        if conversation.tools:
            out["tools"] = json.dumps(list(conversation.tools), ensure_ascii=False)
        return with_metadata(out, conversation)


def _plain_strings(value: Any) -> TypeGuard[list[str]]:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _alternating(texts: list[str], key: str) -> list[Message]:
    """LIMA's conversations: strings, the user's first, then turn about."""
    roles = ("user", "assistant")
    return [
        Message(roles[i % 2], text, field=f"{key}[{i}]", content_field=f"{key}[{i}]")
        for i, text in enumerate(texts)
    ]


def _turn(message: Message) -> dict[str, Any]:
    """``{"from", "value"}`` plus the turn's weight and the keys it was read with."""
    if any("[" in key for key in message.extra):
        raise LossyConversionError("sharegpt turns cannot carry media content parts")
    turn: dict[str, Any] = {"from": FROM_OF[message.role], "value": message.text}
    if message.weight is not None:
        turn["weight"] = message.weight
    return {**message.extra, **turn}


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
