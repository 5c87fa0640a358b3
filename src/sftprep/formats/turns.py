"""Chat turns as every chat format writes them: read, validate and write one list of turns.

A turn is OpenAI's ``{"role", "content"}`` (with ``name``, ``tool_calls``,
``tool_call_id``, the legacy ``function_call``, ``weight`` and reasoning keys) or
ShareGPT's ``{"from", "value"}``; both spellings are read wherever a list of turns
is (``messages``, ``conversations``, TRL's conversational ``prompt``/``completion``).
Role names go through the alias table (`sftprep.formats.aliases`), so ``Chatbot``,
``model`` and ``ipython`` are understood everywhere, and a spelling outside the
canonical and native names leaves a note. ShareGPT's ``function_call`` turn is an
assistant tool call whose value is JSON ``{"name", "arguments"}``. Content may be a
list of typed parts: OpenAI's ``{"type": "text", "text"}`` and LLaMA-Factory's
``{"type": "text"|"reasoning"|"tool_call", "value"}``.

Whatever a turn holds that is not read (an unknown key, a media part, OpenAI's
``refusal``) is kept in the message's ``extra``, so it is reported, never dropped.

>>> notes = []
>>> [m.role for m in parse_turns([{"role": "User", "content": "Hi"},
...                               {"from": "gpt", "value": "Hello"}], "messages", notes)]
['user', 'assistant']
>>> notes
["role 'User' as user"]
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sftprep.catalog import make_finding
from sftprep.findings import Finding
from sftprep.formats._common import NOT_JSON, calls_from_json, loads, tool_call_from_dict
from sftprep.formats.aliases import read_role
from sftprep.formats.media import part_index
from sftprep.formats.schema import json_kind
from sftprep.model import Location, Message, ToolCall, message_to_openai

# Keys of a turn that are read, besides its role key and its text key.
READ_KEYS = frozenset(
    {
        "name",
        "tool_calls",
        "tool_call_id",
        "function_call",
        "weight",
        "loss_weight",
        "training",
        "reasoning",
        "reasoning_content",
        "thinking",
    }
)
REASONING_KEYS = ("reasoning_content", "reasoning", "thinking")
# Keys saying whether a turn is trained, in the order tried (see `_weight`).
WEIGHT_KEYS = ("weight", "loss_weight", "training")
# Spellings each turn style uses natively besides the canonical roles: not worth a note.
NATIVE_ROLES = {
    "role": frozenset({"function", "developer"}),
    "from": frozenset({"human", "gpt", "observation", "function_call", "function"}),
}
SHAREGPT_CALL = "function_call"


def turn_keys(turn: Mapping[str, Any]) -> tuple[str, str]:
    """``("role", "content")``, or ShareGPT's ``("from", "value")``."""
    if "role" not in turn and "from" in turn:
        return "from", "value"
    return "role", "content"


# --- reading ---------------------------------------------------------------------------------


def parse_turns(items: Any, key: str, notes: list[str]) -> list[Message]:
    """Messages of a list of turns at ``key``; non-objects are skipped (validate reports).
    A round object (``{"human": ..., "assistant": ...}``, ms-swift's older ShareGPT) is
    its user turn and its answer."""
    if not isinstance(items, list):
        return []
    messages: list[Message] = []
    for i, raw in enumerate(items):
        if not _is_obj(raw):
            continue
        if is_round(raw):
            messages += _round_messages(raw, f"{key}[{i}]")
        elif _has_tool_results(raw):
            messages += _tool_result_messages(raw, f"{key}[{i}]", notes)
        else:
            messages.append(parse_turn(raw, f"{key}[{i}]", notes))
    return messages


def _has_tool_results(turn: Mapping[str, Any]) -> bool:
    """A user turn of Anthropic ``tool_result`` blocks (the replies to ``tool_use``)."""
    content = turn.get("content")
    return isinstance(content, list) and any(
        isinstance(p, Mapping) and p.get("type") == "tool_result" for p in content
    )


def _tool_result_messages(turn: Mapping[str, Any], field: str, notes: list[str]) -> list[Message]:
    """Each ``tool_result`` block a tool message (``tool_use_id`` as its call id), then
    the turn's other blocks as the user's message, when there are any."""
    parts = turn["content"]
    replies: list[Message] = []
    rest: list[Any] = []
    for j, part in enumerate(parts):
        if not (isinstance(part, Mapping) and part.get("type") == "tool_result"):
            rest.append(part)
            continue
        where = f"{field}.content[{j}]"
        text, _, _, unread = _content_parts(part.get("content"), f"{where}.content")
        call_id = part.get("tool_use_id")
        extra = {k: v for k, v in part.items() if k not in ("type", "tool_use_id", "content")}
        replies.append(
            Message(
                "tool",
                text,
                tool_call_id=call_id if isinstance(call_id, str) else None,
                field=where,
                content_field=f"{where}.content",
                extra={**extra, **unread},  # unread parts: `content[j]` of this block
            )
        )
    if rest:
        rest_turn = {**turn, "content": rest}
        replies.append(parse_turn(rest_turn, field, notes))
    return replies


# A round: one exchange in one object, its speakers as keys (ms-swift's older ShareGPT).
ROUND_KEYS = {"human": "user", "user": "user", "assistant": "assistant", "gpt": "assistant"}


def is_round(turn: Mapping[str, Any]) -> bool:
    """``{"human": ..., "assistant": ...}``: no role key, only speakers with text."""
    return (
        "role" not in turn
        and "from" not in turn
        and len(turn) == 2
        and {ROUND_KEYS.get(k) for k in turn} == {"user", "assistant"}
        and all(isinstance(v, str) for v in turn.values())
    )


def _round_messages(turn: Mapping[str, Any], field: str) -> list[Message]:
    order = sorted(turn, key=lambda k: ROUND_KEYS[k] != "user")  # the user speaks first
    return [
        Message(ROUND_KEYS[k], turn[k], field=field, content_field=f"{field}.{k}") for k in order
    ]


def parse_turn(raw: Mapping[str, Any], field: str, notes: list[str]) -> Message:
    """One turn as a `Message`; alias notes are appended to ``notes``."""
    role_key, text_key = turn_keys(raw)
    source = raw.get(role_key)
    content_field = f"{field}.{text_key}"
    extra = {k: v for k, v in raw.items() if k not in READ_KEYS and k not in (role_key, text_key)}
    if isinstance(source, str) and source.casefold() == SHAREGPT_CALL:
        value = raw.get(text_key)
        return Message(
            "assistant",
            None,
            tool_calls=calls_from_json(value if isinstance(value, str) else None, content_field),
            field=field,
            content_field=content_field,
            weight=raw.get("weight"),
            extra=extra,
        )
    role, note = read_role(source, NATIVE_ROLES[role_key])
    if note is not None:
        notes.append(note)
    text, reasoning, part_calls, unread_parts = _content_parts(raw.get(text_key), content_field)
    extra.update(unread_parts)
    refusal = raw.get("refusal")
    if text is None and isinstance(refusal, str) and role == "assistant":
        # OpenAI: a refusal instead of content is the answer the model learns to give
        text, content_field = refusal, f"{field}.refusal"
        extra.pop("refusal", None)
    reasoning = reasoning or next(
        (raw[k] for k in REASONING_KEYS if isinstance(raw.get(k), str)), None
    )
    name, call_id = raw.get("name"), raw.get("tool_call_id")
    return Message(
        role=role,
        content=text,
        name=name if isinstance(name, str) else None,
        tool_calls=(*part_calls, *_tool_calls(raw, field)),
        tool_call_id=call_id if isinstance(call_id, str) else None,
        weight=_weight(raw, role, role_key, extra),
        reasoning=reasoning,
        field=field,
        content_field=content_field,
        extra=extra,
    )


def side_messages(value: Any, key: str, role: str, notes: list[str]) -> list[Message]:
    """One side of a pair record (a prompt, an answer, DPO's ``chosen``): a list of turns,
    one turn object (LLaMA-Factory's ``chosen``/``rejected``), or text as one ``role`` turn.

    >>> [(m.role, m.content) for m in side_messages({"from": "gpt", "value": "Yes"}, "chosen",
    ...                                             "assistant", [])]
    [('assistant', 'Yes')]
    """
    if isinstance(value, list):
        return parse_turns(value, key, notes)
    if isinstance(value, Mapping):
        return [parse_turn(value, key, notes)]
    return [Message(role, value if isinstance(value, str) else None, content_field=key)]


def _weight(raw: Mapping[str, Any], role: str, role_key: str, extra: dict[str, Any]) -> Any:
    """Whether a turn is trained, from the key the file uses for it (`WEIGHT_KEYS`).

    OpenAI's ``weight`` on an OpenAI turn is kept as written, for `invalid-weight` to
    judge. The others are conventions of their own: ShareGPT's ``weight`` (SlimOrca:
    0.0 on human turns, 1.0 on gpt turns), LLaMA-Factory v1's ``loss_weight`` and
    Axolotl's boolean ``training``: on an assistant turn 1.0/true read as 1 and
    0.0/false as 0; on a prompt turn 0 (or false) only restates that prompts are not
    trained, and any other value is kept in ``extra``, so that it is reported.
    """
    key = next((k for k in WEIGHT_KEYS if k in raw), None)
    if key is None:
        return None
    value = raw[key]
    if (key == "weight" and role_key == "role") or value is None:
        return value
    if value in (0, 1):  # also True/False and 1.0/0.0
        value = int(value)
    if role == "assistant":
        return value
    if value != 0:
        extra[key] = raw[key]
    return None


def _is_obj(value: Any) -> bool:
    return isinstance(value, Mapping)


def _tool_calls(raw: Mapping[str, Any], field: str) -> list[ToolCall]:
    calls: list[ToolCall] = []
    listed = raw.get("tool_calls")
    for j, call in enumerate(listed if isinstance(listed, list) else []):
        parsed = tool_call_from_dict(call, f"{field}.tool_calls[{j}]")
        if parsed is not None:
            calls.append(parsed)
    legacy = raw.get("function_call")
    if isinstance(legacy, Mapping):
        parsed = tool_call_from_dict(legacy, f"{field}.function_call")
        if parsed is not None:
            calls.append(parsed)
    return calls


# Text content parts: OpenAI chat, and the Responses API's input/output text.
TEXT_PARTS = frozenset({"text", "input_text", "output_text"})


def _tool_use(part: Mapping[str, Any], field: str) -> ToolCall:
    """An Anthropic ``tool_use`` block as a call (its ``input`` object as JSON text)."""
    call_id = part.get("id")
    arguments = json.dumps(part.get("input", {}), ensure_ascii=False)
    return ToolCall(
        part["name"], arguments, id=call_id if isinstance(call_id, str) else None, field=field
    )


def _content_parts(
    content: Any, field: str
) -> tuple[str | None, str | None, list[ToolCall], dict[str, Any]]:
    """``(text, reasoning, tool calls, unread parts)``; plain strings pass through.

    Parts that are neither text, reasoning nor a tool call (``image_url``,
    ``input_audio``...) are returned by their key (``content[1]``) so that they are
    reported as not read.
    """
    if not isinstance(content, list):
        return (content if isinstance(content, str) else None), None, [], {}
    key = field.rsplit(".", 1)[-1]
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[ToolCall] = []
    unread: dict[str, Any] = {}
    for j, part in enumerate(content):
        if isinstance(part, str):
            texts.append(part)
            continue
        if not isinstance(part, Mapping):
            continue
        kind = part.get("type", "text")
        value = part.get("text", part.get("value", part.get("thinking")))
        if kind == "tool_call":
            calls.extend(calls_from_json(value, f"{field}[{j}].value"))
        elif kind == "tool_use" and isinstance(part.get("name"), str):  # Anthropic
            calls.append(_tool_use(part, f"{field}[{j}]"))
        elif kind in ("reasoning", "thinking") and isinstance(value, str):
            reasoning.append(value)
        elif kind in TEXT_PARTS and isinstance(value, str):
            texts.append(value)
        else:
            unread[f"{key}[{j}]"] = part
    return "".join(texts), ("".join(reasoning) or None), calls, unread


# --- validating ------------------------------------------------------------------------------


def validate_turns(value: Any, key: str, location: Any) -> Iterator[Finding]:
    """``wrong-type`` / ``missing-key`` findings for a list of chat turns at ``key``."""
    if not isinstance(value, list):
        yield make_finding(
            "wrong-type",
            f"`{key}` should be a list of messages, got {_kind_of_list_text(value)}",
            location,
            field=key,
            excerpt_text=value if isinstance(value, str) else None,
        )
        return
    for i, turn in enumerate(value):
        field = f"{key}[{i}]"
        if not isinstance(turn, Mapping):
            yield make_finding(
                "wrong-type",
                f"`{field}` should be an object, got {json_kind(turn)}",
                location,
                field=field,
            )
            continue
        if not is_round(turn):
            yield from validate_turn(turn, field, location)


def validate_sides(
    record: Mapping[str, Any], keys: Iterable[str], location: Any
) -> Iterator[Finding]:
    """Shape findings for the sides (`side_messages`) at ``keys`` that ``record`` has."""
    for key in keys:
        value = record.get(key)
        if isinstance(value, list):
            yield from validate_turns(value, key, location)
        elif isinstance(value, Mapping):
            yield from validate_turn(value, key, location)
        elif key in record and value is not None and not isinstance(value, str):
            yield make_finding(
                "wrong-type",
                f"`{key}` should be a string or a list of messages, got {json_kind(value)}",
                location,
                field=key,
            )


def _kind_of_list_text(value: Any) -> str:
    """``string``, or what JSON-looking text is: a double-encoded list, or broken JSON."""
    if not isinstance(value, str) or value.strip()[:1] not in ("[", "{"):
        return json_kind(value)
    decoded = loads(value)
    if decoded is NOT_JSON:
        return "text that is not valid JSON (truncated or badly quoted?)"
    return f"a string holding JSON text of an {json_kind(decoded)} (double-encoded?)"


def validate_turn(turn: Mapping[str, Any], field: str, location: Any) -> Iterator[Finding]:
    """``missing-key`` / ``wrong-type`` findings for one turn object at ``field``."""
    role_key, text_key = turn_keys(turn)
    if role_key not in turn:
        yield make_finding(
            "missing-key", f"`{field}` has no `role`", location, field=f"{field}.role"
        )
    elif not isinstance(turn[role_key], str):
        yield make_finding(
            "wrong-type",
            f"`{field}.{role_key}` should be a string",
            location,
            field=f"{field}.{role_key}",
        )
    content = turn.get(text_key)
    calls = turn.get("tool_calls") or turn.get("function_call")
    if text_key not in turn and not calls:
        yield make_finding(
            "missing-key", f"`{field}` has no `{text_key}`", location, field=f"{field}.{text_key}"
        )
    elif content is not None and not isinstance(content, (str, list)):
        yield make_finding(
            "wrong-type",
            f"`{field}.{text_key}` should be text or a list of parts, got {json_kind(content)}",
            location,
            field=f"{field}.{text_key}",
        )
    if turn.get("tool_calls") is not None and not isinstance(turn["tool_calls"], list):
        yield make_finding(
            "wrong-type",
            f"`{field}.tool_calls` should be a list",
            location,
            field=f"{field}.tool_calls",
        )
    yield from _check_items(turn, text_key, (str, Mapping), field, location)
    yield from _check_items(turn, "tool_calls", (Mapping,), field, location)


def _check_items(
    turn: Mapping[str, Any], key: str, types: tuple[type, ...], field: str, location: Any
) -> Iterator[Finding]:
    """``wrong-type`` for items of a list (content parts, tool calls) that are not objects."""
    items = turn.get(key)
    for j, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, types):
            yield make_finding(
                "wrong-type",
                f"`{field}.{key}[{j}]` should be an object, got {json_kind(item)}",
                location,
                field=f"{field}.{key}[{j}]",
            )


# --- writing ---------------------------------------------------------------------------------


def turn_to_dict(message: Message) -> dict[str, Any]:
    """One message as written in a chat record: OpenAI keys, ``reasoning`` when set, and
    the keys it was read with but not understood (``extra``), so a round trip keeps them."""
    out = message_to_openai(message)
    if out.get("content") is None and message.tool_calls:
        del out["content"]
    if message.reasoning is not None:
        out["reasoning"] = message.reasoning
    parts = {
        index: value
        for key, value in message.extra.items()
        if (index := part_index(key)) is not None
    }
    if parts:  # media parts: content goes back as a list of parts, each where it was
        at = next(i for i in range(len(parts) + 1) if i not in parts)  # where the text was
        text = [{"type": "text", "text": message.content}] if message.content else []
        ordered = sorted(parts.items())
        out["content"] = [
            *(v for i, v in ordered if i < at),
            *text,
            *(v for i, v in ordered if i > at),
        ]
    for key, value in message.extra.items():
        if part_index(key) is None and key not in out:
            out[key] = value
    return out


def write_side(messages: Sequence[Message]) -> Any:
    """A side as written back: one message read from text (not from a turn object) as a
    string, anything else as a list of turns."""
    if len(messages) == 1 and not messages[0].field and not messages[0].tool_calls:
        return messages[0].text
    return [turn_to_dict(m) for m in messages]


def valid_history(history: Any) -> bool:
    """``history`` is a list of ``[user, assistant]`` string pairs (Alpaca, ms-swift)."""
    return isinstance(history, list) and all(
        isinstance(t, list) and len(t) == 2 and all(isinstance(x, str) for x in t) for t in history
    )


def history_messages(record: Mapping[str, Any]) -> list[Message]:
    """The turns before the prompt that a ``history`` of pairs holds (none if invalid)."""
    history = record.get("history")
    pairs: list[list[str]] = history if isinstance(history, list) and valid_history(history) else []
    messages: list[Message] = []
    for i, (user, assistant) in enumerate(pairs):
        messages.append(Message("user", user, content_field=f"history[{i}][0]"))
        messages.append(Message("assistant", assistant, content_field=f"history[{i}][1]"))
    return messages


def history_finding(record: Mapping[str, Any], location: Location) -> Iterator[Finding]:
    """`wrong-type` for a ``history`` that is not a list of pairs."""
    history = record.get("history")
    if history is not None and not valid_history(history):
        yield make_finding(
            "wrong-type",
            "`history` should be a list of [user, assistant] pairs",
            location,
            field="history",
        )
