"""`check`: run every selected rule over a dataset and collect a `Report`.

The dataset (a file, several, a folder of shard files, a glob, or the entries of an
aiDAPTIV+ config) is read on the engine: every core by default, or Ray.

>>> report = check("examples/qa_dataset.jsonl")
>>> report.summary["errors"]
0
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from sftprep.catalog import make_finding, select_rules
from sftprep.engine import Job, Merged, Runner, expand, plan_inputs, run
from sftprep.errors import UsageError, check_max_tokens
from sftprep.findings import Finding, Report
from sftprep.formats.aliases import KeyMap
from sftprep.model import Location
from sftprep.pipeline import Sample

PathLike = str | Path


def check(
    paths: PathLike | Iterable[PathLike] | None = None,
    *,
    format: str | None = None,
    key_map: KeyMap | None = None,
    config: PathLike | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    options: Mapping[str, Any] | None = None,
    target: str | None = None,
    progress: bool = False,
    workers: int | None = None,
    runner: Runner | None = None,
    against: Sequence[PathLike] | None = None,
) -> Report:
    """Check one or more dataset files (or the entries of an aiDAPTIV+ config).

    ``options`` reaches every rule (e.g. ``{"tokenizer": ..., "max_tokens": 4096}``,
    ``{"near_threshold": 0.9}``); ``target`` adds a platform profile's rule
    (``openai``, ``together``, ...). ``against`` names reference files (a validation
    split, a benchmark's test set): they are read, not checked, and the `leakage` and
    `contamination` rules report the checked records they hold copies or 13-grams of.
    """
    opts = dict(options or {})
    check_max_tokens(opts.get("max_tokens"))
    report = Report()
    runner = runner or Runner(workers=workers, progress=progress)
    references = _references(paths, config, against)
    index_path: Any = None
    try:
        if references:
            index_path = _reference_index(references, format, key_map, runner)
            opts.update(against=tuple(references), against_index=index_path)
            given = [paths] if isinstance(paths, (str, Path)) else list(paths or [])
            paths = [*expand(given), *references]
        last: Merged | None = None
        for merged in check_run(paths, format=format, key_map=key_map, config=config,
                                select=select, ignore=ignore, options=opts, target=target,
                                runner=runner, report=report):  # fmt: skip
            last = merged
            report.findings.extend(_checked(merged.findings, references))
        if references:
            report.files = [f for f in report.files if f.path not in references]
        if last is not None:
            rule = last.file.shared.get("near-duplicate")
            report.near_duplicates = list(getattr(rule, "view", []))
            for shared in last.file.shared.values():
                close = getattr(shared, "close", None)
                if close is not None:
                    close()
    finally:
        if isinstance(index_path, str):
            os.unlink(index_path)
    return report


def _references(
    paths: PathLike | Iterable[PathLike] | None,
    config: PathLike | None,
    against: Sequence[PathLike] | None,
) -> list[str]:
    """The ``--against`` files, expanded; none may be a checked file."""
    if not against:
        return []
    if config is not None:
        raise UsageError("--against needs dataset paths, not --config")
    references = expand(against)
    given = [paths] if isinstance(paths, (str, Path)) else list(paths or [])
    checked = {os.path.realpath(p) for p in expand(given)}
    for ref in references:
        if os.path.realpath(ref) in checked:
            raise UsageError(f"--against {ref} is also a checked file; give it once")
    return list(dict.fromkeys(references))


def _checked(findings: list[Finding], references: list[str]) -> Iterator[Finding]:
    """The findings about checked files (the ``--against`` files are only read)."""
    if not references:
        return iter(findings)
    refs = set(references)
    return (f for f in findings if f.location.path not in refs)


class ReferenceText:
    """The per-record step that reads an ``--against`` file: where, and its text."""

    def apply(self, sample: Sample, findings: list[Finding], ctx: Any) -> Any:
        from sftprep.formats.keys import canonical_json
        from sftprep.rules.near import texts

        prompt, answer = texts(sample.conversation)
        text = f"{prompt}\n{answer}" if sample.conversation else canonical_json(sample.raw)
        loc = sample.location
        return (loc.path, loc.line, loc.record), text


def _reference_index(
    references: list[str], format: str | None, key_map: KeyMap | None, runner: Runner
) -> Any:
    """Read the ``--against`` files once (this process) into the 13-gram index that
    `contamination` reads in every worker: the path of its temporary file (the index
    itself on Ray)."""
    from sftprep.rules.near import build_index, write_index

    files = plan_inputs(references, format=format, key_map=key_map)
    job = Job(transform=ReferenceText())

    def texts() -> Iterator[Any]:
        for merged in run(files, job, Runner(workers=1)):
            for (path, line, record), text in merged.result.outputs or ():
                loc = merged.shift(Location(path, line, record))
                yield (loc.path, loc.line, loc.record), text

    index = build_index(texts())
    # On Ray the index travels with the job (a node may not see this machine's /tmp).
    return index if runner.engine == "ray" else write_index(index)


def check_job(
    select: list[str] | None,
    ignore: list[str] | None,
    options: Mapping[str, Any] | None,
    target: str | None,
) -> Job:
    """The engine job of a check: the selected rules, their options, the target's rule."""
    if target is not None:
        from sftprep.targets import get_target

        get_target(target)  # an unknown name fails here, before any work
    opts = dict(options or {})
    if target is not None:  # the media rules judge against the platform's published limits
        opts.setdefault("target", target.strip().lower())
    if opts.get("tokenizer") is not None:
        from sftprep.tokens import get_tokenizer

        get_tokenizer(opts["tokenizer"], template=opts.get("template", "auto"))
    return Job(
        rules=frozenset(select_rules(select, ignore)), target=target, options=tuple(opts.items())
    )


def check_run(
    paths: PathLike | Iterable[PathLike] | None,
    *,
    format: str | None = None,
    key_map: KeyMap | None = None,
    config: PathLike | Sequence[PathLike] | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    options: Mapping[str, Any] | None = None,
    target: str | None = None,
    runner: Runner | None = None,
    report: Report,
    job: Job | None = None,
) -> Iterable[Merged]:
    """The merged shards of a check; ``report`` gets the files and the config's findings
    (the caller takes each shard's findings, and whatever else the job produced)."""
    job = job or check_job(select, ignore, options, target)
    runner = runner or Runner()
    config_findings: list[Finding] = []
    files = plan_inputs(
        paths,
        format=format,
        key_map=key_map,
        config=config,
        config_findings=config_findings,
        shard_bytes=runner.shard_bytes,
        keep_going=True,
    )
    enabled = job.rules or frozenset()
    report.findings.prepend(f for f in config_findings if f.rule in enabled)
    for merged in run(files, job, runner, label="checking"):
        if merged.shard.index == 0:
            report.files.append(merged.file.summary)
        yield merged


def check_project(
    project: Any,
    *,
    tokenizer: str = "cl100k_base",
    max_tokens: int | None = None,
    key_map: KeyMap | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    target: str | None = None,
    runner: Runner | None = None,
) -> Report:
    """Check an aiDAPTIV+ project (`sftprep.formats.aidaptiv_project.Project`): the env
    and exp configs' findings first, then the training and validation dataset YAMLs'
    entries with the token rules on at ``max_tokens`` (default: the project's
    ``max_seq_len``), and one finding at ``max_seq_len`` that sums what truncation loses.
    """
    check_max_tokens(max_tokens)
    seq = max_tokens or project.settings.max_seq_len
    options = {"tokenizer": tokenizer, "max_tokens": seq}
    job = check_job(select, ignore, options, target)
    report = Report()
    # one YAML in both lists is read once; train and validation files holding the same
    # records are `duplicate` findings across files (leakage)
    configs = list(dict.fromkeys([*project.train_configs, *project.val_configs]))
    if configs:
        for merged in check_run(
            None, config=configs, key_map=key_map, runner=runner, report=report, job=job
        ):
            report.findings.extend(merged.findings)
    own = {str(project.env), str(project.exp)}
    enabled = job.rules or frozenset()
    found = [f for f in project.findings if f.location.path in own and f.rule in enabled]
    if seq and project.train_configs and "too-long" in enabled:
        found.extend(_over_max_seq_len(project, tokenizer, seq, key_map, runner))
    report.findings.prepend(found)
    return report


def _over_max_seq_len(
    project: Any, tokenizer: str, seq: int, key_map: KeyMap | None, runner: Runner | None
) -> list[Finding]:
    """One `too-long` finding at ``max_seq_len``: how many training records it cuts and
    what they lose (the per-record findings say which)."""
    from sftprep.count import count_tokens

    stats = count_tokens(
        None, tokenizer, config=project.train_configs, key_map=key_map, max_tokens=seq,
        runner=runner,
    ).to_dict()  # fmt: skip
    over = stats.get("over_limit") or {}
    if not over.get("records"):
        return []
    message = (
        f"{over['records']:,} of {stats['records']:,} training records are longer than "
        f"max_seq_len {seq:,} ({stats['tokenizer']['name']} tokens): truncation loses "
        f"{over['trainable_tokens_lost']:,} trainable tokens and leaves "
        f"{over['records_without_trainable']:,} records with none"
    )
    where = project.where("exp", "run_settings", "max_seq_len")
    return [make_finding("too-long", message, where, field="max_seq_len")]
