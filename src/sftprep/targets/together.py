"""Together AI fine-tuning: conversational, instruction (prompt/completion) or text JSONL.

The Together client's file check (``together.utils.files.check_file``) rejects extra
top-level columns, roles other than system/user/assistant, non-string content,
weights other than 0/1 and two consecutive turns with the same role.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sftprep.findings import Finding
from sftprep.formats.base import Capability, capabilities_of
from sftprep.model import Conversation, Location
from sftprep.targets import chat
from sftprep.targets.base import Target, register_target

KEYS = {
    "messages": frozenset({"messages"}),
    "prompt-completion": frozenset({"prompt", "completion"}),
    "text": frozenset({"text"}),
}
ROLES = ("system", "user", "assistant")


@register_target
class TogetherTarget(Target):
    name = "together"
    title = "Together AI fine-tuning"
    shape = "messages"
    accepts = ("messages", "prompt-completion", "text")
    allowed_keys = KEYS["messages"]
    sources = (
        "https://docs.together.ai/docs/fine-tuning-data-preparation",
        "https://github.com/togethercomputer/together-python/blob/main/src/together/utils/files.py",
    )
    hint = "remove extra keys and keep strictly alternating user/assistant turns"
    extensions = (".jsonl",)

    def check_record(
        self, record: Mapping[str, Any], format: str, location: Location
    ) -> Iterator[Finding]:
        allowed = KEYS[format]
        for key in record:
            if key not in allowed:
                yield self.finding(
                    location,
                    f'Together rejects the file: found extra column "{key}" '
                    f"(a {format} record has only {', '.join(sorted(allowed))})",
                    field=str(key),
                )

    def check_conversation(
        self, conversation: Conversation, location: Location
    ) -> Iterator[Finding]:
        if Capability.RAW_TEXT in capabilities_of(conversation.format):
            return
        yield from chat.roles_allowed(self, conversation, location, ROLES)
        yield from chat.no_tools(
            self,
            conversation,
            location,
            "Together's conversational format has only "
            "system, user and assistant messages with string content",
        )
        yield from chat.content_present(self, conversation, location, tool_calls_ok=False)
        yield from chat.weights(self, conversation, location, assistant_only=False)
        yield from chat.alternation(
            self,
            conversation,
            location,
            odd=("user",),
            even=("assistant",),
            why="Together requires a conversation to start with system or user and then "
            "alternate user and assistant",
        )
