"""Helpers the rule families share: which texts to scan, tool names, field paths."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from sftprep.model import Conversation, FieldPath, Message, field_path
from sftprep.rules.base import RecordContext

# Non-function tool types and the call names they make available (functionary's
# ``{"type": "code_interpreter"}`` is called as ``python`` with plain code).
BUILTIN_TOOLS: Mapping[str, frozenset[str]] = {
    "code_interpreter": frozenset({"python", "code_interpreter"}),
}


def is_raw_text(ctx: RecordContext) -> bool:
    """Raw text is not a conversation: role and turn rules skip it."""
    return ctx.raw_text


def messages_field(conv: Conversation) -> str | None:
    """The key holding the messages (``messages[2]`` -> ``messages``), if known."""
    for message in conv.messages:
        path = message.field or message.content_field
        if "[" in path:
            return path.split("[", 1)[0]
    return None


def message_path(message: Message, index: int) -> str:
    """Where a message is in the record (``conversations[1]``, ``output``), for messages."""
    return message.field or message.content_field or f"messages[{index}]"


def role_field(ctx: RecordContext, message: Message) -> str:
    """Path of a message's role key (``conversations[3].from``, ``messages[0].role``)."""
    if not message.field:
        return message.content_field or ""
    raw = resolve(ctx.record, message.path)
    if isinstance(raw, Mapping):
        for key in ("role", "from"):
            if key in raw:
                return f"{message.field}.{key}"
    return f"{message.field}.role"


def resolve(record: Any, path: str | FieldPath) -> Any:
    """The value at ``path`` (``messages[2].content``, or its `field_path`) in ``record``,
    or None."""
    value = record
    for step in field_path(path) if isinstance(path, str) else path:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return None
        elif not isinstance(value, Mapping) or step not in value:
            return None
        value = value[step]
    return value


def is_absent(record: Any, path: str | FieldPath) -> bool:
    """True when the last key of ``path`` is missing from an existing parent object.

    ``missing-key`` reports absent keys, so text rules stay quiet about them; a
    path that cannot be followed at all (a synthetic field) is not "absent".
    """
    steps = field_path(path) if isinstance(path, str) else path
    if not steps:  # the record itself: "absent" only as a key named ""
        return isinstance(record, Mapping) and "" not in record
    if isinstance(steps[-1], int):
        return False
    parent = resolve(record, steps[:-1])
    return isinstance(parent, Mapping) and steps[-1] not in parent


def iter_texts(
    conv: Conversation, *, arguments: bool = True, unread: bool = False
) -> Iterator[tuple[str, str]]:
    """Every piece of training text as ``(field path, text)``, each path once.

    Source text fields (``conv.fields``: ``instruction``, ``input``, ...) come first
    because they point at the exact key; then message contents, reasoning and, unless
    ``arguments`` is false, tool call arguments (JSON text) whose path was not given;
    with ``unread``, also the strings the format did not read (a ``text`` column beside
    Alpaca's keys), so that a rule can look at every text a trainer might read.
    """
    seen: set[str] = set()
    for path, text in conv.fields.items():
        if isinstance(text, str) and path not in seen:
            seen.add(path)
            yield path, text
    for i, message in enumerate(conv.messages):
        base = message.field or f"messages[{i}]"
        content_path = message.content_field or f"{base}.content"
        if message.content and content_path not in seen:
            seen.add(content_path)
            yield content_path, message.content
        if message.reasoning:
            path = f"{base}.reasoning"
            if path not in seen:
                seen.add(path)
                yield path, message.reasoning
        for j, call in enumerate(message.tool_calls if arguments else ()):
            path = call.field or f"{base}.tool_calls[{j}]"
            if call.arguments and path not in seen:
                seen.add(path)
                yield path, call.arguments
    if unread:
        for path, value in conv.unread():
            if isinstance(value, str) and value and path not in seen:
                seen.add(path)
                yield path, value


def snippet(text: str, start: int, end: int, pad: int = 30) -> str:
    """The text around ``text[start:end]``, for a finding's excerpt."""
    lo, hi = max(0, start - pad), min(len(text), end + pad)
    return ("…" if lo else "") + text[lo:hi] + ("…" if hi < len(text) else "")


def declared_tools(ctx: RecordContext) -> list[Any] | None:
    """The tools the record declares, or None when it has no tools key at all.

    Uses the conversation's tools; falls back to the raw ``tools``/``functions``
    value (a list, or JSON text of one as in LLaMA-Factory's files).
    """
    conv = ctx.conversation
    if conv is not None and conv.tools:
        return list(conv.tools)
    record = ctx.record
    if not isinstance(record, Mapping):
        return None
    present = [key for key in ("tools", "functions") if key in record]
    if not present:
        return None
    tools: list[Any] = []
    for key in present:
        value = record[key]
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except (ValueError, RecursionError):
                continue
        if isinstance(value, list):
            tools.extend(value)
    return tools


def tool_names(tools: list[Any]) -> tuple[set[str], set[str]]:
    """``(function names, built-in call names)`` of declared tools.

    Accepts OpenAI's ``{"type": "function", "function": {"name": ...}}``, the flat
    ``{"name": ...}`` of legacy ``functions`` and glaive, and built-in types such as
    ``code_interpreter``.
    """
    functions: set[str] = set()
    builtins: set[str] = set()
    for tool in tools:
        if not isinstance(tool, Mapping):
            continue
        inner = tool.get("function")
        name = inner.get("name") if isinstance(inner, Mapping) else tool.get("name")
        if isinstance(name, str):
            functions.add(name)
            continue
        kind = tool.get("type")
        if isinstance(kind, str) and kind != "function":
            builtins |= BUILTIN_TOOLS.get(kind, frozenset({kind}))
    return functions, builtins
