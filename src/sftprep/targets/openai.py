"""OpenAI supervised fine-tuning (chat ``messages`` JSONL with optional ``tools``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from sftprep.findings import Finding
from sftprep.formats._common import tools_tuple
from sftprep.model import Conversation, Location
from sftprep.targets import chat
from sftprep.targets.base import Target, register_target

# Per-example training limit for gpt-4o-mini-2024-07-18 (also gpt-4o-2024-08-06).
# Source: OpenAI fine-tuning guide, "Token limits" (checked 2025).
MAX_TOKENS = 65_536
ENCODING = "o200k_base"  # gpt-4o family
FALLBACK_ENCODING = "cl100k_base"  # bundled with sftprep: used when o200k_base is not cached
MESSAGE_KEYS = frozenset(
    {"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call", "refusal"}
)
ROLES = ("system", "user", "assistant", "tool")
# Generous bounds on the tokens the chat format adds per message (role, separators; the
# OpenAI cookbook counts 3 + the role) and per conversation: they only decide whether the
# exact count is needed.
PER_MESSAGE, PER_CONVERSATION = 8, 8


@register_target
class OpenAITarget(Target):
    name = "openai"
    title = "OpenAI fine-tuning"
    shape = "messages"
    accepts = ("messages",)
    allowed_keys = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})
    sources = (
        "https://platform.openai.com/docs/guides/supervised-fine-tuning",
        "https://cookbook.openai.com/examples/chat_finetuning_data_prep",
    )
    hint = "run `sftprep convert --target openai` or fix the record as the message says"
    extensions = (".jsonl",)
    min_examples = 10  # "To fine-tune a model, you are required to provide at least 10 examples"

    def check_record(
        self, record: Mapping[str, Any], format: str, location: Location
    ) -> Iterator[Finding]:
        yield from super().check_record(record, format, location)
        yield from chat.message_keys(self, record, location, MESSAGE_KEYS)
        yield from _content_parts(self, record, location)

    def check_conversation(
        self, conversation: Conversation, location: Location
    ) -> Iterator[Finding]:
        yield from chat.roles_allowed(self, conversation, location, ROLES)
        yield from chat.needs_assistant(
            self, conversation, location, "OpenAI trains only on assistant messages"
        )
        yield from chat.content_present(self, conversation, location, tool_calls_ok=True)
        yield from _content_not_empty(self, conversation, location)
        if _legacy_functions(conversation):
            yield from _legacy_shapes(self, conversation, location)
        else:
            yield from chat.tool_results_linked(self, conversation, location)
            yield from chat.tool_shapes(self, conversation, location)
        yield from chat.weights(self, conversation, location, assistant_only=True)
        tokens, encoding = token_count(conversation)
        if tokens > MAX_TOKENS:
            yield self.finding(
                location,
                f"{tokens:,} tokens ({encoding}); OpenAI's per-example training limit for "
                f"gpt-4o-mini is {MAX_TOKENS:,} tokens and longer examples are truncated",
            )

    def adapt(self, conversation: Conversation) -> Conversation:
        """Wrap bare function definitions; give calls ids and tool results their call's id;
        an ``images`` column with ``<image>`` placeholders becomes ``image_url`` parts. A
        legacy record (``functions``, ``function_call``) comes out as ``tools`` and
        ``tool_calls``: its ``functions`` are those tools, so they are not written twice."""
        from sftprep.formats.media import media_as_parts

        if _legacy_functions(conversation):
            metadata = {k: v for k, v in conversation.metadata.items() if k != "functions"}
            conversation = replace(conversation, metadata=metadata)
        conversation = chat.wrap_functions(media_as_parts(conversation))
        return chat.relink_tool_calls(conversation, valid=bool, prefix="call_")


def _legacy_functions(conversation: Conversation) -> bool:
    """The record declares legacy ``functions`` (no ``tools``): OpenAI's function-calling
    fine-tuning format, with ``function_call`` and ``function`` messages named by ``name``."""
    functions = conversation.metadata.get("functions")
    return functions is not None and conversation.tools == tools_tuple(functions)


def _legacy_shapes(
    target: Target, conversation: Conversation, location: Location
) -> Iterator[Finding]:
    """Legacy functions are bare ``{name, description, parameters}``; a function result
    names its function (there are no call ids)."""
    for index, function in enumerate(conversation.tools):
        if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
            yield target.finding(
                location,
                f"{target.title} reads legacy functions as {{name, description, parameters}}; "
                f"function {index} has no name",
                field=f"functions[{index}]",
            )
    for index, message in enumerate(conversation.messages):
        if message.role == "tool" and not message.name:
            yield target.finding(
                location,
                f"{target.title} needs `name` on function messages (legacy `functions` "
                f"format) to pair each result with its function; message {index} has none",
                field=message.field or None,
            )


# Content part types OpenAI's chat format reads for training (text; images for vision).
PART_TYPES = frozenset({"text", "image_url"})


def _content_parts(
    target: Target, record: Mapping[str, Any], location: Location
) -> Iterator[Finding]:
    """Content given as parts OpenAI does not read: LLaMA-Factory's typed parts
    (``{"type": "reasoning"|"tool_call", "value": ...}``) or text under another key.
    `convert --target openai` has to rewrite (or reject) each of these, so `check`
    says so too."""
    messages = record.get("messages")
    if not isinstance(messages, list):
        return
    for index, message in enumerate(messages):
        content = message.get("content") if isinstance(message, Mapping) else None
        if not isinstance(content, list):
            continue
        odd = sorted({_part_kind(part) for part in content} - {""})
        if odd:
            yield target.finding(
                location,
                f"message {index} has content parts OpenAI does not read ({', '.join(odd)}); "
                'it reads a string or {"type": "text", "text": ...} parts',
                field=f"messages[{index}].content",
            )


def _part_kind(part: Any) -> str:
    """What is wrong with one content part for OpenAI ("" when nothing)."""
    if not isinstance(part, Mapping):
        return f"a bare {type(part).__name__}"
    kind = part.get("type")
    if kind not in PART_TYPES:
        return f"type {kind!r}"
    if kind == "text" and not isinstance(part.get("text"), str):
        return "text without a `text` key"
    return ""


def _content_not_empty(
    target: Target, conversation: Conversation, location: Location
) -> Iterator[Finding]:
    """Empty text is missing content to OpenAI (the cookbook's `missing_content`)."""
    for index, message in enumerate(conversation.messages):
        if message.content is None or message.tool_calls or message.content.strip():
            continue
        yield target.finding(
            location,
            f"message {index} ({message.role}) has empty content; OpenAI's format check "
            "counts it as missing_content",
            field=message.content_field or message.field or None,
        )


def token_count(conversation: Conversation) -> tuple[int, str]:
    """Tokens of the conversation as OpenAI counts them, and how they were counted.

    A token is at least one byte, so when the UTF-8 size plus the per-message overhead is
    under the limit the record cannot exceed it and the tokenizer is not loaded at all.
    """
    parts = [_message_text(m) for m in conversation.to_openai()]
    if conversation.tools:
        import json

        parts.append(json.dumps(list(conversation.tools), ensure_ascii=False))
    overhead = PER_MESSAGE * len(parts) + PER_CONVERSATION
    upper = sum(len(p.encode("utf-8")) for p in parts) + overhead
    if upper <= MAX_TOKENS:
        return upper, "upper bound"
    from sftprep.errors import UsageError
    from sftprep.tokens import get_tokenizer

    for encoding in (ENCODING, FALLBACK_ENCODING):
        try:
            tokenizer = get_tokenizer(encoding)
        except UsageError:  # o200k_base needs a download once; cl100k_base is bundled
            continue
        try:
            return tokenizer.count_conversation(conversation).total, encoding
        except BaseException as exc:  # a Rust panic is a BaseException
            from sftprep.tokens.base import tokenizer_failure

            if tokenizer_failure(exc) is None:
                raise
            break  # the byte bound stands in for a count the tokenizer could not make
    return upper, "upper bound"


def _message_text(message: dict[str, Any]) -> str:
    text = message.get("content") or ""
    for call in message.get("tool_calls") or ():
        text += call["function"]["name"] + call["function"]["arguments"]
    return str(text)
