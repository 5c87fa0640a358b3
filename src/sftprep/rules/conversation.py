"""Conversation rules: roles, turn order and per-message training weights.

They look at the normalised `Conversation`, so they apply to every format; the
``text`` format carries no roles and is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sftprep.findings import Finding, Severity
from sftprep.formats.base import Capability
from sftprep.model import ROLES, Conversation
from sftprep.rules._common import (
    is_raw_text,
    message_path,
    messages_field,
    role_field,
)
from sftprep.rules.base import RecordContext, Rule, register_rule


def _first_text(conv: Conversation) -> str:
    """The first non-empty message text, as the excerpt of a whole-conversation finding."""
    return next((m.text for m in conv.messages if m.text.strip()), "")


def _turns_key(record: Any) -> str | None:
    """The record's ``messages`` or ``conversations`` key, if it has one."""
    if not isinstance(record, Mapping):
        return None
    return next((k for k in ("messages", "conversations") if k in record), None)


PROMPTS = "prompts"  # the kind of prompt-only (RL) data


def _conversation(ctx: RecordContext) -> Conversation | None:
    """The conversation to judge, or None for raw text and unreadable records."""
    if is_raw_text(ctx) or ctx.conversation is None:
        return None
    return ctx.conversation


@register_rule
class InvalidRole(Rule):
    """A message has a role that is not system, user, assistant or tool.

    **What it does**
    Reports messages whose role (after mapping the format's own names, such as
    ShareGPT's ``human``/``gpt``) is not one of ``system``, ``user``, ``assistant``,
    ``tool``: typos (``asistant``), other vocabularies (``bot``, ``model``) or
    missing roles.

    **Why is this bad?**
    Chat templates raise on unknown roles or silently drop the message; OpenAI's
    fine-tuning upload rejects the file.

    **Example**
    ```json
    {"messages": [{"role": "user", "content": "Hi"}, {"role": "bot", "content": "Hello!"}]}
    ```

    **Fix**
    Map the role to one of system/user/assistant/tool (``sftprep convert`` does this
    for known vocabularies).
    """

    id = "invalid-role"
    severity = Severity.ERROR
    group = "conversation"
    hint = "use one of: system, user, assistant, tool"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        conv = _conversation(ctx)
        if conv is None:
            return
        for message in conv.messages:
            if message.role not in ROLES:
                yield self.finding(
                    ctx,
                    f"unknown role {message.role!r}",
                    field=role_field(ctx, message),
                    excerpt_text=message.content,
                )


@register_rule
class NoAssistantTurn(Rule):
    """A conversation has no assistant message.

    **What it does**
    Reports conversations without any ``assistant`` turn (OpenAI cookbook check
    ``example_missing_assistant_message``).

    **Why is this bad?**
    Only assistant turns are trained on; a record without one contributes no loss
    (and OpenAI rejects it), yet still costs tokens.

    **Example**
    ```json
    {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]}
    ```

    **Fix**
    Add the assistant's reply, fix a mislabelled role, or drop the record.
    """

    id = "no-assistant-turn"
    severity = Severity.ERROR
    group = "conversation"
    hint = "add the assistant reply (or fix its role), or drop the record"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        conv = _conversation(ctx)
        if conv is None or "assistant" in conv.roles or ctx.kind == PROMPTS:
            return  # prompt-only (RL) data has no answers by design: `not-sft-data` says so
        key = messages_field(conv) or _turns_key(ctx.record)
        if not conv.messages and (key is None or not isinstance(ctx.record[key], list)):
            return  # absent or not a list: missing-key or wrong-type reports it
        roles = " -> ".join(conv.roles) or "no messages"
        yield self.finding(
            ctx,
            f"conversation has no assistant turn ({roles})",
            field=key,
            excerpt_text=_first_text(conv),
        )


@register_rule
class RoleOrder(Rule):
    """Turns are out of order: system not first, assistant first, or a role repeated.

    **What it does**
    Reports a system message after other messages, a conversation whose first
    non-system turn is not the user's, and two user (or two assistant) turns in a
    row. Tool replies may sit between assistant turns; where a tool reply itself is
    misplaced, `tool-response-orphan` reports it. A conversation with no user turn
    at all is left to `missing-user`.

    **Why is this bad?**
    Strict chat templates (Llama 2, Mistral, Gemma) raise "roles must alternate
    user/assistant"; lenient ones render it, but the model learns a dialogue shape it
    will not see at inference.

    **Example**
    ```json
    {
      "messages": [
        {"role": "user", "content": "Hi"},
        {"role": "user", "content": "Hello?"},
        {"role": "assistant", "content": "Hi!"}
      ]
    }
    ```

    **Fix**
    Merge consecutive turns of the same role, move the system message to the front,
    or drop the leading assistant turn.
    """

    id = "role-order"
    severity = Severity.WARNING
    group = "conversation"
    hint = "merge consecutive same-role turns; put system first and start with the user"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        conv = _conversation(ctx)
        if conv is None:
            return
        messages = conv.messages
        has_user = "user" in conv.roles
        seen_other = False
        first_checked = False
        previous = None
        for i, message in enumerate(messages):
            role = message.role
            where = _Where(ctx, message, i)  # the field path, worked out only when reported
            if role == "system":
                if seen_other:
                    yield self.finding(
                        ctx,
                        f"system message `{message_path(message, i)}` is not first",
                        field=str(where),
                        excerpt_text=message.content,
                    )
                elif previous is not None and previous.role == "system":
                    # a top-level system column and a system turn, or two system turns:
                    # most templates keep one, Mistral refuses the record
                    pair = f"{message_path(previous, i - 1)} and {message_path(message, i)}"
                    yield self.finding(
                        ctx,
                        f"two system prompts ({pair})",
                        field=str(where),
                        excerpt_text=message.content,
                    )
            elif role in ("user", "assistant"):
                seen_other = True
                if not first_checked:
                    first_checked = True
                    if role != "user" and has_user:
                        yield self.finding(
                            ctx,
                            f"conversation starts with {role}, not user",
                            field=str(where),
                            excerpt_text=message.content,
                        )
                if previous is not None and previous.role == role:
                    pair = f"{message_path(previous, i - 1)} and {message_path(message, i)}"
                    yield self.finding(
                        ctx,
                        f"two {role} turns in a row ({pair})",
                        field=str(where),
                        excerpt_text=message.content,
                    )
            else:
                seen_other = True
            previous = message


class _Where:
    """A message's role path (``messages[2].role``), resolved only when a finding needs it."""

    def __init__(self, ctx: RecordContext, message: Any, index: int) -> None:
        self.ctx, self.message, self.index = ctx, message, index

    def __str__(self) -> str:
        return role_field(self.ctx, self.message) or f"messages[{self.index}]"


@register_rule
class LastTurnNotAssistant(Rule):
    """A conversation ends with a turn that is not the assistant's.

    **What it does**
    Reports conversations whose last message is a user, system or tool turn while an
    earlier assistant turn exists (conversations with no assistant at all are
    `no-assistant-turn`).

    **Why is this bad?**
    The trailing turns are never trained on: they cost tokens and context, and
    usually mean the final answer was cut off or lost in a conversion.

    **Example**
    ```json
    {
      "messages": [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Thanks"}
      ]
    }
    ```

    **Fix**
    Add the missing final assistant reply or drop the trailing turns.
    """

    id = "last-turn-not-assistant"
    severity = Severity.WARNING
    group = "conversation"
    hint = "add the final assistant reply or drop the trailing turns"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        conv = _conversation(ctx)
        if conv is None or not conv.messages or "assistant" not in conv.roles:
            return
        last = conv.messages[-1]
        if last.role != "assistant":
            yield self.finding(
                ctx,
                f"conversation ends with a {last.role} turn",
                field=role_field(ctx, last) or messages_field(conv),
                excerpt_text=last.content,
            )


@register_rule
class MissingSystem(Rule):
    """A chat conversation has no system message.

    **What it does**
    Reports ``messages``/ShareGPT conversations without a ``system`` turn, the
    OpenAI cookbook's "missing system message" warning. Single-turn formats
    (Alpaca, QA, prompt/completion), which cannot carry one, are not checked.

    **Why is this bad?**
    Often fine. But a system prompt used at inference should be present in training
    too, and a dataset where only some conversations have one trains two behaviours.
    Informational only.

    **Example**
    ```json
    {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
    ```

    **Fix**
    Add the system prompt you will use at inference to every conversation, or ignore
    this rule if you deploy without one.
    """

    id = "missing-system"
    severity = Severity.INFO
    group = "conversation"
    hint = "add the system prompt you use at inference (or ignore this rule)"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        conv = _conversation(ctx)
        if conv is None or Capability.SYSTEM_TURN not in ctx.capabilities or not conv.messages:
            return
        if "system" not in conv.roles:
            yield self.finding(
                ctx,
                "conversation has no system message",
                field=messages_field(conv),
                excerpt_text=_first_text(conv),
            )


@register_rule
class MissingUser(Rule):
    """A conversation has no user message.

    **What it does**
    Reports conversations without any ``user`` turn, the OpenAI cookbook's "missing
    user message" warning (system + assistant only, or assistant only).

    **Why is this bad?**
    The reply answers nothing: the model learns to produce text unprompted. The
    cookbook counts it as a warning, not a format error: trainers accept it, but it
    is almost always a conversion bug (a mis-mapped role). Severity: warning.

    **Example**
    ```json
    {
      "messages": [
        {"role": "system", "content": "You are helpful."},
        {"role": "assistant", "content": "Hello!"}
      ]
    }
    ```

    **Fix**
    Restore the user turn (check the role mapping of the conversion), or drop the
    record.
    """

    id = "missing-user"
    severity = Severity.WARNING
    group = "conversation"
    hint = "restore the user turn (check the role mapping) or drop the record"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        conv = _conversation(ctx)
        if conv is None or not conv.messages or "user" in conv.roles:
            return
        roles = " -> ".join(conv.roles)
        yield self.finding(
            ctx,
            f"conversation has no user message ({roles})",
            field=messages_field(conv),
            excerpt_text=_first_text(conv),
        )


@register_rule
class InvalidWeight(Rule):
    """A message's ``weight`` is not 0 or 1, or is set on a non-assistant message.

    **What it does**
    Checks OpenAI's per-message ``weight`` key: it must be the integer ``0`` or
    ``1`` and may only appear on assistant messages.

    **Why is this bad?**
    OpenAI rejects the file; other trainers ignore the key, so a turn meant to be
    masked out is trained on anyway.

    **Example**
    ```json
    {
      "messages": [
        {"role": "user", "content": "Hi", "weight": 0},
        {"role": "assistant", "content": "Hello!", "weight": 0.5}
      ]
    }
    ```

    **Fix**
    Use ``"weight": 0`` (do not train on this turn) or ``1`` (train), on assistant
    messages only.
    """

    id = "invalid-weight"
    severity = Severity.ERROR
    group = "conversation"
    hint = 'use "weight": 0 or 1, on assistant messages only'

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        conv = _conversation(ctx)
        if conv is None:
            return
        for i, message in enumerate(conv.messages):
            weight = message.weight
            if weight is None:
                continue
            field = f"{message.field or f'messages[{i}]'}.weight"
            if message.role != "assistant":
                yield self.finding(
                    ctx, f"weight is set on a {message.role} message (assistant only)", field=field
                )
            elif isinstance(weight, bool) or weight not in (0, 1) or isinstance(weight, float):
                yield self.finding(ctx, f"weight must be 0 or 1, not {weight!r}", field=field)
