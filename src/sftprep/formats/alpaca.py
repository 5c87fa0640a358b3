"""`alpaca`: ``instruction`` and/or ``input`` -> ``output`` (or ``response``).

Optional ``system`` and ``history`` (a list of ``[user, assistant]`` pairs before
the final turn, as LLaMA-Factory uses it). The user turn is the instruction,
followed by a blank line and the input when the input is not empty. Rows with
only ``input`` + ``output`` are common too: Alpaca's template with an empty
instruction, and LLaMA-Factory maps columns by name, so trainers prompt with the
input alone; such a row's user turn is the input, at ``input``. GPTeacher and
others name the answer ``response``: read as the output (and written back so).

>>> conv = AlpacaFormat().to_conversation(
...     {"instruction": "Add", "input": "2+2", "output": "4"}, Location("a.json"))
>>> conv.messages[0].content
'Add\\n\\n2+2'
>>> AlpacaFormat().to_conversation(
...     {"input": "2+2", "output": "4"}, Location("a.json")).messages[0].content_field
'input'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sftprep.errors import LossyConversionError
from sftprep.findings import Finding
from sftprep.formats._common import as_text, check_text_keys, with_metadata
from sftprep.formats.aliases import first_key, key_note
from sftprep.formats.base import Capability, Format, register_format
from sftprep.formats.turns import history_finding, history_messages
from sftprep.model import Conversation, Location, Message

OUTPUT_KEYS = ("output", "response")
TEXT_KEYS = ("instruction", "input", *OUTPUT_KEYS)


def join_prompt(instruction: str | None, extra: str | None) -> str | None:
    """Instruction, then a blank line and the extra text (input/context) when present."""
    if extra and extra.strip():
        return f"{instruction or ''}\n\n{extra}"
    return instruction


@register_format
class AlpacaFormat(Format):
    name = "alpaca"
    description = "instruction + input -> output (Stanford Alpaca, LLaMA-Factory)"
    capabilities = Capability.MEDIA_COLUMN
    # ``output`` and at least one of ``instruction`` / ``input`` (see the module doc).
    required = (("instruction", "input"), OUTPUT_KEYS)
    optional = frozenset({"history"})

    def matches(self, record: Any) -> float:
        score = super().matches(record)
        if score <= 0:
            return score
        # `input` is Alpaca's own key; an answer under `response` is read through an alias,
        # so a format naming it so natively (dolly) wins a tie
        alias = "response" in record and "output" not in record
        return score + 0.05 * ("input" in record) - 0.001 * alias

    def key_notes(self, records: Sequence[Mapping[str, Any]]) -> list[str]:
        only_input = sum(1 for r in records if "input" in r and "instruction" not in r)
        response = sum(1 for r in records if "output" not in r and "response" in r)
        notes = [f"{only_input} with `input` but no `instruction`"] if only_input else []
        return notes + ([f"{response} with `response` as the output"] if response else [])

    def validate(self, record: Any, location: Location) -> Iterator[Finding]:
        yield from super().validate(record, location)
        if not isinstance(record, Mapping):
            return
        yield from check_text_keys(record, TEXT_KEYS, location)
        yield from history_finding(record, location)

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        notes: list[str] = []
        system = self.system_turns(record, notes)
        messages: list[Message] = [*system, *history_messages(record)]
        messages.append(_user_turn(record))
        output = first_key(record, OUTPUT_KEYS)
        note = key_note(output, "output", "the answer")
        if note is not None:
            notes.append(note)
        messages.append(Message("assistant", as_text(record.get(output)), content_field=output))
        read = {"instruction", "input", "history", output, *(m.content_field for m in system)}
        fields = {
            k: record[k]
            for k in (*TEXT_KEYS, *read)
            if k in read and isinstance(record.get(k), str)
        }
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
        system, rest = self.pop_system(conversation)
        messages = list(rest)
        if any(m.tool_calls or m.role not in ("user", "assistant") for m in messages):
            raise LossyConversionError("alpaca cannot carry tool calls or tool messages")
        roles = [m.role for m in messages]
        if not roles or roles != ["user", "assistant"] * (len(roles) // 2) or len(roles) % 2:
            raise LossyConversionError("alpaca needs alternating user/assistant turns")
        pairs = [[messages[i].text, messages[i + 1].text] for i in range(0, len(messages), 2)]
        out: dict[str, Any] = {}
        out.update(_prompt_keys(conversation.fields, messages[-2], pairs[-1][0]))
        # The answer goes back under the name it was read from, in this format only.
        answer_key = messages[-1].content_field if conversation.format == self.name else ""
        out[answer_key if answer_key in OUTPUT_KEYS else "output"] = pairs[-1][1]
        out.update(system)
        if len(pairs) > 1:
            out["history"] = pairs[:-1]
        return with_metadata(out, conversation)


def _user_turn(record: Mapping[str, Any]) -> Message:
    """The final user turn: instruction (+ input), or the input alone when there is no
    instruction key, so that findings name the key the text came from."""
    if "instruction" not in record and "input" in record:
        return Message("user", as_text(record.get("input")), content_field="input")
    prompt = join_prompt(as_text(record.get("instruction")), as_text(record.get("input")))
    return Message("user", prompt, content_field="instruction")


def _prompt_keys(fields: Mapping[str, str], user: Message, text: str) -> dict[str, str]:
    """``instruction`` / ``input`` for the final user turn, split as in the source while
    its fields still give that turn's text; otherwise all of it goes to ``instruction``.

    An ``input`` key the source did not have is not invented (zena007 rows stay
    instruction-only), and an input-only row is written back input-only.
    """
    instruction, extra = fields.get("instruction"), fields.get("input")
    if instruction is not None and join_prompt(instruction, extra) == user.content:
        out = {"instruction": instruction, "input": extra or ""}
    elif instruction is None and user.content_field == "input":
        return {"input": text}
    else:
        out = {"instruction": text, "input": ""}
    if instruction is not None and extra is None and not out["input"]:
        del out["input"]
    return out
