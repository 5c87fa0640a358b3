"""`check`: run every selected rule over a dataset and collect a `Report`.

>>> report = check("examples/qa_dataset.jsonl")  # doctest: +SKIP
>>> report.summary["errors"]  # doctest: +SKIP
0
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from sftprep.findings import FileSummary, Finding, Report, Severity
from sftprep.model import Location
from sftprep.pipeline import Sample, Source, iter_samples, open_sources
from sftprep.rules.base import (
    RecordContext,
    Rule,
    Shift,
    list_rules,
    make_finding,
    select_rules,
)

PathLike = str | Path


def check(
    paths: PathLike | Iterable[PathLike] | None = None,
    *,
    format: str | None = None,
    config: PathLike | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    options: Mapping[str, Any] | None = None,
    target: str | None = None,
    progress: bool = False,
) -> Report:
    """Check one or more dataset files (or the entries of an aiDAPTIV+ config).

    ``options`` reaches every rule (e.g. ``{"tokenizer": ..., "max_tokens": 4096}``);
    ``target`` adds a platform profile's rule (``openai``, ``together``, ...).
    """
    enabled = select_rules(select, ignore)
    report = Report()
    config_findings: list[Finding] = []
    for path in _as_paths(paths, config):
        for source in open_sources(
            path, format=format, config=config, config_findings=config_findings
        ):
            rules = [cls() for cls in list_rules() if cls.id in enabled]
            if target is not None:
                from sftprep.targets import get_target

                rules.append(get_target(target).fresh().rule())
            _check_source(source, rules, report, dict(options or {}), progress=progress)
    report.findings.prepend(f for f in config_findings if f.rule in enabled)
    return report


def _as_paths(
    paths: PathLike | Iterable[PathLike] | None, config: PathLike | None
) -> list[PathLike | None]:
    if paths is None or (not isinstance(paths, (str, Path)) and not list(paths)):
        return [None] if config is not None else []
    if isinstance(paths, (str, Path)):
        return [paths]
    return list(paths)


def _check_source(
    source: Source,
    rules: list[Rule],
    report: Report,
    options: dict[str, Any],
    *,
    progress: bool,
) -> None:
    summary = FileSummary(source.path, source.format.name, detection=source.detection)
    report.files.append(summary)
    enabled = {rule.id for rule in rules}
    record_rules = [rule for rule in rules if rule.scope in ("record", "token")]
    reader_errors: set[int] = set()  # records a reader already found broken (invalid-utf8)
    last_valid: int | None = None  # the last record counted valid (a reader may report it late)
    for item in _with_progress(iter_samples(source), progress, source.path):
        if isinstance(item, Finding):
            record = item.location.record
            if item.rule == "json-syntax" and record is not None:
                summary.records += 1  # a record that could not be parsed is still a record
            elif item.severity is Severity.ERROR and record is not None:
                reader_errors.add(record)
                if record == last_valid:  # found broken after it was read (csv: left open)
                    summary.valid_records -= 1
                    last_valid = None
            if item.rule in enabled:
                report.findings.append(item)
            continue
        summary.records += 1
        findings = [f for f in item.findings if f.rule in enabled]
        findings.extend(_run_rules(record_rules, item, item.format or source.format.name, options))
        report.findings.extend(findings)
        broken = item.location.record in reader_errors
        if not broken and not any(f.severity is Severity.ERROR for f in findings):
            summary.valid_records += 1
            last_valid = item.location.record
    if summary.records == 0 and "empty-dataset" in enabled:
        report.findings.append(
            make_finding("empty-dataset", "the file holds no records", Location(source.path))
        )
    for rule in rules:
        report.findings.extend(rule.absorb(rule.partial(), Shift()))
    for rule in rules:
        report.findings.extend(rule.finish())


def _run_rules(
    rules: list[Rule], sample: Sample, format_name: str, options: Mapping[str, Any]
) -> Iterator[Finding]:
    adapter = sample.adapter
    kind = adapter.kind if adapter is not None else "sft"
    ctx = RecordContext(
        sample.raw, sample.location, format_name, sample.conversation, options, kind, adapter
    )
    for rule in rules:
        yield from rule.check(ctx)


def _with_progress(items: Iterator[Any], enabled: bool, label: str) -> Iterator[Any]:
    if not enabled:
        yield from items
        return
    from sftprep.progress import progress_iter

    yield from progress_iter(items, description=f"checking {label}")
