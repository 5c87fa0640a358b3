"""`messages`: OpenAI chat fine-tuning rows.

``messages`` (system/user/assistant/tool), declared ``tools`` (a list, or a JSON
string as LLaMA-Factory writes it), assistant ``tool_calls``, ``role: tool``
replies with ``tool_call_id``, the legacy ``functions`` / ``function_call`` /
``role: function``, per-message ``weight``, and content given as a list of typed
parts: OpenAI's ``{"type": "text", "text": ...}`` and LLaMA-Factory's
``{"type": "text"|"reasoning"|"tool_call", "value": ...}`` (see `sftprep.formats.turns`).
A top-level system prompt beside the messages (``system``, as Anthropic and Bedrock
write it, or ``system_prompt``) becomes the first, system, message.

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
from sftprep.formats._common import check_tools, tools_tuple, with_metadata
from sftprep.formats.aliases import system_key
from sftprep.formats.base import Capability, Format, register_format
from sftprep.formats.turns import parse_turns, turn_to_dict, validate_turns
from sftprep.model import ROLES, Conversation, Location, PlainTurn

# What a plain turn may hold: anything else (tool calls, parts, aliases) is read in full.
PLAIN_KEYS = frozenset({"role", "content", "name", "tool_call_id", "weight"})
CANONICAL = frozenset(ROLES)


@register_format
class MessagesFormat(Format):
    name = "messages"
    description = "OpenAI chat: messages (+ tools, tool_calls, weight)"
    required = (("messages",),)
    optional = frozenset({"tools", "functions", "parallel_tool_calls", "id", "metadata"})
    metadata = frozenset({"id", "metadata", "parallel_tool_calls"})
    writes_system_column = False  # OpenAI chat: the system prompt is the first message
    capabilities = Capability.TURNS | Capability.SYSTEM_TURN

    def validate(self, record: Any, location: Location) -> Iterator[Finding]:
        yield from super().validate(record, location)
        if not isinstance(record, Mapping):
            return
        if "messages" in record:
            yield from validate_turns(record["messages"], "messages", location)
        for key in ("tools", "functions"):
            yield from check_tools(record, key, location)

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        notes: list[str] = []
        system = self.system_turns(record, notes)
        messages = parse_turns(record.get("messages"), "messages", notes)
        tools = tools_tuple(record.get("tools")) or tools_tuple(record.get("functions"))
        read = {"messages", "tools", *(m.content_field for m in system)}
        metadata = {k: v for k, v in record.items() if k not in read}
        return Conversation(
            (*system, *messages),
            tools=tools,
            location=location,
            format=self.name,
            metadata=metadata,
            notes=tuple(notes),
        )

    def plain_turns(self, record: Any) -> list[PlainTurn] | None:
        """Text-only messages with canonical roles, no tools, no top-level system prompt."""
        if type(record) is not dict:
            return None
        messages = record.get("messages")
        if type(messages) is not list or not messages:
            return None
        if record.get("tools") or record.get("functions") or system_key(record):
            return None
        turns: list[PlainTurn] = []
        for m in messages:
            if type(m) is not dict or not PLAIN_KEYS.issuperset(m):
                return None
            role, content = m.get("role"), m.get("content")
            name, call_id = m.get("name"), m.get("tool_call_id")
            if type(role) is not str or role not in CANONICAL:
                return None  # a list or dict role: the adapter reports it (wrong-type)
            if not (content is None or type(content) is str):
                return None
            if not (name is None or type(name) is str) or not (
                call_id is None or type(call_id) is str
            ):
                return None
            turns.append((role, content or "", name, call_id, m.get("weight")))
        return turns

    def from_conversation(self, conversation: Conversation) -> dict[str, Any]:
        out: dict[str, Any] = {"messages": [turn_to_dict(m) for m in conversation.messages]}
        # Legacy records declare `functions` (kept in metadata): do not repeat them as tools.
        legacy = tools_tuple(conversation.metadata.get("functions"))
        if conversation.tools and conversation.tools != legacy:
            out["tools"] = list(conversation.tools)
        return with_metadata(out, conversation)
