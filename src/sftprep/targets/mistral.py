"""Mistral fine-tuning (La Plateforme API and mistral-finetune): ``messages`` JSONL.

The loader (``mistral-finetune`` ``finetune/data/tokenize.py`` with mistral-common's
``MistralRequestValidatorV3`` in finetuning mode) allows one system message, needs a
user turn first and an assistant turn last, and tool call ids of exactly nine
letters or digits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from sftprep.findings import Finding
from sftprep.formats.base import Capability, capabilities_of
from sftprep.model import Conversation, Location
from sftprep.targets import chat
from sftprep.targets.base import Target, first_index, register_target

ROLES = ("system", "user", "assistant", "tool")
CALL_ID = re.compile(r"[A-Za-z0-9]{9}")


@register_target
class MistralTarget(Target):
    name = "mistral"
    title = "Mistral fine-tuning"
    shape = "messages"
    accepts = ("messages", "text")
    sources = (
        "https://docs.mistral.ai/capabilities/finetuning/text_finetuning",
        "https://github.com/mistralai/mistral-finetune#prepare-dataset",
    )
    hint = "start with a user turn, end with an assistant turn, use 9-character tool call ids"
    extensions = (".jsonl",)

    def check_conversation(
        self, conversation: Conversation, location: Location
    ) -> Iterator[Finding]:
        if Capability.RAW_TEXT in capabilities_of(conversation.format):
            return
        roles = conversation.roles
        yield from chat.roles_allowed(self, conversation, location, ROLES)
        if roles.count("system") > 1:
            yield self.finding(
                location,
                "multiple messages with role 'system'; Mistral's loader allows only one",
            )
        first = first_index(roles)
        if first < len(roles) and roles[first] != "user":
            yield self.finding(
                location,
                f"the first message after the system prompt is `{roles[first]}`; Mistral "
                "expects a user message",
                field=conversation.messages[first].field or None,
            )
        if roles and roles[-1] != "assistant":
            yield self.finding(
                location,
                f"Mistral's loader: \"Expected last role to be one of: [assistant] but got "
                f'{roles[-1]}" (it trains only on assistant messages)',
            )
        yield from chat.content_present(self, conversation, location, tool_calls_ok=True)
        yield from chat.tool_results_linked(self, conversation, location)
        yield from chat.weights(self, conversation, location, assistant_only=True)
        yield from self._tool_calls(conversation, location)
        yield from self._tools(conversation, location)

    def _tool_calls(self, conversation: Conversation, location: Location) -> Iterator[Finding]:
        for index, message in enumerate(conversation.messages):
            for j, call in enumerate(message.tool_calls):
                if call.id is None or not CALL_ID.fullmatch(call.id):
                    where = message.field or f"messages[{index}]"
                    yield self.finding(
                        location,
                        f"tool call id was {call.id!r} but must be a-z, A-Z, 0-9, with a "
                        "length of 9 (Mistral's format; `sftprep convert --target mistral` "
                        "rewrites the ids)",
                        field=f"{where}.tool_calls[{j}].id",
                    )

    def adapt(self, conversation: Conversation) -> Conversation:
        """Wrap bare function definitions; give tool calls nine-character ids.

        Ids only link a call to its result, so other ids (``call_id``, or none at all
        in ShareGPT) are replaced by ids derived from the record's place (see
        `chat.relink_tool_calls`), as mistral-finetune's own reformatting script does.
        """
        conversation = chat.wrap_functions(conversation)
        return chat.relink_tool_calls(
            conversation, valid=lambda i: CALL_ID.fullmatch(i) is not None, prefix=""
        )

    def _tools(self, conversation: Conversation, location: Location) -> Iterator[Finding]:
        for index, tool in enumerate(conversation.tools):
            function = tool.get("function") if isinstance(tool, Mapping) else None
            missing = _missing_function_keys(function)
            if missing:
                yield self.finding(
                    location,
                    f"tool {index} lacks {', '.join(missing)}: Mistral needs each tool as "
                    "{type: function, function: {name, description, parameters}}",
                    field=f"tools[{index}]",
                )


def _missing_function_keys(function: Any) -> list[str]:
    if not isinstance(function, Mapping):
        return ["function"]
    missing = [key for key in ("name", "description", "parameters") if key not in function]
    if "parameters" in function and not isinstance(function["parameters"], Mapping):
        missing.append("parameters as an object")
    return missing
