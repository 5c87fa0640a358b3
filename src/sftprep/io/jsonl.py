"""JSON Lines reader: one record per non-blank line, read as bytes, streamed.

A line that is not valid JSON becomes a ``json-syntax`` finding and reading goes
on; undecodable bytes give an ``invalid-utf8`` finding and the line is parsed
with U+FFFD in their place. The record index counts non-blank lines, so a broken
line keeps its index and later records keep theirs. A BOM on the first line is
dropped, CRLF and old-Mac bare CR line ends are fine, and a line may be any
length (only that line is in memory).

A file is planned as byte ranges of about ``shard_bytes`` that end just after a
line end; each range is read like a file of its own, numbering its records and
lines from its start, so every shard reads its lines exactly as the whole-file
reader does.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO, Any

from sftprep.catalog import make_finding
from sftprep.errors import UsageError
from sftprep.io.base import FileReader, Item, Plan, RawRecord, Shard, register_reader
from sftprep.io.text import (
    BOM,
    decode,
    describe_error,
    ensure_text_file,
    open_binary,
    parse_json,
)
from sftprep.model import Location

Lines = int  # how many lines a reading spanned (its generator's return value)


@register_reader(".jsonl", ".ndjson")
class JsonlReader(FileReader):
    """JSON Lines (see the module docstring)."""

    def read(self, path: Path) -> Iterator[Item]:
        return read_jsonl(path)

    def plan(self, path: Path, shard_bytes: int) -> Plan:
        ensure_text_file(path)
        size = path.stat().st_size
        shards = [
            Shard(str(path), self.key, i, start, end, end - start)
            for i, (start, end) in enumerate(byte_ranges(path, size, shard_bytes))
        ]
        return Plan(shards or [Shard(str(path), self.key, size=0, end=0)])

    def read_shard(self, shard: Shard) -> Generator[Item, None, Lines]:
        return read_range(Path(shard.path), shard.start, shard.end)


def read_jsonl(path: Path) -> Iterator[Item]:
    """Every record of a JSON Lines file (see the module docstring)."""
    ensure_text_file(path)
    yield from read_range(path, 0, None)


def byte_ranges(path: Path, size: int, chunk_bytes: int) -> Iterator[tuple[int, int]]:
    """``[start, end)`` ranges of about ``chunk_bytes`` that end just after a newline."""
    with open_binary(path) as fh:
        start = 0
        while start < size:
            fh.seek(min(start + chunk_bytes, size))
            fh.readline()
            end = min(fh.tell(), size)
            if end <= start:
                end = size
            yield start, end
            start = end


def read_range(path: Path, start: int, end: int | None) -> Generator[Item, None, Lines]:
    """The records of bytes ``[start, end)`` (``end`` None: to the end of the file),
    numbered from record 0 and line 1; returns the number of lines read."""
    with open_binary(path) as fh:
        fh.seek(start)
        return (yield from _records(str(path), _limited(fh, end), first=start == 0))


def _records(name: str, raw_lines: Iterator[bytes], *, first: bool) -> Generator[Item, None, Lines]:
    """The records of ``raw_lines`` (``first``: they start the file, which may hold a BOM)."""
    record = 0
    line_no = 0
    for line_no, line in _lines(raw_lines):
        if line_no == 1 and first and line.startswith(BOM):
            line = line[len(BOM) :]
        stripped = line.strip()
        if not stripped:
            continue
        loc = Location(name, line_no, record)
        record += 1
        try:  # the common case: valid UTF-8 JSON, parsed from the bytes without a decode
            value = parse_json(stripped)
        except ValueError as exc:
            yield from _bad_line(stripped, loc, exc)
            continue
        repeated = repeated_key(stripped, value)
        if repeated is not None:
            yield make_finding(
                "duplicate-key",
                f"key `{repeated}` appears twice in one object: only its last value is read",
                loc,
            )
        yield RawRecord(value, loc)
    return line_no


def repeated_key(raw: bytes, value: Any) -> str | None:
    """A key ``raw`` repeats within one object (the parser kept only the last value).

    Cheap first: the unescaped ``":`` in the bytes are counted against the keys parsed;
    only a line with more (a repeat, or ``":`` inside text) is parsed again keeping pairs.
    """
    written = raw.count(b'":') - raw.count(b'\\":')
    if written <= _key_count(value):
        return None
    found: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in items]
        if not found and len(set(keys)) < len(keys):
            found.append(next(k for i, k in enumerate(keys) if k in keys[:i]))
        return dict(items)

    try:
        json.loads(raw, object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        return None
    return found[0] if found else None


def _key_count(value: Any) -> int:
    count, stack = 0, [value]
    while stack:  # no recursion: hostile files nest deeply
        item = stack.pop()
        if isinstance(item, dict):
            count += len(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


@register_reader(".gz")
class GzipJsonlReader(FileReader):
    """Gzip-compressed JSON Lines (``.jsonl.gz``, as HH-RLHF is distributed), streamed.

    A compressed stream cannot be cut at byte offsets, so the file is one shard."""

    def read(self, path: Path) -> Iterator[Item]:
        return self.read_shard(self.plan(path, 0).shards[0])

    def plan(self, path: Path, shard_bytes: int) -> Plan:
        inner = Path(path.stem).suffix.lower()
        if inner not in (".jsonl", ".ndjson"):
            raise UsageError(
                f"{path}: only gzip-compressed JSON Lines (.jsonl.gz) is read; decompress "
                f"it first (gunzip -k {path.name})"
            )
        return Plan([Shard(str(path), self.key, size=path.stat().st_size)])

    def read_shard(self, shard: Shard) -> Generator[Item, None, Lines]:
        path = Path(shard.path)
        try:
            with open_binary(path) as raw, gzip.open(raw) as fh:
                return (yield from _records(shard.path, iter(fh), first=True))
        except (OSError, EOFError, zlib.error) as exc:  # not gzip, or cut short
            raise UsageError(f"{path}: not a readable gzip file ({exc})") from None


def _limited(fh: IO[bytes], end: int | None) -> Iterator[bytes]:
    """The lines of ``fh`` up to byte ``end`` (ranges end at a line end): streamed for a
    whole file, read at once for a shard (a few MB)."""
    if end is None:
        return iter(fh)
    data = fh.read(max(0, end - fh.tell()))
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()  # the range ends with its last line's end, not a new line
    return iter(lines)


def _lines(raw_lines: Iterator[bytes]) -> Iterator[tuple[int, bytes]]:
    """Numbered lines, ended by LF or CRLF, or by a bare CR (old Mac files) as editors count.

    A line is only cut at bare CRs when it does not parse whole: CR is also JSON
    whitespace, which a valid record may hold between its tokens.
    """
    line_no = 0
    for raw in raw_lines:
        body = raw.rstrip(b"\r\n")
        if b"\r" in body and not _parses(body):
            for piece in body.split(b"\r"):
                line_no += 1
                yield line_no, piece
            continue
        line_no += 1
        yield line_no, raw


def _parses(data: bytes) -> bool:
    try:
        parse_json(data.strip())
    except ValueError:
        return False
    return True


def _bad_line(data: bytes, loc: Location, error: ValueError) -> Iterator[Item]:
    """Findings (and the record, when only the encoding was wrong) for a line that failed."""
    text, ok = decode(data)
    if not ok:
        yield make_finding(
            "invalid-utf8",
            "line holds bytes that are not valid UTF-8 (read as U+FFFD)",
            loc,
            excerpt_text=text,
        )
        try:
            yield RawRecord(parse_json(text), loc)
            return
        except ValueError as exc:
            error = exc
    yield make_finding("json-syntax", describe_error(error), loc, excerpt_text=text)
