"""Deterministic, leak-free train/validation/test splits.

Records whose first user message normalises to the same text (lower case, runs of
whitespace and punctuation collapsed) form one *group*, and a group always lands in
one split, so a prompt seen in training never reappears in validation. With
``group="near-duplicates"`` (the default) the clusters of the `near-duplicate` rule
join groups too: a near-copy (a changed name or number, a re-worded answer) lands
in the split of the record it copies. Groups are
ordered by a hash of the seed and the group key (independent of file order) and
dealt into test, then validation, until each reaches its share of records; the rest
is train. With ``stratify`` the dealing happens per value of that top-level field.

Records that share an image (or another medium: the same file, URL or bytes) join one
group too, so the same picture never sits on both sides of a split.

Two passes over the input keep memory to one small integer per record. Records are
written unchanged, except that relative media paths are rewritten for the output
folder (so they still point at the files).

>>> from sftprep.formats.keys import normalise_prompt  # the group key's normalisation
>>> normalise_prompt("  What is UP?!  ")
'what is up'
>>> split("examples/qa_dataset.jsonl", "splits/", val_fraction=0.1, seed=13).counts
{'train': 11, 'validation': 1}
"""

from __future__ import annotations

import json
import os
import re
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sftprep.engine import Job, Runner, plan_inputs, run
from sftprep.errors import UsageError
from sftprep.findings import Finding
from sftprep.formats.aliases import KeyMap
from sftprep.formats.keys import digest, prompt_group_key
from sftprep.formats.media import media_identities, rebase_record
from sftprep.pipeline import Sample
from sftprep.similarity import available
from sftprep.transform.paths import check_directory, os_errors_as_usage

SPLITS = ("train", "validation", "test")
GROUPINGS = ("near-duplicates", "prompts")
_TRAIN, _VALIDATION, _TEST = 0, 1, 2


@dataclass
class SplitSummary:
    """What `split` wrote: records per split, groups, strata and the files."""

    path: str
    seed: int
    records: int = 0
    groups: int = 0
    largest_group: int = 0
    grouping: str = "prompts"
    near_duplicates: int = 0  # records joined to another's group as near-copies
    counts: dict[str, int] = field(default_factory=dict)
    strata: dict[str, dict[str, int]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)  # files of an earlier split, removed

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "seed": self.seed,
            "records": self.records,
            "groups": self.groups,
            "largest_group": self.largest_group,
            "grouping": self.grouping,
            "near_duplicates": self.near_duplicates,
            "counts": self.counts,
            "strata": self.strata,
            "files": self.files,
            "removed": self.removed,
        }


@dataclass
class _Group:
    order: int
    stratum: str
    size: int = 0
    split: int = _TRAIN


def split(
    path: str | Path,
    out_dir: str | Path,
    *,
    val_fraction: float,
    test_fraction: float = 0.0,
    seed: int,
    stratify: str | None = None,
    format: str | None = None,
    key_map: KeyMap | None = None,
    ext: str | None = None,
    runner: Runner | None = None,
    group: str = "near-duplicates",
) -> SplitSummary:
    """Split ``path`` into ``out_dir``/train, validation (and test when ``test_fraction``).

    Files keep the input's extension unless ``ext`` is given. Raises `UsageError` for
    bad fractions or when a record cannot be parsed (run `sftprep fix` first: every
    record must land in exactly one split). ``group`` is ``near-duplicates`` (prompt
    groups joined by near-duplicate clusters) or ``prompts``.
    """
    _check_fractions(val_fraction, test_fraction)
    if group not in GROUPINGS:
        raise UsageError(f"unknown --group {group!r}; known: {', '.join(GROUPINGS)}")
    source_path = Path(path)
    suffix = "." + (ext or source_path.suffix.lstrip(".")).lower()
    if suffix == ".":
        raise UsageError(f"{source_path}: no extension; pass --ext jsonl (or json, csv, parquet)")

    names = SPLITS if test_fraction > 0 else SPLITS[:2]
    out = Path(out_dir)
    _check_destination(source_path, out, [out / f"{name}{suffix}" for name in names])
    missing = available() if group == "near-duplicates" else None
    near = group == "near-duplicates" and missing is None
    record_group, groups, joined = _group_records(
        source_path, format=format, key_map=key_map, seed=seed, stratify=stratify, runner=runner,
        near=near,
    )  # fmt: skip
    _deal(groups, val_fraction, test_fraction)
    _keep_train(groups)

    assignment = bytes(groups[g].split for g in record_group)
    summary = SplitSummary(str(source_path), seed, records=len(assignment), groups=len(groups))
    summary.grouping = "prompts and near-duplicates" if near else "prompts"
    if missing is not None:
        summary.grouping += f" (near-duplicates skipped: {missing})"
    summary.near_duplicates = joined
    summary.largest_group = max((g.size for g in groups), default=0)
    summary.counts = {name: assignment.count(i) for i, name in enumerate(names)}
    if stratify is not None:
        summary.strata = _strata_counts(groups, names)

    from sftprep.io.write import write_file_set

    # One set: all files complete before any replaces an old one; a test.jsonl of an
    # earlier split that this one lacks is removed (and named), never left beside it.
    files = [
        (out / f"{name}{suffix}", _records_for(source_path, assignment, index, out))
        for index, name in enumerate(names)
    ]
    about = {"source": str(source_path), "seed": seed, "splits": list(names)}
    with os_errors_as_usage(out):
        _, summary.removed = write_file_set(
            out, files, family=SPLIT_FILE, about=about, inputs=[str(source_path)]
        )
    summary.files = {name: str(path) for name, (path, _) in zip(names, files, strict=True)}
    return summary


# The files a split writes, in any extension: an earlier split's that the new one lacks go.
SPLIT_FILE = re.compile(r"(?:train|validation|test)\.(?:jsonl|json|csv|tsv|parquet)")


def _check_destination(source: Path, out: Path, files: list[Path]) -> None:
    """``out`` is (or can become) a directory, and no split file would replace the input."""
    source_path = _resolved(source, str(source))
    _resolved(out, f"-o {out}")  # a name too long, a loop: one line before any work
    if out.exists() and not out.is_dir():
        raise UsageError(f"-o {out} is a file; give a directory for the split files")
    check_directory(out, f"-o {out}")
    for file in files:
        if _resolved(file, f"-o {out}") == source_path:
            raise UsageError(
                f"-o {out} would replace the input {source} with the {file.stem} split; "
                "choose another directory (the input is never modified)"
            )


def _resolved(path: Path, what: str) -> Path:
    """``path`` resolved; a name too long or a loop of symbolic links is one line."""
    from sftprep.io.text import os_reason

    try:
        resolved = path.resolve()
        path.exists()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic link loop (< 3.13)
        reason = os_reason(exc) if isinstance(exc, OSError) else "a loop of symbolic links"
        raise UsageError(f"{what}: {reason}") from None
    return resolved


def _keep_train(groups: list[_Group]) -> None:
    """Train is never empty: with too few groups the last one dealt elsewhere goes back."""
    if not groups or any(g.split == _TRAIN for g in groups):
        return
    min(groups, key=lambda g: (g.split != _TEST, -g.order)).split = _TRAIN


def _check_fractions(val_fraction: float, test_fraction: float) -> None:
    for name, value in (("--val-fraction", val_fraction), ("--test-fraction", test_fraction)):
        if not 0 <= value < 1:
            raise UsageError(f"{name} must be in [0, 1), got {value}")
    if val_fraction + test_fraction >= 1:
        raise UsageError(
            f"--val-fraction + --test-fraction must leave records for train "
            f"(got {val_fraction} + {test_fraction})"
        )


@dataclass(frozen=True)
class GroupKey:
    """The per-record part of `split` (a `Transform`): the digest of the record's group
    key, and its value of the ``stratify`` field (None when it has no such field)."""

    stratify: str | None = None

    def apply(
        self, sample: Sample, findings: list[Finding], ctx: Any
    ) -> tuple[bytes, Any, tuple[bytes, ...]]:
        key = digest(prompt_group_key(sample.conversation, sample.raw))
        raw = sample.raw
        has = self.stratify is not None and isinstance(raw, Mapping) and self.stratify in raw
        media: tuple[bytes, ...] = ()
        if sample.conversation is not None and sample.adapter is not None:
            ids = media_identities(
                sample.conversation, sample.location.path, sample.adapter.media_keys
            )
            media = tuple(digest(i) for i in dict.fromkeys(ids))
        return key, (_stratum(sample, self.stratify) if has else None), media


def _group_records(
    path: Path,
    *,
    format: str | None,
    key_map: KeyMap | None,
    seed: int,
    stratify: str | None,
    runner: Runner | None,
    near: bool = False,
) -> tuple[array[int], list[_Group], int]:
    """First pass (on the engine): the group index of every record, the groups, and the
    number of records whose group near-duplicates joined to another's."""
    runner = runner or Runner()
    files = plan_inputs(path, format=format, key_map=key_map, shard_bytes=runner.shard_bytes)
    rules = {"json-syntax", "invalid-utf8"} | ({NEAR} if near else set())
    job = Job(rules=frozenset(rules), transform=GroupKey(stratify))
    near_rule: Any = None
    record_group: array[int] = array("q")
    index_of: dict[bytes, int] = {}
    groups = _Groups()
    broken: list[Finding] = []
    seed_bytes = str(seed).encode()
    stratified = 0  # records that have the --stratify field
    for merged in run(files, job, runner, label="grouping"):
        near_rule = merged.file.shared.get(NEAR, near_rule)
        broken.extend(
            f for f in merged.findings if f.location.record is not None and f.rule != NEAR
        )
        for key, stratum, media in merged.result.outputs or ():
            index = index_of.get(key)
            if index is None:
                index = index_of[key] = len(groups.groups)
                order = int.from_bytes(digest(seed_bytes + b"\0" + key, size=8), "big")
                groups.add(_Group(order, "" if stratum is None else stratum))
            root = groups.find(index)
            for medium in media:  # a shared image joins the groups of its records
                root = groups.union(root, index_of.setdefault(b"m" + medium, root))
            groups.groups[root].size += 1
            record_group.append(root)
            stratified += stratum is not None
    if broken:
        first = broken[0]
        raise UsageError(
            f"{len(broken)} record(s) in {path} cannot be parsed (first at {first.location}: "
            f"{first.message}); run `sftprep fix` first so every record lands in one split"
        )
    if stratify is not None and record_group and not stratified:
        raise UsageError(
            f"--stratify {stratify}: no record has a top-level `{stratify}` field "
            "(give the name of a field the records carry, e.g. category)"
        )
    joined = 0
    clusters = getattr(near_rule, "clusters", None)
    if near_rule is not None:
        near_rule.close()
    if clusters is not None:  # a near-duplicate cluster never straddles splits
        for record, first in enumerate(clusters.label.tolist()):
            if first != record:
                joined += 1
                groups.union(record_group[first], record_group[record])
    return (*groups.compact(record_group), joined)


NEAR = "near-duplicate"


class _Groups:
    """Groups that records sharing a medium merge (union-find); the merged group keeps
    the smaller seeded order, so the deal does not depend on the file order."""

    def __init__(self) -> None:
        self.groups: list[_Group] = []
        self.parent: list[int] = []

    def add(self, group: _Group) -> None:
        self.parent.append(len(self.groups))
        self.groups.append(group)

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        keep, gone = (ra, rb) if self.groups[ra].order <= self.groups[rb].order else (rb, ra)
        self.parent[gone] = keep
        self.groups[keep].size += self.groups[gone].size
        return keep

    def compact(self, record_group: array[int]) -> tuple[array[int], list[_Group]]:
        """Every record's final group, numbered among the groups left after merging."""
        roots = [i for i in range(len(self.groups)) if self.find(i) == i]
        number = {root: n for n, root in enumerate(roots)}
        final = array("q", (number[self.find(g)] for g in record_group))
        return final, [self.groups[root] for root in roots]


def _stratum(sample: Sample, stratify: str | None) -> str:
    if stratify is None or not isinstance(sample.raw, Mapping):
        return ""
    value = sample.raw.get(stratify)
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _deal(groups: list[_Group], val_fraction: float, test_fraction: float) -> None:
    """Give each group a split: per stratum, fill test then validation up to their shares."""
    by_stratum: dict[str, list[_Group]] = {}
    for group in groups:
        by_stratum.setdefault(group.stratum, []).append(group)
    for members in by_stratum.values():
        total = sum(g.size for g in members)
        want = {_TEST: round(total * test_fraction), _VALIDATION: round(total * val_fraction)}
        have = {_TEST: 0, _VALIDATION: 0}
        # Sorting by the seeded hash (then the stratum-local position) is what makes the
        # deal reproducible for a seed and independent of the input order.
        for group in sorted(members, key=lambda g: g.order):
            for split_id in (_TEST, _VALIDATION):
                if have[split_id] + group.size <= want[split_id]:
                    group.split = split_id
                    have[split_id] += group.size
                    break


def _strata_counts(groups: list[_Group], names: tuple[str, ...]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for group in groups:
        row = counts.setdefault(group.stratum, dict.fromkeys(names, 0))
        row[names[group.split]] += group.size
    return dict(sorted(counts.items()))


def _records_for(path: Path, assignment: bytes, split_id: int, out: Path) -> Iterator[Any]:
    """Second pass: the raw records of one split, in input order, unchanged (but for
    relative media paths, rewritten for the output folder)."""
    from sftprep.io import RawRecord, read

    index = 0
    for item in read(path):
        if not isinstance(item, RawRecord):
            continue
        if assignment[index] == split_id:
            yield rebase_record(item.value, os.path.dirname(item.location.path), str(out))
        index += 1
