"""`prompt-completion`: ``prompt`` (or ``query``) + ``completion`` (or ``response``).

``query`` + ``response`` is how MetaMathQA and LLaMA-Factory-style files name the
same pair. Fields, findings and per-field token counts keep the source's names, and
a record is written back with the names it was read from.

Both may be strings (legacy OpenAI, mlx-lm "completions") or message lists
(TRL's conversational prompt-completion): the prompt's messages come first, then
the completion's. A conversation read from message lists is written back as lists;
any other conversation must be one user turn and one plain reply (strings).

>>> conv = PromptCompletionFormat().to_conversation(
...     {"prompt": "Say hi", "completion": "hi"}, Location("p.jsonl"))
>>> conv.roles
('user', 'assistant')
>>> conv = PromptCompletionFormat().to_conversation(
...     {"query": "2+2?", "response": "4"}, Location("m.jsonl"))
>>> [(m.role, m.content_field) for m in conv.messages]
[('user', 'query'), ('assistant', 'response')]
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

# The prompt side and the answer side, each under its usual key or its alias.
PROMPT_KEYS = ("prompt", "query")
ANSWER_KEYS = ("completion", "response")
_LIST_SIDES = tuple(f"{k}[" for k in (*PROMPT_KEYS, *ANSWER_KEYS))


@register_format
class PromptCompletionFormat(Format):
    name = "prompt-completion"
    description = "prompt + completion (legacy OpenAI, mlx-lm, TRL; query + response: MetaMathQA)"
    required = (PROMPT_KEYS, ANSWER_KEYS)
    optional = frozenset({"id"})

    def missing_key_field(self, group: tuple[str, ...], record: Mapping[str, Any]) -> str:
        # A `query` row names its answer `response` (MetaMathQA), not `completion`.
        if group == ANSWER_KEYS and "query" in record and "prompt" not in record:
            return "response"
        return group[0]

    def key_notes(self, records: Sequence[Mapping[str, Any]]) -> list[str]:
        query = sum(1 for r in records if "query" in r and "prompt" not in r)
        return [f"{query} with `query` as the prompt"] if query else []

    def validate(self, record: Any, location: Location) -> Iterator[Finding]:
        yield from super().validate(record, location)
        if not isinstance(record, Mapping):
            return
        for key in (*PROMPT_KEYS, *ANSWER_KEYS):
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
        prompt_key = _first_present(record, PROMPT_KEYS)
        answer_key = _first_present(record, ANSWER_KEYS)
        messages = [
            *_side(record.get(prompt_key), prompt_key, "user"),
            *_side(record.get(answer_key), answer_key, "assistant"),
        ]
        keys = (prompt_key, answer_key)
        fields = {k: record[k] for k in keys if isinstance(record.get(k), str)}
        metadata = {k: v for k, v in record.items() if k not in keys}
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
        prompt_key = "query" if user.content_field == "query" else "prompt"
        key = "response" if assistant.content_field == "response" else "completion"
        return with_metadata({prompt_key: user.text, key: assistant.text}, conversation)


def _first_present(record: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    """The first of ``keys`` the record has (``prompt`` before ``query``), else the first."""
    return next((k for k in keys if k in record), keys[0])


def _as_lists(messages: Sequence[Message]) -> dict[str, Any]:
    """TRL conversational form: each message goes back to the side it was read from."""
    prompt_key, answer_key = (_side_key(messages, keys) for keys in (PROMPT_KEYS, ANSWER_KEYS))
    out: dict[str, Any] = {prompt_key: [], answer_key: []}
    for message in messages:
        path = message.field or message.content_field
        side = prompt_key if path.startswith(PROMPT_KEYS) else answer_key
        if not message.field.startswith(_LIST_SIDES):
            # A string side next to a list side: written back as a string.
            out[side] = message.content
        else:
            out[side].append(message_to_dict(message))
    return out


def _side_key(messages: Sequence[Message], keys: tuple[str, ...]) -> str:
    """The key of ``keys`` the messages were read from, so lists go back where they were."""
    paths = [m.field or m.content_field for m in messages]
    return next((k for k in keys if any(p.startswith(k) for p in paths)), keys[0])


def _side(value: Any, key: str, role: str) -> list[Message]:
    if isinstance(value, list):
        return list(parse_message_list(value, key))
    return [Message(role, value if isinstance(value, str) else None, content_field=key)]
