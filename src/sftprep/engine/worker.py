"""The one per-record path: read a shard, adapt, run the rules, count, transform.

Every command runs its records through `run_shard`, in this process, in a worker
process or on a Ray node: it reads one shard, turns each record into a `Sample`
(format adapter, `mixed-format`), runs the selected rules, counts tokens, and hands
each record to the command's `Transform` (fix, convert, split) if it has one. It
returns a `ShardResult`: findings and counts numbered from the shard's start, the
state of every rule that needs the whole dataset, and the transform's outputs.
Nothing is shared between shards: rules are made afresh for each, so the same
shard gives the same result wherever it runs.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, cast

from sftprep.catalog import list_rules
from sftprep.findings import Finding, Severity
from sftprep.formats.aliases import KeyMap
from sftprep.formats.base import Format
from sftprep.io import READERS, RawRecord, Shard
from sftprep.model import Conversation
from sftprep.pipeline import Sample, record_format, sample_of
from sftprep.rules.base import RecordContext, Rule
from sftprep.tokens.tally import TokenTally

EXAMPLE_TOKENS = 400  # tokens of a record kept for the report's token view


class Transform(Protocol):
    """What a command does with each record besides checking it (fix, convert, split).

    `apply` returns the record's output (any picklable value), in file order; the
    command merges the outputs of each shard as they arrive.
    """

    def apply(self, sample: Sample, findings: list[Finding], ctx: RecordContext) -> Any: ...


@dataclass(frozen=True)
class Job:
    """What every shard's worker does with each record; small and picklable.

    ``rules`` are the ids of the record and token rules to run (None: none);
    ``target`` a platform profile whose rule runs too; ``options`` reach every rule
    (tokenizer spec, ``max_tokens``); ``tokenizers`` count every record (specs,
    rebuilt in each worker), with ``limits`` per tokenizer; ``record_fields`` keeps
    per-record field counts; ``examples`` keeps that many renderings for the token
    view; ``transform`` is the command's per-record step; ``media`` (`MediaOptions`)
    tallies the media of every counted record beside its tokens.
    """

    rules: frozenset[str] | None = None
    target: str | None = None
    options: tuple[tuple[str, Any], ...] = ()
    tokenizers: tuple[Any, ...] = ()
    limits: tuple[int | None, ...] = ()
    template: str = "auto"
    record_fields: bool = False
    examples: int = 0
    transform: Any = None
    media: Any = None  # `MediaOptions`: probe and tally each counted record's media

    def make_rules(self) -> list[Rule]:
        """Fresh instances of the selected record and token rules (and the target's)."""
        if self.rules is None:
            return []
        rules: list[Rule] = [
            cls() for cls in list_rules() if cls.id in self.rules and cls.scope in SCOPES
        ]
        if self.target is not None:
            from sftprep.targets import get_target

            rules.append(get_target(self.target).fresh().rule())
        return rules

    def stateful(self) -> list[Rule]:
        """The rules whose state the merge absorbs, in the order `make_rules` gives them."""
        return self.make_rules()


SCOPES = ("record", "token")


@dataclass(frozen=True)
class Task:
    """One shard to process: the job, the file's adapter and the shard."""

    job: Job
    format: Format
    detected: bool
    shard: Shard
    key_map: KeyMap = field(default_factory=KeyMap)  # --map: applied to every record read


@dataclass
class ShardResult:
    """What a worker returns for one shard (numbers relative to the shard's start)."""

    index: int
    records: int = 0
    lines: int = 0
    valid: int = 0
    findings: list[Finding] = field(default_factory=list)
    states: list[Any] = field(default_factory=list)
    tally: TokenTally | None = None
    outputs: list[Any] | None = None
    examples: list[tuple[Any, list[int], list[bool], int, int]] = field(default_factory=list)
    seconds: float = 0.0


def run_shard(task: Task) -> ShardResult:
    """Read, adapt, check, count and transform every record of ``task.shard``."""
    started = time.perf_counter()
    job = task.job
    result = ShardResult(task.shard.index)
    rules = job.make_rules()
    enabled = job.rules or frozenset()
    options = dict(job.options)
    if job.media is not None:
        options.setdefault("media", job.media)
    media_keys = frozenset(task.format.media_keys) if job.media is not None else frozenset()
    tokenizers = _tokenizers(job)
    if tokenizers:
        result.tally = TokenTally.new(len(tokenizers), record_fields=job.record_fields)
    if job.transform is not None:
        result.outputs = []
    book = _ValidBook()
    # Counting alone (stats, estimate): plain records skip the conversation altogether.
    count_only = bool(tokenizers) and not rules and job.transform is None and not job.examples
    reading = READERS.get(task.shard.reader).read_shard(task.shard)
    for item in _drain(reading, result):
        if isinstance(item, Finding):
            book.reader_finding(item, result)
            if item.rule in enabled:
                result.findings.append(item)
            record = item.location.record
            if result.tally is not None and item.rule == "json-syntax" and record is not None:
                line = item.location.line or 0
                result.tally.error(record, line, "json-syntax", item.message)
            continue
        result.records += 1
        item, mapped = _mapped(item, task.key_map)
        if (
            count_only
            and not mapped
            and not _has_media(item.value, media_keys)
            and _count_plain(result, tokenizers, job, task, item)
        ):
            result.valid += 1  # no rule runs: nothing makes the record invalid
            continue
        sample = sample_of(item, task.format, detected=task.detected)
        if mapped and sample.conversation is not None:  # said once per file: mapped-names
            notes = (*sample.conversation.notes, *mapped)
            sample.conversation = replace(sample.conversation, notes=notes)
        findings = [f for f in sample.findings if f.rule in enabled]
        ctx = _context(sample, options)
        for rule in rules:
            findings.extend(rule.check(ctx))
        if result.tally is not None:
            _count(result, tokenizers, job, sample, ctx, has_token_rules=bool(rules))
        if result.outputs is not None:
            result.outputs.append(job.transform.apply(sample, findings, ctx))
        result.findings.extend(findings)
        book.record(item, findings, result)
    result.states = [rule.partial() for rule in rules]
    result.seconds = time.perf_counter() - started
    return result


def _has_media(record: Any, keys: frozenset[str]) -> bool:
    """Whether a record has a media column (its content parts already keep it off the
    text-only path)."""
    return bool(keys) and isinstance(record, dict) and not keys.isdisjoint(record)


def _mapped(item: RawRecord, key_map: KeyMap) -> tuple[RawRecord, list[str]]:
    """``item`` with ``--map``'s keys renamed, and the notes saying so."""
    if not key_map:
        return item, []
    value, notes = key_map.apply(item.value)
    return (RawRecord(value, item.location) if notes else item), notes


def _drain(reading: Iterator[Any], result: ShardResult) -> Iterator[Any]:
    """The items of a shard's reading; the lines it spanned (its return value) go to
    ``result.lines``."""
    # A JSONL shard's generator returns the lines it spanned; other readers return None.
    spanned = yield from cast("Generator[Any, None, Any]", reading)
    result.lines = spanned if isinstance(spanned, int) else 0


def _context(sample: Sample, options: dict[str, Any]) -> RecordContext:
    adapter = sample.adapter
    return RecordContext(
        sample.raw,
        sample.location,
        sample.format,
        sample.conversation,
        options,
        adapter.kind if adapter is not None else "sft",
        adapter,
    )


def _tokenizers(job: Job) -> list[Any]:
    if not job.tokenizers:
        return []
    from sftprep.tokens import get_tokenizer

    return [get_tokenizer(spec, template=job.template) for spec in job.tokenizers]


def _count_plain(
    result: ShardResult, tokenizers: Sequence[Any], job: Job, task: Task, item: RawRecord
) -> bool:
    """Count a record its format can give as text-only turns; False when it cannot."""
    fmt = record_format(task.format, item.value) if task.detected else task.format
    turns = fmt.plain_turns(item.value)
    if turns is None:
        return False
    assert result.tally is not None
    loc = item.location
    result.tally.add_turns(tokenizers, job.limits, turns, loc.record or 0, loc.line or 0)
    return True


def _count(
    result: ShardResult,
    tokenizers: Sequence[Any],
    job: Job,
    sample: Sample,
    ctx: RecordContext,
    *,
    has_token_rules: bool,
) -> None:
    tally = result.tally
    assert tally is not None
    loc = sample.location
    record, line = loc.record or 0, loc.line or 0
    conversation = sample.conversation
    if conversation is None:
        tally.error(record, line, "not-an-object", "the record is not a JSON object")
        return
    # The rules render the record anyway: count from that rendering, not a second pass.
    rendered = ctx.rendering if has_token_rules or job.examples else None
    if sample.adapter is not None and sample.adapter.sft_target_error(conversation):
        conversation, rendered = untrained(conversation), None
    counted = tally.add(tokenizers, job.limits, conversation, record, line, rendered)
    if counted and job.media is not None:
        tally.add_media(ctx.media, job.media.families)
    if job.examples and len(result.examples) < job.examples and conversation.messages:
        rendering = ctx.rendering(tokenizers[0])
        if not isinstance(rendering, Exception) and rendering.ids and rendering.trainable:
            ids, mask = rendering.ids, rendering.mask
            result.examples.append(
                (
                    loc,
                    ids[:EXAMPLE_TOKENS],
                    mask[:EXAMPLE_TOKENS],
                    rendering.total,
                    rendering.trainable,
                )
            )


def untrained(conversation: Conversation) -> Conversation:
    """``conversation`` with no trainable token: its answers are no SFT target (a KTO
    undesirable completion), so its tokens count, but not as trained."""
    messages = tuple(
        replace(m, weight=0) if m.role == "assistant" else m for m in conversation.messages
    )
    return replace(conversation, messages=messages)


class _ValidBook:
    """Which records count as valid: no error finding, from the reader or a rule.

    A reader may report a record as broken after yielding it (CSV: a quoted field left
    open to the end of the file), so the last record counted valid can be taken back.
    """

    def __init__(self) -> None:
        self.reader_errors: set[int] = set()
        self.last_valid: int | None = None

    def reader_finding(self, item: Finding, result: ShardResult) -> None:
        record = item.location.record
        if item.rule == "json-syntax" and record is not None:
            result.records += 1  # a record that could not be parsed is still a record
        elif item.severity is Severity.ERROR and record is not None:
            self.reader_errors.add(record)
            if record == self.last_valid:
                result.valid -= 1
                self.last_valid = None

    def record(self, item: RawRecord, findings: list[Finding], result: ShardResult) -> None:
        broken = item.location.record in self.reader_errors
        if not broken and not any(f.severity is Severity.ERROR for f in findings):
            result.valid += 1
            self.last_valid = item.location.record
