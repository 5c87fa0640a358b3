"""`dolly`: ``instruction`` + ``context`` -> ``response``, with a ``category``.

The user turn is the instruction followed by the context (when not empty).

>>> conv = DollyFormat().to_conversation(
...     {"instruction": "Who?", "context": "", "response": "Me", "category": "open_qa"},
...     Location("d.json"))
>>> conv.roles
('user', 'assistant')
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sftprep.errors import LossyConversionError
from sftprep.findings import Finding
from sftprep.formats._common import as_text, check_text_keys, with_metadata
from sftprep.formats.alpaca import join_prompt
from sftprep.formats.base import Format, register_format
from sftprep.model import Conversation, Location, Message

TEXT_KEYS = ("instruction", "context", "response", "category")


@register_format
class DollyFormat(Format):
    name = "dolly"
    description = "instruction + context -> response, category (databricks-dolly-15k)"
    required = (("instruction",), ("response",))
    optional = frozenset({"context", "category"})
    metadata = frozenset({"id", "category"})

    def matches(self, record: Any) -> float:
        score = super().matches(record)
        bonus = 0.05 * sum(1 for k in ("context", "category") if k in record) if score > 0 else 0
        return score + bonus

    def validate(self, record: Any, location: Location) -> Iterator[Finding]:
        yield from super().validate(record, location)
        if isinstance(record, Mapping):
            yield from check_text_keys(record, TEXT_KEYS, location)

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        notes: list[str] = []
        system = self.system_turns(record, notes)
        prompt = join_prompt(as_text(record.get("instruction")), as_text(record.get("context")))
        messages = (
            *system,
            Message("user", prompt, content_field="instruction"),
            Message("assistant", as_text(record.get("response")), content_field="response"),
        )
        read = {*TEXT_KEYS[:3], *(m.content_field for m in system)}
        fields = {k: record[k] for k in TEXT_KEYS[:3] if isinstance(record.get(k), str)}
        metadata = {k: v for k, v in record.items() if k not in read}
        return Conversation(
            messages,
            location=location,
            format=self.name,
            fields=fields,
            metadata=metadata,
            notes=tuple(notes),
        )

    def from_conversation(self, conversation: Conversation) -> dict[str, Any]:
        system, messages = self.pop_system(conversation)
        if tuple(m.role for m in messages) != ("user", "assistant"):
            raise LossyConversionError("dolly holds exactly one instruction and one response")
        user, assistant = messages
        fields = conversation.fields
        if "instruction" in fields and join_prompt(
            fields["instruction"], fields.get("context")
        ) == (user.content):
            instruction, context = fields["instruction"], fields.get("context", "")
        else:
            instruction, context = user.text, ""
        out: dict[str, Any] = {
            "instruction": instruction,
            "context": context,
            "response": assistant.text,
            "category": conversation.metadata.get("category", ""),
            **system,
        }
        return with_metadata(out, conversation)
