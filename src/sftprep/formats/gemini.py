"""`gemini`: Gemini / Vertex AI supervised tuning rows, ``contents`` of ``parts``.

Each content is ``{"role": "user"|"model", "parts": [...]}``; a part is
``{"text": ...}``, a ``functionCall`` (``{"name", "args"}``: an assistant tool call),
a ``functionResponse`` (``{"name", "response"}``: a tool result) or media
(``inlineData``, ``fileData``: kept unread, so they are reported). The system prompt
is ``systemInstruction`` (or ``system_instruction``): a content whose text parts are
joined. ``model`` is read as assistant through the alias table (without a note: it
is the format's own name). Declared ``tools`` (``functionDeclarations``) are kept.

>>> conv = GeminiFormat().to_conversation({"contents": [
...     {"role": "user", "parts": [{"text": "Capital of France?"}]},
...     {"role": "model", "parts": [{"text": "Paris."}]}]}, Location("g.jsonl"))
>>> [(m.role, m.content) for m in conv.messages]
[('user', 'Capital of France?'), ('assistant', 'Paris.')]
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from sftprep.errors import LossyConversionError
from sftprep.findings import Finding
from sftprep.formats._common import with_metadata
from sftprep.formats.aliases import read_role
from sftprep.formats.base import Format, register_format
from sftprep.formats.schema import json_kind
from sftprep.model import Conversation, Location, Message, ToolCall
from sftprep.rules.base import make_finding

SYSTEM_INSTRUCTION = ("systemInstruction", "system_instruction")
NATIVE_ROLES = frozenset({"user", "model", "function"})


@register_format
class GeminiFormat(Format):
    name = "gemini"
    description = "Gemini / Vertex AI tuning: contents with parts (user/model), systemInstruction"
    required = (("contents",),)
    optional = frozenset({*SYSTEM_INSTRUCTION, "tools"})

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

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        notes: list[str] = []
        system = self.system_turns(record, notes)
        key = next((k for k in SYSTEM_INSTRUCTION if isinstance(record.get(k), Mapping)), None)
        if key is not None:
            system = (*system, _message(record[key], key, "system", notes))
        contents = record.get("contents")
        messages = [
            _message(c, f"contents[{i}]", None, notes)
            for i, c in enumerate(contents if isinstance(contents, list) else [])
            if isinstance(c, Mapping)
        ]
        tools = record.get("tools")
        read = {"contents", "tools", *(m.content_field for m in system), *([key] if key else [])}
        return Conversation(
            (*system, *messages),
            tools=tuple(tools) if isinstance(tools, list) else (),
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
            out["tools"] = list(conversation.tools)
        return with_metadata(out, conversation)


def _message(content: Mapping[str, Any], field: str, role: str | None, notes: list[str]) -> Message:
    """One content as a message: its text parts joined, calls and results read, the
    other parts kept in ``extra`` (``parts[2]``)."""
    if role is None:
        role, note = read_role(content.get("role"), NATIVE_ROLES)
        if note is not None:
            notes.append(note)
    parts = content.get("parts")
    texts: list[str] = []
    calls: list[ToolCall] = []
    extra: dict[str, Any] = {}
    for j, part in enumerate(parts if isinstance(parts, list) else []):
        if isinstance(part, Mapping) and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif isinstance(part, Mapping) and isinstance(part.get("functionCall"), Mapping):
            call = part["functionCall"]
            arguments = json.dumps(call.get("args", {}), ensure_ascii=False)
            calls.append(
                ToolCall(str(call.get("name", "")), arguments, field=f"{field}.parts[{j}]")
            )
        elif isinstance(part, Mapping) and isinstance(part.get("functionResponse"), Mapping):
            role = "tool"
            texts.append(json.dumps(part["functionResponse"].get("response"), ensure_ascii=False))
        else:
            extra[f"parts[{j}]"] = part
    other = {k: v for k, v in content.items() if k not in ("role", "parts")}
    return Message(
        role,
        "".join(texts) if texts or not calls else None,
        tool_calls=tuple(calls),
        field=field,
        content_field=f"{field}.parts",
        extra={**other, **extra},
    )


def _wrong(field: str, what: str, value: Any, location: Location) -> Finding:
    return make_finding(
        "wrong-type", f"`{field}` should be {what}, got {json_kind(value)}", location, field=field
    )
