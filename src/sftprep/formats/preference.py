"""Preference data: KTO's labelled completions and DPO/ORPO's chosen/rejected pairs.

Neither is SFT data, and reading either as SFT would train the model on answers
the data marks as bad. So they are formats of their own (kind ``preference``):

- `kto` (unpaired preference): a prompt, a completion and a boolean ``label``
  (true = desirable). TRL writes ``prompt`` + ``completion`` (text or turns);
  LLaMA-Factory a conversation (``messages`` or ShareGPT ``conversations``) whose
  last assistant turns are the completion, or Alpaca columns (``instruction``,
  ``input``, ``output``). Every record is read as its prompt and completion, so its
  text is checked and counted; `sft_target_error` keeps ``convert`` and ``fix``
  from writing an undesirable completion as an SFT target.
- `dpo` (paired preference: DPO, ORPO, IPO, SimPO): ``chosen`` and ``rejected``,
  with an explicit prompt (TRL's ``prompt``; LLaMA-Factory's ``conversations`` or
  ``messages`` list, or Alpaca ``instruction``/``input``; ``question``) or an
  implicit one (``chosen`` and ``rejected`` are whole conversations: lists of
  turns, LLaMA-Factory v1's ``chosen_messages``/``rejected_messages``, or Anthropic
  HH-RLHF transcripts ``"\\n\\nHuman: ...\\n\\nAssistant: ..."``). Each answer
  may be text, a list of turns or one turn object (LLaMA-Factory's
  ``{"from": "gpt", "value": ...}``). The conversation is the prompt with the
  chosen answer; the rejected answer is not an SFT target.

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

from sftprep.catalog import make_finding
from sftprep.errors import LossyConversionError
from sftprep.findings import Finding
from sftprep.formats._common import (
    as_text,
    check_text_keys,
    check_tools,
    tools_tuple,
    with_metadata,
)
from sftprep.formats.aliases import CHOSEN_KEYS, REJECTED_KEYS, first_key
from sftprep.formats.alpaca import join_prompt
from sftprep.formats.base import Format, register_format
from sftprep.formats.schema import json_kind
from sftprep.formats.turns import side_messages, validate_sides, write_side
from sftprep.model import Conversation, Location, Message

PREFERENCE = "preference"
# Anthropic HH-RLHF transcripts: turns start with "\n\nHuman:" or "\n\nAssistant:".
_HH_TURN = re.compile(r"(?:^|\n\n)(Human|Assistant):[ \t]?")
# Where a prompt is, in the order tried: TRL, LLaMA-Factory (ShareGPT or OpenAI turns),
# Alpaca columns, QA.
CHAT_KEYS = ("conversations", "messages")
ALPACA_KEYS = ("instruction", "input")
PROMPT_KEYS = ("prompt", *CHAT_KEYS, *ALPACA_KEYS, "question")
# KTO's completion when it is not the end of a conversation: TRL, then Alpaca's names.
COMPLETION_KEYS = ("completion", "output", "response")


def prompt_turns(
    record: Mapping[str, Any], notes: list[str], keys: tuple[str, ...] = PROMPT_KEYS
) -> tuple[list[Message], set[str]]:
    """The prompt of a preference record and the keys it was read from (none found: [])."""
    key = next((k for k in keys if k in record), None)
    if key is None:
        return [], set()
    if key == "input" and isinstance(record["input"], Mapping):  # OpenAI preference rows
        turns = record["input"].get("messages")
        return side_messages(turns, "input.messages", "user", notes), {"input"}
    if key in ALPACA_KEYS:
        if "instruction" not in record:
            return side_messages(record.get("input"), "input", "user", notes), {"input"}
        text = join_prompt(as_text(record.get("instruction")), as_text(record.get("input")))
        return [Message("user", text, content_field="instruction")], {*ALPACA_KEYS} & set(record)
    return side_messages(record[key], key, "user", notes), {key}


def _label_is_bool(record: Any) -> bool:
    return isinstance(record, Mapping) and isinstance(record.get("label"), bool)


@register_format
class KTOFormat(Format):
    name = "kto"
    description = (
        "KTO preference data: prompt + completion + boolean label (TRL unpaired; "
        "LLaMA-Factory messages + label)"
    )
    required = (
        (*PROMPT_KEYS[:-1],),
        ("completion", *CHAT_KEYS, "output", "response"),
        ("label",),
    )
    optional = frozenset({"id"})
    metadata = frozenset({"id", "label"})  # the labels are counted by `not-sft-data`
    kind = PREFERENCE

    def matches(self, record: Any) -> float:
        # TRL's prompt + completion + label is KTO whatever the label holds (validate
        # says when it is no boolean); beside a conversation or Alpaca columns, only a
        # boolean label makes KTO data: a string there is a class label.
        if not isinstance(record, Mapping) or "label" not in record:
            return 0.0  # the label is what makes KTO data: without one, other formats read it
        score = super().matches(record)
        if score > 0 and not _label_is_bool(record) and "completion" not in record:
            return score - 0.5
        return score

    def validate(self, record: Any, location: Location) -> Iterator[Finding]:
        yield from super().validate(record, location)
        if not isinstance(record, Mapping):
            return
        yield from validate_sides(record, ("prompt", *CHAT_KEYS, "completion"), location)
        yield from check_text_keys(record, (*ALPACA_KEYS, "output", "response"), location)
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
        prompt, read = prompt_turns(record, notes)
        answer_key = next((k for k in COMPLETION_KEYS if k in record), None)
        if answer_key is not None:
            completion = side_messages(record.get(answer_key), answer_key, "assistant", notes)
            read.add(answer_key)
        else:  # a conversation: its last assistant turns are the completion
            completion = []
        read.update(m.content_field for m in system)
        text_keys = (*read, *ALPACA_KEYS)
        return Conversation(
            (*system, *prompt, *completion),
            location=location,
            format=self.name,
            fields={k: record[k] for k in text_keys if isinstance(record.get(k), str)},
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
        if not answers or any(m.role != "assistant" for m in messages[answers[-1] :]):
            raise LossyConversionError("kto holds a prompt and one completion at its end")
        start = answers[-1]
        while start > 0 and messages[start - 1].role == "assistant":
            start -= 1
        prompt, completion = messages[:start], messages[start:]
        out: dict[str, Any] = {**system}
        out["prompt"] = write_side(prompt)
        out["completion"] = write_side(completion)
        out["label"] = conversation.metadata.get("label", True)
        return with_metadata(out, conversation)


@register_format
class DPOFormat(Format):
    name = "dpo"
    description = (
        "DPO/ORPO preference pairs: (prompt +) chosen + rejected (TRL; LLaMA-Factory "
        "conversations + chosen/rejected turns, chosen_messages/rejected_messages; OpenAI "
        "input + preferred_output/non_preferred_output)"
    )
    required = (CHOSEN_KEYS, REJECTED_KEYS)
    optional = frozenset({*PROMPT_KEYS, "id", "prompt_id", "score_chosen", "score_rejected"})
    kind = PREFERENCE
    metadata = frozenset({"id", "prompt_id", "score_chosen", "score_rejected"})
    # Not an SFT target: the `not-sft-data` finding explains where it went.
    untrained = frozenset(REJECTED_KEYS)

    def validate(self, record: Any, location: Location) -> Iterator[Finding]:
        yield from super().validate(record, location)
        if not isinstance(record, Mapping):
            return
        sides = ("prompt", *CHAT_KEYS, *self.required[0], *self.required[1])
        yield from validate_sides(record, sides, location)
        given = _openai_input(record)
        if given is not None:  # OpenAI: {"input": {"messages": [...], "tools": [...]}}
            yield from validate_sides(given, ("messages",), location)
            yield from check_tools(given, "tools", location)
        text_keys = [k for k in (*ALPACA_KEYS, "question") if not (k == "input" and given)]
        yield from check_text_keys(record, text_keys, location)

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        notes: list[str] = []
        system = self.system_turns(record, notes)
        key = first_key(record, CHOSEN_KEYS)
        chosen = chosen_turns(record, key, notes)
        prompt: list[Message] = []
        read = {key, *(m.content_field for m in system)}
        if not _has_prompt(chosen):
            prompt, keys = prompt_turns(record, notes)
            read |= keys
        # an HH transcript is read turn by turn (`chosen[0]`...), not as one text
        text_keys = [
            k for k in (*read, *ALPACA_KEYS) if not (chosen and chosen[0].field == f"{k}[0]")
        ]
        given = _openai_input(record)
        return Conversation(
            (*system, *prompt, *chosen),
            tools=tools_tuple(given.get("tools")) if given is not None else (),
            location=location,
            format=self.name,
            fields={k: record[k] for k in text_keys if isinstance(record.get(k), str)},
            metadata={k: v for k, v in record.items() if k not in read},
            notes=tuple(notes),
        )


def _openai_input(record: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """OpenAI preference fine-tuning's ``input`` object (messages, tools), if any."""
    given = record.get("input")
    return given if isinstance(given, Mapping) else None


def chosen_turns(record: Mapping[str, Any], key: str, notes: list[str]) -> list[Message]:
    """The messages of ``record[key]`` (``chosen`` or ``rejected``): turns, one turn, an
    HH-RLHF transcript, or a plain answer string."""
    value = record.get(key)
    if (
        isinstance(value, str)
        and not _HAS_PROMPT_KEY.intersection(record)
        and _HH_TURN.search(value)
    ):
        return hh_turns(value, key)
    return side_messages(value, key, "assistant", notes)


_HAS_PROMPT_KEY = frozenset(PROMPT_KEYS)


def is_transcript(text: str) -> bool:
    """Whether ``text`` is an HH-RLHF transcript (``"\\n\\nHuman: ..."``)."""
    return _HH_TURN.match(text.lstrip(" ")) is not None or "\n\nHuman:" in text


def _has_prompt(messages: list[Message]) -> bool:
    """Whether a side already holds the prompt (implicit-prompt conversations)."""
    return any(m.role != "assistant" for m in messages)


def hh_turns(text: str, key: str) -> list[Message]:
    """An Anthropic HH-RLHF transcript as messages (text before the first turn is dropped
    only when it is whitespace).

    >>> turns = hh_turns("\\n\\nHuman: Hi\\n\\nAssistant: Yo", "chosen")
    >>> [(m.content_field, m.content) for m in turns]
    [('chosen[0]', 'Hi'), ('chosen[1]', 'Yo')]
    """
    marks = list(_HH_TURN.finditer(text))
    messages: list[Message] = []
    head = text[: marks[0].start()] if marks else text
    if head.strip():
        messages.append(Message("user", head, field=f"{key}[0]", content_field=f"{key}[0]"))
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        role = "user" if mark.group(1) == "Human" else "assistant"
        path = f"{key}[{len(messages)}]"  # the transcript's turn, so findings can say which
        messages.append(Message(role, text[mark.end() : end], field=path, content_field=path))
    return messages
