"""JSON reader: an array of records, one object, a wrapped list, or JSON Lines in .json.

The file is streamed: a byte scanner tracks strings, escapes and bracket depth
and cuts out one element at a time with the line it starts on, and only that
element is parsed. Shapes:

- ``[ {...}, {...} ]``: each element is a record;
- ``{"data": [ ... ]}`` (also ``train``, ``examples``, ``records``, ...): the
  wrapped list's elements are records;
- ``{...}`` alone: one record; several top-level values: JSON Lines content.

A truncated file yields every complete record, then a ``json-syntax`` finding
at the line where the broken element starts (or, when no element was cut, at the
end of the file with no record index). Content after the closing ``]`` of a
top-level array is a ``json-syntax`` finding too. Undecodable bytes are reported
(``invalid-utf8``) at their own line and the element is parsed with U+FFFD.
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sftprep.catalog import make_finding
from sftprep.findings import Finding
from sftprep.io.base import FileReader, Item, Plan, RawRecord, Shard, register_reader
from sftprep.io.text import (
    BOM,
    decode,
    describe_error,
    ensure_text_file,
    first_bad_byte,
    open_binary,
    parse_json,
)
from sftprep.model import Location

CHUNK = 1 << 20
HEAD = 1 << 16  # bytes looked at to tell an array, a wrapped list or other content
WRAPPER_KEYS = ("data", "train", "examples", "records", "rows", "items", "instances", "samples")
# Keys of a record itself (any format): an object holding one is a record, never a wrapper.
RECORD_KEYS = frozenset(
    {
        "messages",
        "conversations",
        "instruction",
        "output",
        "prompt",
        "completion",
        "response",
        "question",
        "answer",
        "cot_answer",
        "text",
    }
)
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|"|[\[\]{}:,]')
_SPECIAL = re.compile(rb'["\\\[\]{},\n]')
_NON_SPACE = re.compile(rb"\S")


# One element cut out by the scanner: its bytes, the line of its first real byte, and
# its byte offsets in the file [start, end).
Element = tuple[bytes, int, int, int]


@dataclass
class _Segment:
    """One element being collected: its bytes, the line and offset of its first real byte."""

    parts: list[bytes] = field(default_factory=list)
    start_line: int | None = None
    start: int = 0
    end: int = 0

    def add(self, data: bytes, line: int, offset: int) -> None:
        if not data:
            return
        if self.start_line is None:
            stripped = data.lstrip()
            if not stripped:
                return
            skipped = len(data) - len(stripped)
            line += data[:skipped].count(b"\n")
            self.start_line, self.start = line, offset + skipped
            data, offset = stripped, offset + skipped
        self.parts.append(data)
        self.end = offset + len(data)

    def take(self) -> Element | None:
        if self.start_line is None:
            return None
        out = (b"".join(self.parts), self.start_line, self.start, self.end)
        self.parts, self.start_line = [], None
        return out


class _Scanner:
    """Cuts a byte stream into elements at ``depth``; separators are ``,`` and newlines.

    ``depth`` 1 = elements of a top-level array, 2 = of a wrapped list, 0 = a
    sequence of top-level values (one object, or JSON Lines).
    """

    def __init__(self, depth: int, line: int = 1, offset: int = 0) -> None:
        self.target = depth
        self.offset = offset  # in the file, of the next byte fed
        self.depth = 0
        self.in_string = False
        self.skip_to = 0
        self.line = line
        self.closed = False
        self.closed_at: int | None = None  # file offset just after the closing bracket
        self.extra_line: int | None = None  # first non-blank byte after the closing bracket
        self.comma_line: int | None = None  # the last element-separating comma, if no element since
        self.segment = _Segment()

    def feed(self, chunk: bytes) -> Iterator[Element]:
        try:
            yield from self._feed(chunk)
        finally:
            self.offset += len(chunk)

    def _feed(self, chunk: bytes) -> Iterator[Element]:
        if self.closed:
            self._after_close(chunk, 0)
            return
        pos = 0  # start of the bytes not yet given to the segment
        skip = self.skip_to
        for match in _SPECIAL.finditer(chunk):
            i = match.start()
            if i < skip:
                continue
            char = chunk[i : i + 1]
            if char == b"\n":
                if self.target == 0 and self.depth == 0 and not self.in_string:
                    yield from self._cut(chunk, pos, i)
                    pos = i
                self.line += 1
                continue
            if self.in_string:
                if char == b"\\":
                    skip = i + 2
                elif char == b'"':
                    self.in_string = False
                continue
            if char == b'"':
                self.in_string = True
            elif char in b"[{":
                if self.depth < self.target:
                    pos = i + 1  # the container's opening bracket is not part of an element
                self.depth += 1
            elif char in b"]}":
                self.depth -= 1
                if self.depth == self.target - 1 and self.target > 0:
                    if not (yield from self._cut(chunk, pos, i)) and self.comma_line is not None:
                        yield b"", self.comma_line, -1, -1  # `[{...},]`: a trailing comma
                    self.closed = True
                    self.closed_at = self.offset + i + 1
                    self._after_close(chunk, i + 1)
                    return
                elif self.depth <= 0 and self.target == 0:
                    self.depth = 0  # a stray `]` or `}` is cut out alone: it fails to parse
                    yield from self._cut(chunk, pos, i + 1)
                    pos = i + 1
            elif char == b"," and self.depth == self.target > 0:
                if not (yield from self._cut(chunk, pos, i)):
                    yield b"", self.line, -1, -1  # `[,{...}]` or `{...},,{...}`: a stray comma
                self.comma_line = self.line
                pos = i + 1
        self.skip_to = max(0, skip - len(chunk))
        if self.depth >= self.target:
            self.segment.add(chunk[pos:], self._line_at(chunk, pos), self.offset + pos)

    def _after_close(self, chunk: bytes, start: int) -> None:
        """Look for content after the array's closing bracket (reported by the reader)."""
        if self.extra_line is not None:
            return
        match = _NON_SPACE.search(chunk, start)
        if match is None:
            self.line += chunk.count(b"\n", start)
        else:
            self.extra_line = self.line + chunk.count(b"\n", start, match.start())

    def _line_at(self, chunk: bytes, pos: int) -> int:
        # At the end of a chunk self.line has counted all its newlines.
        return self.line - chunk.count(b"\n", pos)

    def _cut(self, chunk: bytes, start: int, end: int) -> Generator[Element, None, bool]:
        """Yield the element ending at ``end``, if any; returns whether there was one."""
        # self.line is the line of position `end` here: every newline before it was counted.
        line = self.line - chunk.count(b"\n", start, end)
        self.segment.add(chunk[start:end], line, self.offset + start)
        done = self.segment.take()
        if done is None:
            return False
        self.comma_line = None
        yield done
        return True

    def finish(self) -> Element | None:
        return self.segment.take()


@register_reader(".json")
class JsonReader(FileReader):
    """JSON arrays, wrapped lists, single objects (see the module docstring).

    An array (or wrapped list) is planned by one scan that finds where each element
    starts and ends, without parsing: a shard is a run of elements, with their byte
    offsets, start lines and record numbers, so workers parse only their own.
    Anything else (one object, JSON Lines in ``.json``) is one shard.
    """

    def read(self, path: Path) -> Iterator[Item]:
        ensure_text_file(path)
        name = str(path)
        with open_binary(path) as fh:
            scanner, head, wrapped = _start(fh)
            record = 0
            failed_last = False
            for data, start, _, _ in _elements(scanner, head, fh):
                if not data:
                    yield _stray_comma(name, start)
                    continue
                loc = Location(name, start, record)
                record += 1
                value, failed_last = yield from _parse(data, loc)
                if failed_last:
                    continue
                if scanner.target == 0 and record == 1 and _is_wrapper(value):
                    yield from _unwrap(value, data, loc)
                    continue
                yield RawRecord(value, loc)
            yield from _ending(name, scanner, failed_last, wrapped)

    def plan(self, path: Path, shard_bytes: int) -> Plan:
        ensure_text_file(path)
        name = str(path)
        with open_binary(path) as fh:
            scanner, head, wrapped = _start(fh)
            if scanner.target == 0:  # one object or JSON Lines: read whole
                return Plan([Shard(name, self.key, size=path.stat().st_size)])
            plan = Plan([])
            run: array[int] = array("q")  # start, end, line of each element of a shard
            record = first = 0
            last: bytes | None = None
            for data, line, start, end in _elements(scanner, head, fh):
                if not data:
                    plan.findings.append(_stray_comma(name, line))
                    continue
                run.extend((start, end, line))
                record += 1
                last = data
                if end - run[0] >= shard_bytes:
                    plan.shards.append(self._shard(name, len(plan.shards), first, run))
                    run, first = array("q"), record
            if run:
                plan.shards.append(self._shard(name, len(plan.shards), first, run))
            failed_last = last is not None and not _parses(last)
            plan.findings.extend(_ending(name, scanner, failed_last, wrapped))
        return plan

    def _shard(self, name: str, index: int, first: int, run: array[int]) -> Shard:
        return Shard(
            name,
            self.key,
            index,
            start=run[0],
            end=run[-2],
            size=run[-2] - run[0],
            first_record=first,
            first_line=run[2],
            extra=run.tobytes(),
        )

    def read_shard(self, shard: Shard) -> Iterator[Item]:
        if shard.extra is None:
            yield from self.read(Path(shard.path))
            return
        run: array[int] = array("q")
        run.frombytes(shard.extra)
        with open_binary(Path(shard.path)) as fh:
            fh.seek(shard.start)
            span = fh.read((shard.end or shard.start) - shard.start)
        # numbered from the shard's start (record 0, line 1): the merge adds the rest
        first_line = run[2]
        for k in range(0, len(run), 3):
            start, end, line = run[k], run[k + 1], run[k + 2]
            data = span[start - shard.start : end - shard.start]
            loc = Location(shard.path, line - first_line + 1, k // 3)
            value, failed = yield from _parse(data, loc)
            if not failed:
                yield RawRecord(value, loc)


def _start(fh: Any) -> tuple[_Scanner, bytes, int | None]:
    """A scanner set at the file's content (``[...]``, ``{"data": [...]}`` or other), the
    first bytes to feed it, and the file offset of a wrapped list's ``[`` (None when the
    records are not a wrapped list)."""
    head, line, offset = _head(fh)
    wrapped = _wrapped_list_offset(head, strict=True)
    if wrapped is not None:  # {"data": [...]}: scan the list as if it were the file
        line += head.count(b"\n", 0, wrapped)
        return _Scanner(1, line, offset + wrapped), head[wrapped:], offset + wrapped
    depth = 1 if head.lstrip()[:1] == b"[" else 0
    return _Scanner(depth, line, offset), head, None


def _parse(data: bytes, loc: Location) -> Generator[Item, None, tuple[Any, bool]]:
    """``(value, failed)`` for one element; findings for a bad one are yielded."""
    try:
        return parse_json(data), False
    except ValueError as exc:
        value = yield from _bad_element(data, loc, exc)
        return value, value is _FAILED


def _parses(data: bytes) -> bool:
    try:
        parse_json(data)
    except ValueError:
        try:
            parse_json(decode(data)[0])
        except ValueError:
            return False
    return True


def _stray_comma(name: str, line: int) -> Finding:
    return make_finding(
        "json-syntax",
        "stray comma (leading, doubled or trailing): JSON allows none",
        Location(name, line, None),
    )


def _ending(
    name: str, scanner: _Scanner, failed_last: bool, wrapped: int | None
) -> Iterator[Finding]:
    """Findings about how the file ends: truncated, data after the top-level array, or
    what a wrapper object holds beside its list."""
    if wrapped is not None and scanner.closed_at is not None:
        yield from _beside_the_list(name, wrapped, scanner.closed_at)

    if (scanner.depth > 0 and not scanner.closed) or scanner.in_string:
        if not failed_last:  # a cut-off element already has its finding
            yield make_finding(
                "json-syntax",
                "unexpected end of file: the JSON is truncated",
                Location(name, scanner.line, None),  # no record lost: one is not cut
            )
    elif scanner.extra_line is not None and wrapped is None:
        yield make_finding(
            "json-syntax",
            "extra data after the top-level array (only the first array is read)",
            Location(name, scanner.extra_line, None),
        )


# What a wrapper object may hold besides its list and still be read in full (a huge
# second list is named without being parsed).
_BESIDE_MAX = 64 << 20


def _beside_the_list(name: str, start: int, end: int) -> Iterator[Finding]:
    """An `unknown-key` warning for each key of a wrapper object (``{"train": [...],
    "validation": [...], "notes": "..."}``) that holds records or text beside the list
    that is read: sftprep reads one list, and must say what it leaves."""
    path = Path(name)
    size = path.stat().st_size
    if start + (size - end) > _BESIDE_MAX:
        rest = None
    else:
        with open_binary(path) as fh:
            before = fh.read(start)
            fh.seek(end)
            rest = _loads_or_none(before + b"[]" + fh.read())
    if not isinstance(rest, Mapping):
        yield make_finding(
            "unknown-key",
            "the object around the list of records holds more than sftprep reads (too big "
            "to look at): only the first list of records is read",
            Location(name),
        )
        return
    read = next((k for k, v in rest.items() if v == [] and k in WRAPPER_KEYS), None)
    for key, value in rest.items():
        what = _content(value)
        if key != read and what:
            yield make_finding(
                "unknown-key",
                f"`{key}` ({what}) beside `{read}` is not read: sftprep reads the records "
                f"of `{read}`",
                Location(name),
                field=str(key),
                hint="check each list on its own (one list per file), or drop the key",
            )


def _loads_or_none(data: bytes) -> Any:
    try:
        return parse_json(data)
    except ValueError:
        return None


def _content(value: Any) -> str | None:
    """What a value holds that would be lost: a list of records, or text of a few words;
    None for numbers, flags, names, versions, empty values and the like."""
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        return f"a list of {len(value):,} record{'' if len(value) == 1 else 's'}"
    return "text" if _has_prose(value) else None


def _has_prose(value: Any) -> bool:
    if isinstance(value, str):  # a few words: not a version, a name or a date
        return len(value.split()) >= 3
    if isinstance(value, (list, Mapping)):
        return any(_has_prose(v) for v in (value.values() if isinstance(value, Mapping) else value))
    return False


_FAILED = object()


def _bad_element(data: bytes, loc: Location, error: ValueError) -> Generator[Item, None, Any]:
    """Findings for an element that failed to parse; returns its value or `_FAILED`.

    Undecodable bytes are reported at their own line, then the element is parsed
    again with U+FFFD in their place; a syntax error's message names the line of
    the file it is on (the finding itself is at the element's start line).
    """
    text, ok = decode(data)
    if not ok:
        bad = first_bad_byte(data) or 0
        line = None if loc.line is None else loc.line + data.count(b"\n", 0, bad)
        yield make_finding(
            "invalid-utf8",
            "record holds bytes that are not valid UTF-8 (read as U+FFFD)",
            Location(loc.path, line, loc.record),
            excerpt_text=text,
        )
        try:
            return parse_json(text)
        except ValueError as exc:
            error = exc
    yield make_finding("json-syntax", _describe(error, loc.line), loc, excerpt_text=text)
    return _FAILED


def _describe(error: ValueError, start: int | None) -> str:
    if isinstance(error, json.JSONDecodeError) and start is not None:
        if error.lineno == 1:  # the element's first line: its column there is not known
            return f"invalid JSON at line {start}: {error.msg}"
        line = start + error.lineno - 1
        return f"invalid JSON at line {line}, column {error.colno}: {error.msg}"
    return describe_error(error)


def _head(fh: Any) -> tuple[bytes, int, int]:
    """The first bytes after any BOM and leading blank lines, the line they start on and
    their offset in the file."""
    head = fh.read(HEAD)
    offset = 0
    if head.startswith(BOM):
        head, offset = head[len(BOM) :], len(BOM)
    line = 1
    while head and not head.strip():  # whitespace only so far: count it and drop it
        line += head.count(b"\n")
        offset += len(head)
        head = fh.read(HEAD)
    return head, line, offset


def _elements(scanner: _Scanner, head: bytes, fh: Any) -> Iterator[Element]:
    for i in range(0, len(head), CHUNK):
        yield from scanner.feed(head[i : i + CHUNK])
    while chunk := fh.read(CHUNK):
        yield from scanner.feed(chunk)
    tail = scanner.finish()
    if tail is not None:
        yield tail


def _wrapped_list_offset(data: bytes, *, strict: bool) -> int | None:
    """Offset of the ``[`` of a wrapped list (``{"data": [``, any key position), or None.

    ``strict`` (used on the first bytes of a file, before anything is parsed): no
    record key (`RECORD_KEYS`) may come before the wrapper key, as `_is_wrapper` demands.
    """
    if not data.lstrip().startswith(b"{"):
        return None
    depth = 0
    key: bytes | None = None
    after_colon = False
    for match in _TOKEN.finditer(data):
        token = match.group()
        if token == b'"':  # a string cut off by the end of `data`
            return None
        if token[:1] == b'"':
            if depth == 1 and not after_colon:
                key = token
                if strict and _decoded(key) in RECORD_KEYS:
                    return None
            after_colon = False
            continue
        if token == b":":
            after_colon = depth == 1
            continue
        if token in (b"[", b"{"):
            if depth == 1 and after_colon and token == b"[" and _is_wrapper_key(key):
                return match.start()
            depth += 1
        elif token in (b"]", b"}"):
            depth -= 1
            if depth == 0:
                return None
        after_colon = False
    return None


def _is_wrapper_key(key: bytes | None) -> bool:
    return key is not None and _decoded(key) in WRAPPER_KEYS


def _decoded(key: bytes) -> Any:
    try:
        return json.loads(key)
    except ValueError:
        return None


def _is_wrapper(value: Any) -> bool:
    """An object whose one list of objects is the dataset: ``{"version": 1, "rows": [...]}``.

    Its other keys (``version``, a ``metadata`` object...) must not be keys of a record.
    """
    if not isinstance(value, Mapping) or RECORD_KEYS & set(value):
        return False
    lists = [
        k
        for k, v in value.items()
        if isinstance(v, list) and v and all(isinstance(x, Mapping) for x in v)
    ]
    return len(lists) == 1 and lists[0] in WRAPPER_KEYS


def _unwrap(value: Mapping[str, Any], data: bytes, loc: Location) -> Iterator[Item]:
    """The wrapped list's rows, each at its own start line (found by scanning `data`)."""
    key = next(k for k, v in value.items() if isinstance(v, list) and k in WRAPPER_KEYS)
    rows = value[key]
    lines = [loc.line] * len(rows)
    offset = _wrapped_list_offset(data, strict=False)
    if offset is not None and loc.line is not None:
        scanner = _Scanner(1, loc.line + data.count(b"\n", 0, offset))
        found = [line for _, line, _, _ in scanner.feed(data[offset:])]
        if len(found) == len(rows):
            lines = list(found)
    for i, row in enumerate(rows):
        yield RawRecord(row, Location(loc.path, lines[i], i))
