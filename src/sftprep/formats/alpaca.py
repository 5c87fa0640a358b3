"""`alpaca`: ``instruction`` and/or ``input`` -> ``output``.

Optional ``system`` and ``history`` (a list of ``[user, assistant]`` pairs before
the final turn, as LLaMA-Factory uses it). The user turn is the instruction,
followed by a blank line and the input when the input is not empty. Rows with
only ``input`` + ``output`` are common too: Alpaca's template with an empty
instruction, and LLaMA-Factory maps columns by name, so trainers prompt with the
input alone; such a row's user turn is the input, at ``input``.

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
from sftprep.formats.base import Format, register_format
from sftprep.model import Conversation, Location, Message
from sftprep.rules.base import make_finding

TEXT_KEYS = ("instruction", "input", "output", "system")


def join_prompt(instruction: str | None, extra: str | None) -> str | None:
    """Instruction, then a blank line and the extra text (input/context) when present."""
    if extra and extra.strip():
        return f"{instruction or ''}\n\n{extra}"
    return instruction


@register_format
class AlpacaFormat(Format):
    name = "alpaca"
    description = "instruction + input -> output (Stanford Alpaca, LLaMA-Factory)"
    # ``output`` and at least one of ``instruction`` / ``input`` (see the module doc).
    required = (("instruction", "input"), ("output",))
    optional = frozenset({"system", "history"})

    def matches(self, record: Any) -> float:
        score = super().matches(record)
        return score + 0.05 if score > 0 and "input" in record else score

    def key_notes(self, records: Sequence[Mapping[str, Any]]) -> list[str]:
        only_input = sum(1 for r in records if "input" in r and "instruction" not in r)
        return [f"{only_input} with `input` but no `instruction`"] if only_input else []

    def validate(self, record: Any, location: Location) -> Iterator[Finding]:
        yield from super().validate(record, location)
        if not isinstance(record, Mapping):
            return
        yield from check_text_keys(record, TEXT_KEYS, location)
        history = record.get("history")
        if history is not None and not _valid_history(history):
            yield make_finding(
                "wrong-type",
                "`history` should be a list of [user, assistant] pairs",
                location,
                field="history",
            )

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        messages: list[Message] = []
        if as_text(record.get("system")):
            messages.append(Message("system", record["system"], content_field="system"))
        history = record.get("history")
        turns: list[Any] = history if isinstance(history, list) and _valid_history(history) else []
        for i, turn in enumerate(turns):
            messages.append(Message("user", turn[0], content_field=f"history[{i}][0]"))
            messages.append(Message("assistant", turn[1], content_field=f"history[{i}][1]"))
        messages.append(_user_turn(record))
        messages.append(Message("assistant", as_text(record.get("output")), content_field="output"))
        fields = {k: record[k] for k in TEXT_KEYS if isinstance(record.get(k), str)}
        metadata = {k: v for k, v in record.items() if k not in self.known_keys}
        return Conversation(
            tuple(messages), location=location, format=self.name, fields=fields, metadata=metadata
        )

    def from_conversation(self, conversation: Conversation) -> dict[str, Any]:
        messages = list(conversation.messages)
        system = messages.pop(0).content if messages and messages[0].role == "system" else None
        if any(m.tool_calls or m.role not in ("user", "assistant") for m in messages):
            raise LossyConversionError("alpaca cannot carry tool calls or tool messages")
        roles = [m.role for m in messages]
        if not roles or roles != ["user", "assistant"] * (len(roles) // 2) or len(roles) % 2:
            raise LossyConversionError("alpaca needs alternating user/assistant turns")
        pairs = [[messages[i].text, messages[i + 1].text] for i in range(0, len(messages), 2)]
        out: dict[str, Any] = {}
        out.update(_prompt_keys(conversation.fields, messages[-2], pairs[-1][0]))
        out["output"] = pairs[-1][1]
        if system is not None:
            out["system"] = system
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


def _valid_history(history: Any) -> bool:
    return isinstance(history, list) and all(
        isinstance(t, list) and len(t) == 2 and all(isinstance(x, str) for x in t) for t in history
    )
