"""`fix`: safe, explained repairs; whatever stays broken goes to the rejects file unchanged.

For each record: map role spellings, repair mojibake, trim whitespace (the selected
repairs, each counted), drop exact duplicates of an earlier repaired record (with
``dedupe="near"`` also every member of a near-duplicate cluster but one: the first,
or with ``keep="longest"`` the longest; the rejects carry the cluster number), run the
same rules as `check` on the repaired record and drop it when any error remains,
and drop it when it is longer than ``max_tokens``. A dropped record is written to
the rejects file exactly as it was read, with its file, line, rule ids and reasons;
records that did not parse count as rejected too, kept as their raw text. So
``records_in == records_out + rejected`` always, and the input is never modified.

>>> summary = fix("examples/qa_flawed.jsonl", "clean.jsonl", rejects="rejects.jsonl")
>>> summary.records_in, summary.records_out, summary.rejected
(10, 5, 5)
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sftprep.catalog import list_rules
from sftprep.engine import Job, Merged, Runner, plan_inputs, run
from sftprep.errors import LossyConversionError, UsageError, check_max_tokens
from sftprep.findings import Finding
from sftprep.formats.aliases import KeyMap
from sftprep.formats.base import SFT, get_format
from sftprep.formats.keys import record_digest
from sftprep.formats.media import rebase_record
from sftprep.model import Location
from sftprep.pipeline import Sample
from sftprep.rules.base import RecordContext, Rule
from sftprep.similarity import available
from sftprep.transform.convert import LOSSY, NOT_SFT_TARGET, check_paths, input_paths, write_as
from sftprep.transform.paths import os_errors_as_usage
from sftprep.transform.rejects import LOST_RECORD_RULES, RawLines, Rejects, errors, with_raw_lines
from sftprep.transform.repairs import REPAIRS

DUPLICATE = "duplicate"
NEAR_DUPLICATE = "near-duplicate"
DEDUPE = ("exact", "near")
KEEP = ("first", "longest")
TOO_LONG = "too-long"  # the token rule that measures length; fix drops on it


@dataclass
class FixSummary:
    """What `fix` did: records in/out/rejected, records changed per repair, drops per reason."""

    path: str
    out: str
    rejects_path: str
    format: str = ""
    records_in: int = 0
    records_out: int = 0
    rejected: int = 0
    repaired: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    dropped_by_rule: Counter[str] = field(default_factory=Counter)
    dataset_findings: list[Finding] = field(default_factory=list)
    repairs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "out": self.out,
            "rejects_path": self.rejects_path,
            "format": self.format,
            "records_in": self.records_in,
            "records_out": self.records_out,
            "rejected": self.rejected,
            "repairs": list(self.repairs),
            "repaired": {name: self.repaired.get(name, 0) for name in self.repairs},
            "dropped": dict(self.dropped),
            "dropped_by_rule": dict(self.dropped_by_rule),
            "dataset_findings": [f.to_dict() for f in self.dataset_findings],
        }


def fix(
    path: str | Path,
    out: str | Path,
    *,
    rejects: str | Path,
    dedupe: bool | str = False,
    keep: str = "first",
    strip: bool = False,
    repair_encoding: bool = False,
    max_tokens: int | None = None,
    tokenizer: str | None = None,
    format: str | None = None,
    key_map: KeyMap | None = None,
    to: str | None = None,
    runner: Runner | None = None,
) -> FixSummary:
    """Repair ``path`` into ``out``; dropped records go to ``rejects``.

    With none of ``dedupe``/``strip``/``repair_encoding`` selected, all of them run.
    Role names are always normalised. ``dedupe`` is True or ``"exact"`` (exact copies),
    or ``"near"`` (exact copies and near-duplicate clusters: ``keep`` ``"first"`` or
    ``"longest"`` record of each). ``max_tokens`` needs ``tokenizer`` (a spec for
    `sftprep.tokens.get_tokenizer`, e.g. ``o200k_base`` or a tokenizer directory).
    Records are repaired and checked on the engine (every core, or Ray); duplicates and
    the order of the output are settled here, in file order.
    """
    if max_tokens is not None and tokenizer is None:
        raise UsageError("--max-tokens needs --tokenizer (e.g. o200k_base or a tokenizer dir)")
    check_max_tokens(max_tokens)
    if dedupe not in (False, True, *DEDUPE):
        raise UsageError(f"unknown --dedupe {dedupe!r}; known: {', '.join(DEDUPE)}")
    if keep not in KEEP:
        raise UsageError(f"unknown --keep {keep!r}; known: {', '.join(KEEP)}")
    near = dedupe == "near"
    if near and (missing := available()) is not None:
        raise UsageError(f"--dedupe near: {missing}")
    if not (dedupe or strip or repair_encoding):
        dedupe = strip = repair_encoding = True
    check_paths(path, out, rejects)
    steps = ["roles"] + [
        name for name, on in (("repair-encoding", repair_encoding), ("strip", strip)) if on
    ]
    summary = FixSummary(str(path), str(out), str(rejects), repairs=tuple(steps))
    runner = runner or Runner()
    files = plan_inputs(path, format=format, key_map=key_map, shard_bytes=runner.shard_bytes)
    summary.format = ", ".join(dict.fromkeys(f.format.name for f in files))
    if to is not None:
        get_format(to)  # an unknown name fails before any work
    options = {"tokenizer": tokenizer, "max_tokens": max_tokens} if tokenizer else {}
    if tokenizer:
        from sftprep.tokens import get_tokenizer

        get_tokenizer(tokenizer)
    step = FixStep(tuple(steps), to, tuple(options.items()))
    # The engine's own rules: the reader's lost records, and the dataset-level findings.
    job = Job(rules=frozenset({*LOST_RECORD_RULES, *DATASET_RULES}), transform=step)

    from sftprep.io.write import Outputs, write_records

    drops = _near_drops(files, runner, keep) if near else {}
    # Both files are complete before either replaces an old one: a failure keeps both.
    with Rejects() as spool, Outputs() as outputs, os_errors_as_usage(out):
        out_dir = str(Path(out).parent)
        merging = _Merge(summary, spool, dedupe=bool(dedupe), near=drops, out_dir=out_dir)
        records = merging.records(run(files, job, runner, label="fixing"))
        write_records(out, records, inputs=input_paths(files), outputs=outputs)
        summary.rejected = spool.count
        spool.write(rejects, outputs)
        outputs.commit()
    return summary


def _near_drops(files: list[Any], runner: Runner, keep: str) -> dict[int, tuple[int, str]]:
    """A first pass (the `near-duplicate` rule on the engine): record number in the
    dataset -> (cluster number, where the kept record is) for every record of a
    near-duplicate cluster but the one kept."""
    from sftprep.similarity import describe

    rule: Any = None
    for merged in run(files, Job(rules=frozenset({NEAR_DUPLICATE})), runner, label="clustering"):
        rule = merged.file.shared.get(NEAR_DUPLICATE, rule)
    clusters = getattr(rule, "clusters", None)
    if clusters is None:
        return {}
    drops: dict[int, tuple[int, str]] = {}
    sizes = rule.sizes()
    for number, (_, members) in enumerate(sorted(clusters.groups().items()), 1):
        kept = max(members, key=lambda i: (sizes[i], -i)) if keep == "longest" else members[0]
        where = rule.where(kept)
        for member in members:
            if member != kept:
                drops[member] = (number, describe(where, rule.where(member)[0]))
    rule.close()
    return drops


# Rules about the whole dataset that no per-record repair can settle: fix reports them.
DATASET_RULES = ("label-skew", "completion-leftovers", "not-sft-data")


@dataclass(slots=True)
class Outcome:
    """What `FixStep` decided for one record: written (``record``), or rejected with a
    ``reason`` and its findings (or a message); ``key`` (the repaired record's digest)
    lets the merge drop later copies in file order."""

    raw: Any
    location: Location
    key: bytes
    record: Any = None
    changed: tuple[str, ...] = ()
    reason: str | None = None
    detail: list[Finding] | str = ""


@dataclass
class FixStep:
    """The per-record part of `fix`, run where the shard is read (a `Transform`)."""

    steps: tuple[str, ...]
    to: str | None
    options: tuple[tuple[str, Any], ...]
    _rules_made: list[Rule] | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        # Rules are made where the step runs: only the settings travel.
        return {**self.__dict__, "_rules_made": None}

    def apply(self, sample: Sample, findings: list[Finding], ctx: RecordContext) -> Outcome:
        adapter = sample.adapter
        assert adapter is not None
        raw, location = sample.raw, sample.location
        record, changed = raw, []
        for step in (REPAIRS.get(name) for name in self.steps):
            record, did = step.apply(record, adapter)
            if did:
                changed.append(step.name)
        key = record_digest(record)
        conversation = (
            adapter.to_conversation(record, location) if isinstance(record, Mapping) else None
        )
        found = list(adapter.validate(record, location))
        fixed = RecordContext(
            record, location, adapter.name, conversation, dict(self.options), adapter.kind, adapter
        )
        for rule in self._rules():
            found.extend(rule.check(fixed))
        problems = errors(found)
        if problems or conversation is None:
            return Outcome(raw, location, key, reason="invalid", detail=problems)
        too_long = [f for f in found if f.rule == TOO_LONG]
        if too_long and dict(self.options).get("max_tokens") is not None:
            return Outcome(raw, location, key, reason="max-tokens", detail=too_long)
        # a record in another format than its file's is written in the file's (or --to's)
        target = get_format(self.to) if self.to is not None else sample.file_format
        if target is not None and target.name != adapter.name:
            not_sft = adapter.sft_target_error(conversation) if target.kind == SFT else None
            if not_sft is not None:
                return Outcome(raw, location, key, reason=NOT_SFT_TARGET, detail=not_sft)
            try:
                record = write_as(conversation, target)
            except LossyConversionError as exc:
                return Outcome(raw, location, key, reason=LOSSY, detail=str(exc))
        return Outcome(raw, location, key, record, tuple(changed))

    def _rules(self) -> list[Rule]:
        """The record and token rules that keep no state, made once where the step runs."""
        if self._rules_made is None:
            self._rules_made = [
                cls()
                for cls in list_rules()
                if cls.scope in ("record", "token") and cls.partial is Rule.partial
            ]
        return self._rules_made


class _Merge:
    """The parent's side of `fix`: outcomes in file order, duplicates, rejects, counts."""

    def __init__(
        self,
        summary: FixSummary,
        spool: Rejects,
        *,
        dedupe: bool,
        near: dict[int, tuple[int, str]] | None = None,
        out_dir: str = ".",
    ) -> None:
        self.out_dir = out_dir  # relative media paths are rewritten for this folder
        self.summary = summary
        self.spool = spool
        self.dedupe = dedupe
        self.seen: dict[bytes, Location] = {}
        self.near = near or {}
        self.index = 0  # the record's number in the dataset (as the near-duplicate pass saw it)

    def records(self, merged_shards: Iterable[Merged]) -> Iterator[Any]:
        for merged, lines in with_raw_lines(merged_shards):
            yield from self._shard(merged, lines)

    def _shard(self, merged: Merged, lines: RawLines) -> Iterator[Any]:
        summary = self.summary
        for finding in merged.findings:
            if finding.rule in LOST_RECORD_RULES and finding.location.record is not None:
                summary.records_in += 1
                raw = lines.text(finding.location.line)
                self._drop(raw if raw is not None else finding.excerpt, finding.location,
                           "unparseable", [finding])  # fmt: skip
            elif finding.location.record is None:
                summary.dataset_findings.append(finding)
        for outcome in merged.result.outputs or ():
            summary.records_in += 1
            location = merged.shift(outcome.location)
            first = self.seen.setdefault(outcome.key, location) if self.dedupe else location
            cluster = self.near.get(self.index)
            self.index += 1
            if first is not location:
                why = f"exact duplicate of {_where(first)}"
                self.spool.add(outcome.raw, location, [DUPLICATE], [why])
                summary.dropped[DUPLICATE] += 1
                summary.dropped_by_rule[DUPLICATE] += 1
            elif cluster is not None:
                number, kept = cluster
                why = f"near-duplicate of {kept} (kept), cluster {number}"
                self.spool.add(outcome.raw, location, [NEAR_DUPLICATE], [why], cluster=number)
                summary.dropped[NEAR_DUPLICATE] += 1
                summary.dropped_by_rule[NEAR_DUPLICATE] += 1
            elif outcome.reason is None:
                summary.records_out += 1
                summary.repaired.update(outcome.changed)
                yield rebase_record(outcome.record, os.path.dirname(location.path), self.out_dir)
            elif isinstance(outcome.detail, str):  # a conversion that would lose content
                self.spool.add(outcome.raw, location, [outcome.reason], [outcome.detail])
                summary.dropped[outcome.reason] += 1
                summary.dropped_by_rule[outcome.reason] += 1
            else:
                findings = [_shifted(f, merged) for f in outcome.detail]
                self._drop(outcome.raw, location, outcome.reason, findings)

    def _drop(self, raw: Any, location: Location, reason: str, findings: list[Finding]) -> None:
        self.spool.add_findings(raw, location, findings)
        self.summary.dropped[reason] += 1
        # A set: a record with two findings of one rule counts once for that rule.
        self.summary.dropped_by_rule.update({f.rule for f in findings})


def _shifted(finding: Finding, merged: Merged) -> Finding:
    return dataclasses.replace(finding, location=merged.shift(finding.location))


def _where(location: Location) -> str:
    """``record 3 (line 4)``, as the `duplicate` rule says it; no line for Parquet rows."""
    line = f" (line {location.line})" if location.line is not None else ""
    return f"record {location.record}{line}"
