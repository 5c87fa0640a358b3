"""axolotl: ``type: chat_template`` on OpenAI-style messages (or ShareGPT mapped), or alpaca.

``type: sharegpt`` is deprecated in axolotl; ShareGPT files are read through
``chat_template`` with ``message_property_mappings: {role: from, content: value}``,
whose default role map knows human/user, gpt/assistant, system and tool only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sftprep.findings import Finding
from sftprep.model import Conversation, Location
from sftprep.targets import chat
from sftprep.targets.base import Target, register_target

# axolotl chat_template default `roles` mapping (source role values per role).
ROLE_VALUES = {
    "user": ("human", "user"),
    "assistant": ("gpt", "assistant"),
    "system": ("system",),
    "tool": ("tool",),
}
MAPPED = frozenset(v for values in ROLE_VALUES.values() for v in values)
_MESSAGE_LIST = {"messages": ("messages", "role"), "sharegpt": ("conversations", "from")}


@register_target
class AxolotlTarget(Target):
    name = "axolotl"
    title = "axolotl"
    shape = "messages"
    accepts = ("messages", "sharegpt", "alpaca")
    sources = (
        "https://docs.axolotl.ai/docs/dataset-formats/conversation.html",
        "https://docs.axolotl.ai/docs/dataset-formats/inst_tune.html",
    )
    hint = "map extra roles under `roles:` in the axolotl dataset config, or convert"

    def check_record(
        self, record: Mapping[str, Any], format: str, location: Location
    ) -> Iterator[Finding]:
        if format not in _MESSAGE_LIST:
            return
        key, role_key = _MESSAGE_LIST[format]
        turns = record.get(key)
        if not isinstance(turns, list):
            return
        for index, turn in enumerate(turns):
            value = turn.get(role_key) if isinstance(turn, Mapping) else None
            if isinstance(value, str) and value not in MAPPED:
                yield self.finding(
                    location,
                    f"role `{value}` is not in axolotl's default chat_template role map "
                    "(human/user, gpt/assistant, system, tool); its turn cannot be rendered",
                    field=f"{key}[{index}].{role_key}",
                )

    def check_conversation(
        self, conversation: Conversation, location: Location
    ) -> Iterator[Finding]:
        yield from chat.needs_assistant(
            self,
            conversation,
            location,
            "axolotl trains on roles_to_train (default: assistant), so the example has no "
            "trainable tokens",
        )
        if not any(
            m.role == "assistant" and (m.text.strip() or m.tool_calls)
            for m in conversation.messages
        ) and any(m.role == "assistant" for m in conversation.messages):
            yield self.finding(
                location,
                "every assistant turn is empty: axolotl would train on no tokens of this example",
            )
