"""`prompt-completion`: ``prompt`` + ``completion`` (or ``response``).

Both may be strings (legacy OpenAI, mlx-lm "completions") or message lists
(TRL's conversational prompt-completion): the prompt's messages come first, then
the completion's. A conversation read from message lists is written back as lists;
any other conversation must be one user turn and one plain reply (strings).

>>> conv = PromptCompletionFormat().to_conversation(
...     {"prompt": "Say hi", "completion": "hi"}, Location("p.jsonl"))
>>> conv.roles
('user', 'assistant')
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sftprep.errors import LossyConversionError
from sftprep.findings import Finding
from sftprep.formats._common import with_metadata
from sftprep.formats.base import Format, register_format
from sftprep.formats.messages import message_to_dict, parse_message_list, validate_message_list
from sftprep.formats.schema import json_kind
from sftprep.model import Conversation, Location, Message
from sftprep.rules.base import make_finding


@register_format
class PromptCompletionFormat(Format):
    name = "prompt-completion"
    description = "prompt + completion (legacy OpenAI, mlx-lm, TRL prompt-completion)"
    required = (("prompt",), ("completion", "response"))
    optional = frozenset({"id"})

    def validate(self, record: Any, location: Location) -> Iterator[Finding]:
        yield from super().validate(record, location)
        if not isinstance(record, Mapping):
            return
        for key in ("prompt", "completion", "response"):
            value = record.get(key)
            if isinstance(value, list):
                yield from validate_message_list(value, key, location)
            elif key in record and value is not None and not isinstance(value, str):
                yield make_finding(
                    "wrong-type",
                    f"`{key}` should be a string or a list of messages, got {json_kind(value)}",
                    location,
                    field=key,
                )

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        answer_key = "completion" if "completion" in record else "response"
        messages = [
            *_side(record.get("prompt"), "prompt", "user"),
            *_side(record.get(answer_key), answer_key, "assistant"),
        ]
        fields = {k: record[k] for k in ("prompt", answer_key) if isinstance(record.get(k), str)}
        metadata = {k: v for k, v in record.items() if k not in ("prompt", answer_key)}
        return Conversation(
            tuple(messages), location=location, format=self.name, fields=fields, metadata=metadata
        )

    def from_conversation(self, conversation: Conversation) -> dict[str, Any]:
        messages = conversation.messages
        if any(m.field.startswith(_LIST_SIDES) for m in messages):
            return with_metadata(_as_lists(messages), conversation)
        if (
            conversation.roles != ("user", "assistant")
            or messages[1].tool_calls
            or messages[1].reasoning
        ):
            raise LossyConversionError("prompt-completion (strings) holds one prompt and one reply")
        user, assistant = messages
        key = assistant.content_field if assistant.content_field == "response" else "completion"
        return with_metadata({"prompt": user.text, key: assistant.text}, conversation)


_LIST_SIDES = ("prompt[", "completion[", "response[")


def _as_lists(messages: Sequence[Message]) -> dict[str, Any]:
    """TRL conversational form: each message goes back to the side it was read from."""
    answer_key = next(
        (
            k
            for k in ("completion", "response")
            if any((m.field or m.content_field).startswith(k) for m in messages)
        ),
        "completion",
    )
    out: dict[str, Any] = {"prompt": [], answer_key: []}
    for message in messages:
        path = message.field or message.content_field
        side = "prompt" if path.startswith("prompt") else answer_key
        if not message.field.startswith(_LIST_SIDES):
            # A string side next to a list side: written back as a string.
            out[side] = message.content
        else:
            out[side].append(message_to_dict(message))
    return out


def _side(value: Any, key: str, role: str) -> list[Message]:
    if isinstance(value, list):
        return list(parse_message_list(value, key))
    return [Message(role, value if isinstance(value, str) else None, content_field=key)]
