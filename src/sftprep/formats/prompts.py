"""`prompt-only`: prompts without answers, as RL fine-tuning reads them.

GRPO and PPO (TRL's prompt-only type, verl's Parquet files) train on prompts: the
model writes the answers and a reward judges them, so the records carry a
``prompt`` (a string or a list of turns) and maybe what the reward needs
(``reward_model.ground_truth``, ``ground_truth``, ``data_source``...), but no
answer. Read as SFT data, every record is an error ("no assistant turn") and the
dataset has no trainable token. This format (kind ``prompts``) reads the prompts,
so their text is checked and counted; the `not-sft-data` rule says once per file
what the file is.

>>> PromptOnlyFormat().to_conversation(
...     {"prompt": [{"role": "user", "content": "2+2?"}], "reward_model": {"ground_truth": "4"}},
...     Location("rl.parquet")).roles
('user',)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sftprep.findings import Finding
from sftprep.formats._common import with_metadata
from sftprep.formats.aliases import first_key
from sftprep.formats.base import Format, register_format
from sftprep.formats.preference import hh_turns, is_transcript
from sftprep.formats.turns import side_messages, validate_sides, write_side
from sftprep.model import Conversation, Location

PROMPT_KEYS = ("prompt", "problem")
# What RL recipes put beside the prompt for the reward (verl, TRL, OpenRLHF).
REWARD_KEYS = frozenset(
    {
        "reward_model",
        "ground_truth",
        "reward_spec",
        "verification_info",
        "data_source",
        "ability",
        "extra_info",
        "id",
    }
)


# Keys that hold an answer in some format: their presence means "not prompt-only".
# A conversation beside the prompt (UltraChat, No Robots: `prompt` + `messages`) holds the
# answers too: a chat file with a copy of its first prompt, not RL data.
ANSWER_FREE = frozenset(
    {
        "completion",
        "response",
        "solution",
        "output",
        "answer",
        "chosen",
        "rejected",
        "label",
        "messages",
        "conversations",
    }
)


@register_format
class PromptOnlyFormat(Format):
    name = "prompt-only"
    description = "prompts without answers for RL (TRL prompt-only, verl reward_model)"
    required = (PROMPT_KEYS,)
    optional = REWARD_KEYS
    metadata = frozenset({"id", "data_source", "ability"})
    kind = "prompts"

    def matches(self, record: Any) -> float:
        # A prompt beside an answer is a broken or differently named SFT pair, not RL data.
        score = super().matches(record)
        return score / 2 if score > 0 and not ANSWER_FREE.isdisjoint(record) else score

    def validate(self, record: Any, location: Location) -> Iterator[Finding]:
        yield from super().validate(record, location)
        if isinstance(record, Mapping):
            yield from validate_sides(record, PROMPT_KEYS, location)

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        notes: list[str] = []
        system = self.system_turns(record, notes)
        key = first_key(record, PROMPT_KEYS)
        value = record.get(key)
        transcript = isinstance(value, str) and is_transcript(value)
        if transcript:  # Nectar: an HH-RLHF transcript, read turn by turn
            turns = hh_turns(str(value), key)
            prompt = [m for m in turns if m.role != "assistant" or m.text.strip()]
        else:
            prompt = side_messages(value, key, "user", notes)
        read = {key, *(m.content_field for m in system)}
        return Conversation(
            (*system, *prompt),
            location=location,
            format=self.name,
            fields={key: record[key]} if isinstance(value, str) and not transcript else {},
            metadata={k: v for k, v in record.items() if k not in read},
            notes=tuple(notes),
        )

    def sft_target_error(self, conversation: Conversation) -> str | None:
        if any(m.role == "assistant" for m in conversation.messages):
            return None
        return "RL prompt without an answer: nothing for SFT to train on"

    def from_conversation(self, conversation: Conversation) -> dict[str, Any]:
        system, messages = self.pop_system(conversation)
        prompt = tuple(m for m in messages if m.role != "assistant")
        if len(prompt) != len(messages):
            from sftprep.errors import LossyConversionError

            raise LossyConversionError("prompt-only holds prompts, not answers")
        return with_metadata({**system, "prompt": write_side(prompt)}, conversation)
