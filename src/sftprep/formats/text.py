"""`text`: plain pretraining text under a ``text`` key.

The text becomes one assistant message (every token is trained on), so token
counts work; conversation-shape rules skip this format.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sftprep.errors import LossyConversionError
from sftprep.findings import Finding
from sftprep.formats._common import check_text_keys, with_metadata
from sftprep.formats.base import Capability, Format, register_format
from sftprep.model import Conversation, Location, Message


@register_format
class TextFormat(Format):
    name = "text"
    description = "plain text for continued pretraining"
    required = (("text",),)
    optional = frozenset({"id", "meta", "metadata", "source", "url", "title"})
    metadata = optional
    kind = "pretraining"
    reads_system = False
    capabilities = Capability.RAW_TEXT | Capability.VERBATIM

    def matches(self, record: Any) -> float:
        # Lower than any instruction format that also has the keys it needs.
        return 0.9 * super().matches(record)

    def validate(self, record: Any, location: Location) -> Iterator[Finding]:
        yield from super().validate(record, location)
        if isinstance(record, Mapping):
            yield from check_text_keys(record, ("text",), location)

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        text = record.get("text")
        text = text if isinstance(text, str) else None
        message = Message("assistant", text, content_field="text")
        metadata = {k: v for k, v in record.items() if k != "text"}
        fields = {"text": text} if text is not None else {}
        return Conversation(
            (message,), location=location, format=self.name, fields=fields, metadata=metadata
        )

    def from_conversation(self, conversation: Conversation) -> dict[str, Any]:
        if len(conversation.messages) != 1:
            raise LossyConversionError("text holds one block of text, not a conversation")
        return with_metadata({"text": conversation.messages[0].text}, conversation)
