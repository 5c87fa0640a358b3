"""Checks shared by the chat-format profiles; each takes the profile so findings carry its id."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from sftprep.findings import Finding
from sftprep.formats.keys import digest
from sftprep.model import Conversation, Location, Message
from sftprep.targets.base import Target


def roles_allowed(
    target: Target, conversation: Conversation, location: Location, allowed: Iterable[str]
) -> Iterator[Finding]:
    """Every role must be one of ``allowed``, spelt so: sftprep reads ``Chatbot`` as
    assistant (the alias table), the platform's upload does not."""
    allowed = tuple(allowed)
    for index, message in enumerate(conversation.messages):
        if message.role not in allowed:
            yield target.finding(
                location,
                f"{target.title} accepts the roles {', '.join(allowed)}; message {index} has "
                f"role `{message.role}`",
                field=message.field or None,
            )
    spelt = [note.removeprefix("role ") for note in conversation.notes if note.startswith("role ")]
    if spelt:
        yield target.finding(
            location,
            f"{target.title} accepts the roles {', '.join(allowed)} as written; this record "
            f"spells {', '.join(spelt)}",
            hint=f"sftprep convert --target {target.name} (or sftprep fix) writes these names",
        )


def needs_assistant(
    target: Target, conversation: Conversation, location: Location, why: str
) -> Iterator[Finding]:
    if not any(m.role == "assistant" for m in conversation.messages):
        yield target.finding(location, f"no assistant message: {why}")


def weights(
    target: Target,
    conversation: Conversation,
    location: Location,
    *,
    assistant_only: bool,
) -> Iterator[Finding]:
    """``weight`` must be the integer 0 or 1 (and, where stated, only on assistant turns)."""
    for index, message in enumerate(conversation.messages):
        weight = message.weight
        if weight is None:
            continue
        where = message.field or f"messages[{index}]"
        if isinstance(weight, bool) or weight not in (0, 1):
            yield target.finding(
                location,
                f"{target.title} supports only weight 0 or 1; {where} has weight {weight!r}",
                field=f"{where}.weight",
            )
        elif assistant_only and message.role != "assistant":
            yield target.finding(
                location,
                f"{target.title} reads `weight` only on assistant messages; {where} is "
                f"{message.role}",
                field=f"{where}.weight",
            )


def content_present(
    target: Target, conversation: Conversation, location: Location, *, tool_calls_ok: bool
) -> Iterator[Finding]:
    """Every message carries text, except (where allowed) an assistant turn of tool calls."""
    for index, message in enumerate(conversation.messages):
        if message.content is not None:
            continue
        if tool_calls_ok and message.tool_calls:
            continue
        yield target.finding(
            location,
            f"{target.title} needs string content in every message; message {index} "
            f"({message.role}) has none",
            field=message.content_field or message.field or None,
        )


def tool_results_linked(
    target: Target, conversation: Conversation, location: Location
) -> Iterator[Finding]:
    for index, message in enumerate(conversation.messages):
        if message.role == "tool" and not message.tool_call_id:
            yield target.finding(
                location,
                f"{target.title} needs `tool_call_id` on tool messages to pair each result "
                f"with its call; message {index} has none",
                field=message.field or None,
            )


def no_tools(
    target: Target, conversation: Conversation, location: Location, why: str
) -> Iterator[Finding]:
    if conversation.tools or any(m.tool_calls for m in conversation.messages):
        yield target.finding(location, f"tool definitions or tool calls: {why}")


def message_keys(
    target: Target, record: Mapping[str, Any], location: Location, allowed: frozenset[str]
) -> Iterator[Finding]:
    """Keys of each raw ``messages[i]`` object outside ``allowed``."""
    messages = record.get("messages")
    if not isinstance(messages, list):
        return
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping):
            continue
        for key in message:
            if key not in allowed:
                yield target.finding(
                    location,
                    f"{target.title} does not accept the message key `{key}` "
                    f"(allowed: {', '.join(sorted(allowed))})",
                    field=f"messages[{index}].{key}",
                )


def alternation(
    target: Target,
    conversation: Conversation,
    location: Location,
    *,
    odd: tuple[str, ...],
    even: tuple[str, ...],
    why: str,
) -> Iterator[Finding]:
    """After an optional leading system turn, turns alternate ``odd`` / ``even`` roles."""
    messages = conversation.messages
    start = 1 if messages and messages[0].role == "system" else 0
    for position, message in enumerate(messages[start:]):
        expected = odd if position % 2 == 0 else even
        if message.role not in expected:
            yield target.finding(
                location,
                f"turn {start + position} is `{message.role}` where {' or '.join(expected)} is "
                f"expected: {why}",
                field=message.field or None,
            )
            return


def wrap_functions(conversation: Conversation) -> Conversation:
    """Bare function definitions (glaive's ``{"name", "description", "parameters"}``)
    wrapped as ``{"type": "function", "function": {...}}``, the shape OpenAI and Mistral read.
    """
    if not any(_bare_function(t) for t in conversation.tools):
        return conversation
    tools = tuple(
        {"type": "function", "function": dict(t)} if _bare_function(t) else t
        for t in conversation.tools
    )
    return replace(conversation, tools=tools)


def _bare_function(tool: Any) -> bool:
    return isinstance(tool, Mapping) and "name" in tool and "function" not in tool


def tool_shapes(
    target: Target, conversation: Conversation, location: Location
) -> Iterator[Finding]:
    """Each declared tool is ``{"type": "function", "function": {"name": ...}}``."""
    for index, tool in enumerate(conversation.tools):
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
            yield target.finding(
                location,
                f"{target.title} reads tools as {{type: function, function: {{name, description, "
                f"parameters}}}}; tool {index} is not",
                field=f"tools[{index}]",
            )


def relink_tool_calls(
    conversation: Conversation, *, valid: Callable[[str], bool], prefix: str
) -> Conversation:
    """Tool call ids the platform accepts, and tool results that name their call.

    Unless every call already has a valid id, each unique in the record, every call gets
    a new id (``prefix`` + nine letters/digits derived from the record's place and the
    call's position: the same input gives the same ids). Each tool result takes the id
    of the earliest unanswered call with its old id, or of the earliest unanswered call
    when it names none (ShareGPT pairs results with calls by position).
    """
    ids = [c.id for m in conversation.messages for c in m.tool_calls]
    ids_ok = all(i is not None and valid(i) for i in ids) and len(set(ids)) == len(ids)
    if ids_ok and all(m.tool_call_id for m in conversation.messages if m.role == "tool"):
        return conversation
    salt = f"{conversation.location.path}:{conversation.location.record}"
    pending: list[tuple[str | None, str]] = []
    messages: list[Message] = []
    for message in conversation.messages:
        if message.tool_calls:
            calls = []
            for call in message.tool_calls:
                new_id = prefix + short_id(f"{salt}:{len(pending)}:{len(messages)}")
                pending.append((call.id, new_id))
                calls.append(replace(call, id=new_id))
            message = replace(message, tool_calls=tuple(calls))
        elif message.role == "tool" and pending:
            match = next((p for p in pending if p[0] == message.tool_call_id), pending[0])
            pending.remove(match)
            message = replace(message, tool_call_id=match[1])
        messages.append(message)
    return replace(conversation, messages=tuple(messages))


_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def short_id(seed: str) -> str:
    """Nine letters/digits derived from ``seed``."""
    number = int.from_bytes(digest(seed, size=8), "big")
    chars = []
    for _ in range(9):
        number, digit = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "".join(chars)
