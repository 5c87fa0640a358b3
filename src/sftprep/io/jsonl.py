"""JSON Lines reader: one record per non-blank line, read as bytes, streamed.

A line that is not valid JSON becomes a ``json-syntax`` finding and reading goes
on; undecodable bytes give an ``invalid-utf8`` finding and the line is parsed
with U+FFFD in their place. The record index counts non-blank lines, so a broken
line keeps its index and later records keep theirs. A BOM on the first line is
dropped, CRLF and old-Mac bare CR line ends are fine, and a line may be any
length (only that line is in memory).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO

from sftprep.io.base import Item, RawRecord, register_reader
from sftprep.io.text import (
    BOM,
    decode,
    describe_error,
    ensure_text_file,
    open_binary,
    parse_json,
)
from sftprep.model import Location


@register_reader(".jsonl", ".ndjson")
def read_jsonl(path: Path) -> Iterator[Item]:
    ensure_text_file(path)
    name = str(path)
    record = 0
    with open_binary(path) as fh:
        for line_no, line in _lines(fh):
            if line_no == 1 and line.startswith(BOM):
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
            yield RawRecord(value, loc)


def _lines(fh: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """Numbered lines, ended by LF or CRLF, or by a bare CR (old Mac files) as editors count.

    A line is only cut at bare CRs when it does not parse whole: CR is also JSON
    whitespace, which a valid record may hold between its tokens.
    """
    line_no = 0
    for raw in fh:
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
    from sftprep.rules.base import make_finding

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
