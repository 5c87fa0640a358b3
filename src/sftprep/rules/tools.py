"""Tool-calling rules: call arguments, declared tools, and tool replies."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping

from sftprep.findings import Finding, Severity
from sftprep.model import Message, ToolCall
from sftprep.rules._common import (
    declared_tools,
    is_raw_text,
    message_path,
    resolve,
    tool_names,
)
from sftprep.rules.base import RecordContext, Rule, register_rule


def _calls(ctx: RecordContext) -> Iterator[tuple[Message, int, ToolCall]]:
    """Every ``(message, index, call)`` of the record's assistant tool calls."""
    conv = ctx.conversation
    if conv is None or is_raw_text(ctx):
        return
    for message in conv.messages:
        for j, call in enumerate(message.tool_calls):
            yield message, j, call


def _call_field(message: Message, index: int, call: ToolCall) -> str:
    """Path of the call itself (adapters may point ``call.field`` at its arguments)."""
    path = call.field or f"{message.field or 'messages'}.tool_calls[{index}]"
    for suffix in (".function.arguments", ".arguments"):
        if path.endswith(suffix):
            return path[: -len(suffix)]
    return path


def _key_field(ctx: RecordContext, message: Message, index: int, call: ToolCall, key: str) -> str:
    """Path of the call's ``key`` (``...tool_calls[0].function.arguments``) when it exists."""
    path = _call_field(message, index, call)
    raw = resolve(ctx.record, path)
    if isinstance(raw, Mapping):
        if isinstance(raw.get("function"), Mapping):
            return f"{path}.function.{key}"
        if key in raw:
            return f"{path}.{key}"
    return path


@register_rule
class ToolCallArguments(Rule):
    """A tool call's ``arguments`` is not a JSON object.

    **What it does**
    Parses every assistant tool call's ``arguments`` (JSON text in the OpenAI
    format) and reports text that is not valid JSON, or valid JSON that is not an
    object, such as a double-encoded string (``"\\"{\\\\\\"a\\\\\\": 1}\\""``), a list
    or a number. Calls of built-in tools such as ``code_interpreter`` (called as
    ``python`` with plain code) are exempt.

    **Why is this bad?**
    OpenAI rejects the file; chat templates that ``json.loads`` the arguments crash,
    and a model trained on broken arguments produces calls the runtime cannot parse.

    **Example**
    ```json
    {
      "role": "assistant",
      "tool_calls": [
        {
          "id": "call_1",
          "type": "function",
          "function": {"name": "get_weather", "arguments": "{location: Hanoi}"}
        }
      ]
    }
    ```

    **Fix**
    Write ``arguments`` as ``json.dumps(dict_of_arguments)``: exactly one level of
    JSON encoding of an object.
    """

    id = "tool-call-arguments"
    severity = Severity.ERROR
    group = "tools"
    hint = "write arguments as json.dumps(<dict>): one JSON-encoded object"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        builtins: set[str] | None = None
        for message, j, call in _calls(ctx):
            if builtins is None:
                builtins = tool_names(declared_tools(ctx) or [])[1]
            if call.name in builtins:
                continue  # code_interpreter and friends take free text
            problem = _arguments_problem(call.arguments)
            if problem:
                yield self.finding(
                    ctx,
                    f"arguments of {f'`{call.name}`' if call.name else 'a tool call'} {problem}",
                    field=_key_field(ctx, message, j, call, "arguments"),
                    excerpt_text=call.arguments,
                )


def _arguments_problem(arguments: str) -> str | None:
    try:
        value = json.loads(arguments)
    except (TypeError, ValueError) as exc:
        return f"are not valid JSON ({exc})"
    except RecursionError:
        return "nest too deeply to parse (thousands of levels)"
    if isinstance(value, dict):
        return None
    if isinstance(value, str):
        return "are a JSON string, not an object (double-encoded?)"
    kinds = {bool: "boolean", int: "number", float: "number", list: "array"}
    kind = "null" if value is None else kinds.get(type(value), type(value).__name__)
    return f"are a JSON {kind}, not an object"


@register_rule
class ToolUndeclared(Rule):
    """The assistant calls a tool the record does not declare.

    **What it does**
    Compares each tool call's name with the record's ``tools`` (or legacy
    ``functions``; JSON text of a list is accepted). A name missing from declared
    tools is an error; a call in a record that declares no tools at all is a warning.
    Built-in tool types count: ``{"type": "code_interpreter"}`` declares ``python``.

    **Why is this bad?**
    The model learns to call a function whose schema it never saw in the prompt, so
    at inference it hallucinates tools and arguments; OpenAI rejects calls to
    undeclared functions.

    **Example**
    ```json
    {
      "messages": [
        {"role": "user", "content": "Weather in Hanoi?"},
        {
          "role": "assistant",
          "tool_calls": [
            {
              "id": "c1",
              "type": "function",
              "function": {"name": "get_weather", "arguments": "{}"}
            }
          ]
        }
      ],
      "tools": [{"type": "function", "function": {"name": "get_time", "parameters": {}}}]
    }
    ```

    **Fix**
    Add the tool's schema to ``tools`` (every record that calls it), or correct the
    misspelt name in the call.
    """

    id = "tool-undeclared"
    severity = Severity.ERROR
    group = "tools"
    hint = "declare the tool in the record's `tools` or fix the called name"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        tools: list[object] | None = None
        for message, j, call in _calls(ctx):
            if tools is None:
                tools = declared_tools(ctx) or []
                functions, builtins = tool_names(tools)
            if not call.name:
                continue  # missing-key/wrong-type report a call without a name
            field = _key_field(ctx, message, j, call, "name")
            if not tools:
                yield self.finding(
                    ctx,
                    f"calls `{call.name}` but the record declares no tools",
                    field=field,
                    severity=Severity.WARNING,
                )
            elif call.name not in functions and call.name not in builtins:
                known = ", ".join(sorted(functions | builtins)) or "none"
                yield self.finding(
                    ctx,
                    f"calls `{call.name}`, which is not among the declared tools ({known})",
                    field=field,
                )


@register_rule
class ToolResponseOrphan(Rule):
    """A tool reply answers no tool call.

    **What it does**
    Reports ``tool`` messages that do not directly follow an assistant turn with
    tool calls (other tool replies may sit between), whose ``tool_call_id`` (or,
    without ids, whose ``name``) matches none of that turn's calls, and replies in
    excess of the number of calls.

    **Why is this bad?**
    OpenAI rejects the conversation; templates that pair replies with calls by id
    fail, and the model learns tool output appearing from nowhere.

    **Example**
    ```json
    {
      "messages": [
        {"role": "user", "content": "Weather?"},
        {"role": "tool", "tool_call_id": "c1", "content": "{\\"t\\": 20}"},
        {"role": "assistant", "content": "20 degrees."}
      ]
    }
    ```

    **Fix**
    Add the assistant turn with the matching call before the reply, fix the reply's
    ``tool_call_id``/``name``, or drop the stray reply.
    """

    id = "tool-response-orphan"
    severity = Severity.ERROR
    group = "tools"
    hint = "put the matching assistant tool call before the reply, or fix its tool_call_id"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        conv = ctx.conversation
        if conv is None or is_raw_text(ctx):
            return
        turn: Message | None = None  # the last non-tool message
        replies = 0
        for i, message in enumerate(conv.messages):
            if message.role != "tool":
                turn, replies = message, 0
                continue
            where = message_path(message, i)
            found = _orphan_problem(turn, message, replies)
            replies += 1
            if found:
                problem, key = found
                yield self.finding(
                    ctx,
                    f"tool reply `{where}` {problem}",
                    field=_reply_field(ctx, message, where, key),
                    excerpt_text=message.content,
                )


def _reply_field(ctx: RecordContext, reply: Message, where: str, key: str | None) -> str:
    """The reply's ``tool_call_id`` or ``name`` key when that is what matches no call."""
    raw = resolve(ctx.record, reply.path) if reply.field else None
    if key is not None and isinstance(raw, Mapping) and key in raw:
        return f"{where}.{key}"
    return where


INLINE_CALL = "<tool_call>"  # a call in the text (Hermes, Qwen chat templates)
# Llama 3.1's built-in tool call: the answer starts with <|python_tag|> (one call).
PYTHON_TAG = "<|python_tag|>"


def inline_calls(turn: Message) -> int:
    """Tool calls written into an assistant's text: ``<tool_call>`` blocks, or one
    Llama 3.1 ``<|python_tag|>`` call at its start."""
    if turn.role != "assistant":
        return 0
    return turn.text.count(INLINE_CALL) or int(turn.text.lstrip().startswith(PYTHON_TAG))


def _orphan_problem(
    turn: Message | None, reply: Message, replies: int
) -> tuple[str, str | None] | None:
    """What is wrong with a tool reply, and the reply key at fault (None: the whole turn).

    Calls written into the assistant's text as ``<tool_call>{...}</tool_call>`` (Hermes,
    Qwen) or after Llama 3.1's ``<|python_tag|>`` are calls too: replies are counted
    against them, without ids or names."""
    inline = inline_calls(turn) if turn is not None else 0
    if inline and turn is not None and not turn.tool_calls:
        if replies >= inline:
            return f"is reply {replies + 1} to an assistant turn with {inline} call(s)", None
        return None
    if turn is None or turn.role != "assistant" or not turn.tool_calls:
        article = "an" if turn is not None and turn.role == "assistant" else "a"
        after = "the start" if turn is None else f"{article} {turn.role} turn without tool calls"
        return f"follows {after}, not an assistant tool call", None
    calls = turn.tool_calls
    if reply.tool_call_id is not None:
        if reply.tool_call_id not in {call.id for call in calls}:
            problem = f"has tool_call_id {reply.tool_call_id!r}, which no preceding call has"
            return problem, "tool_call_id"
    elif reply.name is not None and reply.name not in {call.name for call in calls}:
        return f"names `{reply.name}`, which the preceding assistant turn did not call", "name"
    if replies >= len(calls):
        return f"is reply {replies + 1} to an assistant turn with {len(calls)} call(s)", None
    return None


@register_rule
class ToolCallIdReused(Rule):
    """A tool reply's ``tool_call_id`` matches more than one call.

    **What it does**
    Reports tool replies whose ``tool_call_id`` is shared by several tool calls
    earlier in the same conversation, so the reply cannot be paired with its call.
    Reused ids without any reply that refers to them (as in OpenAI's drone example,
    where every call is ``call_id``) are not reported: nothing is ambiguous there.

    **Why is this bad?**
    Templates and APIs pair replies with calls by id; with a shared id the model is
    trained on a result attached to the wrong call (or the pairing fails).

    **Example**
    ```json
    {
      "messages": [
        {"role": "user", "content": "Weather in A and B?"},
        {
          "role": "assistant",
          "tool_calls": [
            {
              "id": "c1",
              "type": "function",
              "function": {"name": "w", "arguments": "{\\"city\\": \\"A\\"}"}
            },
            {
              "id": "c1",
              "type": "function",
              "function": {"name": "w", "arguments": "{\\"city\\": \\"B\\"}"}
            }
          ]
        },
        {"role": "tool", "tool_call_id": "c1", "content": "20"}
      ]
    }
    ```

    **Fix**
    Give every call in a conversation a unique id (``call_1``, ``call_2``, ...) and
    point each reply at its own call.
    """

    id = "tool-call-id-reused"
    severity = Severity.WARNING
    group = "tools"
    hint = "give every tool call a unique id and point each reply at its call"

    def check(self, ctx: RecordContext) -> Iterator[Finding]:
        conv = ctx.conversation
        if conv is None or is_raw_text(ctx):
            return
        ids: Counter[str] = Counter()
        reported: set[str] = set()
        for i, message in enumerate(conv.messages):
            ids.update(call.id for call in message.tool_calls if call.id is not None)
            reply_id = message.tool_call_id
            if message.role != "tool" or reply_id is None or reply_id in reported:
                continue
            if ids[reply_id] > 1:
                reported.add(reply_id)
                yield self.finding(
                    ctx,
                    f"tool_call_id {reply_id!r} is shared by {ids[reply_id]} calls",
                    field=f"{message.field or f'messages[{i}]'}.tool_call_id",
                )
