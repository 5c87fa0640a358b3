"""Merging shard results in file order: numbers become the file's, dataset rules settle.

A `FileRun` merges the `ShardResult`s of one file in order. It turns each shard's
record and line numbers into the file's (a `Shift`: what the planner knew of the
shard's start, else the records and lines of the shards before), gives each rule's
shard state to one instance of that rule for the whole file (`Rule.absorb`), and
places the findings that settles (a copy of an earlier record) after the record's
own findings. At the end of the file, `finish` gives the findings that need every
record. The order depends only on the shards, never on where or when they ran.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sftprep.catalog import Rule, Shift, make_finding
from sftprep.engine.plan import InputFile
from sftprep.engine.worker import Job, ShardResult
from sftprep.findings import FileSummary, Finding
from sftprep.io import Shard
from sftprep.model import Location


@dataclass
class Merged:
    """One shard merged: its findings in file numbers, and the result as the worker sent it.

    ``last`` marks the file's last shard: ``findings`` then also holds what the whole
    file settles (`FileRun.finish`).
    """

    file: FileRun
    shard: Shard
    shift: Shift
    findings: list[Finding]
    result: ShardResult
    last: bool = False


@dataclass
class FileRun:
    """The merge state of one file; ``shared`` are the rule instances that span the whole
    dataset (`Rule.span`), given to every file, each other rule is the file's own."""

    file: InputFile
    job: Job
    shared: dict[str, Rule] = field(default_factory=dict)
    summary: FileSummary = field(init=False)
    rules: list[Rule] = field(init=False)
    records: int = 0  # records of the shards merged so far
    lines: int = 0

    def __post_init__(self) -> None:
        f = self.file
        name = f.format.name if f.readable else "unreadable"
        self.summary = FileSummary(f.path, name, detection=f.detection)
        self.rules = [
            self.shared.setdefault(rule.id, rule) if rule.span == "dataset" else rule
            for rule in self.job.make_rules()
        ]

    def shift_of(self, shard: Shard) -> Shift:
        records = shard.first_record if shard.first_record is not None else self.records
        lines = shard.first_line - 1 if shard.first_line is not None else self.lines
        return Shift(records, lines)

    def add(self, shard: Shard, result: ShardResult) -> Merged:
        """Merge the next shard's result (shards must come in order)."""
        shift = self.shift_of(shard)
        own = [_shifted(f, shift) for f in result.findings]
        settled: list[Finding] = []
        for rule, state in zip(self.rules, result.states, strict=True):
            settled.extend(rule.absorb(state, shift))
        settled.sort(key=_record)  # by record, in rule order within a record (a stable sort)
        findings = list(heapq.merge(own, settled, key=_record)) if settled else own
        if shard.index == 0:
            findings[:0] = self.enabled(self.file.findings)
        self.summary.records += result.records
        self.summary.valid_records += result.valid
        self.records = shift.records + result.records
        self.lines = shift.lines + result.lines
        return Merged(self, shard, shift, findings, result)

    def finish(self, *, last_file: bool = True) -> list[Finding]:
        """The findings that need the whole file (once, after its last shard), and after
        the last file those of the rules that span the dataset."""
        found: list[Finding] = []
        if self.summary.records == 0 and self.file.readable and self._on("empty-dataset"):
            where = Location(self.file.path)
            found.append(make_finding("empty-dataset", "the file holds no records", where))
        for rule in self.rules:
            if rule.span != "dataset" or last_file:
                found.extend(rule.finish())
        return found

    def _on(self, rule: str) -> bool:
        return self.job.rules is not None and rule in self.job.rules

    def enabled(self, findings: Iterable[Finding]) -> list[Finding]:
        """The findings of the rules the job runs."""
        return [f for f in findings if self._on(f.rule)]


def _shifted(finding: Finding, shift: Shift) -> Finding:
    location = shift(finding.location)
    if location is finding.location:
        return finding
    return Finding(
        finding.rule,
        finding.severity,
        finding.message,
        location,
        finding.field,
        finding.hint,
        finding.excerpt,
    )


def _record(finding: Finding) -> int:
    record = finding.location.record
    return -1 if record is None else record


def merged_in_order(
    files: list[InputFile], job: Job, results: Iterator[ShardResult]
) -> Iterator[Merged]:
    """Merge ``results`` (one per shard, in the order of ``files`` and their shards)."""
    shared: dict[str, Rule] = {}
    for n, file in enumerate(files):
        run = FileRun(file, job, shared)
        last_file = n == len(files) - 1
        for i, shard in enumerate(file.shards):
            merged = run.add(shard, next(results))
            if i == len(file.shards) - 1:
                merged.findings.extend(run.finish(last_file=last_file))
                merged.last = True
            yield merged
        if not file.shards:  # nothing to read (an empty Parquet file): the file still ends
            ended = [*run.enabled(file.findings), *run.finish(last_file=last_file)]
            yield Merged(run, Shard(file.path, ""), Shift(), ended, ShardResult(0), True)
