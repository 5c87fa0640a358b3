"""`fix`: safe, explained repairs; whatever stays broken goes to the rejects file unchanged.

For each record: map role spellings, repair mojibake, trim whitespace (the selected
repairs, each counted), drop exact duplicates of an earlier repaired record, run the
same rules as `check` on the repaired record and drop it when any error remains,
and drop it when it is longer than ``max_tokens``. A dropped record is written to
the rejects file exactly as it was read, with its file, line, rule ids and reasons;
records that did not parse count as rejected too, kept as their raw text. So
``records_in == records_out + rejected`` always, and the input is never modified.

>>> summary = fix("raw.jsonl", "clean.jsonl", rejects="rejects.jsonl")  # doctest: +SKIP
>>> summary.records_in == summary.records_out + summary.rejected  # doctest: +SKIP
True
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sftprep.build.convert import LOSSY, check_paths, write_as, write_rejects
from sftprep.build.paths import os_errors_as_usage
from sftprep.build.rejects import LOST_RECORD_RULES, RawLines, Rejects, errors
from sftprep.build.repairs import REPAIRS
from sftprep.errors import LossyConversionError, UsageError
from sftprep.findings import Finding
from sftprep.formats.base import Format, get_format
from sftprep.model import Location
from sftprep.pipeline import iter_samples, open_source
from sftprep.rules.base import RecordContext, Rule, list_rules

DUPLICATE = "duplicate"
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
    dedupe: bool = False,
    strip: bool = False,
    repair_encoding: bool = False,
    max_tokens: int | None = None,
    tokenizer: str | None = None,
    format: str | None = None,
    to: str | None = None,
) -> FixSummary:
    """Repair ``path`` into ``out``; dropped records go to ``rejects``.

    With none of ``dedupe``/``strip``/``repair_encoding`` selected, all of them run.
    Role names are always normalised. ``max_tokens`` needs ``tokenizer`` (a spec for
    `sftprep.tokens.get_tokenizer`, e.g. ``o200k_base`` or a tokenizer directory).
    """
    if max_tokens is not None and tokenizer is None:
        raise UsageError("--max-tokens needs --tokenizer (e.g. o200k_base or a tokenizer dir)")
    if max_tokens is not None and max_tokens < 1:
        raise UsageError(f"--max-tokens must be a positive number of tokens, got {max_tokens}")
    if not (dedupe or strip or repair_encoding):
        dedupe = strip = repair_encoding = True
    check_paths(path, out, rejects)
    steps = ["roles"] + [
        name for name, on in (("repair-encoding", repair_encoding), ("strip", strip)) if on
    ]
    summary = FixSummary(str(path), str(out), str(rejects), repairs=tuple(steps))
    source = open_source(path, format=format)
    summary.format = source.format.name
    out_format = get_format(to) if to else source.format
    fixer = _Fixer(
        source.format,
        out_format,
        steps,
        dedupe=dedupe,
        options={"tokenizer": tokenizer, "max_tokens": max_tokens} if tokenizer else {},
    )

    from sftprep.io.write import write_records

    with Rejects() as spool, os_errors_as_usage(out):
        write_records(out, fixer.run(source, spool, summary))
        summary.rejected = spool.count
        write_rejects(spool, rejects, out)
    summary.dataset_findings = [f for rule in fixer.rules for f in rule.finish()]
    return summary


class _Fixer:
    def __init__(
        self,
        fmt: Format,
        out_format: Format,
        steps: list[str],
        *,
        dedupe: bool,
        options: dict[str, Any],
    ) -> None:
        self.fmt = fmt
        self.out_format = out_format
        self.steps = [REPAIRS[name] for name in steps]
        self.dedupe = dedupe
        self.seen: dict[bytes, Location] = {}
        # With a tokenizer the token rules run too, exactly as `check --tokenizer` runs them.
        self.options = options
        self.drop_long = options.get("max_tokens") is not None
        self.rules: list[Rule] = [cls() for cls in list_rules() if cls.scope in ("record", "token")]

    def run(self, source: Any, spool: Rejects, summary: FixSummary) -> Iterator[Any]:
        lines = RawLines(source.path)
        try:
            for item in iter_samples(source):
                if isinstance(item, Finding):
                    if item.rule in LOST_RECORD_RULES and item.location.record is not None:
                        summary.records_in += 1
                        raw = lines.text(item.location.line)
                        self._drop(
                            spool,
                            summary,
                            raw if raw is not None else item.excerpt,
                            item.location,
                            "unparseable",
                            [item],
                        )
                    continue
                summary.records_in += 1
                record = self.fix_one(item.raw, item.location, spool, summary)
                if record is not None:
                    summary.records_out += 1
                    yield record
        finally:
            lines.close()

    def fix_one(
        self, raw: Any, location: Location, spool: Rejects, summary: FixSummary
    ) -> Any | None:
        record, changed = raw, []
        for step in self.steps:
            record, did = step.apply(record, self.fmt.name)
            if did:
                changed.append(step.name)
        if self.dedupe:
            key = hashlib.blake2b(
                json.dumps(record, sort_keys=True, ensure_ascii=False, default=str).encode(),
                digest_size=16,
            ).digest()
            first = self.seen.setdefault(key, location)
            if first is not location:
                spool.add(raw, location, [DUPLICATE], [f"exact duplicate of {_where(first)}"])
                summary.dropped[DUPLICATE] += 1
                summary.dropped_by_rule[DUPLICATE] += 1
                return None
        conversation = (
            self.fmt.to_conversation(record, location) if isinstance(record, Mapping) else None
        )
        findings = list(self.fmt.validate(record, location))
        ctx = RecordContext(record, location, self.fmt.name, conversation, self.options)
        for rule in self.rules:
            findings.extend(rule.check(ctx))
        problems = errors(findings)
        if problems or conversation is None:
            self._drop(spool, summary, raw, location, "invalid", problems)
            return None
        too_long = [f for f in findings if f.rule == TOO_LONG]
        if self.drop_long and too_long:
            spool.add_findings(raw, location, too_long)
            summary.dropped["max-tokens"] += 1
            summary.dropped_by_rule[TOO_LONG] += 1
            return None
        if self.out_format.name != self.fmt.name:
            try:
                record = write_as(conversation, self.out_format)
            except LossyConversionError as exc:
                spool.add(raw, location, [LOSSY], [str(exc)])
                summary.dropped[LOSSY] += 1
                summary.dropped_by_rule[LOSSY] += 1
                return None
        summary.repaired.update(changed)
        return record

    @staticmethod
    def _drop(
        spool: Rejects,
        summary: FixSummary,
        raw: Any,
        location: Location,
        reason: str,
        findings: list[Finding],
    ) -> None:
        spool.add_findings(raw, location, findings)
        summary.dropped[reason] += 1
        # A set: a record with two findings of one rule counts once for that rule.
        summary.dropped_by_rule.update({f.rule for f in findings})


def _where(location: Location) -> str:
    """``record 3 (line 4)``, as the `duplicate` rule says it; no line for Parquet rows."""
    line = f" (line {location.line})" if location.line is not None else ""
    return f"record {location.record}{line}"
