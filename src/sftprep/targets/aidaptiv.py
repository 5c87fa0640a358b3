"""Phison aiDAPTIV+: question/answer records plus the dataset YAML that describes them.

aiDAPTIV+ reads a JSON/JSONL file through a dataset YAML (see `sftprep.formats.aidaptiv`):
``data_path``, ``strategy: qa``, ``question_key`` / ``answer_key`` naming the fields
of each record, an optional ``user_prompt`` template and one ``system_prompt`` for
the whole entry. So a record is one question and one answer, and a system prompt
must be the same for every record of the file. `convert --target aidaptiv` writes
the qa shape, moves a shared system prompt into the YAML (rejecting records whose
system prompt differs from it), and writes the YAML next to the output.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from sftprep.errors import LossyConversionError
from sftprep.findings import Finding
from sftprep.model import Conversation, Location, Message
from sftprep.targets.base import Target, register_target

QUESTION_KEY = "question"
RAFT_PROMPT = "instruction"  # RAFT's rendered prompt (documents + question) in qa records
ANSWER_KEYS = ("cot_answer", "answer")


@register_target
class AidaptivTarget(Target):
    name = "aidaptiv"
    title = "aiDAPTIV+"
    shape = "qa"
    # "aidaptiv": records read through a dataset YAML (`--config`), whose keys the
    # config adapter already checks (missing-key names the config's key).
    accepts = ("qa", "aidaptiv")
    sources = (
        "docs/formats.md (aiDAPTIV+ dataset YAML: data_path, strategy, question_key, "
        "answer_key, system_prompt, user_prompt), as read by sftprep.formats.aidaptiv",
    )
    hint = "one question and one answer per record; one system prompt per dataset YAML"
    extensions = (".jsonl", ".json")

    def __init__(self) -> None:
        self.system_prompt: str | None = None  # the one written to the YAML, once seen
        self.question_key: str | None = None  # likewise: the field that holds the question

    def check_record(
        self, record: Mapping[str, Any], format: str, location: Location
    ) -> Iterator[Finding]:
        if format != "qa":
            return
        answer_key = next((k for k in ANSWER_KEYS if k in record), ANSWER_KEYS[0])
        for key, config_key in ((QUESTION_KEY, "question_key"), (answer_key, "answer_key")):
            value = record.get(key)
            if not isinstance(value, str) or not value.strip():
                yield self.finding(
                    location,
                    f"`{key}` must be non-empty text: aiDAPTIV+ reads the field named by the "
                    f"dataset YAML's {config_key} from every record",
                    field=key,
                )

    def check_conversation(
        self, conversation: Conversation, location: Location
    ) -> Iterator[Finding]:
        roles = tuple(r for r in conversation.roles if r != "system")
        if conversation.format != "aidaptiv" and roles != ("user", "assistant"):
            yield self.finding(
                location,
                "aiDAPTIV+'s qa strategy trains on one question and one answer per record; "
                f"this record has the turns {', '.join(roles) or 'none'}",
            )
        if conversation.tools or any(m.tool_calls for m in conversation.messages):
            yield self.finding(
                location, "aiDAPTIV+ question/answer records cannot carry tools or tool calls"
            )

    def adapt(self, conversation: Conversation) -> Conversation:
        """The prompt under the YAML's ``question_key``, the answer under ``cot_answer`` (the
        one ``answer_key``), and a leading system prompt moved to the YAML (`claims`)."""
        messages = conversation.messages
        if messages and messages[-1].role == "assistant":
            messages = (*messages[:-1], replace(messages[-1], content_field=ANSWER_KEYS[0]))
        index = _user_index(messages)
        if index is not None:
            question = replace(messages[index], content_field=_question_key(conversation))
            messages = (*messages[:index], question, *messages[index + 1 :])
        if messages and messages[0].role == "system":
            messages = messages[1:]
        return replace(conversation, messages=messages)

    def claims(self, conversation: Conversation) -> dict[str, Any]:
        messages = conversation.messages
        system = messages[0].text if messages and messages[0].role == "system" else None
        key = _question_key(conversation) if _user_index(messages) is not None else None
        return {"system_prompt": system, "question_key": key}

    def accept(self, record: Mapping[str, Any], claims: Mapping[str, Any]) -> None:
        """One system prompt and one question key per dataset YAML: the first record's."""
        prompt, key = claims.get("system_prompt"), claims.get("question_key")
        if prompt is not None and self.system_prompt not in (None, prompt):
            raise LossyConversionError(
                "aiDAPTIV+ takes one system_prompt per dataset YAML, and this record's system "
                "prompt differs from the one already written to it"
            )
        if key is not None and self.question_key not in (None, key):
            raise LossyConversionError(
                f"aiDAPTIV+ takes one question_key per dataset YAML: this record's prompt is "
                f"`{key}` but earlier records' is `{self.question_key}`"
            )
        self.system_prompt = self.system_prompt or prompt
        self.question_key = self.question_key or key

    def companion_paths(self, out_path: Path) -> tuple[Path, ...]:
        return (out_path.with_suffix(".yaml"),)

    def companion_files(self, out_path: Path, format: str, records: int) -> dict[Path, str]:
        return {out_path.with_suffix(".yaml"): self.dataset_yaml(out_path)}

    def dataset_yaml(self, data_path: Path) -> str:
        """The aiDAPTIV+ dataset YAML for a qa file written by sftprep."""
        import yaml

        config: dict[str, Any] = {
            "data_path": data_path.name,
            "strategy": "qa",
            "question_key": self.question_key or QUESTION_KEY,
            "answer_key": ANSWER_KEYS[0],
        }
        if self.system_prompt:
            config["system_prompt"] = self.system_prompt
        header = "# aiDAPTIV+ dataset config written by `sftprep convert --target aidaptiv`\n"
        return header + str(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))


def _user_index(messages: tuple[Message, ...]) -> int | None:
    return next((i for i, m in enumerate(messages) if m.role == "user"), None)


def _question_key(conversation: Conversation) -> str:
    """RAFT's rendered prompt (qa ``instruction``: documents + question) stays under
    ``instruction``, which is what RAFT trains on; every other prompt (alpaca's or
    dolly's ``instruction``, a chat's user turn) goes under ``question``."""
    index = _user_index(conversation.messages)
    field = conversation.messages[index].content_field if index is not None else ""
    return RAFT_PROMPT if conversation.format == "qa" and field == RAFT_PROMPT else QUESTION_KEY
