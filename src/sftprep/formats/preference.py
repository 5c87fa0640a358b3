"""Preference data: KTO's labelled completions and DPO/ORPO's chosen/rejected pairs.

Neither is SFT data, and reading either as SFT would train the model on answers
the data marks as bad. So they are formats of their own (kind ``preference``):

- `kto` (TRL's unpaired preference type): ``prompt`` + ``completion`` + boolean
  ``label`` (true = desirable). Every record is read as its prompt and completion,
  so its text is checked and counted; `sft_target_error` keeps ``convert`` and
  ``fix`` from writing an undesirable completion as an SFT target.
- `dpo` (TRL's preference type, used by DPO, ORPO, IPO, SimPO): ``chosen`` and
  ``rejected``, with an explicit ``prompt`` or an implicit one (``chosen`` and
  ``rejected`` are whole conversations: lists of turns, or Anthropic HH-RLHF
  transcripts ``"\\n\\nHuman: ...\\n\\nAssistant: ..."``). The conversation is the
  prompt with the chosen answer; the rejected answer is not an SFT target.

The `not-sft-data` rule says once per file what such a file is and what sftprep
does with it; `preference-pair` checks each pair.

>>> conv = KTOFormat().to_conversation(
...     {"prompt": "Hi", "completion": "Go away.", "label": False}, Location("k.jsonl"))
>>> KTOFormat().sft_target_error(conv)
'undesirable completion (KTO label false): not an SFT target'
>>> [m.role for m in DPOFormat().to_conversation(
...     {"chosen": "\\n\\nHuman: Hi\\n\\nAssistant: Hello!", "rejected": "..."},
...     Location("d.jsonl")).messages]
['user', 'assistant']
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from sftprep.errors import LossyConversionError
from sftprep.findings import Finding
from sftprep.formats._common import with_metadata
from sftprep.formats.base import Format, register_format
from sftprep.formats.schema import json_kind
from sftprep.formats.turns import parse_turns, turn_to_dict, validate_turns
from sftprep.model import Conversation, Location, Message
from sftprep.rules.base import make_finding

PREFERENCE = "preference"
# Anthropic HH-RLHF transcripts: turns start with "\n\nHuman:" or "\n\nAssistant:".
_HH_TURN = re.compile(r"(?:^|\n\n)(Human|Assistant):[ \t]?")


def _side(value: Any, key: str, role: str, notes: list[str]) -> list[Message]:
    """One side of a record: a list of turns, or a string as one message of ``role``."""
    if isinstance(value, list):
        return parse_turns(value, key, notes)
    return [Message(role, value if isinstance(value, str) else None, content_field=key)]


def _validate_sides(record: Mapping[str, Any], keys: tuple[str, ...], location: Location) -> Any:
    for key in keys:
        value = record.get(key)
        if isinstance(value, list):
            yield from validate_turns(value, key, location)
        elif key in record and value is not None and not isinstance(value, str):
            yield make_finding(
                "wrong-type",
                f"`{key}` should be a string or a list of messages, got {json_kind(value)}",
                location,
                field=key,
            )


@register_format
class KTOFormat(Format):
    name = "kto"
    description = "KTO preference data: prompt + completion + boolean label (TRL unpaired)"
    required = (("prompt",), ("completion",), ("label",))
    optional = frozenset({"id"})
    metadata = frozenset({"id", "label"})  # the labels are counted by `not-sft-data`
    kind = PREFERENCE

    def validate(self, record: Any, location: Location) -> Iterator[Finding]:
        yield from super().validate(record, location)
        if not isinstance(record, Mapping):
            return
        yield from _validate_sides(record, ("prompt", "completion"), location)
        label = record.get("label")
        if "label" in record and not isinstance(label, bool):
            yield make_finding(
                "wrong-type",
                f"`label` should be a boolean (true: a desirable completion), got "
                f"{json_kind(label)}",
                location,
                field="label",
                excerpt_text=label if isinstance(label, str) else None,
            )

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        notes: list[str] = []
        system = self.system_turns(record, notes)
        messages = (
            *system,
            *_side(record.get("prompt"), "prompt", "user", notes),
            *_side(record.get("completion"), "completion", "assistant", notes),
        )
        read = {"prompt", "completion", *(m.content_field for m in system)}
        return Conversation(
            messages,
            location=location,
            format=self.name,
            fields={
                k: record[k] for k in ("prompt", "completion") if isinstance(record.get(k), str)
            },
            metadata={k: v for k, v in record.items() if k not in read},
            notes=tuple(notes),
        )

    def sft_target_error(self, conversation: Conversation) -> str | None:
        label = conversation.metadata.get("label")
        if label is True:
            return None
        if label is False:
            return "undesirable completion (KTO label false): not an SFT target"
        return "KTO label is not a boolean: whether the completion is desirable is unknown"

    def from_conversation(self, conversation: Conversation) -> dict[str, Any]:
        system, messages = self.pop_system(conversation)
        answers = [i for i, m in enumerate(messages) if m.role == "assistant"]
        if not answers or any(m.role != "assistant" for m in messages[answers[0] :]):
            raise LossyConversionError("kto holds a prompt and one completion at its end")
        prompt, completion = messages[: answers[0]], messages[answers[0] :]
        out: dict[str, Any] = {**system}
        out["prompt"] = _write_side(prompt)
        out["completion"] = _write_side(completion)
        out["label"] = conversation.metadata.get("label", True)
        return with_metadata(out, conversation)


def _write_side(messages: tuple[Message, ...]) -> Any:
    """A single plain message as a string, anything else as a list of turns."""
    if len(messages) == 1 and not messages[0].tool_calls and "[" not in messages[0].content_field:
        return messages[0].text
    return [turn_to_dict(m) for m in messages]


@register_format
class DPOFormat(Format):
    name = "dpo"
    description = "DPO/ORPO preference pairs: (prompt +) chosen + rejected (TRL preference)"
    required = (("chosen",), ("rejected",))
    optional = frozenset(
        {"prompt", "id", "prompt_id", "score_chosen", "score_rejected", "messages"}
    )
    kind = PREFERENCE
    metadata = frozenset({"id", "prompt_id", "score_chosen", "score_rejected"})
    # Not an SFT target: the `not-sft-data` finding explains where it went.
    untrained = frozenset({"rejected"})

    def validate(self, record: Any, location: Location) -> Iterator[Finding]:
        yield from super().validate(record, location)
        if isinstance(record, Mapping):
            yield from _validate_sides(record, ("prompt", "chosen", "rejected"), location)

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        notes: list[str] = []
        system = self.system_turns(record, notes)
        chosen = chosen_turns(record, "chosen", notes)
        prompt: list[Message] = []
        if "prompt" in record and not _has_prompt(chosen):
            prompt = _side(record.get("prompt"), "prompt", "user", notes)
        read = {"chosen", *(m.content_field for m in system), *(["prompt"] if prompt else [])}
        return Conversation(
            (*system, *prompt, *chosen),
            location=location,
            format=self.name,
            fields={k: record[k] for k in ("prompt", "chosen") if isinstance(record.get(k), str)},
            metadata={k: v for k, v in record.items() if k not in read},
            notes=tuple(notes),
        )


def chosen_turns(record: Mapping[str, Any], key: str, notes: list[str]) -> list[Message]:
    """The messages of ``record[key]`` (``chosen`` or ``rejected``): turns, an HH-RLHF
    transcript, or a plain answer string."""
    value = record.get(key)
    if isinstance(value, str) and "prompt" not in record and _HH_TURN.search(value):
        return hh_turns(value, key)
    return _side(value, key, "assistant", notes)


def _has_prompt(messages: list[Message]) -> bool:
    """Whether a side already holds the prompt (implicit-prompt conversations)."""
    return any(m.role != "assistant" for m in messages)


def hh_turns(text: str, key: str) -> list[Message]:
    """An Anthropic HH-RLHF transcript as messages (text before the first turn is dropped
    only when it is whitespace).

    >>> [(m.role, m.content) for m in hh_turns("\\n\\nHuman: Hi\\n\\nAssistant: Yo", "chosen")]
    [('user', 'Hi'), ('assistant', 'Yo')]
    """
    marks = list(_HH_TURN.finditer(text))
    messages: list[Message] = []
    head = text[: marks[0].start()] if marks else text
    if head.strip():
        messages.append(Message("user", head, content_field=key))
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        role = "user" if mark.group(1) == "Human" else "assistant"
        messages.append(Message(role, text[mark.end() : end], content_field=key))
    return messages
