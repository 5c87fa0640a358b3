"""`prompt-completion`: ``prompt`` + ``completion``, under the names vendors give them.

``query`` + ``response`` is how MetaMathQA and LLaMA-Factory-style files name the
same pair, ``problem`` + ``solution`` how math reasoning sets (OpenR1, NuminaMath)
do; ``output`` and ``answer`` are read as the completion too. Fields, findings and
per-field token counts keep the source's names, a name other than ``prompt`` /
``completion`` is noted once per file (`mapped-names`), and a record is written
back with the names it was read from.

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

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sftprep.errors import LossyConversionError
from sftprep.findings import Finding
from sftprep.formats._common import with_metadata
from sftprep.formats.aliases import first_key, key_note
from sftprep.formats.base import Capability, Format, register_format
from sftprep.formats.turns import (
    history_finding,
    history_messages,
    side_messages,
    turn_to_dict,
    valid_history,
    validate_sides,
)
from sftprep.model import Conversation, Location, Message

# The prompt side and the answer side, each under its usual key or its alias.
PROMPT_KEYS = ("prompt", "query", "problem")
ANSWER_KEYS = ("completion", "response", "solution", "output", "answer")
_LIST_SIDES = tuple(f"{k}[" for k in (*PROMPT_KEYS, *ANSWER_KEYS))


@register_format
class PromptCompletionFormat(Format):
    name = "prompt-completion"
    description = "prompt + completion (legacy OpenAI, mlx-lm, TRL; query + response: MetaMathQA)"
    required = (PROMPT_KEYS, ANSWER_KEYS)
    optional = frozenset({"id", "history"})
    capabilities = Capability.VERBATIM

    def missing_key_field(self, group: tuple[str, ...], record: Mapping[str, Any]) -> str:
        # A `query` row names its answer `response` (MetaMathQA), not `completion`.
        if group == ANSWER_KEYS and "query" in record and "prompt" not in record:
            return "response"
        return group[0]

    def key_notes(self, records: Sequence[Mapping[str, Any]]) -> list[str]:
        notes = []
        for keys, what in ((PROMPT_KEYS, "the prompt"), (ANSWER_KEYS, "the completion")):
            named = Counter(first_key(r, keys) for r in records)
            notes += [f"{n} with `{k}` as {what}" for k, n in named.items() if k != keys[0]]
        return notes

    def validate(self, record: Any, location: Location) -> Iterator[Finding]:
        yield from super().validate(record, location)
        if not isinstance(record, Mapping):
            return
        yield from validate_sides(record, (*PROMPT_KEYS, *ANSWER_KEYS), location)
        yield from history_finding(record, location)

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        prompt_key = first_key(record, PROMPT_KEYS)
        answer_key = first_key(record, ANSWER_KEYS)
        notes = [
            note
            for key, usual, what in (
                (prompt_key, "prompt", "the prompt"),
                (answer_key, "completion", "the completion"),
            )
            if (note := key_note(key, usual, what))
        ]
        system = self.system_turns(record, notes)
        history = history_messages(record)  # ms-swift: earlier [query, response] pairs
        messages = [
            *system,
            *history,
            *side_messages(record.get(prompt_key), prompt_key, "user", notes),
            *side_messages(record.get(answer_key), answer_key, "assistant", notes),
        ]
        keys = (prompt_key, answer_key, *(m.content_field for m in system))
        fields = {k: record[k] for k in keys if isinstance(record.get(k), str)}
        read = {*keys, *(["history"] if valid_history(record.get("history")) else [])}
        metadata = {k: v for k, v in record.items() if k not in read}
        return Conversation(
            tuple(messages),
            location=location,
            format=self.name,
            fields=fields,
            metadata=metadata,
            notes=tuple(notes),
        )

    def from_conversation(self, conversation: Conversation) -> dict[str, Any]:
        lists = any(m.field.startswith(_LIST_SIDES) for m in conversation.messages)
        system, messages = self.pop_system(conversation, top_level_only=lists)
        history = [m for m in messages if m.content_field.startswith("history[")]
        head: dict[str, Any] = dict(system)
        if history:
            head["history"] = _pairs(history)
            messages = messages[len(history) :]
        if lists:
            return with_metadata({**head, **_as_lists(messages)}, conversation)
        if (
            tuple(m.role for m in messages) != ("user", "assistant")
            or messages[1].tool_calls
            or messages[1].reasoning
        ):
            raise LossyConversionError("prompt-completion (strings) holds one prompt and one reply")
        user, assistant = messages
        # Names go back as they were read, when they were read by this format.
        same = conversation.format == self.name
        prompt_key = user.content_field if same and user.content_field in PROMPT_KEYS else "prompt"
        answer = assistant.content_field
        key = answer if same and answer in ANSWER_KEYS else "completion"
        out = {**head, prompt_key: user.text, key: assistant.text}
        return with_metadata(out, conversation)


def _pairs(history: Sequence[Message]) -> list[list[str]]:
    """Turns read from ``history`` back as its ``[user, assistant]`` pairs."""
    roles = [m.role for m in history]
    if len(roles) % 2 or roles != ["user", "assistant"] * (len(roles) // 2):
        raise LossyConversionError("history holds [user, assistant] pairs")
    return [[history[i].text, history[i + 1].text] for i in range(0, len(history), 2)]


def _as_lists(messages: Sequence[Message]) -> dict[str, Any]:
    """TRL conversational form: each message goes back to the side it was read from."""
    prompt_key, answer_key = (_side_key(messages, keys) for keys in (PROMPT_KEYS, ANSWER_KEYS))
    out: dict[str, Any] = {prompt_key: [], answer_key: []}
    texts: set[str] = set()  # sides written as one string
    for message in messages:
        path = message.field or message.content_field
        side = prompt_key if path.startswith(PROMPT_KEYS) else answer_key
        listed = message.field.startswith(_LIST_SIDES)
        if side in texts or (out[side] and not listed):
            raise LossyConversionError("prompt-completion: a side is one text or one list of turns")
        if listed:
            out[side].append(turn_to_dict(message))
        else:  # a string side next to a list side: written back as a string
            out[side] = message.content
            texts.add(side)
    return out


def _side_key(messages: Sequence[Message], keys: tuple[str, ...]) -> str:
    """The key of ``keys`` the messages were read from, so lists go back where they were."""
    paths = [m.field or m.content_field for m in messages]
    return next((k for k in keys if any(p.startswith(k) for p in paths)), keys[0])
