"""Count tokens on every core: chunks of a file go to worker processes, results merge.

A JSON Lines file is cut into byte ranges of about `CHUNK_BYTES` at line ends;
each worker reads its range itself (nothing but two offsets crosses the process
boundary), parses and normalises the records with the dataset's format adapter,
and counts them with every tokenizer asked for. Other inputs (JSON arrays, CSV,
Parquet...) are read by the parent and sent in batches of records. Workers load
their tokenizers once, in the pool initializer.

A worker returns a `Chunk`: per-record integers in ``array('i')`` (4 bytes a
value) plus mergeable per-field statistics, so the parent's work per record is
an array append. ``Pool.imap`` keeps chunks in file order, so record numbers and
per-record output stay in order. Memory stays bounded: a few chunks are in
flight, and the whole-file state is the per-record integers.

Records that cannot be counted are skipped and tallied by kind (``json-syntax``,
``not-an-object``, ``unreadable``, ``no-messages``, ``template-error``); a record one
tokenizer cannot render is skipped for all of them, so side-by-side numbers cover
the same records.

Small inputs are counted in the calling process (starting workers costs more
than it saves).
"""

from __future__ import annotations

import os
import sys
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sftprep.errors import UsageError
from sftprep.formats.base import Format
from sftprep.io.text import BOM, decode, describe_error, parse_json
from sftprep.model import Location
from sftprep.pipeline import record_format
from sftprep.stats import StatsByKey
from sftprep.tokens.base import RenderError, Tokenizer

CHUNK_BYTES = 2 << 20  # ~2 MB of JSON text per task
BATCH_RECORDS = 512  # records per task when the parent reads them
PARALLEL_MIN_BYTES = 8 << 20  # below this, counting in-process is faster than starting workers
MAX_ERRORS_KEPT = 20


def _ints() -> array[int]:
    return array("i")


@dataclass
class Counted:
    """One tokenizer's numbers for the counted records of a chunk, in order."""

    total: array[int] = field(default_factory=_ints)
    trainable: array[int] = field(default_factory=_ints)
    fields: StatsByKey = field(default_factory=StatsByKey)
    record_fields: list[dict[str, int]] | None = None
    lost_tokens: int = 0  # trainable tokens truncation to max_tokens drops
    left_nothing: int = 0  # records over max_tokens with no trainable token left


@dataclass
class Chunk:
    """What a worker returns for one task; records and lines are relative to the task."""

    records: int = 0
    lines: int = 0
    record: array[int] = field(default_factory=_ints)  # record index of each counted row
    line: array[int] = field(default_factory=_ints)
    turns: array[int] = field(default_factory=_ints)
    counted: list[Counted] = field(default_factory=list)
    errors: list[tuple[int, int, str, str]] = field(default_factory=list)  # record, line, kind, msg
    error_count: dict[str, int] = field(default_factory=dict)


@dataclass
class Job:
    """What every worker needs to know, sent once to the pool initializer."""

    path: str
    format: Format
    tokenizers: list[Tokenizer]
    max_tokens: list[int | None]
    record_fields: bool = False
    detected: bool = False  # format chosen by detection: a mixed-format record uses its own
    plain_messages: bool = field(init=False)

    def __post_init__(self) -> None:
        # Plain chat records may skip the format adapter when every tokenizer can.
        self.plain_messages = self.format.name == "messages" and all(
            hasattr(t, "count_plain_messages") for t in self.tokenizers
        )


# --- the worker side ------------------------------------------------------------------------

_JOB: list[Job] = []


def _init_worker(job: Job) -> None:
    _JOB[:] = [job]


def _job() -> Job:
    return _JOB[0]


def count_range(task: tuple[int, int]) -> Chunk:
    """Count the JSON Lines in bytes ``[start, end)`` of the job's file."""
    job = _job()
    start, end = task
    with open(job.path, "rb") as fh:
        fh.seek(start)
        data = fh.read(end - start)
    if start == 0 and data.startswith(BOM):
        data = data[len(BOM) :]
    chunk = _new_chunk(job)
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    chunk.lines = len(lines)
    for line_no, raw in enumerate(lines):
        if not raw.strip():
            continue
        index = chunk.records
        chunk.records += 1
        try:
            value = parse_json(raw)
        except ValueError as exc:
            text, ok = decode(raw)
            try:  # like the reader: undecodable bytes become U+FFFD, the record still counts
                if ok:
                    raise exc
                value = parse_json(text.strip())
            except ValueError as error:
                _error(chunk, index, line_no, "json-syntax", describe_error(error))
                continue
        _count_value(job, chunk, value, index, line_no)
    return chunk


def count_batch(batch: list[tuple[bool, Any, int, int]]) -> Chunk:
    """Count what the parent has read: ``(is_record, value, line, record)``, where a
    reader finding (``is_record`` false) carries ``(rule, message)`` as its value."""
    job = _job()
    chunk = _new_chunk(job)
    for is_record, value, line_no, index in batch:
        chunk.records += 1
        if is_record:
            _count_value(job, chunk, value, index, line_no)
        else:
            _error(chunk, index, line_no, value[0], value[1])
    return chunk


def _new_chunk(job: Job) -> Chunk:
    chunk = Chunk(counted=[Counted() for _ in job.tokenizers])
    if job.record_fields:
        for counted in chunk.counted:
            counted.record_fields = []
    return chunk


def _error(chunk: Chunk, record: int, line: int, kind: str, message: str) -> None:
    chunk.error_count[kind] = chunk.error_count.get(kind, 0) + 1
    if len(chunk.errors) < MAX_ERRORS_KEPT:
        chunk.errors.append((record, line, kind, message))


def _count_value(job: Job, chunk: Chunk, value: Any, index: int, line_no: int) -> None:
    if (
        job.plain_messages
        and type(value) is dict
        and _count_plain(job, chunk, value, index, line_no)
    ):
        return
    if not isinstance(value, Mapping):
        _error(chunk, index, line_no, "not-an-object", "the record is not a JSON object")
        return
    fmt = record_format(job.format, value) if job.detected else job.format
    try:
        conversation = fmt.to_conversation(value, Location(job.path, line_no, index))
    except Exception as exc:  # an adapter should not raise; count the record as unreadable
        _error(chunk, index, line_no, "unreadable", f"{type(exc).__name__}: {exc}")
        return
    if conversation is None:
        _error(chunk, index, line_no, "unreadable", "the record has no conversation")
        return
    if not conversation.messages:  # nothing to train on: counted by no tokenizer
        _error(chunk, index, line_no, "no-messages", "the record has no messages to count")
        return
    results = []
    for tokenizer, max_tokens in zip(job.tokenizers, job.max_tokens, strict=True):
        try:
            if max_tokens is None:
                counts = tokenizer.count_conversation(conversation)
            else:
                counts = tokenizer.count_conversation(conversation, max_tokens=max_tokens)
            lost = None
            if max_tokens is not None and counts.total > max_tokens:
                kept = counts.kept
                if kept is None:  # a tokenizer that does not report it: render
                    kept = tokenizer.render_turns(conversation).trainable_within(max_tokens)
                lost = (counts.trainable - kept, kept)
        except RenderError as exc:
            _error(chunk, index, line_no, "template-error", f"{tokenizer.name}: {exc}")
            return
        results.append((counts, lost))
    chunk.record.append(index)
    chunk.line.append(line_no)
    chunk.turns.append(len(conversation.messages))
    for (counts, lost), counted, tokenizer in zip(
        results, chunk.counted, job.tokenizers, strict=True
    ):
        counted.total.append(counts.total)
        counted.trainable.append(counts.trainable)
        if lost is not None:
            counted.lost_tokens += lost[0]
            counted.left_nothing += lost[1] == 0
        if conversation.fields:
            per_field = tokenizer.count_fields(conversation)
            for key, n in per_field.items():
                counted.fields.add(key, n)
        else:
            per_field = {}
        if counted.record_fields is not None:
            counted.record_fields.append(per_field)


def _count_plain(job: Job, chunk: Chunk, value: dict[str, Any], index: int, line_no: int) -> bool:
    """The fast path for plain OpenAI chat records (see `count_plain_messages`)."""
    results = []
    for tokenizer, max_tokens in zip(job.tokenizers, job.max_tokens, strict=True):
        counts = tokenizer.count_plain_messages(value, max_tokens=max_tokens)  # type: ignore[attr-defined]
        if counts is None:
            return False
        results.append(counts)
    chunk.record.append(index)
    chunk.line.append(line_no)
    chunk.turns.append(results[0].turns)
    for counts, counted, max_tokens in zip(results, chunk.counted, job.max_tokens, strict=True):
        counted.total.append(counts.total)
        counted.trainable.append(counts.trainable)
        if max_tokens is not None and counts.total > max_tokens and counts.kept is not None:
            counted.lost_tokens += counts.trainable - counts.kept
            counted.left_nothing += counts.kept == 0
        if counted.record_fields is not None:
            counted.record_fields.append({})
    return True


# --- the parent side ------------------------------------------------------------------------


def count_chunks(
    path: str | Path,
    tokenizers: Sequence[Tokenizer],
    *,
    format: str | Format | None = None,
    max_tokens: Sequence[int | None] | None = None,
    record_fields: bool = False,
    workers: int | None = None,
    progress: bool = False,
    chunk_bytes: int | None = None,
) -> tuple[str, Iterator[tuple[Chunk, int, int]]]:
    """The detected format's name, and an iterator of ``(chunk, first_record,
    first_line)`` in file order, counted in workers.

    A chunk's record and line numbers are relative: add ``first_record`` and
    ``first_line`` (chunks the parent read carry absolute numbers, with 0 and 0).
    ``workers`` defaults to every core the process may use, for inputs of at least
    `PARALLEL_MIN_BYTES`; given explicitly, it is used whatever the size.
    """
    from sftprep.pipeline import open_source

    source = open_source(path, format=format)
    limits: list[int | None] = list(max_tokens or [None] * len(tokenizers))
    job = Job(str(path), source.format, list(tokenizers), limits, record_fields, source.detected)
    p = Path(path)
    jsonl = p.is_file() and p.suffix.lower() in (".jsonl", ".ndjson")
    size = p.stat().st_size if p.is_file() else 0
    n_workers = _worker_count(workers)
    parallel = n_workers > 1 and (workers is not None or size >= PARALLEL_MIN_BYTES)
    func: Callable[[Any], Chunk]
    if jsonl:
        ranges = list(_byte_ranges(p, size, chunk_bytes or CHUNK_BYTES))
        tasks: Any = ranges
        func = count_range
        total: int | None = len(ranges)
    else:
        tasks = _record_batches(source.items)
        func = count_batch
        total = None
    label = f"counting tokens in {p.name}"
    return source.format.name, _run(job, func, tasks, parallel, n_workers, progress, label, total)


def _run(
    job: Job,
    func: Callable[[Any], Chunk],
    tasks: Any,
    parallel: bool,
    n_workers: int,
    progress: bool,
    label: str,
    total: int | None,
) -> Iterator[tuple[Chunk, int, int]]:
    relative = func is count_range
    if not parallel:
        _init_worker(job)
        yield from _offsets(_progress(map(func, tasks), progress, label, total), relative)
        return
    context = _mp_context()
    with context.Pool(n_workers, initializer=_init_worker, initargs=(job,)) as pool:
        results = pool.imap(func, tasks, chunksize=1)
        yield from _offsets(_progress(results, progress, label, total), relative)


def _offsets(chunks: Iterator[Chunk], relative: bool) -> Iterator[tuple[Chunk, int, int]]:
    record, line = 0, 1
    for chunk in chunks:
        if relative:
            yield chunk, record, line
            record += chunk.records
            line += chunk.lines
        else:
            yield chunk, 0, 0


def _byte_ranges(path: Path, size: int, chunk_bytes: int) -> Iterator[tuple[int, int]]:
    """``[start, end)`` ranges of about ``chunk_bytes`` that end just after a newline."""
    with path.open("rb") as fh:
        start = 0
        while start < size:
            fh.seek(min(start + chunk_bytes, size))
            fh.readline()
            end = min(fh.tell(), size)
            if end <= start:
                end = size
            yield start, end
            start = end


def _record_batches(items: Iterator[Any]) -> Iterator[list[tuple[bool, Any, int, int]]]:
    from sftprep.findings import Finding

    batch: list[tuple[bool, Any, int, int]] = []
    for item in items:
        loc = item.location
        line = loc.line if loc.line is not None else 0
        record = loc.record if loc.record is not None else 0
        if isinstance(item, Finding):
            batch.append((False, (item.rule, item.message), line, record))
        else:
            batch.append((True, item.value, line, record))
        if len(batch) >= BATCH_RECORDS:
            yield batch
            batch = []
    if batch:
        yield batch


def _worker_count(workers: int | None) -> int:
    if workers is not None:
        if workers < 1:
            raise UsageError(f"workers must be at least 1, not {workers}")
        return workers
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _mp_context() -> Any:
    import multiprocessing

    # fork shares the loaded tokenizers and starts in milliseconds; the parent has
    # started no threads yet (the progress bar starts after the pool).
    if sys.platform == "linux":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _progress(
    items: Iterator[Chunk], enabled: bool, label: str, total: int | None
) -> Iterator[Chunk]:
    if not enabled:
        return items
    from sftprep.progress import progress_iter

    return progress_iter(items, description=label, total=total)
