"""The canonical data model: every format converts into a `Conversation` and back.

A conversation is an ordered list of `Message`s plus the tools it declares and the
metadata it carries. Every message remembers which field of the original record
it came from, so a finding can point at ``messages[2].content`` or ``cot_answer``.
Nothing here does I/O.

>>> msg = Message(role="user", content="Hi", field="messages[0]")
>>> conv = Conversation(messages=(msg,), location=Location("data.jsonl", 1, 0))
>>> conv.roles
('user',)
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]
MediaKind = Literal["image", "video", "audio"]
ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")
# A text-only turn as counting needs it: (role, content, name, tool_call_id, weight).
PlainTurn = tuple[str, str, "str | None", "str | None", Any]
# Where a value is in a record, as keys and list indexes: ("messages", 2, "content").
FieldPath = tuple["str | int", ...]

_INDEX = re.compile(r"\[(\d+)\]")


@lru_cache(maxsize=4096)
def field_path(text: str) -> FieldPath:
    """The structured path of a field's display string, parsed once per distinct string.

    >>> field_path("messages[2].content")
    ('messages', 2, 'content')
    >>> field_path("conversations[0][1].value"), field_path("")
    (('conversations', 0, 1, 'value'), ())
    """
    parts: list[str | int] = []
    for part in text.split(".") if text else ():
        name, _, rest = part.partition("[")
        if name:
            parts.append(name)
        parts.extend(int(index) for index in _INDEX.findall("[" + rest if rest else ""))
    return tuple(parts)


@dataclass(frozen=True, slots=True)
class Location:
    """Where a record lives: file path, 1-based start line, 0-based record index."""

    path: str
    line: int | None = None
    record: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def shift(self, records: int, lines: int) -> Location:
        """This location seen from further up the file: a shard numbers its records and
        lines from its own start, the merge adds the records and lines before it."""
        if not (records or lines):
            return self
        return Location(
            self.path,
            None if self.line is None else self.line + lines,
            None if self.record is None else self.record + records,
        )


@dataclass(frozen=True, slots=True)
class MediaRef:
    """One image, video or audio clip a conversation refers to, as the record wrote it.

    ``source`` says how it is given: ``path`` (a file, relative to the dataset's folder
    unless absolute), ``url`` (remote, never fetched), ``data`` (a ``data:`` URI or
    base64 text, decoded and checked) or ``bytes`` (a Parquet/HF image column's
    ``{"bytes", "path"}``). ``value`` is the path, URL or URI (``None`` for bytes),
    ``data`` the raw bytes when the record holds them, ``field`` where it is in the
    record (``images[1]``, ``messages[0].content[1]``), ``message`` the index of the
    message it belongs to (``None`` for a record-level column, whose place is a
    ``<image>`` placeholder in the text) and ``detail`` OpenAI's ``low``/``high``/``auto``.
    The parts themselves stay where the adapter keeps them (``metadata`` and a
    message's ``extra``), so every writer puts them back unchanged.

    >>> MediaRef("image", "path", "img/1.jpg", field="images[0]").value
    'img/1.jpg'
    """

    kind: MediaKind
    source: Literal["path", "url", "data", "bytes"]
    value: str | None
    field: str = ""
    message: int | None = None
    data: bytes | None = dataclasses.field(default=None, repr=False)
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One call of a tool by the assistant; ``arguments`` is kept as the raw JSON text."""

    name: str
    arguments: str
    id: str | None = None
    type: str = "function"
    field: str = ""


@dataclass(frozen=True, slots=True)
class Message:
    """One turn of a conversation.

    ``role`` holds the normalised role when the source role is known, otherwise the
    raw value (so the `invalid-role` rule can report it). ``field`` is the path of the
    message in the source record (``messages[2]``); ``content_field`` the path of its
    text (``messages[2].content`` or ``cot_answer``). ``weight`` is kept raw (any
    JSON value) so `invalid-weight` can judge it.
    """

    role: str
    content: str | None
    name: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    weight: Any = None
    reasoning: str | None = None
    field: str = ""
    content_field: str = ""
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def text(self) -> str:
        """Content as text, '' when absent."""
        return self.content or ""

    @property
    def path(self) -> FieldPath:
        """`field` as a structured path (``("messages", 2)``)."""
        return field_path(self.field)

    @property
    def content_path(self) -> FieldPath:
        """`content_field` as a structured path (``("messages", 2, "content")``)."""
        return field_path(self.content_field)


@dataclass(frozen=True, slots=True)
class Conversation:
    """A training sample: messages, declared tools, metadata and where it came from.

    ``fields`` maps original text fields (``question``, ``cot_answer``, ...) to their
    text, so token counts can be reported per source field. ``metadata`` keeps every
    other top-level key so conversions lose nothing; a message's ``extra`` keeps the
    keys of the message that were not read, and ``leftovers`` anything else of the
    record that was not read (``instances[1]`` of a seed task). `unread` walks all
    three: nothing a record holds is dropped without being reported. ``notes`` says
    which names were read through an alias (``role 'Chatbot' as assistant``).
    """

    messages: tuple[Message, ...]
    tools: tuple[Any, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    location: Location = field(default_factory=lambda: Location("<memory>"))
    format: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    leftovers: Mapping[str, Any] = field(default_factory=dict)

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(m.role for m in self.messages)

    def unread(self) -> Iterator[tuple[str, Any]]:
        """Every ``(path, raw value)`` of the record that is not in the messages."""
        yield from self.metadata.items()
        for message in self.messages:
            for key, value in message.extra.items():
                yield f"{message.field or message.content_field}.{key}", value
        yield from self.leftovers.items()

    def to_openai(self) -> list[dict[str, Any]]:
        """Messages as OpenAI-style dicts (what chat templates expect)."""
        return [message_to_openai(m) for m in self.messages]


def message_to_openai(message: Message) -> dict[str, Any]:
    """One message as an OpenAI chat dict; tool call arguments stay JSON text."""
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.name is not None:
        out["name"] = message.name
    if message.tool_calls:
        out["tool_calls"] = [
            {
                **({"id": call.id} if call.id is not None else {}),
                "type": call.type,
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in message.tool_calls
        ]
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    if message.weight is not None:
        out["weight"] = message.weight
    return out
