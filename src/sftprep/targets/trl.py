"""TRL ``SFTTrainer``: conversational ``messages`` or ``prompt``/``completion`` (or ``text``)."""

from __future__ import annotations

from collections.abc import Iterator

from sftprep.findings import Finding
from sftprep.formats.base import Capability, capabilities_of
from sftprep.model import Conversation, Location
from sftprep.targets import chat
from sftprep.targets.base import Target, register_target

ROLES = ("system", "user", "assistant", "tool")


@register_target
class TrlTarget(Target):
    name = "trl"
    title = "TRL SFTTrainer"
    shape = "messages"
    accepts = ("messages", "prompt-completion", "text")
    sources = (
        "https://huggingface.co/docs/trl/dataset_formats",
        "https://huggingface.co/docs/trl/sft_trainer",
    )
    hint = "use messages with role/content, or prompt/completion"

    def check_conversation(
        self, conversation: Conversation, location: Location
    ) -> Iterator[Finding]:
        if Capability.RAW_TEXT in capabilities_of(conversation.format):
            return
        yield from chat.roles_allowed(self, conversation, location, ROLES)
        yield from chat.needs_assistant(
            self,
            conversation,
            location,
            "SFTTrainer learns the assistant turns (or the completion); this example has none",
        )
        yield from chat.content_present(self, conversation, location, tool_calls_ok=True)
