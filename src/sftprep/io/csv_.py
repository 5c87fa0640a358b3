"""CSV / TSV reader: one record per row, keyed by the header, streamed.

Quoted fields may span lines and files may mix CRLF and LF; each record's line
is where its row starts (``csv.reader.line_num`` gives where it ends, so the
physical lines are counted as the reader pulls them). A BOM is dropped; blank
rows are skipped; undecodable bytes give an ``invalid-utf8`` finding at their
line and are read as U+FFFD.

Cells holding JSON are decoded: a ``messages``, ``conversations``, ``tools`` or
``context`` cell whose text starts with ``[`` or ``{`` and parses becomes a list
or dict. Text columns (``instruction``, ``output``, ``prompt``...) stay text, so
an answer that happens to be JSON is kept as written, unless the cell is a list
of messages (TRL's conversational ``prompt``/``completion``). Empty cells stay
``""``. A row whose cell count differs from the header gives a ``csv-shape``
finding and is still read (extra cells under ``_extra_<i>``).
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Generator, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from sftprep.catalog import make_finding
from sftprep.errors import UsageError
from sftprep.findings import Finding, Severity
from sftprep.io.base import FileReader, Item, Plan, RawRecord, Shard, register_reader
from sftprep.io.text import BOM, ensure_text_file, open_binary, parse_json
from sftprep.model import Location

# Cells hold whole documents in some datasets; the default limit (128 KiB) is far too low.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

# Separators other than the comma that spreadsheets write into a ``.csv``.
OTHER_DELIMITERS = (";", "\t", "|")

# Keys whose values are prose in every format: JSON-looking text there stays text.
TEXT_COLUMNS = frozenset(
    {
        "instruction",
        "input",
        "output",
        "system",
        "question",
        "answer",
        "cot_answer",
        "oracle_context",
        "response",
        "category",
        "prompt",
        "completion",
        "chosen",
        "rejected",
        "text",
        "query",
    }
)
_ESCAPED = re.compile("[\udc80-\udcff]")  # undecodable bytes under errors="surrogateescape"


class _Lines:
    """The text stream, line by line, counting physical lines, bytes and undecodable lines."""

    def __init__(self, fh: IO[str], *, count_bytes: bool = False) -> None:
        self.fh = fh
        self.lines = 0
        self.bytes = 0  # bytes read so far, when counted (to plan shards at row ends)
        self.count_bytes = count_bytes
        self.bad: list[int] = []  # lines with undecodable bytes, not yet reported
        self.last = ""  # the last physical line read

    def __iter__(self) -> Iterator[str]:
        for line in self.fh:
            self.lines += 1
            self.last = line
            if self.count_bytes:
                self.bytes += len(line.encode("utf-8", "surrogateescape"))
            if not line.isascii() and _ESCAPED.search(line):
                self.bad.append(self.lines)
                line = _ESCAPED.sub("\ufffd", line)
            yield line


@register_reader(".csv", ".tsv")
class CsvReader(FileReader):
    """CSV/TSV (see the module docstring). Planned as runs of whole rows: the planner
    reads the rows as the reader does (a quoted field may hold newlines) and cuts at
    row ends every ``shard_bytes``; each shard knows its first line, the header and the
    delimiter, and numbers its records from 0."""

    def read(self, path: Path) -> Iterator[Item]:
        with _open_text(path) as fh:
            head = yield from _head(path, fh)
            if head is not None:
                lines, rows, header = head
                yield from _records(str(path), lines, rows, header)

    def plan(self, path: Path, shard_bytes: int) -> Plan:
        plan = Plan([])
        with _open_text(path) as fh:
            reading = _head(path, fh, count_bytes=True)
            while True:
                try:
                    item = next(reading)
                except StopIteration as done:
                    head = done.value
                    break
                if isinstance(item, Finding):
                    plan.findings.append(item)
            if head is None:
                return Plan([Shard(str(path), self.key, end=0)], plan.findings)
            lines, rows, header = head
            extra = (tuple(header), _delimiter_of(rows))
            bom = len(BOM) if _has_bom(path) else 0
            start, first_line = lines.bytes + bom, lines.lines + 1
            while True:
                try:
                    next(rows)
                except StopIteration:
                    break
                except csv.Error:
                    pass
                end = lines.bytes + bom
                if end - start >= shard_bytes:
                    plan.shards.append(
                        self._shard(path, len(plan.shards), start, end, first_line, extra)
                    )
                    start, first_line = end, lines.lines + 1
            end = lines.bytes + bom
            if end > start or not plan.shards:
                plan.shards.append(
                    self._shard(path, len(plan.shards), start, end, first_line, extra)
                )
        return plan

    def _shard(self, path: Path, index: int, start: int, end: int, line: int, extra: Any) -> Shard:
        return Shard(str(path), self.key, index, start, end, end - start, None, line, extra)

    def read_shard(self, shard: Shard) -> Iterator[Item]:
        if shard.extra is None:  # no header: no records
            return
        header, delimiter = shard.extra
        with open_binary(Path(shard.path)) as fh:
            fh.seek(shard.start)
            data = fh.read((shard.end or shard.start) - shard.start)
        text = io.StringIO(data.decode("utf-8", "surrogateescape"), newline="")
        lines = _Lines(text)
        rows = csv.reader(iter(lines), delimiter=delimiter)
        yield from _records(shard.path, lines, rows, list(header))


def _open_text(path: Path) -> IO[str]:
    ensure_text_file(path)
    raw = open_binary(path)
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")


def _has_bom(path: Path) -> bool:
    with open_binary(path) as fh:
        return fh.read(len(BOM)) == BOM


def _delimiter_of(rows: Any) -> str:
    return str(rows.dialect.delimiter)


def _head(
    path: Path, fh: IO[str], *, count_bytes: bool = False
) -> Generator[Item, None, tuple[_Lines, Any, list[str]] | None]:
    """Findings about the separator and the header; returns the line counter, the row
    reader and the header, or None for a file without a header line."""
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    name = str(path)
    found = _sniff_delimiter(fh, delimiter)
    if found != delimiter:
        yield make_finding(
            "csv-shape",
            f"the file is separated by {found!r}, not {delimiter!r} (read with {found!r})",
            Location(name, 1),
            severity=Severity.WARNING,
        )
    lines = _Lines(fh, count_bytes=count_bytes)
    rows = csv.reader(iter(lines), delimiter=found)
    try:
        header = next(rows, None)
    except csv.Error as exc:
        raise UsageError(f"{path}: unreadable CSV header ({exc})") from exc
    if header is None:
        return None
    if lines.bad:
        yield make_finding(
            "invalid-utf8", "the header holds bytes that are not valid UTF-8", Location(name, 1)
        )
        lines.bad.clear()
    yield from _header_findings(header, name)
    return lines, rows, header


def _records(name: str, lines: _Lines, rows: Any, header: list[str]) -> Iterator[Item]:
    """The records of ``rows``, numbered from 0, each at the line its row starts on."""
    record = 0
    last: tuple[Location, list[str]] | None = None
    while True:
        start = lines.lines + 1
        try:
            row = next(rows)
        except StopIteration:
            if last is not None and _left_open(last[1], lines.last):
                yield make_finding(
                    "csv-shape",
                    "a quoted field is never closed: the row runs to the end of the file",
                    last[0],
                )
            return
        except csv.Error as exc:
            yield make_finding("csv-shape", f"unreadable row: {exc}", Location(name, start, record))
            record += 1
            continue
        if not any(cell.strip() for cell in row):
            lines.bad.clear()
            continue
        loc = Location(name, start, record)
        record += 1
        if lines.bad:
            yield make_finding(
                "invalid-utf8",
                "row holds bytes that are not valid UTF-8 (read as U+FFFD)",
                Location(name, lines.bad[0], loc.record),
            )
            lines.bad.clear()
        if len(row) != len(header):
            yield make_finding(
                "csv-shape", f"row has {len(row)} cells, the header has {len(header)}", loc
            )
        last = (loc, row)
        yield RawRecord(_row_dict(header, row), loc)


def _sniff_delimiter(fh: IO[str], delimiter: str) -> str:
    """``delimiter``, or ``;``/tab/``|`` when the header line has only that one (then rewinds)."""
    first = fh.readline()
    fh.seek(0)
    if delimiter in first:
        return delimiter
    return next((d for d in OTHER_DELIMITERS if d != delimiter and d in first), delimiter)


def _header_findings(header: list[str], name: str) -> Iterator[Item]:
    """``csv-shape`` for each column name the header repeats (its later cell wins)."""
    seen: set[str] = set()
    for cell in header:
        if cell in seen:
            yield make_finding(
                "csv-shape",
                f"the header repeats column `{cell}`: its later cells overwrite the earlier",
                Location(name, 1),
                field=cell,
            )
        seen.add(cell)


def _left_open(row: list[str], last_line: str) -> bool:
    """Whether the file ended inside a quoted last cell (the csv module accepts that).

    A multi-line last cell was quoted, so its closing quote ends the last line.
    """
    return bool(row) and "\n" in row[-1] and not last_line.rstrip("\r\n").endswith('"')


def _row_dict(header: list[str], row: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, cell in enumerate(row):
        key = header[i] if i < len(header) else f"_extra_{i}"
        out[key] = _cell(key, cell)
    return out


def _cell(key: str, cell: str) -> Any:
    stripped = cell.strip()
    if not (stripped[:1] in ("[", "{") and stripped[-1:] in ("]", "}")):
        return cell
    try:
        value = parse_json(stripped)
    except ValueError:
        return cell
    if key.lower() in TEXT_COLUMNS and not _is_message_list(value):
        return cell
    return value


def _is_message_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(m, Mapping) and ("role" in m or "from" in m) for m in value)
    )
