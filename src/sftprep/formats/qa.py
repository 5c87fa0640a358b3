"""`qa`: ``question`` + ``cot_answer`` (or ``answer``, or ``query``), including RAFT rows.

RAFT rows also carry ``context`` (``{"sentences": [[...]], "title": [[...]]}``),
``oracle_context`` and ``instruction``, the rendered prompt (documents + question)
the model is trained on; when present it is the user turn, otherwise the question
alone: how documents go into a prompt is the trainer's choice, so they are not
invented here (an aiDAPTIV+ ``rag`` config entry describes that rendering). The
answer is ``cot_answer`` whenever that key exists, also when null (so `empty-text`
reports it), else ``answer``, else ``query``: text-to-SQL sets (Spider, the Mistral
cookbook) pair a ``question`` with the SQL ``query`` that answers it.

>>> fmt = QAFormat()
>>> conv = fmt.to_conversation({"question": "2+2?", "cot_answer": "4"}, Location("q.jsonl"))
>>> [m.content for m in conv.messages]
['2+2?', '4']
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sftprep.errors import LossyConversionError
from sftprep.findings import Finding
from sftprep.formats._common import as_text, check_text_keys, first_text, pair
from sftprep.formats.aliases import first_key
from sftprep.formats.base import Format, register_format
from sftprep.model import Conversation, Location

ANSWER_KEYS = ("cot_answer", "answer", "query")
TEXT_KEYS = ("question", *ANSWER_KEYS, "instruction", "oracle_context")


@register_format
class QAFormat(Format):
    name = "qa"
    description = "question + cot_answer (RAFT, aiDAPTIV+ QA strategy)"
    required = (("question",), ANSWER_KEYS)
    optional = frozenset({"id", "type", "context", "oracle_context", "instruction", "answer"})
    metadata = frozenset({"id", "type"})

    def matches(self, record: Any) -> float:
        # `query` is an answer only beside a `question` (text-to-SQL); alone it is a prompt
        if isinstance(record, Mapping) and "question" not in record:
            return 0.0
        return super().matches(record)

    def validate(self, record: Any, location: Location) -> Iterator[Finding]:
        yield from super().validate(record, location)
        if isinstance(record, Mapping):
            yield from check_text_keys(record, TEXT_KEYS, location)

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        answer_key = first_key(record, ANSWER_KEYS)
        prompt_key = "instruction" if as_text(record.get("instruction")) else "question"
        notes: list[str] = []
        if answer_key == "query":
            notes.append("`query` as the answer (`cot_answer`)")
        system = self.system_turns(record, notes)
        messages = system + pair(
            as_text(record.get(prompt_key)), as_text(record.get(answer_key)), prompt_key, answer_key
        )
        read = {prompt_key, answer_key, *(m.content_field for m in system)}
        fields = {k: record[k] for k in TEXT_KEYS if isinstance(record.get(k), str)}
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
        if tuple(m.role for m in messages) != ("user", "assistant") or any(
            m.tool_calls for m in messages
        ):
            raise LossyConversionError("qa holds exactly one question and one answer")
        meta = dict(conversation.metadata)
        out: dict[str, Any] = {k: v for k, v in meta.items() if k != "question"}
        out.update(system)
        # RAFT keeps the prompt with its documents in `instruction`; alpaca's and dolly's
        # `instruction` is the question itself
        raft = conversation.format == "qa" and (
            "instruction" in meta or messages[0].content_field == "instruction"
        )
        if raft:
            out["instruction"] = first_text(messages, "user")
            out.setdefault("question", meta.get("question"))
        else:
            out["question"] = first_text(messages, "user")
        answer_field = messages[-1].content_field
        key = answer_field if answer_field in ANSWER_KEYS else "cot_answer"
        out[key] = first_text(messages, "assistant")
        return out
