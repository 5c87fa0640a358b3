"""`messages`: OpenAI chat fine-tuning rows.

``messages`` (system/user/assistant/tool), declared ``tools`` (a list, or a JSON
string as LLaMA-Factory writes it), assistant ``tool_calls``, ``role: tool``
replies with ``tool_call_id``, the legacy ``functions`` / ``function_call`` /
``role: function``, per-message ``weight``, and content given as a list of typed
parts: OpenAI's ``{"type": "text", "text": ...}`` and LLaMA-Factory's
``{"type": "text"|"reasoning"|"tool_call", "value": ...}``.

>>> conv = MessagesFormat().to_conversation(
...     {"messages": [{"role": "user", "content": "Hi"},
...                   {"role": "assistant", "content": "Hello"}]}, Location("m.jsonl"))
>>> conv.roles
('user', 'assistant')
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sftprep.findings import Finding
from sftprep.formats._common import (
    NOT_JSON,
    calls_from_json,
    check_tools,
    loads,
    tool_call_from_dict,
    tools_tuple,
    with_metadata,
)
from sftprep.formats.base import Format, register_format
from sftprep.formats.schema import json_kind
from sftprep.model import Conversation, Location, Message, ToolCall, message_to_openai
from sftprep.rules.base import make_finding

MESSAGE_KEYS = frozenset(
    {
        "role",
        "content",
        "name",
        "tool_calls",
        "tool_call_id",
        "function_call",
        "weight",
        "refusal",
        "reasoning",
        "reasoning_content",
        "thinking",
    }
)


@register_format
class MessagesFormat(Format):
    name = "messages"
    description = "OpenAI chat: messages (+ tools, tool_calls, weight)"
    required = (("messages",),)
    optional = frozenset({"tools", "functions", "parallel_tool_calls", "id", "metadata"})

    def validate(self, record: Any, location: Location) -> Iterator[Finding]:
        yield from super().validate(record, location)
        if not isinstance(record, Mapping):
            return
        if "messages" in record:
            yield from validate_message_list(record["messages"], "messages", location)
        for key in ("tools", "functions"):
            yield from check_tools(record, key, location)

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        raw = record.get("messages")
        messages = tuple(parse_message_list(raw if isinstance(raw, list) else [], "messages"))
        tools = tools_tuple(record.get("tools")) or tools_tuple(record.get("functions"))
        metadata = {k: v for k, v in record.items() if k not in ("messages", "tools")}
        return Conversation(
            messages, tools=tools, location=location, format=self.name, metadata=metadata
        )

    def from_conversation(self, conversation: Conversation) -> dict[str, Any]:
        out: dict[str, Any] = {"messages": [message_to_dict(m) for m in conversation.messages]}
        # Legacy records declare `functions` (kept in metadata): do not repeat them as tools.
        legacy = tools_tuple(conversation.metadata.get("functions"))
        if conversation.tools and conversation.tools != legacy:
            out["tools"] = list(conversation.tools)
        return with_metadata(out, conversation)


def message_to_dict(message: Message) -> dict[str, Any]:
    """One message as written in a chat record: OpenAI keys, plus ``reasoning`` when set."""
    out = message_to_openai(message)
    if out.get("content") is None and message.tool_calls:
        del out["content"]
    if message.reasoning is not None:
        out["reasoning"] = message.reasoning
    return out


def validate_message_list(value: Any, key: str, location: Location) -> Iterator[Finding]:
    """wrong-type / missing-key / unknown-key findings for a list of chat messages."""
    if not isinstance(value, list):
        yield make_finding(
            "wrong-type",
            f"`{key}` should be a list of messages, got {_kind_of_list_text(value)}",
            location,
            field=key,
            excerpt_text=value if isinstance(value, str) else None,
        )
        return
    for i, message in enumerate(value):
        field = f"{key}[{i}]"
        if not isinstance(message, Mapping):
            yield make_finding(
                "wrong-type",
                f"`{field}` should be an object, got {json_kind(message)}",
                location,
                field=field,
            )
            continue
        yield from _validate_message(message, field, location)


def _kind_of_list_text(value: Any) -> str:
    """``string``, or what JSON-looking text is: a double-encoded list, or broken JSON."""
    if not isinstance(value, str) or value.strip()[:1] not in ("[", "{"):
        return json_kind(value)
    decoded = loads(value)
    if decoded is NOT_JSON:
        return "text that is not valid JSON (truncated or badly quoted?)"
    return f"a string holding JSON text of an {json_kind(decoded)} (double-encoded?)"


# Roles other tools write for the same thing.
ROLE_ALIASES = {"function": "tool", "developer": "system"}


def turn_keys(message: Mapping[str, Any]) -> tuple[str, str]:
    """``("role", "content")``, or ShareGPT's ``("from", "value")`` inside a messages list."""
    if "role" not in message and "from" in message:
        return "from", "value"
    return "role", "content"


def _validate_message(
    message: Mapping[str, Any], field: str, location: Location
) -> Iterator[Finding]:
    role_key, text_key = turn_keys(message)
    if role_key not in message:
        yield make_finding(
            "missing-key", f"`{field}` has no `role`", location, field=f"{field}.role"
        )
    elif not isinstance(message[role_key], str):
        yield make_finding(
            "wrong-type",
            f"`{field}.{role_key}` should be a string",
            location,
            field=f"{field}.{role_key}",
        )
    content = message.get(text_key)
    calls = message.get("tool_calls") or message.get("function_call")
    if text_key not in message and not calls:
        yield make_finding(
            "missing-key",
            f"`{field}` has no `{text_key}`",
            location,
            field=f"{field}.{text_key}",
        )
    elif content is not None and not isinstance(content, (str, list)):
        yield make_finding(
            "wrong-type",
            f"`{field}.{text_key}` should be text or a list of parts, got {json_kind(content)}",
            location,
            field=f"{field}.{text_key}",
        )
    if (
        "tool_calls" in message
        and message["tool_calls"] is not None
        and not isinstance(message["tool_calls"], list)
    ):
        yield make_finding(
            "wrong-type",
            f"`{field}.tool_calls` should be a list",
            location,
            field=f"{field}.tool_calls",
        )
    yield from _check_items(message, "content", (str, Mapping), field, location)
    yield from _check_items(message, "tool_calls", (Mapping,), field, location)
    for extra in message:
        if extra not in MESSAGE_KEYS and extra not in (role_key, text_key):
            yield make_finding(
                "unknown-key",
                f"message key `{extra}` is not part of the chat format",
                location,
                field=f"{field}.{extra}",
            )


def _check_items(
    message: Mapping[str, Any],
    key: str,
    types: tuple[type, ...],
    field: str,
    location: Location,
) -> Iterator[Finding]:
    """``wrong-type`` for items of a list (content parts, tool calls) that are not objects."""
    items = message.get(key)
    for j, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, types):
            yield make_finding(
                "wrong-type",
                f"`{field}.{key}[{j}]` should be an object, got {json_kind(item)}",
                location,
                field=f"{field}.{key}[{j}]",
            )


def parse_message_list(items: list[Any], key: str) -> Iterator[Message]:
    """Messages from a list of OpenAI-style dicts; non-objects are skipped (validate reports)."""
    for i, raw in enumerate(items):
        if isinstance(raw, Mapping):
            yield parse_message(raw, f"{key}[{i}]")


def parse_message(raw: Mapping[str, Any], field: str) -> Message:
    role_key, text_key = turn_keys(raw)
    role = raw.get(role_key)
    role = role if isinstance(role, str) else ""
    if role_key == "from":
        from sftprep.formats.sharegpt import ROLE_OF

        role = ROLE_OF.get(role.lower(), role)
    role = ROLE_ALIASES.get(role, role)  # legacy `function` results, OpenAI's `developer`
    content_field = f"{field}.{text_key}"
    text, reasoning, part_calls = _content_parts(raw.get(text_key), content_field)
    reasoning = reasoning or _first_str(raw, ("reasoning_content", "reasoning", "thinking"))
    calls = [*part_calls, *_tool_calls(raw, field)]
    name = raw.get("name")
    call_id = raw.get("tool_call_id")
    return Message(
        role=role,
        content=text,
        name=name if isinstance(name, str) else None,
        tool_calls=tuple(calls),
        tool_call_id=call_id if isinstance(call_id, str) else None,
        weight=raw.get("weight"),
        reasoning=reasoning,
        field=field,
        content_field=content_field,
    )


def _first_str(raw: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    return next((raw[k] for k in keys if isinstance(raw.get(k), str)), None)


def _tool_calls(raw: Mapping[str, Any], field: str) -> list[ToolCall]:
    calls: list[ToolCall] = []
    listed = raw.get("tool_calls")
    for j, call in enumerate(listed if isinstance(listed, list) else []):
        parsed = tool_call_from_dict(call, f"{field}.tool_calls[{j}]")
        if parsed is not None:
            calls.append(parsed)
    legacy = raw.get("function_call")
    if isinstance(legacy, Mapping):
        parsed = tool_call_from_dict(legacy, f"{field}.function_call")
        if parsed is not None:
            calls.append(parsed)
    return calls


def _content_parts(content: Any, field: str) -> tuple[str | None, str | None, list[ToolCall]]:
    """Split content into (text, reasoning, tool calls); plain strings pass through."""
    if not isinstance(content, list):
        return (content if isinstance(content, str) else None), None, []
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[ToolCall] = []
    for j, part in enumerate(content):
        if isinstance(part, str):
            texts.append(part)
            continue
        if not isinstance(part, Mapping):
            continue
        kind = part.get("type", "text")
        value = part.get("text", part.get("value"))
        if kind == "tool_call":
            calls.extend(calls_from_json(value, f"{field}[{j}].value"))
        elif kind in ("reasoning", "thinking") and isinstance(value, str):
            reasoning.append(value)
        elif isinstance(value, str):
            texts.append(value)
    return "".join(texts), ("".join(reasoning) or None), calls
