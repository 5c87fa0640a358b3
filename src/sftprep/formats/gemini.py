"""`gemini`: Gemini / Vertex AI supervised tuning rows, ``contents`` of ``parts``.

Each content is ``{"role": "user"|"model", "parts": [...]}``; a part is
``{"text": ...}``, a ``functionCall`` (``{"name", "args"}``: an assistant tool call),
a ``functionResponse`` (``{"name", "response"}``: a tool result, one tool message
each), a thought (``{"text", "thought": true}``: reasoning) or media (``inlineData``,
``fileData``: kept unread, so they are reported). The system prompt is
``systemInstruction`` (or ``system_instruction``): a content whose text parts are
joined. ``model`` is read as assistant through the alias table (without a note: it
is the format's own name; `fix` writes it back as ``model``). Declared ``tools``
(``functionDeclarations`` or ``function_declarations``) are read as functions.

>>> conv = GeminiFormat().to_conversation({"contents": [
...     {"role": "user", "parts": [{"text": "Capital of France?"}]},
...     {"role": "model", "parts": [{"text": "Paris."}]}]}, Location("g.jsonl"))
>>> [(m.role, m.content) for m in conv.messages]
[('user', 'Capital of France?'), ('assistant', 'Paris.')]
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from sftprep.catalog import make_finding
from sftprep.errors import LossyConversionError
from sftprep.findings import Finding, Severity
from sftprep.formats._common import with_metadata
from sftprep.formats.aliases import canonical_role, read_role
from sftprep.formats.base import Capability, Format, register_format
from sftprep.formats.schema import json_kind
from sftprep.model import Conversation, Location, Message, ToolCall

SYSTEM_INSTRUCTION = ("systemInstruction", "system_instruction")
NATIVE_ROLES = frozenset({"user", "model", "function"})
DECLARATIONS = ("functionDeclarations", "function_declarations")


@register_format
class GeminiFormat(Format):
    name = "gemini"
    description = "Gemini / Vertex AI tuning: contents with parts (user/model), systemInstruction"
    required = (("contents",),)
    optional = frozenset({*SYSTEM_INSTRUCTION, "tools"})
    native_roles = NATIVE_ROLES
    capabilities = Capability.TURNS

    def validate(self, record: Any, location: Location) -> Iterator[Finding]:
        yield from super().validate(record, location)
        if not isinstance(record, Mapping):
            return
        contents = record.get("contents")
        if "contents" in record and not isinstance(contents, list):
            yield _wrong("contents", "a list of contents", contents, location)
            return
        for i, content in enumerate(contents or []):
            field = f"contents[{i}]"
            if not isinstance(content, Mapping):
                yield _wrong(field, "an object", content, location)
            elif not isinstance(content.get("parts"), list):
                yield _wrong(f"{field}.parts", "a list of parts", content.get("parts"), location)
            elif not isinstance(content.get("role"), str):
                yield make_finding(
                    "missing-key", f"`{field}` has no `role`", location, field=f"{field}.role"
                )
            elif content["role"] not in NATIVE_ROLES and canonical_role(content["role"]) in (
                "assistant",
                "user",
            ):
                role = content["role"]
                yield make_finding(
                    "invalid-role",
                    f"`{field}.role` is `{role}`: Gemini contents take `user` and `model`; "
                    f"Vertex AI refuses `{role}` (sftprep reads it as {canonical_role(role)})",
                    location,
                    field=f"{field}.role",
                    severity=Severity.WARNING,
                    hint="write `model` for the model's turns and `user` for the user's",
                )

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        notes: list[str] = []
        system = self.system_turns(record, notes)
        key = next((k for k in SYSTEM_INSTRUCTION if isinstance(record.get(k), Mapping)), None)
        if key is not None:
            system = (*system, *_messages(record[key], key, notes, role="system"))
        contents = record.get("contents")
        messages = [
            message
            for i, c in enumerate(contents if isinstance(contents, list) else [])
            if isinstance(c, Mapping)
            for message in _messages(c, f"contents[{i}]", notes)
        ]
        read = {"contents", "tools", *(m.content_field for m in system), *([key] if key else [])}
        return Conversation(
            (*system, *messages),
            tools=_tools_in(record.get("tools")),
            location=location,
            format=self.name,
            metadata={k: v for k, v in record.items() if k not in read},
            notes=tuple(notes),
        )

    def from_conversation(self, conversation: Conversation) -> dict[str, Any]:
        out: dict[str, Any] = {}
        messages = list(conversation.messages)
        if messages and messages[0].role == "system":
            out["systemInstruction"] = {"role": "system", "parts": [{"text": messages[0].text}]}
            messages = messages[1:]
        contents = []
        for message in messages:
            if message.role not in ("user", "assistant") or message.tool_calls or message.extra:
                raise LossyConversionError("gemini is written here for text turns only")
            role = "model" if message.role == "assistant" else "user"
            contents.append({"role": role, "parts": [{"text": message.text}]})
        out["contents"] = contents
        if conversation.tools:
            out["tools"] = _tools_out(conversation.tools)
        return with_metadata(out, conversation)


def _messages(
    content: Mapping[str, Any], field: str, notes: list[str], role: str | None = None
) -> list[Message]:
    """One content as messages: its text parts joined, calls read, thought parts as
    reasoning, each ``functionResponse`` a tool message of its own (parallel calls get
    one reply each), the other parts kept in ``extra`` (``parts[2]``)."""
    if role is None:
        role, note = read_role(content.get("role"), NATIVE_ROLES)
        if note is not None:
            notes.append(note)
    parts = content.get("parts")
    texts: list[str] = []
    thoughts: list[str] = []
    calls: list[ToolCall] = []
    replies: list[Message] = []
    extra: dict[str, Any] = {}
    for j, part in enumerate(parts if isinstance(parts, list) else []):
        where = f"{field}.parts[{j}]"
        if isinstance(part, Mapping) and isinstance(part.get("text"), str):
            (thoughts if part.get("thought") is True else texts).append(part["text"])
        elif isinstance(part, Mapping) and isinstance(part.get("functionCall"), Mapping):
            call = part["functionCall"]
            arguments = json.dumps(call.get("args", {}), ensure_ascii=False)
            calls.append(ToolCall(str(call.get("name", "")), arguments, field=where))
        elif isinstance(part, Mapping) and isinstance(part.get("functionResponse"), Mapping):
            replies.append(_reply(part["functionResponse"], where))
        else:
            extra[f"parts[{j}]"] = part
    other = {k: v for k, v in content.items() if k not in ("role", "parts")}
    if replies and not texts and not calls and not thoughts:
        if extra or other:  # what the reply parts do not hold stays reported
            replies[-1] = replace(replies[-1], extra={**other, **extra})
        return replies
    message = Message(
        role,
        "".join(texts) if texts or not calls else None,
        tool_calls=tuple(calls),
        reasoning="".join(thoughts) or None,
        field=field,
        content_field=f"{field}.parts",
        extra={**other, **extra},
    )
    return [message, *replies]


def _reply(response: Mapping[str, Any], field: str) -> Message:
    """A ``functionResponse`` part as a tool message named by its function."""
    name = response.get("name")
    return Message(
        "tool",
        json.dumps(response.get("response"), ensure_ascii=False),
        name=name if isinstance(name, str) else None,
        field=field,
        content_field=f"{field}.functionResponse.response",
    )


def _tools_in(value: Any) -> tuple[Any, ...]:
    """Declared tools in the canonical (OpenAI) shape: each of ``functionDeclarations``
    (or ``function_declarations``) as ``{"type": "function", "function": ...}``; other
    tools (``googleSearch``, ``codeExecution``) as they are."""
    if not isinstance(value, list):
        return ()
    tools: list[Any] = []
    for tool in value:
        declarations = _declarations(tool)
        if declarations is None:
            tools.append(tool)
        else:
            tools.extend({"type": "function", "function": d} for d in declarations)
    return tuple(tools)


def _declarations(tool: Any) -> list[Any] | None:
    if not isinstance(tool, Mapping) or set(tool) - set(DECLARATIONS):
        return None
    found = [tool[k] for k in DECLARATIONS if k in tool]
    return [d for group in found if isinstance(group, list) for d in group] if found else None


def _tools_out(tools: tuple[Any, ...]) -> list[Any]:
    """Canonical tools back in Gemini's shape: functions in one ``functionDeclarations``."""
    functions = [
        t["function"]
        for t in tools
        if isinstance(t, Mapping) and t.get("type") == "function" and "function" in t
    ]
    others = [t for t in tools if not (isinstance(t, Mapping) and t.get("type") == "function")]
    return [*([{"functionDeclarations": functions}] if functions else []), *others]


def _wrong(field: str, what: str, value: Any, location: Location) -> Finding:
    return make_finding(
        "wrong-type", f"`{field}` should be {what}, got {json_kind(value)}", location, field=field
    )
