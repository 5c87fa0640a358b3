"""Helpers the format adapters share: text coercion, JSON-in-strings, tool calls."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sftprep.catalog import make_finding
from sftprep.errors import LossyConversionError
from sftprep.findings import Finding
from sftprep.formats.schema import json_kind
from sftprep.model import Location, Message, ToolCall


def as_text(value: Any) -> str | None:
    """The value when it is a string, else None (wrong types are reported by validate)."""
    return value if isinstance(value, str) else None


NOT_JSON = object()


def loads(text: str) -> Any:
    """``json.loads``, or `NOT_JSON` for text that is not JSON (or nests too deep to parse)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return NOT_JSON


def maybe_json(value: Any) -> Any:
    """Decode a JSON string holding a list or object (glaive's ``tools``); else return as is."""
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        decoded = loads(value)
        return value if decoded is NOT_JSON else decoded
    return value


def arguments_text(value: Any) -> str:
    """Tool-call arguments as JSON text: strings stay raw so broken JSON stays visible."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return str(value)


def call_from_json(value: Any, field: str) -> ToolCall:
    """A tool call written as JSON text ``{"name", "arguments"}``.

    ShareGPT ``function_call`` turns and LLaMA-Factory ``tool_call`` parts write calls
    this way. Anything else is kept whole as the arguments of a call with no name, so
    `tool-call-arguments` can show it.

    >>> call_from_json('{"name": "f", "arguments": {"x": 1}}', "v").arguments
    '{"x": 1}'
    >>> call_from_json("f(x=1)", "v")
    ToolCall(name='', arguments='f(x=1)', id=None, type='function', field='v')
    """
    if value is None:
        return ToolCall(name="", arguments="", field=field)
    decoded = loads(value) if isinstance(value, str) else value
    if not isinstance(decoded, Mapping):
        return ToolCall(name="", arguments=arguments_text(value), field=field)
    name = decoded.get("name")
    return ToolCall(
        name=name if isinstance(name, str) else "",
        arguments=arguments_text(decoded.get("arguments", "")),
        field=field,
    )


def calls_from_json(value: Any, field: str) -> tuple[ToolCall, ...]:
    """`call_from_json`, also for a JSON list of calls (LLaMA-Factory's parallel calls).

    >>> [c.name for c in calls_from_json('[{"name": "a"}, {"name": "b"}]', "v")]
    ['a', 'b']
    """
    decoded = loads(value) if isinstance(value, str) else value
    if isinstance(decoded, list) and decoded and all(isinstance(c, Mapping) for c in decoded):
        return tuple(call_from_json(c, f"{field}[{j}]") for j, c in enumerate(decoded))
    return (call_from_json(value, field),)


def tool_call_from_dict(call: Any, field: str) -> ToolCall | None:
    """Read ``{"id", "type", "function": {"name", "arguments"}}`` or ``{"name", "arguments"}``."""
    if not isinstance(call, Mapping):
        return None
    inner = call.get("function")
    function: Mapping[str, Any] = inner if isinstance(inner, Mapping) else call
    name = function.get("name")
    kind = call.get("type")
    return ToolCall(
        name=name if isinstance(name, str) else "",
        arguments=arguments_text(function.get("arguments", function.get("parameters", ""))),
        id=call.get("id") if isinstance(call.get("id"), str) else None,
        type=kind if isinstance(kind, str) else "function",
        field=f"{field}.function.arguments" if "function" in call else f"{field}.arguments",
    )


def tools_tuple(value: Any) -> tuple[Any, ...]:
    """Declared tools as a tuple, decoding a JSON string first."""
    decoded = maybe_json(value)
    return tuple(decoded) if isinstance(decoded, list) else ()


def check_tools(record: Mapping[str, Any], key: str, location: Location) -> Iterator[Finding]:
    """``wrong-type`` when ``tools``/``functions`` is neither a list nor JSON text of one."""
    value = record.get(key)
    # "" is how LLaMA-Factory rows without tools often read: no tools, not a wrong type.
    if value is None or value == "" or isinstance(maybe_json(value), list):
        return
    kind = "text that is not a JSON list" if isinstance(value, str) else json_kind(value)
    yield make_finding(
        "wrong-type",
        f"`{key}` should be a list of tool definitions (or JSON text of one), got {kind}",
        location,
        field=key,
        excerpt_text=value if isinstance(value, str) else None,
    )


def check_text_keys(
    record: Mapping[str, Any], keys: Sequence[str], location: Location, *, nullable: bool = True
) -> Iterator[Finding]:
    """``wrong-type`` for present keys that hold neither text nor null."""
    for key in keys:
        if key in record and not isinstance(record[key], str):
            if record[key] is None and nullable:
                continue
            kind = json_kind(record[key])
            yield make_finding(
                "wrong-type", f"`{key}` should be a string, got {kind}", location, field=key
            )


def pair(
    prompt: str | None, answer: str | None, prompt_field: str, answer_field: str
) -> tuple[Message, Message]:
    return (
        Message("user", prompt, content_field=prompt_field),
        Message("assistant", answer, content_field=answer_field),
    )


def first_text(messages: Sequence[Message], role: str) -> str | None:
    return next((m.content for m in messages if m.role == role), None)


def with_metadata(record: dict[str, Any], conversation: Any) -> dict[str, Any]:
    """Add the conversation's metadata keys to a record being written.

    A metadata key that the target format uses for something else (RAFT's ``context``
    dict against dolly's ``context`` text) can be neither overwritten nor dropped
    silently, so the conversion is refused with the reason.
    """
    for key, value in conversation.metadata.items():
        if key in record and record[key] != value:
            raise LossyConversionError(
                f"the record's `{key}` would collide with the target format's own `{key}`"
            )
        record[key] = value
    return record
